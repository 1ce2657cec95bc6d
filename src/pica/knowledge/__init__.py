"""Reviewed data files (with sources) and the small loaders that read them.

The personal-information (PI) taxonomy is the spine: every other table names PI types by the
taxonomy's ids. Loaders are cached; the data ships inside the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_data(name: str) -> Any:
    """Parse one YAML data file shipped in pica/knowledge/data/."""
    text = resources.files("pica.knowledge").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=_Loader)


@dataclass(frozen=True)
class PiType:
    id: str
    name_zh: str
    name_en: str
    group: str  # device_id | location | communication | media | identity | finance | ...
    sensitive: bool  # sensitive PI per GB/T 35273-2020 Annex B
    synonyms_zh: tuple[str, ...]
    synonyms_en: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class SensitiveApi:
    kind: str  # method | field | uri
    class_name: str  # dotted Java name, inner classes with $ (empty for uri)
    member: str  # method or field name, or the content URI prefix
    pi_types: tuple[str, ...]
    permission: str | None
    source: str
    requires_string: str | None = None  # PI only when this string constant is passed too


@dataclass(frozen=True)
class PermissionInfo:
    name: str
    protection: str  # dangerous | normal | signature | special
    pi_types: tuple[str, ...]
    group: str | None
    source: str


@dataclass(frozen=True)
class AppCategory:
    id: str
    number: int  # 1..39, the order of the 2021 provisions
    name_zh: str
    name_en: str
    basic_function_zh: str
    necessary_pi: tuple[str, ...]  # taxonomy ids
    necessary_pi_text_zh: str  # the provision's own words
    source: str
    # each PI word of the provision's lines and its taxonomy id (None: no id, see the file)
    necessary_pi_words: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class Weighted:
    """A term (word, SDK id, permission, intent action…) and the weight it adds to a type."""

    term: str
    weight: float


@dataclass(frozen=True)
class TypeSignals:
    """What points an app to one of the 39 types (``data/app_type_signals.yaml``)."""

    type_id: str
    names: tuple[tuple[str, ...], ...]  # one name: its synonyms (weight: where it is found)
    policy_text: tuple[Weighted, ...]
    sdks: tuple[Weighted, ...]  # SDK catalog ids
    sdk_categories: tuple[Weighted, ...]  # SDK catalog categories
    permissions: tuple[Weighted, ...]  # full permission names
    components: tuple[Weighted, ...]  # intent-filter actions and categories


@dataclass(frozen=True)
class AppTypeScoring:
    """How signals are weighed into a proposal, and the confidence it must reach to be used."""

    threshold: float
    policy_text_min_count: int
    weights: dict[str, float]  # default weight per kind (label, package, sdk…)
    caps: dict[str, float]  # most one kind may add to one type
    types: dict[str, TypeSignals]


@dataclass(frozen=True)
class RuleItem:
    id: str
    category: int
    category_title_zh: str
    category_title_en: str
    title_zh: str
    title_en: str
    evidence_kinds: tuple[
        str, ...
    ]  # APK | POLICY | TRACE | NET | UI | MANUAL | VERSIONS | CATEGORY
    manual_test: str
    fix: str


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@cache
def taxonomy() -> dict[str, PiType]:
    """PI types by id, from pi_taxonomy.yaml."""
    return {
        e["id"]: PiType(
            id=e["id"],
            name_zh=e["name_zh"],
            name_en=e["name_en"],
            group=e["group"],
            sensitive=bool(e["sensitive"]),
            synonyms_zh=_tuple(e.get("synonyms_zh")),
            synonyms_en=_tuple(e.get("synonyms_en")),
            source=e["source"],
        )
        for e in load_data("pi_taxonomy.yaml")["pi_types"]
    }


@cache
def sensitive_apis() -> tuple[SensitiveApi, ...]:
    """Framework methods, fields and content URIs that reach PI, from sensitive_apis.yaml."""
    return tuple(
        SensitiveApi(
            kind=e["kind"],
            class_name=e.get("class", ""),
            member=e["member"],
            pi_types=_tuple(e["pi"]),
            permission=e.get("permission"),
            source=e["source"],
            requires_string=e.get("requires_string"),
        )
        for e in load_data("sensitive_apis.yaml")["apis"]
    )


@cache
def permissions() -> dict[str, PermissionInfo]:
    """Android permissions by full name, from permissions.yaml."""
    return {
        e["name"]: PermissionInfo(
            name=e["name"],
            protection=e["protection"],
            pi_types=_tuple(e.get("pi")),
            group=e.get("group"),
            source=e["source"],
        )
        for e in load_data("permissions.yaml")["permissions"]
    }


@cache
def app_categories() -> dict[str, AppCategory]:
    """The 39 app types of the 2021 necessary-PI provisions, by id."""
    return {
        e["id"]: AppCategory(
            id=e["id"],
            number=int(e["number"]),
            name_zh=e["name_zh"],
            name_en=e["name_en"],
            basic_function_zh=e.get("basic_function_zh", ""),
            necessary_pi=_tuple(e.get("necessary_pi")),
            necessary_pi_text_zh=e.get("necessary_pi_text_zh", ""),
            source=e["source"],
            necessary_pi_words=tuple((e.get("necessary_pi_words") or {}).items()),
        )
        for e in load_data("app_categories.yaml")["categories"]
    }


@cache
def rule_catalog() -> dict[str, RuleItem]:
    """The 31 items of the 2019 identification method, in order, by id ("1.1" … "6.5")."""
    return {
        e["id"]: RuleItem(
            id=e["id"],
            category=int(e["category"]),
            category_title_zh=e["category_title_zh"],
            category_title_en=e["category_title_en"],
            title_zh=e["title_zh"],
            title_en=e["title_en"],
            evidence_kinds=_tuple(e["evidence_kinds"]),
            manual_test=e.get("manual_test", ""),
            fix=e.get("fix", ""),
        )
        for e in load_data("rule_catalog.yaml")["items"]
    }


@dataclass(frozen=True)
class ResolverMethod:
    class_name: str
    member: str
    source: str


@cache
def resolver_methods() -> tuple[ResolverMethod, ...]:
    """ContentResolver-style methods whose PI depends on the content URI they are given."""
    return tuple(
        ResolverMethod(class_name=e["class"], member=e["member"], source=e["source"])
        for e in load_data("sensitive_apis.yaml").get("resolver_methods", [])
    )


@cache
def policy_lexicon() -> dict[str, Any]:
    """The reviewed privacy-policy patterns and thresholds (``data/policy_lexicon.yaml``), as
    written: the policy reader compiles its patterns, the rules read thresholds and the few
    patterns a judgement applies to sentences."""
    return load_data("policy_lexicon.yaml")


def policy_thresholds() -> dict[str, float]:
    """Numeric limits the policy items are judged against (font size, contrast, length…)."""
    return {k: float(v) for k, v in policy_lexicon()["thresholds"].items()}


@dataclass(frozen=True)
class AndroidRuntime:
    """What Android runs without the user asking (``data/android_runtime.yaml``)."""

    lifecycle: dict[str, tuple[str, ...]]  # component kind -> method names Android calls
    pre_ui_actions: frozenset[str]  # broadcasts that start a receiver with no UI
    async_types: dict[str, tuple[str, ...]]  # type descriptor -> methods run later
    consent_key: str  # pattern (case-insensitive) of a consent-looking preferences key
    inherited_callback_pattern: str  # inherited methods the framework calls on app objects…
    inherited_callback_names: frozenset[str]  # …and these, by name


@cache
def android_runtime() -> AndroidRuntime:
    data = load_data("android_runtime.yaml")
    return AndroidRuntime(
        lifecycle={k: tuple(v) for k, v in data["lifecycle"].items()},
        pre_ui_actions=frozenset(data["pre_ui_actions"]),
        async_types={k: tuple(v) for k, v in data["async_types"].items()},
        consent_key=data["consent_key"],
        inherited_callback_pattern=data["inherited_callbacks"]["pattern"],
        inherited_callback_names=frozenset(data["inherited_callbacks"]["names"]),
    )


@dataclass(frozen=True)
class Generalisation:
    """A general term of policies (设备信息) and the specific PI types it discloses."""

    id: str
    names: tuple[str, ...]
    covers: tuple[str, ...]
    not_covers: tuple[str, ...]
    source: str


@cache
def pi_generalisation() -> tuple[Generalisation, ...]:
    """The reviewed generalisation rules (``data/pi_generalisation.yaml``)."""
    return tuple(
        Generalisation(
            id=r["id"],
            names=tuple(r["names"]),
            covers=tuple(r["covers"]),
            not_covers=tuple(r.get("not_covers") or ()),
            source=r["source"],
        )
        for r in load_data("pi_generalisation.yaml")["rules"]
    )


@cache
def runtime_thresholds() -> dict[str, dict[str, Any]]:
    """Limits for the runtime items 3.2, 4.4 and 4.6 (``data/runtime_thresholds.yaml``)."""
    data = load_data("runtime_thresholds.yaml")
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def _weighted(entries: Any, default: float, prefix: str = "") -> tuple[Weighted, ...]:
    """A list of terms, each a plain string (the kind's default weight) or {term: weight};
    ``prefix`` is put before terms without a dot (permission short names)."""
    result = []
    for entry in entries or ():
        if isinstance(entry, dict):
            ((term, weight),) = entry.items()
        else:
            term, weight = entry, default
        term = str(term)
        if prefix and "." not in term:
            term = prefix + term
        result.append(Weighted(term=term, weight=float(weight)))
    return tuple(result)


@cache
def app_type_signals() -> AppTypeScoring:
    """The reviewed signals of the 39 app types and how they are scored."""
    data = load_data("app_type_signals.yaml")
    scoring = data["scoring"]
    w = {k: float(v) for k, v in scoring["weights"].items()}
    types = {
        type_id: TypeSignals(
            type_id=type_id,
            names=tuple(tuple(str(word) for word in name) for name in entry.get("names") or ()),
            policy_text=_weighted(entry.get("policy_text"), w["policy_text"]),
            sdks=_weighted(entry.get("sdks"), w["sdk"]),
            sdk_categories=_weighted(entry.get("sdk_categories"), w["sdk_category"]),
            permissions=_weighted(entry.get("permissions"), w["permission"], "android.permission."),
            components=_weighted(entry.get("components"), w["component"]),
        )
        for type_id, entry in data["types"].items()
    }
    return AppTypeScoring(
        threshold=float(scoring["threshold"]),
        policy_text_min_count=int(scoring["policy_text_min_count"]),
        weights=w,
        caps={k: float(v) for k, v in scoring["caps"].items()},
        types=types,
    )


@dataclass(frozen=True)
class PermissionGroupWords:
    group: str  # a permission group of permissions.yaml (LOCATION, CAMERA…)
    words: tuple[str, ...]  # words of the prompt's message that name it


@dataclass(frozen=True)
class RequestMethod:
    """An app-side call that raises the runtime-permission prompt (hooked to name the permissions)."""

    class_name: str
    member: str
    source: str


@dataclass(frozen=True)
class ConsentUi:
    """What the recorder looks for on screen (``data/consent_ui.yaml``): the consent dialog's
    buttons, its checkbox, and Android's runtime-permission prompt."""

    agree: tuple[str, ...]
    decline: tuple[str, ...]
    markers: tuple[str, ...]  # a consent dialog shows one of these
    checkbox_words: tuple[str, ...]
    prompt_packages: frozenset[str]
    allow_ids: tuple[str, ...]  # resource-id suffixes, in order of preference
    deny_ids: tuple[str, ...]
    message_ids: tuple[str, ...]
    allow: tuple[str, ...]
    deny: tuple[str, ...]
    permission_groups: tuple[PermissionGroupWords, ...]  # in order of precedence
    request_methods: tuple[RequestMethod, ...]  # app-side calls that raise the prompt


@cache
def consent_ui() -> ConsentUi:
    data = load_data("consent_ui.yaml")
    consent, prompt = data["consent"], data["permission_prompt"]
    return ConsentUi(
        agree=_tuple(consent["agree"]),
        decline=_tuple(consent["decline"]),
        markers=_tuple(consent["markers"]),
        checkbox_words=_tuple(consent["checkbox_words"]),
        prompt_packages=frozenset(_tuple(prompt["packages"])),
        allow_ids=_tuple(prompt["allow_ids"]),
        deny_ids=_tuple(prompt["deny_ids"]),
        message_ids=_tuple(prompt["message_ids"]),
        allow=_tuple(prompt["allow"]),
        deny=_tuple(prompt["deny"]),
        permission_groups=tuple(
            PermissionGroupWords(group=g["group"], words=_tuple(g["words"]))
            for g in prompt["groups"]
        ),
        request_methods=tuple(
            RequestMethod(class_name=m["class"], member=m["member"], source=m["source"])
            for m in prompt["request_methods"]
        ),
    )


@dataclass(frozen=True)
class PackerEntry:
    """One packer (hardening service) and the names it leaves in the APKs it packs."""

    id: str
    vendor: str
    name: str
    application: tuple[str, ...]  # stub Application class names (manifest)
    classes: tuple[str, ...]  # class names, or package prefixes ending in "."
    native_libs: tuple[str, ...]  # lib/<abi>/ file names, "*" a wildcard
    assets: tuple[str, ...]  # paths under assets/, "*" a wildcard
    source: str


@cache
def packers() -> tuple[PackerEntry, ...]:
    """Packer vendors and their signals, from packers.yaml."""
    return tuple(
        PackerEntry(
            id=e["id"],
            vendor=e["vendor"],
            name=e["name"],
            application=_tuple(e.get("application")),
            classes=_tuple(e.get("classes")),
            native_libs=_tuple(e.get("native_libs")),
            assets=_tuple(e.get("assets")),
            source=e["source"],
        )
        for e in load_data("packers.yaml")["packers"]
    )


@dataclass(frozen=True)
class DynamicCode:
    """What loads code at run time and how its payloads are recognised (dynamic_code.yaml)."""

    loaders: tuple[tuple[str, str], ...]  # (dotted class, member)
    folders: tuple[str, ...]
    code_magic: dict[str, bytes]  # dex | zip -> magic at offset 0
    not_encrypted: tuple[tuple[int, bytes, str], ...]  # (offset, magic, format)
    encrypted_entropy: float
    entropy_window: int
    min_payload_bytes: int
    max_nesting: int


@cache
def dynamic_code() -> DynamicCode:
    data = load_data("dynamic_code.yaml")
    return DynamicCode(
        loaders=tuple((e["class"], e["member"]) for e in data["loaders"]),
        folders=_tuple(data["payload_folders"]),
        code_magic={k: bytes.fromhex(v) for k, v in data["code_magic"].items()},
        not_encrypted=tuple(
            (int(e["offset"]), bytes.fromhex(e["hex"]), e["what"]) for e in data["not_encrypted"]
        ),
        encrypted_entropy=float(data["encrypted_entropy"]),
        entropy_window=int(data["entropy_window"]),
        min_payload_bytes=int(data["min_payload_bytes"]),
        max_nesting=int(data["max_nesting"]),
    )


@dataclass(frozen=True)
class NativeIdentifier:
    """A string a native library reads an identifier through (property name or file path)."""

    string: str
    pi_types: tuple[str, ...]
    source: str


@cache
def native_identifiers() -> tuple[NativeIdentifier, ...]:
    """From native_identifiers.yaml."""
    return tuple(
        NativeIdentifier(string=e["string"], pi_types=_tuple(e["pi"]), source=e["source"])
        for e in load_data("native_identifiers.yaml")["strings"]
    )


@dataclass(frozen=True)
class DebugSubject:
    """A signing certificate subject that names no developer (a debug or AOSP test key)."""

    cn: str
    o: str
    what: str
    source: str


@cache
def debug_signing_subjects() -> tuple[DebugSubject, ...]:
    data = load_data("signing_certs.yaml")
    return tuple(
        DebugSubject(cn=e["cn"], o=e["o"], what=e["what"], source=e["source"])
        for e in data["debug_subjects"]
    )
