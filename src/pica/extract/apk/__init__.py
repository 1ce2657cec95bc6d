"""APK extractor: one APK in, its typed facts out. No verdicts here.

``extract(path)`` reads the manifest, the resource table, the signing certificate, every
classes*.dex, and looks for a bundled privacy policy. Everything is bounded; any bad input raises ``InputError``.

The parsers are imported by ``extract``, not with this package: a policy-only run (``pica
policy``) imports the package through ``pica.audit`` and needs none of them.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pica import knowledge
from pica.errors import InputError
from pica.evidence import (
    ApiUse,
    AppInfo,
    Component,
    EmbeddedPolicy,
    HostRef,
    Permission,
    ResourceString,
)
from pica.extract.apk.dex import DexFile

if TYPE_CHECKING:
    from pica.extract.apk import arsc
    from pica.extract.apk.container import ApkFile
    from pica.extract.apk.manifest import Manifest

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


def _jni_classes(apk: ApkFile, dexes: list[DexFile]) -> dict[str, frozenset[str]]:
    """JNI classes per native library, one ABI's copy of each file name (the first of
    ``ABI_ORDER`` present); nothing is read when there is no library or no class declares a
    native method."""
    from pica.extract.apk.native import MAX_SO_BYTES, jni_classes

    chosen: dict[str, tuple[int, str]] = {}
    for n in apk.names():
        parts = n.split("/")
        if len(parts) != 3 or parts[0] != "lib" or not parts[2].endswith(".so"):
            continue
        rank = ABI_ORDER.index(parts[1]) if parts[1] in ABI_ORDER else len(ABI_ORDER)
        if parts[2] not in chosen or rank < chosen[parts[2]][0]:
            chosen[parts[2]] = (rank, n)
    if not chosen or not any(d.native_method_classes for d in dexes):
        return {}
    out: dict[str, frozenset[str]] = {}
    for lib, (_rank, entry) in sorted(chosen.items()):
        try:
            data = apk.read(entry, MAX_SO_BYTES)
        except InputError:  # oversized or unreadable: no evidence from it, not a bad APK
            data = b""
        out[lib] = jni_classes(data)
    return out


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


def extract(path: str | os.PathLike[str], progress: Progress | None = None) -> ApkFacts:
    """Read one APK into facts. Raises InputError with a one-line reason on bad input."""
    from pica.extract.apk import arsc, axml
    from pica.extract.apk.api_scan import scan_sensitive_apis
    from pica.extract.apk.container import open_apk
    from pica.extract.apk.embedded_policy import (
        find_policy_files,
        find_policy_links,
        find_policy_mentions,
    )
    from pica.extract.apk.manifest import parse_manifest
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
            api_uses = scan_sensitive_apis(dexes)
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
            dex_files=tuple(d.name for d in dexes),
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
            jni_classes=_jni_classes(apk, dexes),
        )
    finally:
        apk.close()
