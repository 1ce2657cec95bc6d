"""Typed view of an app's ``AndroidManifest.xml`` (already parsed by :mod:`.axml`).

Follows the platform's package-parser semantics where they matter for an audit:

* Only direct children of ``<manifest>`` count for ``uses-permission``, ``uses-sdk``,
  ``uses-feature``, ``permission`` and ``application`` (the first ``<application>`` only);
  components and application ``meta-data`` only as direct children of that ``<application>``.
* Component names: ``".Foo"`` → ``package + ".Foo"``; ``"Foo"`` (no dot) → ``package + ".Foo"``;
  otherwise unchanged. Components without a name are ignored (the platform rejects them).
* ``exported``: the explicit ``android:exported`` if present. Otherwise, for activity,
  activity-alias, service and receiver: ``True`` when the component has at least one
  ``<intent-filter>`` and the effective targetSdk < 31, ``False`` when it has none, and ``None``
  when it has filters and targetSdk ≥ 31 (the platform refuses to install such an app, so the
  value is unknowable). For provider: ``True`` when the effective targetSdk ≤ 16, else ``False``.
* SDK levels: ``min_sdk`` / ``target_sdk`` are the declared values (``None`` when absent); a
  non-numeric codename (preview SDK) becomes 10000, as the platform does. The effective target
  (``Manifest.effective_target_sdk``) is targetSdk, else minSdk, else 1.
* ``uses_cleartext_traffic``: explicit attribute, else the platform default (``True`` when the
  effective targetSdk < 28). A ``network_security_config`` may override it at run time.
* ``allow_backup`` defaults to ``True``, ``debuggable`` to ``False``, ``enabled`` to ``True``.
* Attribute values that are references (``@0x7f…``) are resolved through the resource table when
  one is given (``label``, ``version_name``, ``version_code``, SDK levels, names, meta-data); an
  unresolvable label is ``None``; other unresolvable references keep their ``"@0x…"`` text.
* ``meta_data``: application-level ``<meta-data>``; ``android:value`` as text (booleans
  ``"true"``/``"false"``, ints in decimal), else ``android:resource`` resolved to its string
  value (for file resources that is the path, e.g. ``res/xml/file_paths.xml``) or ``"@0x…"``.
* Sequences are tuples (the dataclasses are frozen); ``meta_data`` is a plain dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pica.errors import InputError
from pica.extract.apk import arsc as _arsc
from pica.extract.apk.axml import ResRef, XmlElement
from pica.extract.apk.axml import parse as _parse_axml

__all__ = [
    "COMPONENT_KINDS",
    "ComponentDecl",
    "Manifest",
    "PermissionDecl",
    "parse_apk_manifest",
    "parse_manifest",
]

COMPONENT_KINDS = ("activity", "activity-alias", "service", "receiver", "provider")
_PERMISSION_ELEMENTS = {
    "uses-permission": "uses-permission",
    "uses-permission-sdk-23": "uses-permission-sdk-23",
    "uses-permission-sdk-m": "uses-permission-sdk-23",
}
CUR_DEVELOPMENT = 10000


@dataclass(frozen=True)
class PermissionDecl:
    name: str
    max_sdk: int | None
    element: str  # "uses-permission" | "uses-permission-sdk-23"


@dataclass(frozen=True)
class ComponentDecl:
    kind: str  # one of COMPONENT_KINDS
    name: str  # fully qualified class name (for activity-alias: the alias name)
    exported: bool | None
    actions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authorities: tuple[str, ...] = ()  # providers only
    enabled: bool = True
    permission: str | None = None
    process: str | None = None
    target_activity: str | None = None  # activity-alias only, fully qualified
    exported_explicit: bool = False  # True when android:exported was written
    meta_data_names: tuple[str, ...] = ()  # <meta-data android:name> inside the component


@dataclass(frozen=True)
class Manifest:
    package: str
    version_name: str | None
    version_code: int | None
    min_sdk: int | None
    target_sdk: int | None
    label: str | None
    application_class: str | None
    permissions: tuple[PermissionDecl, ...] = ()
    components: tuple[ComponentDecl, ...] = ()
    meta_data: dict[str, str] = field(default_factory=dict)
    uses_features: tuple[str, ...] = ()
    debuggable: bool = False
    allow_backup: bool = True
    uses_cleartext_traffic: bool = False
    network_security_config: str | None = None
    max_sdk: int | None = None
    defined_permissions: tuple[str, ...] = ()  # <permission android:name=…> the app declares
    instrumentation: tuple[str, ...] = ()  # <instrumentation android:name=…>: a test package

    @property
    def effective_target_sdk(self) -> int:
        return _effective_target(self.min_sdk, self.target_sdk)

    @property
    def permission_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.permissions)

    def components_of(self, kind: str) -> tuple[ComponentDecl, ...]:
        return tuple(c for c in self.components if c.kind == kind)


def _effective_target(min_sdk: int | None, target_sdk: int | None) -> int:
    if target_sdk is not None:
        return target_sdk
    if min_sdk is not None:
        return min_sdk
    return 1


class _Values:
    """Turns raw attribute values into text / ints / bools, resolving references."""

    def __init__(self, table: _arsc.ResourceTable | None):
        self.table = table

    def deref(self, v: object) -> object:
        if isinstance(v, ResRef) and not v.is_attr and self.table is not None:
            got = self.table.resolve_value(v.res_id)
            if got is not None and not isinstance(got, ResRef):
                return got
        return v

    def text(self, v: object, keep_refs: bool = True) -> str | None:
        v = self.deref(v)
        if v is None:
            return None
        if isinstance(v, ResRef):
            return str(v) if keep_refs else None
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    def integer(self, v: object) -> int | None:
        v = self.deref(v)
        if isinstance(v, bool) or v is None or isinstance(v, ResRef):
            return None
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            return int(v)
        if isinstance(v, str):
            s = v.strip()
            try:
                return int(s, 0) if s.lower().startswith("0x") else int(s)
            except ValueError:
                return None
        return None

    def sdk(self, v: object) -> int | None:
        if v is None:
            return None
        n = self.integer(v)
        if n is not None:
            return n
        d = self.deref(v)
        if isinstance(d, str) and not isinstance(d, ResRef) and d.strip():
            return CUR_DEVELOPMENT  # preview codename
        return None

    def boolean(self, v: object, default: bool) -> bool:
        v = self.deref(v)
        if isinstance(v, bool):
            return v
        if isinstance(v, int):
            return v != 0
        if isinstance(v, str) and not isinstance(v, ResRef):
            s = v.strip().lower()
            if s == "true":
                return True
            if s == "false":
                return False
        return default


def _class_name(package: str, name: str) -> str:
    if name.startswith("."):
        return package + name
    if "." not in name:
        return package + "." + name
    return name


def _dedup(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def parse_manifest(root: XmlElement, table: _arsc.ResourceTable | None = None) -> Manifest:
    """Build a :class:`Manifest` from the parsed binary XML (see module docstring for rules)."""
    if root.tag != "manifest":
        raise InputError(f"AndroidManifest.xml: root element is <{root.tag[:60]}>, not <manifest>")
    val = _Values(table)
    package = val.text(root.attrs.get("package"))
    if not package:
        raise InputError("AndroidManifest.xml: <manifest> has no package attribute")

    min_sdk = target_sdk = max_sdk = None
    permissions: list[PermissionDecl] = []
    seen_perms: set[tuple[str, str]] = set()
    features: list[str] = []
    defined: list[str] = []
    instrumentation: list[str] = []
    app: XmlElement | None = None
    for child in root.children:
        tag = child.tag
        if tag == "uses-sdk":
            if min_sdk is None:
                min_sdk = val.sdk(child.attrs.get("android:minSdkVersion"))
            if target_sdk is None:
                target_sdk = val.sdk(child.attrs.get("android:targetSdkVersion"))
            if max_sdk is None:
                max_sdk = val.sdk(child.attrs.get("android:maxSdkVersion"))
        elif tag in _PERMISSION_ELEMENTS:
            name = val.text(child.attrs.get("android:name"))
            if not name:
                continue
            element = _PERMISSION_ELEMENTS[tag]
            if (name, element) in seen_perms:
                continue
            seen_perms.add((name, element))
            permissions.append(
                PermissionDecl(name, val.integer(child.attrs.get("android:maxSdkVersion")), element)
            )
        elif tag == "uses-feature":
            name = val.text(child.attrs.get("android:name"))
            if name:
                features.append(name)
        elif tag == "permission":
            name = val.text(child.attrs.get("android:name"))
            if name:
                defined.append(name)
        elif tag == "instrumentation":
            name = val.text(child.attrs.get("android:name"))
            if name:
                instrumentation.append(_class_name(package, name))
        elif tag == "application" and app is None:
            app = child

    target = _effective_target(min_sdk, target_sdk)
    components: list[ComponentDecl] = []
    meta: dict[str, str] = {}
    label = application_class = nsc = None
    debuggable = False
    allow_backup = True
    cleartext = target < 28
    if app is not None:
        a = app.attrs
        label = val.text(a.get("android:label"), keep_refs=False)
        name = val.text(a.get("android:name"), keep_refs=False)
        application_class = _class_name(package, name) if name else None
        debuggable = val.boolean(a.get("android:debuggable"), False)
        allow_backup = val.boolean(a.get("android:allowBackup"), True)
        cleartext = val.boolean(a.get("android:usesCleartextTraffic"), cleartext)
        nsc = val.text(a.get("android:networkSecurityConfig"))
        for child in app.children:
            if child.tag in COMPONENT_KINDS:
                comp = _component(child, package, target, val)
                if comp is not None:
                    components.append(comp)
            elif child.tag == "meta-data":
                key = val.text(child.attrs.get("android:name"))
                if not key or key in meta:
                    continue
                if "android:value" in child.attrs:
                    value = val.text(child.attrs["android:value"])
                else:
                    value = val.text(child.attrs.get("android:resource"))
                meta[key] = value if value is not None else ""

    return Manifest(
        package=package,
        version_name=val.text(root.attrs.get("android:versionName")),
        version_code=val.integer(root.attrs.get("android:versionCode")),
        min_sdk=min_sdk,
        target_sdk=target_sdk,
        label=label,
        application_class=application_class,
        permissions=tuple(permissions),
        components=tuple(components),
        meta_data=meta,
        uses_features=_dedup(features),
        debuggable=debuggable,
        allow_backup=allow_backup,
        uses_cleartext_traffic=cleartext,
        network_security_config=nsc,
        max_sdk=max_sdk,
        defined_permissions=_dedup(defined),
        instrumentation=_dedup(instrumentation),
    )


def _component(el: XmlElement, package: str, target: int, val: _Values) -> ComponentDecl | None:
    a = el.attrs
    raw_name = val.text(a.get("android:name"))
    if not raw_name:
        return None
    kind = el.tag
    actions: list[str] = []
    categories: list[str] = []
    n_filters = 0
    meta_names = [
        name
        for m in el.children
        if m.tag == "meta-data" and (name := val.text(m.attrs.get("android:name")))
    ]
    for f in el.children:
        if f.tag != "intent-filter":
            continue
        n_filters += 1
        for x in f.children:
            if x.tag == "action":
                v = val.text(x.attrs.get("android:name"))
                if v:
                    actions.append(v)
            elif x.tag == "category":
                v = val.text(x.attrs.get("android:name"))
                if v:
                    categories.append(v)
    explicit = "android:exported" in a
    exported: bool | None
    if explicit:
        exported = val.boolean(a["android:exported"], False)
    elif kind == "provider":
        exported = target <= 16
    elif n_filters == 0:
        exported = False
    elif target < 31:
        exported = True
    else:
        exported = None
    authorities: tuple[str, ...] = ()
    if kind == "provider":
        auth = val.text(a.get("android:authorities")) or ""
        authorities = _dedup([x.strip() for x in auth.split(";") if x.strip()])
    target_activity = None
    if kind == "activity-alias":
        t = val.text(a.get("android:targetActivity"))
        target_activity = _class_name(package, t) if t else None
    return ComponentDecl(
        kind=kind,
        name=_class_name(package, raw_name),
        exported=exported,
        actions=_dedup(actions),
        categories=_dedup(categories),
        authorities=authorities,
        enabled=val.boolean(a.get("android:enabled"), True),
        permission=val.text(a.get("android:permission")),
        process=val.text(a.get("android:process")),
        target_activity=target_activity,
        exported_explicit=explicit,
        meta_data_names=_dedup(meta_names),
    )


def parse_apk_manifest(manifest_bytes: bytes, arsc_bytes: bytes | None = None) -> Manifest:
    """Parse ``AndroidManifest.xml`` bytes (and ``resources.arsc`` bytes, to resolve labels)."""
    root = _parse_axml(manifest_bytes)
    table = _arsc.parse(arsc_bytes) if arsc_bytes else None
    return parse_manifest(root, table)
