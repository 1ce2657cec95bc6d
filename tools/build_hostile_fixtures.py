"""Build the constructed hostile fixtures of tests/fixtures/hostile/ (issue 20), deterministically.

    python tools/build_hostile_fixtures.py [OUT_DIR]   # default: tests/fixtures/hostile

Archives are written byte by byte (``raw_zip``), because what makes them hostile — overlapping
entries, a local header that disagrees with the central directory, an unsupported version, sizes
that lie — is exactly what ``zipfile`` refuses to write. The manifest inside is the real
InsecureBank one (tests/fixtures/apks, see its README). ``budget_bomb`` is too large to commit
(about 6 MB of incompressible padding is needed to get past the ratio check); the tests build it
with the function below.
"""

from __future__ import annotations

import random
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "hostile"


@dataclass
class Entry:
    """One archive entry as it will be written; the ``central_*``/``local_*`` fields override
    what the central directory or the local header says (that is how they are made to lie)."""

    name: str
    data: bytes  # the stored bytes (already compressed when method == 8)
    method: int = 8
    crc: int = 0
    size: int = 0  # inflated size
    version: int = 20
    central_size: int | None = None
    local_size: int | None = None
    local_name: str | None = None
    central_offset: int | None = None  # point the central record at another entry's header


def deflated(name: str, payload: bytes) -> Entry:
    """An honest deflated entry."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(payload) + comp.flush()
    return Entry(name, data, 8, zlib.crc32(payload), len(payload))


def raw_zip(entries: list[Entry]) -> bytes:
    """Local headers and data, then the central directory and its end record."""
    out = bytearray()
    offsets = []
    for e in entries:
        offsets.append(len(out))
        name = (e.local_name or e.name).encode()
        size = e.size if e.local_size is None else e.local_size
        out += struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", e.version, 0, e.method, 0, 0x21,
            e.crc, len(e.data), size, len(name), 0,
        )  # fmt: skip
        out += name + e.data
    central = bytearray()
    for e, offset in zip(entries, offsets, strict=True):
        name = e.name.encode()
        size = e.size if e.central_size is None else e.central_size
        where = offset if e.central_offset is None else offsets[e.central_offset]
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, e.version, 0, e.method, 0, 0x21,
            e.crc, len(e.data), size, len(name), 0, 0, 0, 0, 0, where,
        )  # fmt: skip
        central += name
    start = len(out)
    out += central
    out += struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), start, 0
    )
    return bytes(out)


def manifest() -> bytes:
    with zipfile.ZipFile(ROOT / "tests" / "fixtures" / "apks" / "InsecureBank.apk") as z:
        return z.read("AndroidManifest.xml")


def dex_header(size: int) -> bytes:
    """The 112-byte header of a DEX claiming ``size`` bytes (the rest of the file is zeros)."""
    head = bytearray(0x70)
    head[:8] = b"dex\n035\x00"
    struct.pack_into("<III", head, 0x20, size, 0x70, 0x12345678)
    return bytes(head)


def overlap() -> bytes:
    """Two DEX entries quoting one compressed stream (the central record of classes2.dex points
    at the local header of classes.dex): the trick of zip bombs that pass ratio checks."""
    dex = deflated("classes.dex", dex_header(1 << 20) + bytes((1 << 20) - 0x70))
    second = Entry("classes2.dex", dex.data, 8, dex.crc, dex.size, central_offset=1)
    return raw_zip([deflated("AndroidManifest.xml", manifest()), dex, second])


def local_central() -> bytes:
    """classes.dex whose local header claims another size and name than the central directory."""
    dex = deflated("classes.dex", dex_header(4096) + bytes(4096 - 0x70))
    dex.local_size, dex.local_name = 64, "classes9.dex"
    return raw_zip([deflated("AndroidManifest.xml", manifest()), dex])


def bad_version() -> bytes:
    """A central record that needs zip version 12.7 to extract (zipfile: NotImplementedError)."""
    dex = deflated("classes.dex", dex_header(4096) + bytes(4096 - 0x70))
    dex.version = 127
    return raw_zip([deflated("AndroidManifest.xml", manifest()), dex])


def budget_bomb(dex_count: int = 3, declared: int = 400 * 1024**2) -> bytes:
    """DEX entries declaring ``declared`` bytes each (together past the 1 GiB budget) from just
    enough seeded random bytes to stay under the 200:1 ratio check: sizes that lie."""
    rng = random.Random(20)
    entries = [deflated("AndroidManifest.xml", manifest())]
    for k in range(dex_count):
        junk = rng.randbytes(declared // 190)
        name = "classes.dex" if k == 0 else f"classes{k + 1}.dex"
        entries.append(Entry(name, junk, 8, zlib.crc32(junk), declared))
    return raw_zip(entries)


def alias_bomb() -> str:
    """A 1 KB checklist whose note expands to 10^15 references if aliases are followed."""
    lines = ['l0: &l0 ["ha","ha","ha","ha","ha","ha","ha","ha","ha","ha"]']
    for k in range(1, 15):
        refs = ",".join([f"*l{k - 1}"] * 10)
        lines.append(f"l{k}: &l{k} [{refs}]")
    lines.append('items: {"1.3": {result: fail, note: *l14}}')
    return "\n".join(lines) + "\n"


def deep_yaml(depth: int = 1000) -> str:
    return 'items: {"1.3": {result: fail, note: ' + "[" * depth + "]" * depth + "}}\n"


def bad_values() -> str:
    """Values PyYAML's constructor cannot build: an impossible date."""
    return 'items: {"1.3": {result: fail, note: 2019-02-30}}\n'


def surrogate_note() -> str:
    r"""A note holding a lone surrogate by a YAML escape (``\udcff``): legal YAML, not UTF-8."""
    return 'items: {"1.3": {result: fail, note: "6 taps \\udcff to the policy"}}\n'


BUILDERS = {
    "overlap.apk": overlap,
    "local_central.apk": local_central,
    "bad_version.apk": bad_version,
    "alias_bomb.yaml": alias_bomb,
    "deep.yaml": deep_yaml,
    "bad_values.yaml": bad_values,
    "surrogate_note.yaml": surrogate_note,
}


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        data = build()
        path = out / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size:,} bytes"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
