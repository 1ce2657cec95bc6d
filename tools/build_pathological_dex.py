"""Write pica's CONSTRUCTED pathological DEX fixture: tests/fixtures/constructed/dexworst.apk.

usage: python tools/build_pathological_dex.py [OUT.apk]

CONSTRUCTED, not a real app. A valid DEX (version 035) written with `struct` alone, made to be
the worst case for a reader that maps a code offset back to its method by searching the
class-data section (issue 19, point 4):

- many classes (1,500 classes of 40 native methods each: 60,000 method ids) and so a large
  class-data section, placed after the code section, far from the code items;
- a few static methods (`Lcom/example/worst/Hot;->hotN()V`) whose code is one long
  fill-array-data payload followed by `invoke-virtual TelephonyManager.getDeviceId()`. The
  payload's words alternate 0 and 0x00010010, so that every other 4-byte-aligned offset in the
  128 KiB before the call looks like a plausible code-item header.

The APK is the binary AndroidManifest.xml of constructed/clean.apk (package
com.example.picafixture.clean) plus this classes.dex; unsigned, no resources. The output is
deterministic: re-running gives byte-identical files (fixed zip timestamps).
"""

from __future__ import annotations

import hashlib
import struct
import sys
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRUCTED = ROOT / "tests" / "fixtures" / "constructed"

CLASSES = 1500
METHODS_PER_CLASS = 40
HOT_METHODS = 3
PAYLOAD_WORDS = 2 * 16400  # 131,200 bytes of array data per hot method
NO_INDEX = 0xFFFFFFFF
ACC_PUBLIC, ACC_STATIC, ACC_NATIVE, ACC_SYNTHETIC = 0x1, 0x8, 0x100, 0x1000
ACC_DECLARED_SYNCHRONIZED = 0x20000


def uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def align(buf: bytearray, n: int = 4) -> None:
    while len(buf) % n:
        buf.append(0)


def hot_code(getdeviceid_idx: int) -> bytes:
    """const/4 v0, 0; goto/32 over the payload; payload; invoke-virtual {v0}; return-void."""
    payload_units = (PAYLOAD_WORDS * 4 + 1) // 2 + 4
    units = bytearray()
    units += struct.pack("<BB", 0x12, 0x00)  # const/4 v0, #0             (1 unit)
    units += struct.pack("<BBi", 0x2A, 0, 3 + payload_units)  # goto/32     (3 units)
    # insns start 4-aligned and 4 units are behind us: the payload is 4-byte aligned
    units += struct.pack("<HHI", 0x0300, 4, PAYLOAD_WORDS)  # fill-array-data-payload
    units += struct.pack("<2I", 0, 0x00010010) * (PAYLOAD_WORDS // 2)
    units += struct.pack("<BBHH", 0x6E, 0x10, getdeviceid_idx, 0x0000)  # invoke-virtual {v0}
    units += struct.pack("<H", 0x000E)  # return-void
    assert len(units) % 2 == 0
    header = struct.pack("<HHHHII", 1, 0, 1, 0, 0, len(units) // 2)
    return header + bytes(units)


def build_dex() -> bytes:
    hot_names = [f"hot{i}" for i in range(HOT_METHODS)]
    member_names = [f"m{j:02d}" for j in range(METHODS_PER_CLASS)]
    class_types = [f"Lcom/example/worst/C{i:04d};" for i in range(CLASSES)]
    hot_type = "Lcom/example/worst/Hot;"
    tm_type = "Landroid/telephony/TelephonyManager;"
    types = sorted(
        {"Ljava/lang/Object;", "Ljava/lang/String;", "V", tm_type, hot_type, *class_types}
    )
    strings = sorted({*types, "L", "getDeviceId", *hot_names, *member_names})
    sidx = {s: i for i, s in enumerate(strings)}
    tidx = {t: i for i, t in enumerate(types)}
    # protos, sorted by return type then parameters: ()Ljava/lang/String; and ()V
    protos = sorted([("L", "Ljava/lang/String;"), ("V", "V")], key=lambda p: tidx[p[1]])
    pidx = {p[1]: i for i, p in enumerate(protos)}
    methods = [(tm_type, "getDeviceId", "Ljava/lang/String;")]
    methods += [(hot_type, n, "V") for n in hot_names]
    methods += [(c, n, "V") for c in class_types for n in member_names]
    methods.sort(key=lambda m: (tidx[m[0]], sidx[m[1]], pidx[m[2]]))
    midx = {m: i for i, m in enumerate(methods)}
    defined = sorted([hot_type, *class_types], key=lambda t: tidx[t])

    string_ids_off = 0x70
    type_ids_off = string_ids_off + 4 * len(strings)
    proto_ids_off = type_ids_off + 4 * len(types)
    method_ids_off = proto_ids_off + 12 * len(protos)
    class_defs_off = method_ids_off + 8 * len(methods)
    data_off = class_defs_off + 32 * len(defined)

    data = bytearray()
    code_off = {}
    for name in hot_names:
        align(data)
        code_off[name] = data_off + len(data)
        data += hot_code(midx[(tm_type, "getDeviceId", "Ljava/lang/String;")])
    code_section = (data_off + 0, HOT_METHODS)
    class_data_start = data_off + len(data)
    class_data_off = {}
    native = ACC_PUBLIC | ACC_NATIVE | ACC_SYNTHETIC | ACC_DECLARED_SYNCHRONIZED
    for t in defined:
        class_data_off[t] = data_off + len(data)
        if t == hot_type:
            own = sorted(midx[(t, n, "V")] for n in hot_names)
            data += uleb(0) + uleb(0) + uleb(len(own)) + uleb(0)
            prev = 0
            for m, name in zip(own, sorted(hot_names, key=lambda n: sidx[n]), strict=True):
                data += uleb(m - prev) + uleb(ACC_PUBLIC | ACC_STATIC) + uleb(code_off[name])
                prev = m
        else:
            own = sorted(midx[(t, n, "V")] for n in member_names)
            data += uleb(0) + uleb(0) + uleb(0) + uleb(len(own))
            prev = 0
            for m in own:
                data += uleb(m - prev) + uleb(native) + uleb(0)
                prev = m
    string_data_start = data_off + len(data)
    string_data_off = []
    for s in strings:
        string_data_off.append(data_off + len(data))
        data += uleb(len(s)) + s.encode("ascii") + b"\0"
    align(data)
    map_off = data_off + len(data)
    sections = [
        (0x0000, 1, 0),
        (0x0001, len(strings), string_ids_off),
        (0x0002, len(types), type_ids_off),
        (0x0003, len(protos), proto_ids_off),
        (0x0005, len(methods), method_ids_off),
        (0x0006, len(defined), class_defs_off),
        (0x2001, code_section[1], code_section[0]),
        (0x2000, len(defined), class_data_start),
        (0x2002, len(strings), string_data_start),
        (0x1000, 1, map_off),
    ]
    data += struct.pack("<I", len(sections))
    for kind, size, off in sections:
        data += struct.pack("<HHII", kind, 0, size, off)

    ids = bytearray()
    ids += b"".join(struct.pack("<I", off) for off in string_data_off)
    ids += b"".join(struct.pack("<I", sidx[t]) for t in types)
    ids += b"".join(struct.pack("<III", sidx[shorty], tidx[ret], 0) for shorty, ret in protos)
    for cls, name, ret in methods:
        ids += struct.pack("<HHI", tidx[cls], pidx[ret], sidx[name])
    obj = tidx["Ljava/lang/Object;"]
    for t in defined:
        ids += struct.pack("<8I", tidx[t], ACC_PUBLIC, obj, 0, NO_INDEX, 0, class_data_off[t], 0)
    assert 0x70 + len(ids) == data_off
    file_size = data_off + len(data)
    header = bytearray(0x70)
    header[0:8] = b"dex\n035\0"
    struct.pack_into(
        "<20I",
        header,
        0x20,
        file_size, 0x70, 0x12345678, 0, 0, map_off,
        len(strings), string_ids_off, len(types), type_ids_off, len(protos), proto_ids_off,
        0, 0, len(methods), method_ids_off, len(defined), class_defs_off,
        len(data), data_off,
    )  # fmt: skip
    dex = header[:0x70] + ids + data
    dex[12:32] = hashlib.sha1(bytes(dex[32:])).digest()
    struct.pack_into("<I", dex, 8, zlib.adler32(bytes(dex[12:])))
    return bytes(dex)


def build_apk(out: Path) -> None:
    with zipfile.ZipFile(CONSTRUCTED / "clean.apk") as src:
        manifest = src.read("AndroidManifest.xml")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, payload in (("AndroidManifest.xml", manifest), ("classes.dex", build_dex())):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, payload)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else CONSTRUCTED / "dexworst.apk"
    build_apk(target)
    print(target, hashlib.sha256(target.read_bytes()).hexdigest())
