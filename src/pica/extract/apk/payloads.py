"""Code loaded at run time: class-loader call sites, and DEX payloads in assets/ and res/raw/.

A payload is recognised by its magic bytes, never by its name: ``dex\\n`` is a DEX file, ``PK``
a zip (JAR, APK), whose ``classes*.dex`` are read and whose own archives are opened in turn,
at most ``max_nesting`` deep. Every byte is inflated through the APK's ``ApkFile.read``, so a
nested archive spends the one inflate budget of the APK (``container.open_nested``): a
self-nesting or bomb-like archive in assets ends at the nesting limit or the budget, as a fact,
never as a crash.

Readable DEX payloads are returned as extra ``DexFile``s (named ``assets/x.jar!/classes.dex``)
for the same scans as the APK's own code. An asset that is no known format and looks random
(entropy, ``dynamic_code.yaml``) in an app whose code loads code is an encrypted payload: a
``HiddenCode`` fact that makes absence verdicts inconclusive, like a packer. So is a payload
that cannot be read (corrupt, over a limit, nested too deep).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from pica import knowledge
from pica.errors import InputError
from pica.evidence import HiddenCode
from pica.extract.apk.container import ApkFile, open_nested
from pica.extract.apk.dex import (
    INVOKE_OPS,
    DexFile,
    Ref,
    descriptor_to_java,
    java_to_descriptor,
)

__all__ = ["LoaderUse", "Payloads", "find_loaders", "find_payloads", "loader_methods"]


@dataclass(frozen=True)
class LoaderUse:
    """A call that loads DEX code at run time."""

    loader: str  # dotted class and member, e.g. dalvik.system.DexClassLoader.<init>
    caller_class: str  # dotted
    caller_method: str
    source: str


@dataclass
class Payloads:
    dexes: list[DexFile] = field(default_factory=list)
    hidden: list[HiddenCode] = field(default_factory=list)


def loader_methods() -> dict[str, set[str]]:
    """The code-loading APIs as {class descriptor: member names}."""
    wanted: dict[str, set[str]] = {}
    for cls, member in knowledge.dynamic_code().loaders:
        wanted.setdefault(java_to_descriptor(cls), set()).add(member)
    return wanted


def find_loaders(
    dexes: list[DexFile], hits: dict[str, dict[int, list[Ref]]] | None = None
) -> list[LoaderUse]:
    """Every call site of a code-loading API (dynamic_code.yaml ``loaders``). ``hits``: call
    sites the API scan's pass collected per DEX, when it did."""
    wanted = loader_methods()
    found: list[LoaderUse] = []
    for dex in dexes:
        ids = dex.method_indexes(wanted)
        if not ids:
            continue
        if hits is not None and dex.name in hits:
            calls = {
                m: [r for r in refs if r.index in ids]
                for m, refs in hits[dex.name].items()
                if any(r.index in ids for r in refs)
            }
        else:
            calls = dex.find_refs({INVOKE_OPS: set(ids)})
        for method_idx, refs in sorted(calls.items()):
            sig = dex.method_signature(method_idx)
            for ref in refs:
                desc, name = ids[ref.index]
                found.append(
                    LoaderUse(
                        loader=f"{descriptor_to_java(desc)}.{name}",
                        caller_class=descriptor_to_java(dex.method_class(method_idx)),
                        caller_method=sig,
                        source=f"{dex.name} {dex.method_class(method_idx)}->{sig} @0x{ref.offset:x}",
                    )
                )
    return found


def _entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte."""
    if not data:
        return 0.0
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    p = counts[counts > 0] / len(data)
    return float(-(p * np.log2(p)).sum())


def _known_format(head: bytes) -> str | None:
    for offset, magic, what in knowledge.dynamic_code().not_encrypted:
        if head[offset : offset + len(magic)] == magic:
            return what
    return None


def _dex_payload(data: bytes, name: str) -> DexFile:
    if len(data) < 0x70:
        raise InputError(f"{name}: truncated DEX")
    (declared,) = struct.unpack_from("<I", data, 32)
    if declared != len(data):
        raise InputError(f"{name} says it is {declared:,} bytes, holds {len(data):,}")
    dex = DexFile(data, name)
    dex.class_names()  # parses the id tables: a broken payload fails here, not in a scan
    return dex


def _unreadable(label: str, why: str) -> HiddenCode:
    return HiddenCode(
        kind="payload", detail=f"{label}: unreadable code payload ({why})", source=label
    )


def _archive(apk: ApkFile, name: str, label: str, depth: int, out: Payloads) -> None:
    """The DEX files of a nested archive, and its own nested archives (bounded depth)."""
    rules = knowledge.dynamic_code()
    if depth > rules.max_nesting:
        out.hidden.append(
            _unreadable(label, f"archives nested deeper than {rules.max_nesting}, not followed")
        )
        return
    try:
        inner = open_nested(apk.read(name), label, apk.budget)
    except InputError as exc:
        out.hidden.append(_unreadable(label, str(exc)))
        return
    try:
        for entry in sorted(inner.names()):
            if entry.endswith("/"):
                continue
            try:
                head = inner.read(entry, head=8)
            except InputError as exc:
                out.hidden.append(_unreadable(f"{label}!/{entry}", str(exc)))
                continue
            if head[:4] == rules.code_magic["dex"]:
                try:
                    out.dexes.append(_dex_payload(inner.read(entry), f"{name}!/{entry}"))
                except (InputError, struct.error, IndexError) as exc:
                    out.hidden.append(_unreadable(f"{label}!/{entry}", str(exc)))
            elif head[:4] == rules.code_magic["zip"]:
                _archive(inner, entry, f"{label}!/{entry}", depth + 1, out)
    finally:
        inner.zip.close()


def find_payloads(apk: ApkFile, loads_code: bool) -> Payloads:
    """DEX payloads (plain, or inside archives) under the payload folders, and facts for the
    encrypted or unreadable ones. Only when ``loads_code`` (the app's code calls a class
    loader) are payloads read as code and random-looking assets taken as encrypted code;
    otherwise a DEX or zip payload is a fact only (ApiDemos ships an APK to install)."""
    rules = knowledge.dynamic_code()
    out = Payloads()
    for name in sorted(apk.names()):
        if not name.startswith(tuple(rules.folders)) or name.endswith("/"):
            continue
        label = f"{apk.path.name}!/{name}"
        try:
            head = apk.read(name, head=rules.entropy_window if loads_code else 8)
        except InputError as exc:
            out.hidden.append(_unreadable(label, str(exc)))
            continue
        kind = next((k for k, m in rules.code_magic.items() if head[: len(m)] == m), None)
        if kind is not None and not loads_code:
            out.hidden.append(
                HiddenCode(
                    kind="payload",
                    detail=f"{name}: a {kind.upper()} file, not analysed: no class loader in the "
                    "app's code loads it (an APK to install, a test file…)",
                    source=label,
                    blocks_absence=False,
                )
            )
        elif kind == "dex":
            try:
                out.dexes.append(_dex_payload(apk.read(name), name))
            except (InputError, struct.error, IndexError) as exc:
                out.hidden.append(_unreadable(label, str(exc)))
        elif kind == "zip":
            _archive(apk, name, label, 1, out)
        elif (
            loads_code
            and apk.declared_size(name) >= rules.min_payload_bytes
            and _known_format(head) is None
            and (entropy := _entropy(head)) >= rules.encrypted_entropy
        ):
            out.hidden.append(
                HiddenCode(
                    kind="payload",
                    detail=f"{name}: encrypted or packed data (entropy {entropy:.2f} bits/byte, "
                    "no known format) in an app that loads code at run time",
                    source=label,
                )
            )
    return out
