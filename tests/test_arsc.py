"""resources.arsc parser: real tables checked against androguard, hand-built tables for the
rarer encodings (16-bit offsets, sparse, compact, complex), and hostile inputs."""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path

import pytest

from pica.errors import InputError
from pica.extract.apk import arsc

APKS = Path(__file__).parent / "fixtures" / "apks"


def arsc_bytes(name: str) -> bytes:
    with zipfile.ZipFile(APKS / name) as z:
        return z.read("resources.arsc")


def _androguard():
    from loguru import logger

    logger.disable("androguard")
    from androguard.core.axml import ARSCParser, ARSCResTableConfig

    return ARSCParser, ARSCResTableConfig


# --- a tiny writer for hand-built tables --------------------------------------------------------


def build_pool(strings: list[str]) -> bytes:
    offsets, blob = [], b""
    for s in strings:
        offsets.append(len(blob))
        e = s.encode("utf-16-le")
        blob += struct.pack("<H", len(e) // 2) + e + b"\0\0"
    blob += b"\0" * (-len(blob) % 4)
    start = 28 + 4 * len(strings)
    head = struct.pack("<HHIIIIII", 1, 28, start + len(blob), len(strings), 0, 0, start, 0)
    return head + b"".join(struct.pack("<I", o) for o in offsets) + blob


def config(lang: bytes = b"\0\0", country: bytes = b"\0\0", sdk: int = 0) -> bytes:
    cfg = bytearray(64)
    struct.pack_into("<I", cfg, 0, 64)
    cfg[8:10] = lang
    cfg[10:12] = country
    struct.pack_into("<H", cfg, 24, sdk)  # version.sdkVersion
    return bytes(cfg)


def simple(key: int, dtype: int, data: int) -> bytes:
    return struct.pack("<HHI", 8, 0, key) + struct.pack("<HBBI", 8, 0, dtype, data)


def complex_entry(key: int) -> bytes:
    return struct.pack("<HHIII", 16, 1, key, 0, 1) + struct.pack("<IHBBI", 0x01010003, 8, 0, 3, 0)


def compact(key: int, dtype: int, data: int) -> bytes:
    return struct.pack("<HHI", key, 0x8 | (dtype << 8), data)


def type_chunk(type_id: int, entries: dict[int, bytes], count: int, flags: int = 0, cfg=None):
    cfg = cfg if cfg is not None else config()
    hsize = 20 + len(cfg)
    blob, offs = b"", {}
    for idx in sorted(entries):
        offs[idx] = len(blob)
        blob += entries[idx]
    if flags & 0x01:  # sparse
        table = b"".join(struct.pack("<HH", i, offs[i] // 4) for i in sorted(offs))
        n = len(offs)
    elif flags & 0x02:  # 16-bit offsets
        table = b"".join(
            struct.pack("<H", offs[i] // 4 if i in offs else 0xFFFF) for i in range(count)
        )
        table += b"\0" * (-len(table) % 4)
        n = count
    else:
        table = b"".join(struct.pack("<I", offs.get(i, 0xFFFFFFFF)) for i in range(count))
        n = count
    start = hsize + len(table)
    head = struct.pack("<HHI", 0x201, hsize, start + len(blob)) + struct.pack(
        "<BBHII", type_id, flags, 0, n, start
    )
    return head + cfg + table + blob


def type_spec(type_id: int, count: int) -> bytes:
    return struct.pack("<HHIBBHI", 0x202, 16, 16 + 4 * count, type_id, 0, 0, count) + bytes(
        4 * count
    )


def build_table(global_strings, type_names, keys, chunks, pkg_id=0x7F) -> bytes:
    tp, kp = build_pool(type_names), build_pool(keys)
    name = "com.example".encode("utf-16-le").ljust(256, b"\0")
    body = tp + kp + b"".join(chunks)
    pkg = (
        struct.pack("<HHII", 0x200, 288, 288 + len(body), pkg_id)
        + name
        + struct.pack("<IIIII", 288, len(type_names), 288 + len(tp), len(keys), 0)
        + body
    )
    gp = build_pool(global_strings)
    return struct.pack("<HHII", 2, 12, 12 + len(gp) + len(pkg), 1) + gp + pkg


STRINGS = ["Hello", "你好", "Bonjour", "policy https://example.com/privacy"]
KEYS = ["app_name", "greeting", "policy", "plural", "count", "chain", "loop", "deep"]


def sample_table() -> arsc.ResourceTable:
    str_t = 1  # "string"
    int_t = 2  # "integer"
    plu_t = 3  # "plurals"
    default = type_chunk(
        str_t,
        {
            0: simple(0, 3, 0),
            1: simple(1, 3, 0),
            2: simple(2, 3, 3),
            5: simple(5, 1, 0x7F010000),  # chain → app_name
            6: simple(6, 1, 0x7F010006),  # loop on itself
            7: simple(7, 1, 0x7F010005),  # deep → chain → app_name
        },
        8,
    )
    zh = type_chunk(str_t, {1: simple(1, 3, 1)}, 8, flags=0x02, cfg=config(b"zh", b"CN"))
    fr_sparse = type_chunk(str_t, {1: simple(1, 3, 2)}, 8, flags=0x01, cfg=config(b"fr"))
    v21 = type_chunk(str_t, {0: compact(0, 3, 2), 3: simple(3, 3, 0)}, 8, cfg=config(sdk=21))
    ints = type_chunk(int_t, {4: compact(4, 0x10, 42), 0: simple(0, 0x12, 1)}, 5, flags=0x01)
    plurals = type_chunk(plu_t, {3: complex_entry(3)}, 4)
    return arsc.parse(
        build_table(
            STRINGS,
            ["string", "integer", "plurals"],
            KEYS,
            [type_spec(1, 8), default, zh, fr_sparse, v21, ints, plurals],
        )
    )


# --- hand-built tables --------------------------------------------------------------------------


def test_resolve_and_entry_flavours() -> None:
    t = sample_table()
    assert t.package_names == ["com.example"]
    assert t.global_strings() == STRINGS
    assert t.resolve(0x7F010000) == "Hello"  # default config wins over v21 (compact)
    assert t.resolve(0x7F010001) == "Hello"
    assert t.resolve(0x7F010003) == "Hello"  # only in -v21: falls back to a locale-free config
    assert t.resolve(0x7F010005) == "Hello"  # reference chain
    assert t.resolve(0x7F010007) == "Hello"  # two hops
    assert t.resolve(0x7F010006) is None  # self reference
    assert t.resolve(0x7F010004) is None  # no such entry
    assert t.resolve(0x7F020004) is None  # an int, not a string
    assert t.resolve_value(0x7F020004) == 42  # compact entry in a sparse chunk
    assert t.resolve_value(0x7F020000) is True
    assert t.resolve_value(0x7F030003) is None  # complex (plurals) entry
    assert t.resolve(0x7E010000) is None and t.resolve(0x01040000) is None
    assert t.name_of(0x7F010002) == "string/policy"
    assert t.name_of(0x7F020004) == "integer/count"
    assert t.skipped_entries == 0


def test_string_entries_locales() -> None:
    t = sample_table()
    default = t.string_entries()
    assert ("app_name", "", "Hello") in default
    assert ("greeting", "zh-CN", "你好") in default
    assert ("policy", "", STRINGS[3]) in default
    assert ("chain", "", "Hello") in default
    assert not any(loc == "fr" for _, loc, _ in default)
    assert sum(1 for n, loc, _ in default if n == "app_name" and loc == "") == 1  # v21 deduped
    assert not any(n == "loop" for n, _, _ in default)  # unresolvable reference
    assert ("plural", "", "Hello") in default  # only in -v21
    everything = t.string_entries(None)
    assert ("greeting", "fr", "Bonjour") in everything
    assert t.string_entries(["fr"]) == [("greeting", "fr", "Bonjour")]


def test_reference_chain_limit() -> None:
    # entry i → entry i+1 → … → entry 7 (string): 7 hops is beyond the limit of 5.
    entries = {i: simple(i, 1, 0x7F010000 + i + 1) for i in range(7)}
    entries[7] = simple(7, 3, 0)
    t = arsc.parse(build_table(["end"], ["string"], KEYS, [type_chunk(1, entries, 8)]))
    assert t.resolve(0x7F010007) == "end"
    assert t.resolve(0x7F010002) == "end"  # 5 hops
    assert t.resolve(0x7F010001) is None  # 6 hops
    assert t.resolve(0x7F010000) is None


def test_packed_three_letter_language() -> None:
    assert arsc._unpack_code(0xAD, 0x05, ord("a")) == "fil"
    assert arsc._unpack_code(ord("z"), ord("h"), ord("a")) == "zh"
    assert arsc._unpack_code(0, 0, ord("a")) == ""


def test_bad_entry_is_skipped_not_fatal() -> None:
    chunk = bytearray(type_chunk(1, {0: simple(0, 3, 0), 1: simple(1, 3, 0)}, 2))
    struct.pack_into("<I", chunk, 84 + 4, 0xFFFF00)  # entry 1 offset far past the chunk
    t = arsc.parse(build_table(["ok"], ["string"], KEYS, [bytes(chunk)]))
    assert t.resolve(0x7F010000) == "ok"
    assert t.resolve(0x7F010001) is None
    assert t.skipped_entries == 1
    chunk = type_chunk(1, {0: simple(0, 3, 999)}, 1)  # global string index out of range
    t = arsc.parse(build_table(["ok"], ["string"], KEYS, [chunk]))
    assert t.resolve(0x7F010000) is None and t.string_entries() == []


def test_many_configs_use_an_index() -> None:
    chunks = [type_chunk(1, {0: simple(0, 3, 0)}, 1, cfg=config(sdk=i + 1)) for i in range(100)]
    chunks.append(type_chunk(1, {0: simple(0, 3, 1)}, 1))
    t = arsc.parse(build_table(["v-any", "default"], ["string"], KEYS, chunks))
    for _ in range(40):
        assert t.resolve(0x7F010000) == "default"


# --- real tables --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "apk", ["ApiDemos-debug.apk", "settings_apk-debug.apk", "InsecureBank.apk"]
)
def test_resolve_matches_androguard(apk: str) -> None:
    ARSCParser, ARSCResTableConfig = _androguard()
    data = arsc_bytes(apk)
    mine = arsc.parse(data)
    theirs = ARSCParser(data)
    pkg = theirs.get_packages_names()[0]
    assert mine.package_names == [pkg]
    entries = mine.string_entries([""])
    rng = random.Random(42)
    sample = rng.sample(entries, min(50, len(entries)))
    for name, _locale, value in sample:
        rid = theirs.get_res_id_by_key(pkg, "string", name)
        got = theirs.get_resolved_res_configs(rid, ARSCResTableConfig.default_config())
        assert got and got[0][1] == value == mine.resolve(rid), name
        assert mine.name_of(rid) == f"string/{name}"
    assert mine.skipped_entries == 0


def test_global_strings_match_androguard() -> None:
    ARSCParser, _ = _androguard()
    data = arsc_bytes("ApiDemos-debug.apk")
    pool = ARSCParser(data).stringpool_main
    mine = arsc.parse(data).global_strings()
    assert len(mine) == pool.stringCount
    rng = random.Random(3)
    for i in rng.sample(range(len(mine)), 300):
        assert mine[i] == pool.getString(i)


def test_locales_and_zh_strings_match_androguard() -> None:
    ARSCParser, _ = _androguard()
    data = arsc_bytes("ApiDemos-debug.apk")
    theirs = ARSCParser(data)
    pkg = theirs.get_packages_names()[0]
    mine = arsc.parse(data)
    everything = mine.string_entries(None)

    def ag_locale(loc: str) -> str:
        if not loc:
            return "\x00\x00"
        parts = loc.split("-")
        if len(parts) == 2 and len(parts[1]) == 2:
            return f"{parts[0]}-r{parts[1]}"
        return parts[0]

    assert {ag_locale(loc) for _, loc, _ in everything} == set(theirs.get_locales(pkg))
    zh = [e for e in mine.string_entries(["zh"]) if e[1]]
    assert {loc for _, loc, _ in zh} == {"zh-CN", "zh-HK", "zh-TW"}
    for name, loc, value in zh:
        rid = theirs.get_res_id_by_key(pkg, "string", name)
        vals = {
            v
            for cfg, v in theirs.get_resolved_res_configs(rid)
            if cfg.get_language_and_region() == ag_locale(loc)
        }
        assert value in vals, (name, loc)


# --- hostile input ------------------------------------------------------------------------------


def _raises_input_error(data: bytes) -> None:
    with pytest.raises(InputError) as e:
        arsc.parse(data)
    assert "\n" not in str(e.value) and str(e.value)


def test_truncated_at_many_cut_points() -> None:
    data = arsc_bytes("ApiDemos-debug.apk")
    for cut in range(0, len(data), 97 * 7):
        _raises_input_error(data[:cut])
    data = arsc_bytes("settings_apk-debug.apk")
    for cut in range(0, len(data), 97):
        _raises_input_error(data[:cut])


def test_truncated_with_header_patched_to_fit() -> None:
    data = arsc_bytes("InsecureBank.apk")
    for cut in range(12, len(data), 97):
        patched = data[:4] + struct.pack("<I", cut) + data[8:cut]
        try:
            t = arsc.parse(patched)
        except InputError:
            continue
        t.string_entries(None)


def test_random_mutations_only_raise_input_error() -> None:
    data = arsc_bytes("InsecureBank.apk")
    rng = random.Random(99)
    for _ in range(300):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        try:
            t = arsc.parse(bytes(buf))
        except InputError:
            continue
        for _, _, v in t.string_entries(None):
            assert isinstance(v, str)
        for rid in range(0x7F010000, 0x7F0A0010, 0x10001):
            t.resolve(rid)
            t.name_of(rid)


def test_garbage_and_huge_sizes() -> None:
    rng = random.Random(5)
    for n in (0, 3, 12, 4096):
        _raises_input_error(bytes(rng.randrange(256) for _ in range(n)))
    good = build_table(["x"], ["string"], KEYS, [type_chunk(1, {0: simple(0, 3, 0)}, 1)])
    bad = bytearray(good)
    struct.pack_into("<I", bad, 4, 0xFFFFFFFF)  # table claims 4 GB
    _raises_input_error(bytes(bad))
    bad = bytearray(good)
    struct.pack_into("<I", bad, 12 + 4, 0xFFFFFFF0)  # global pool claims ~4 GB
    _raises_input_error(bytes(bad))
    bad = bytearray(good)
    struct.pack_into("<I", bad, 12 + 8, 0x7FFFFFFF)  # absurd global string count
    _raises_input_error(bytes(bad))
    with pytest.raises(InputError):
        arsc.parse(None)  # type: ignore[arg-type]


def test_absurd_type_chunk_fields() -> None:
    chunk = bytearray(type_chunk(1, {0: simple(0, 3, 0)}, 1))
    struct.pack_into("<I", chunk, 12, 0x40000000)  # entryCount
    _raises_input_error(build_table(["x"], ["string"], KEYS, [bytes(chunk)]))
    chunk = bytearray(type_chunk(1, {0: simple(0, 3, 0)}, 1))
    struct.pack_into("<I", chunk, 20, 0xFFFFFF)  # config size
    _raises_input_error(build_table(["x"], ["string"], KEYS, [bytes(chunk)]))
    chunk = bytearray(type_chunk(1, {0: simple(0, 3, 0)}, 1))
    struct.pack_into("<H", chunk, 2, 4)  # header size below the minimum
    _raises_input_error(build_table(["x"], ["string"], KEYS, [bytes(chunk)]))
