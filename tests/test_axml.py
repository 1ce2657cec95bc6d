"""Binary XML parser: real manifests checked against androguard, plus hostile inputs."""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path

import pytest

from pica.errors import InputError
from pica.extract.apk import axml
from pica.extract.apk.axml import ANDROID_NS, ResRef, StringPool, XmlElement

APKS = Path(__file__).parent / "fixtures" / "apks"
FIXTURES = sorted(p.name for p in APKS.glob("*.apk"))
NS = "{" + ANDROID_NS + "}"


def manifest_bytes(name: str) -> bytes:
    with zipfile.ZipFile(APKS / name) as z:
        return z.read("AndroidManifest.xml")


# --- a tiny writer for hand-built documents ---------------------------------------------------


def _len8(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else bytes([(n >> 8) | 0x80, n & 0xFF])


def build_pool(strings: list[str], utf8: bool = False) -> bytes:
    offsets, blob = [], b""
    for s in strings:
        offsets.append(len(blob))
        if utf8:
            b = s.encode()
            blob += _len8(len(s)) + _len8(len(b)) + b + b"\0"
        else:
            e = s.encode("utf-16-le")
            blob += struct.pack("<H", len(e) // 2) + e + b"\0\0"
    blob += b"\0" * (-len(blob) % 4)
    start = 28 + 4 * len(strings)
    head = struct.pack(
        "<HHIIIIII", 1, 28, start + len(blob), len(strings), 0, 0x100 if utf8 else 0, start, 0
    )
    return head + b"".join(struct.pack("<I", o) for o in offsets) + blob


def build_resmap(ids: list[int]) -> bytes:
    return struct.pack("<HHI", 0x180, 8, 8 + 4 * len(ids)) + b"".join(
        struct.pack("<I", i) for i in ids
    )


def start_ns(prefix: int, uri: int) -> bytes:
    return struct.pack("<HHIIIII", 0x100, 16, 24, 1, 0xFFFFFFFF, prefix, uri)


def start_el(name: int, attrs: list[tuple[int, int, int, int, int]] = (), ns: int = 0xFFFFFFFF):
    """attrs: (ns, name, raw, dtype, data)."""
    body = struct.pack("<IIHHHHHH", ns, name, 20, 20, len(attrs), 0, 0, 0)
    for a_ns, a_name, raw, dtype, data in attrs:
        body += struct.pack("<IIIHBBI", a_ns, a_name, raw, 8, 0, dtype, data)
    return struct.pack("<HHIII", 0x102, 16, 16 + len(body), 1, 0xFFFFFFFF) + body


def end_el(name: int, ns: int = 0xFFFFFFFF) -> bytes:
    return struct.pack("<HHIIIII", 0x103, 16, 24, 1, 0xFFFFFFFF, ns, name)


def cdata(idx: int) -> bytes:
    return struct.pack("<HHIIIIHBBI", 0x104, 16, 28, 1, 0xFFFFFFFF, idx, 8, 0, 3, idx)


def build_doc(*parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack("<HHI", 3, 8, 8 + len(body)) + body


# --- real manifests -----------------------------------------------------------------------------


def _ag_value(v: object) -> str | None:
    if isinstance(v, ResRef):
        return ("@" if not v.is_attr else "?") + f"{v.res_id:08X}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if type(v) is str:
        return v
    return None  # ints / dimensions are formatted differently; keys are still compared


@pytest.mark.parametrize("apk", FIXTURES)
def test_tree_matches_androguard(apk: str) -> None:
    from loguru import logger

    logger.disable("androguard")
    from androguard.core.axml import AXMLPrinter

    data = manifest_bytes(apk)
    mine = list(axml.parse(data).iter())
    theirs = list(AXMLPrinter(data).get_xml_obj().iter())
    assert [e.tag for e in mine] == [e.tag for e in theirs]
    for m, t in zip(mine, theirs, strict=True):
        assert set(m.attrs) == {k.replace(NS, "android:") for k in t.attrib}, m.tag
        for key, value in m.attrs.items():
            want = _ag_value(value)
            if want is not None:
                got = t.attrib[key.replace("android:", NS)].lower().replace("android:", "")
                assert got == want.lower(), key


def test_known_values_settings() -> None:
    root = axml.parse(manifest_bytes("settings_apk-debug.apk"))
    assert root.tag == "manifest"
    assert root.attrs["package"] == "io.appium.settings"
    assert root.attrs["android:versionCode"] == 192
    assert root.attrs["android:versionName"] == "8.0.10"
    app = root.find("application")
    assert app is not None
    label = app.attrs["android:label"]
    assert isinstance(label, ResRef) and label == "@0x7f080000" and label.res_id == 0x7F080000
    assert app.attrs["android:debuggable"] is True
    assert app.attrs["android:allowBackup"] is False
    perm = [p for p in root.findall("uses-permission") if "android:maxSdkVersion" in p.attrs]
    assert {p.attrs["android:name"] for p in perm} == {
        "android.permission.BLUETOOTH",
        "android.permission.BLUETOOTH_ADMIN",
    }
    assert all(p.attrs["android:maxSdkVersion"] == 30 for p in perm)


# --- hand-built documents -----------------------------------------------------------------------


@pytest.mark.parametrize("utf8", [False, True])
def test_typed_values_and_both_encodings(utf8: bool) -> None:
    strings = ["name", "", "xq", "weird", ANDROID_NS, "android", "manifest", "a", "héllo 中文", "t"]
    #            0      1    2     3        4           5          6          7    8             9
    doc = build_doc(
        build_pool(strings, utf8),
        build_resmap([0x01010003, 0x01010003, 0x0101021B, 0x01019999]),
        start_ns(5, 4),
        start_el(
            6,
            [
                (4, 0, 8, 3, 8),  # android:name = string
                (4, 2, 0xFFFFFFFF, 0x10, 25),  # obfuscated "xq" but id versionCode → int
                (0xFFFFFFFF, 7, 0xFFFFFFFF, 0x10, 0xFFFFFFFF),  # bare "a" = -1
                (0xFFFFFFFF, 9, 0xFFFFFFFF, 0x11, 0xFF),  # hex int
            ],
        ),
        start_el(
            7,
            [
                (4, 1, 0xFFFFFFFF, 0x12, 0xFFFFFFFF),  # empty name, id 0x01010003 → android:name
                (4, 3, 0xFFFFFFFF, 0x01, 0x7F0A0001),  # unknown framework id, name kept
                (0xFFFFFFFF, 9, 0xFFFFFFFF, 0x02, 0x0101009B),  # ?attr
                (0xFFFFFFFF, 7, 0xFFFFFFFF, 0x04, struct.unpack("<I", struct.pack("<f", 1.5))[0]),
            ],
        ),
        cdata(8),
        end_el(7),
        start_el(9, [(0xFFFFFFFF, 9, 0xFFFFFFFF, 0x05, (16 << 8) | 1)]),  # 16dip
        end_el(9),
        end_el(6),
    )
    root = axml.parse(doc)
    assert root.tag == "manifest"
    assert root.attrs == {
        "android:name": "héllo 中文",
        "android:versionCode": 25,
        "a": -1,
        "t": 255,
    }
    a, t = root.children
    assert a.attrs["android:name"] is True
    assert a.attrs["android:weird"] == "@0x7f0a0001"
    assert a.attrs["t"] == "?0x0101009b" and a.attrs["t"].is_attr
    assert a.attrs["a"] == 1.5
    assert a.text == "héllo 中文"
    assert t.attrs["t"] == "16.0dip"


def test_empty_name_unknown_framework_id() -> None:
    doc = build_doc(
        build_pool(["", ANDROID_NS, "m"]),
        build_resmap([0x01019999]),
        start_el(2, [(1, 0, 0xFFFFFFFF, 0x10, 7)]),
        end_el(2),
    )
    assert axml.parse(doc).attrs == {"android:0x01019999": 7}


def test_resref_pickles() -> None:
    import copy
    import pickle

    r = ResRef(0x7F0A0001)
    for back in (pickle.loads(pickle.dumps(r)), copy.deepcopy(r)):
        assert back == "@0x7f0a0001" and back.res_id == 0x7F0A0001 and not back.is_attr
    assert pickle.loads(pickle.dumps(ResRef(0x0101009B, attr=True))).is_attr
    root = axml.parse(manifest_bytes("settings_apk-debug.apk"))
    assert pickle.loads(pickle.dumps(root)) == root


def test_xml_element_helpers() -> None:
    leaf = XmlElement("b", {}, [])
    root = XmlElement("a", {"x": 1}, [leaf, XmlElement("c", {}, [XmlElement("b", {}, [])])])
    assert [e.tag for e in root.iter()] == ["a", "b", "c", "b"]
    assert len(list(root.iter("b"))) == 2
    assert root.find("b") is leaf and root.find("zz") is None
    assert root.get("x") == 1


# --- hostile input ------------------------------------------------------------------------------


def _raises_input_error(data: bytes) -> None:
    with pytest.raises(InputError) as e:
        axml.parse(data)
    assert "\n" not in str(e.value) and str(e.value)


def test_truncated_at_many_cut_points() -> None:
    data = manifest_bytes("ApiDemos-debug.apk")
    for cut in range(0, len(data), 97):
        _raises_input_error(data[:cut])


def test_truncated_with_header_patched_to_fit() -> None:
    # The outer size then agrees with the cut, so the inner chunks must be checked themselves.
    data = manifest_bytes("settings_apk-debug.apk")
    for cut in range(8, len(data), 97):
        cut_doc = data[:4] + struct.pack("<I", cut) + data[8:cut]
        try:
            root = axml.parse(cut_doc)
        except InputError:
            continue
        assert isinstance(root, XmlElement)  # cut on a chunk boundary: a valid prefix


def test_random_mutations_only_raise_input_error() -> None:
    data = manifest_bytes("settings_apk-debug.apk")
    rng = random.Random(1234)
    for _ in range(300):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        try:
            axml.parse(bytes(buf))
        except InputError:
            pass


def test_garbage() -> None:
    rng = random.Random(7)
    for n in (0, 1, 7, 8, 100, 5000):
        _raises_input_error(bytes(rng.randrange(256) for _ in range(n)))
    _raises_input_error(b'<?xml version="1.0"?><manifest/>')
    with pytest.raises(InputError):
        axml.parse("not bytes")  # type: ignore[arg-type]


def test_four_gigabyte_chunks() -> None:
    pool = build_pool(["m"])
    _raises_input_error(struct.pack("<HHI", 3, 8, 0xFFFFFFFF) + pool)
    bad = bytearray(build_doc(pool, start_el(0), end_el(0)))
    struct.pack_into("<I", bad, 8 + len(pool) + 4, 0xFFFFFFFF)  # element chunk size
    _raises_input_error(bytes(bad))
    bad = bytearray(build_doc(pool, start_el(0), end_el(0)))
    struct.pack_into("<I", bad, 8 + 4, 0xFFFFFFF0)  # string pool size
    _raises_input_error(bytes(bad))


def test_zero_size_chunk_does_not_hang() -> None:
    pool = build_pool(["m"])
    _raises_input_error(build_doc(pool, struct.pack("<HHI", 0x102, 16, 0), start_el(0)))
    _raises_input_error(build_doc(pool, struct.pack("<HHI", 0x999, 0, 0)))


def test_huge_string_count() -> None:
    pool = bytearray(build_pool(["m"]))
    struct.pack_into("<I", pool, 8, 0x7FFFFFFF)
    _raises_input_error(build_doc(bytes(pool), start_el(0), end_el(0)))


def test_string_index_out_of_range() -> None:
    pool = build_pool(["m"])
    _raises_input_error(build_doc(pool, start_el(5), end_el(5)))
    _raises_input_error(build_doc(pool, start_el(0, [(0xFFFFFFFF, 0, 0, 3, 99)]), end_el(0)))


def test_string_offset_past_pool() -> None:
    pool = bytearray(build_pool(["m"]))
    struct.pack_into("<I", pool, 28, 10_000)
    _raises_input_error(build_doc(bytes(pool), start_el(0), end_el(0)))


def test_attributes_past_chunk() -> None:
    pool = build_pool(["m"])
    el = bytearray(start_el(0, [(0xFFFFFFFF, 0, 0, 3, 0)]))
    struct.pack_into("<H", el, 16 + 12, 500)  # attributeCount
    _raises_input_error(build_doc(pool, bytes(el), end_el(0)))


def test_no_root() -> None:
    _raises_input_error(build_doc(build_pool(["m"])))
    _raises_input_error(build_doc(start_el(0)))  # node before any string pool


def test_depth_limit() -> None:
    pool = build_pool(["e"])
    ok = build_doc(pool, *[start_el(0)] * axml.MAX_DEPTH, *[end_el(0)] * axml.MAX_DEPTH)
    root = axml.parse(ok)
    assert sum(1 for _ in root.iter()) == axml.MAX_DEPTH
    deep = axml.MAX_DEPTH + 1
    _raises_input_error(build_doc(pool, *[start_el(0)] * deep, *[end_el(0)] * deep))


def test_element_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(axml, "MAX_ELEMENTS", 50)
    pool = build_pool(["e"])
    kids = [start_el(0) + end_el(0)] * 49
    assert len(axml.parse(build_doc(pool, start_el(0), *kids, end_el(0))).children) == 49
    kids.append(start_el(0) + end_el(0))
    _raises_input_error(build_doc(pool, start_el(0), *kids, end_el(0)))


def test_overlapping_strings_hit_the_decode_budget() -> None:
    # 400 offsets into one run of 0xFF bytes: each decodes as a 32 KB string in UTF-8 mode.
    n, blob = 400, b"\xff" * 40_000
    start = 28 + 4 * n
    pool = (
        struct.pack("<HHIIIIII", 1, 28, start + len(blob), n, 0, 0x100, start, 0)
        + b"".join(struct.pack("<I", i) for i in range(n))
        + blob
    )
    sp = StringPool(pool, 0)
    with pytest.raises(InputError, match="budget"):
        sp.all()
