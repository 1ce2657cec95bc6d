"""APK extractor: one APK in, its typed facts out. No verdicts here.

``extract(path)`` reads the manifest, the resource table, the signing certificate, every
classes*.dex, and looks for a bundled privacy policy. Everything is bounded; any bad input
raises ``InputError``.

The parsers are imported by ``extract``, not with this package: a policy-only run (``pica
policy``) imports the package through ``pica.audit`` and needs none of them.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pica import knowledge
from pica.errors import InputError
from pica.evidence import (
    ApiUse,
    AppInfo,
    Component,
    EmbeddedPolicy,
    HiddenCode,
    HostRef,
    Permission,
    ResourceString,
)
from pica.extract.apk.dex import DexFile

if TYPE_CHECKING:
    from pica.extract.apk import arsc
    from pica.extract.apk.api_scan import ApiTable
    from pica.extract.apk.container import ApkFile
    from pica.extract.apk.manifest import Manifest
    from pica.extract.apk.payloads import LoaderUse

MAX_MANIFEST_BYTES = 16 * 1024**2
MAX_ARSC_BYTES = 128 * 1024**2
Progress = Callable[[str], None]


@dataclass
class ApkFacts:
    """What the APK says about itself, ready to go into ``Evidence``."""

    app: AppInfo
    manifest: Manifest
    permissions: tuple[Permission, ...]
    components: tuple[Component, ...]
    api_uses: tuple[ApiUse, ...]
    hosts: tuple[HostRef, ...]
    embedded_policies: tuple[EmbeddedPolicy, ...]
    resource_strings: tuple[ResourceString, ...]
    class_names: tuple[str, ...]
    native_libs: tuple[str, ...]
    dexes: tuple[DexFile, ...] = field(repr=False, default=())
    policy_files: dict[str, bytes] = field(default_factory=dict, repr=False)  # path -> raw bytes
    # native library file name -> dotted names of the classes it binds JNI methods to (read
    # only when some class declares native methods; see extract.apk.native)
    jni_classes: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    asset_names: tuple[str, ...] = ()  # entries under assets/, without the "assets/" prefix
    # DEX files given beside the APK (--dex-dir: dumped at run time by the recorder or an
    # unpacker), by their names in the report ("dex-dir/<file>")
    extra_dex: tuple[str, ...] = ()
    # Application subclasses those DEX files define: the real Application a packer's stub
    # hands over to at run time, an entry point like the manifest's own
    delegate_applications: tuple[str, ...] = ()
    # code the reader could not see into: reflective calls whose target stays unknown
    hidden: tuple[HiddenCode, ...] = ()
    # code loaded at run time: the loader call sites, and the DEX payloads read from assets/,
    # res/raw/ and archives there (their names, "assets/p.jar!/classes.dex")
    loaders: tuple[LoaderUse, ...] = ()
    payload_dex: tuple[str, ...] = ()


def _permissions(manifest: Manifest) -> tuple[Permission, ...]:
    table = knowledge.permissions()
    seen: dict[str, Permission] = {}
    for decl in manifest.permissions:
        info = table.get(decl.name)
        seen.setdefault(
            decl.name,
            Permission(
                name=decl.name,
                protection=info.protection if info else "unknown",
                pi_types=info.pi_types if info else (),
                source=f'AndroidManifest.xml <{decl.element} android:name="{decl.name}">',
                max_sdk=decl.max_sdk,
            ),
        )
    return tuple(seen.values())


def _components(manifest: Manifest) -> tuple[Component, ...]:
    return tuple(
        Component(
            kind=c.kind,
            name=c.name,
            exported=c.exported,
            source=f'AndroidManifest.xml <{c.kind} android:name="{c.name}">',
            actions=tuple(c.actions),
            categories=tuple(c.categories),
            authorities=tuple(c.authorities),
            enabled=c.enabled,
        )
        for c in manifest.components
    )


def _hosts(dexes: list[DexFile], strings: list[ResourceString]) -> tuple[HostRef, ...]:
    found: dict[str, HostRef] = {}
    for dex in dexes:
        for offset, url in dex.urls():
            host = _host_of(url)
            if host and url not in found:
                found[url] = HostRef(host=host, url=url, source=f"{dex.name} string @0x{offset:x}")
    for res in strings:
        value = res.value.strip()
        if value.startswith(("http://", "https://")) and " " not in value:
            host = _host_of(value)
            if host and value not in found:
                found[value] = HostRef(host=host, url=value, source=res.source)
    return tuple(found.values())


def _host_of(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host or "." not in host or host.endswith("."):
        return None
    return host.lower()


def _resource_strings(table: arsc.ResourceTable | None) -> list[ResourceString]:
    if table is None:
        return []
    out = []
    for name, locale, value in table.string_entries():
        where = f"resources.arsc @string/{name}" + (f" [{locale}]" if locale else "")
        out.append(ResourceString(name=name, value=value, source=where))
    return out


def _native_libs(apk: ApkFile) -> tuple[str, ...]:
    libs = {
        PurePosixPath(n).name for n in apk.names() if n.startswith("lib/") and n.endswith(".so")
    }
    return tuple(sorted(libs))


ABI_ORDER = ("arm64-v8a", "armeabi-v7a", "armeabi", "x86_64", "x86")


def _native(
    apk: ApkFile, dexes: list[DexFile], table: ApiTable
) -> tuple[dict[str, frozenset[str]], list[ApiUse], list[HiddenCode]]:
    """Per native library, one ABI's copy of each file name (the first of ``ABI_ORDER``
    present): its JNI classes (read only when some class declares a native method), the PI
    reads its strings show (``ApiUse`` with ``via="native"``, the caller the library file or
    its one JNI class), and a fact for each library too large or unreadable to scan."""
    from pica.extract.apk.native import MAX_SO_BYTES, jni_classes, native_reads

    chosen: dict[str, tuple[int, str]] = {}
    for n in apk.names():
        parts = n.split("/")
        if len(parts) != 3 or parts[0] != "lib" or not parts[2].endswith(".so"):
            continue
        rank = ABI_ORDER.index(parts[1]) if parts[1] in ABI_ORDER else len(ABI_ORDER)
        if parts[2] not in chosen or rank < chosen[parts[2]][0]:
            chosen[parts[2]] = (rank, n)
    natives = {d for dex in dexes for d in dex.native_method_classes}
    out: dict[str, frozenset[str]] = {}
    uses: list[ApiUse] = []
    facts: list[HiddenCode] = []
    for lib, (_rank, entry) in sorted(chosen.items()):
        try:
            data = apk.read(entry, MAX_SO_BYTES)
        except InputError as exc:  # oversized or unreadable: a fact, not a bad APK
            facts.append(
                HiddenCode(
                    kind="native",
                    detail=f"{entry}: not scanned ({exc})",
                    source=f"{apk.path.name}!/{entry}",
                    blocks_absence=False,
                )
            )
            data = b""
        if natives:
            out[lib] = jni_classes(data)
        bound = sorted(c for c in out.get(lib, ()) if "L" + c.replace(".", "/") + ";" in natives)
        caller = bound[0] if len(bound) == 1 else entry
        for read in native_reads(data, table.methods, table.fields, table.requires_string):
            what = "JNI lookup of" if read.kind == "jni" else "reads"
            uses += [
                ApiUse(
                    pi_type=pi,
                    api=read.api,
                    caller_class=caller,
                    caller_method="native",
                    dex=entry,
                    offset=read.offset,
                    source=f"{entry} string @0x{read.offset:x}: {what} {read.api}",
                    via="native",
                )
                for pi in read.pi_types
            ]
    return out, uses, facts


def _asset_names(apk: ApkFile) -> tuple[str, ...]:
    return tuple(sorted(n[len("assets/") :] for n in apk.names() if n.startswith("assets/")))


def read_dex_dir(directory: str | os.PathLike[str]) -> list[DexFile]:
    """The ``*.dex`` files of one folder (not its subfolders), each checked like an APK's own
    DEX entry and bounded by ``Limits.max_entry_bytes``; bad input is an ``InputError``."""
    from pica import limits as _limits

    folder = Path(directory)
    if not folder.is_dir():
        raise InputError(f"--dex-dir {folder}: not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix == ".dex" and p.is_file())
    if not files:
        raise InputError(f"--dex-dir {folder}: no *.dex file in it")
    cap = _limits.current().max_entry_bytes
    out = []
    for f in files:
        size = f.stat().st_size
        if size > cap:
            raise InputError(
                f"{f.name}: {size:,} bytes, over the limit of {cap:,} for one DEX "
                f"(set {_limits.Limits.env_name('max_entry_bytes')} to change it)"
            )
        data = f.read_bytes()
        if len(data) < 0x70 or data[:4] != b"dex\n":
            raise InputError(f"{f.name} is not a DEX file (bad magic or truncated DEX)")
        (declared,) = struct.unpack_from("<I", data, 32)
        if declared != len(data):
            raise InputError(f"{f.name} says it is {declared:,} bytes, the file {len(data):,}")
        out.append(DexFile(data, f"dex-dir/{f.name}"))
    return out


def _applications(dexes: list[DexFile]) -> tuple[str, ...]:
    """Classes of these DEX files that extend android.app.Application, directly or through
    another class of theirs."""
    parent: dict[str, str | None] = {}
    for dex in dexes:
        for cdef in dex.class_defs:
            parent[dex.type_name(cdef.type_idx)] = dex.superclass(cdef)
    found = []
    for name in parent:
        seen, cur = set(), parent[name]
        while cur is not None and cur not in seen and cur != "Landroid/app/Application;":
            seen.add(cur)
            cur = parent.get(cur)
        if cur == "Landroid/app/Application;":
            found.append(name[1:-1].replace("/", "."))
    return tuple(sorted(found))


def _merge(*wanted: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for w in wanted:
        for cls, names in w.items():
            out.setdefault(cls, set()).update(names)
    return out


def _loader_facts(loaders: list[LoaderUse]) -> tuple[HiddenCode, ...]:
    """One fact per method that loads code at run time: what it loads may come from anywhere
    (a file it downloaded), so it is listed; it blocks no verdict by itself."""
    seen: dict[str, HiddenCode] = {}
    for use in loaders:
        key = f"{use.caller_class}.{use.caller_method}"
        seen.setdefault(
            key,
            HiddenCode(
                kind="loader",
                detail=f"loads code at run time: {use.loader} in {use.caller_class}."
                f"{use.caller_method.split('(', 1)[0]}",
                source=use.source,
                blocks_absence=False,
            ),
        )
    return tuple(seen.values())


def _check_dex_head(apk: ApkFile, name: str) -> None:
    """Refuse a DEX entry whose header is not a DEX's, or whose own file size disagrees with
    the zip's, before inflating the whole entry (a lying entry costs 112 bytes, not 500 MB)."""
    head = apk.read(name, head=0x70)
    if len(head) < 0x70 or head[:4] != b"dex\n":
        raise InputError(f"{apk.path.name}: {name} is not a DEX file (bad magic or truncated DEX)")
    (declared,) = struct.unpack_from("<I", head, 32)
    if declared != apk.declared_size(name):
        raise InputError(
            f"{apk.path.name}: {name} says it is {declared:,} bytes, its zip entry "
            f"{apk.declared_size(name):,}: truncated DEX or lying sizes"
        )


def extract(
    path: str | os.PathLike[str],
    progress: Progress | None = None,
    dex_dir: str | os.PathLike[str] | None = None,
) -> ApkFacts:
    """Read one APK into facts. Raises InputError with a one-line reason on bad input.

    ``dex_dir``: a folder of DEX files dumped at run time (a packed app's real code); they are
    read after the APK's own and analysed with its manifest."""
    from pica.extract.apk import arsc, axml
    from pica.extract.apk.api_scan import ApiTable, scan_sensitive_apis
    from pica.extract.apk.container import open_apk
    from pica.extract.apk.embedded_policy import (
        find_policy_files,
        find_policy_links,
        find_policy_mentions,
    )
    from pica.extract.apk.manifest import parse_manifest
    from pica.extract.apk.payloads import find_loaders, find_payloads, loader_methods
    from pica.extract.apk.reflection import LOOKUPS, scan_reflection
    from pica.extract.apk.signing import read_signer

    step = progress or (lambda _msg: None)
    apk = open_apk(path)
    try:
        step("manifest")
        manifest_bytes = apk.read("AndroidManifest.xml", MAX_MANIFEST_BYTES)
        arsc_bytes = (
            apk.read("resources.arsc", MAX_ARSC_BYTES) if apk.has("resources.arsc") else None
        )
        table = arsc.parse(arsc_bytes) if arsc_bytes else None
        manifest = parse_manifest(axml.parse(manifest_bytes), table)
        step("signing certificate")
        signer, signer_note = read_signer(apk)
        strings = _resource_strings(table)
        dex_names = apk.dex_names()
        apk.budget.reserve(
            sum(apk.declared_size(n) for n in dex_names), f"{apk.path.name}: its DEX entries"
        )
        dexes: list[DexFile] = []
        for name in dex_names:
            step(f"reading {name}")
            _check_dex_head(apk, name)
            dexes.append(DexFile(apk.read(name), name))
        step("sensitive API call sites")
        try:
            # one pass over the code also collects the reflection and class-loader call sites
            also = _merge(LOOKUPS, loader_methods())
            hits: dict[str, dict] = {}
            api_uses = scan_sensitive_apis(dexes, also, hits)
            step("code loaded at run time")
            loaders = find_loaders(dexes, hits)
            payloads = find_payloads(apk, bool(loaders))
            extra = read_dex_dir(dex_dir) if dex_dir is not None else []
            if payloads.dexes or extra:  # their call sites, read like the APK's own
                dexes += payloads.dexes + extra
                own = {(u.pi_type, u.api, u.dex, u.offset) for u in api_uses}
                api_uses += [
                    u
                    for u in scan_sensitive_apis(payloads.dexes + extra, also, hits)
                    if (u.pi_type, u.api, u.dex, u.offset) not in own
                ]
            step("reflection and native code")
            table = ApiTable()
            reflective, hidden = scan_reflection(dexes, table.methods, table.fields, hits)
            jni, native_uses, native_facts = _native(apk, dexes, table)
            reflective += native_uses
            hidden += native_facts
            known = {(u.pi_type, u.api, u.dex, u.offset) for u in api_uses}
            api_uses += [u for u in reflective if (u.pi_type, u.api, u.dex, u.offset) not in known]
            class_names = tuple(n for dex in dexes for n in dex.class_names())
        except (struct.error, IndexError) as exc:
            raise InputError(f"{apk.path.name}: malformed DEX ({exc})") from exc
        hosts = _hosts(dexes, strings)
        step("privacy policy")
        policies = find_policy_files(apk)
        policy_files = {p.location: apk.read(p.location) for p in policies}
        policies += find_policy_links(hosts, strings)
        policies += find_policy_mentions(strings)
        app = AppInfo(
            package=manifest.package,
            version_name=manifest.version_name,
            version_code=None if manifest.version_code is None else str(manifest.version_code),
            min_sdk=manifest.min_sdk,
            target_sdk=manifest.target_sdk,
            label=manifest.label,
            application_class=manifest.application_class,
            file_name=apk.path.name,
            sha256=apk.sha256,
            size=apk.size,
            dex_files=tuple(dex_names),
            loaded_dex=tuple(d.name for d in payloads.dexes + extra),
            class_count=sum(d.class_count for d in dexes),
            method_count=sum(d.method_id_count for d in dexes),
            signer=signer,
            signer_note=signer_note,
        )
        return ApkFacts(
            app=app,
            manifest=manifest,
            permissions=_permissions(manifest),
            components=_components(manifest),
            api_uses=tuple(api_uses),
            hosts=hosts,
            embedded_policies=tuple(policies),
            resource_strings=tuple(strings),
            class_names=class_names,
            native_libs=_native_libs(apk),
            dexes=tuple(dexes),
            policy_files=policy_files,
            jni_classes=jni,
            asset_names=_asset_names(apk),
            extra_dex=tuple(d.name for d in extra),
            delegate_applications=_applications(extra),
            hidden=tuple(hidden) + tuple(payloads.hidden) + _loader_facts(loaders),
            loaders=tuple(loaders),
            payload_dex=tuple(d.name for d in payloads.dexes),
        )
    finally:
        apk.close()
