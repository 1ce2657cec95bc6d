"""The DEX reader against androguard, on real multidex APKs, and on broken input."""

from __future__ import annotations

import struct
import zipfile

import pytest
from conftest import APKS, androguard_quiet

from pica.errors import InputError
from pica.extract.apk.dex import INVOKE_OPS, DexFile, descriptor_to_java


def _dexes(name: str) -> list[DexFile]:
    with zipfile.ZipFile(APKS / name) as z:
        names = sorted(
            (n for n in z.namelist() if n.startswith("classes") and n.endswith(".dex")),
            key=lambda n: int(n[7:-4] or 1),
        )
        return [DexFile(z.read(n), n) for n in names]


DEX_COUNTS = {"settings_apk-debug.apk": 9}


@pytest.mark.parametrize("apk", sorted(p.name for p in APKS.glob("*.apk")))
def test_class_names_match_androguard(apk: str) -> None:
    dex_count = DEX_COUNTS.get(apk, 1)
    androguard_quiet()
    from androguard.core.dex import DEX

    dexes = _dexes(apk)
    assert len(dexes) == dex_count
    for dex in dexes:
        theirs = {descriptor_to_java(n) for n in DEX(dex.data).get_classes_names()}
        ours = set(dex.class_names())
        assert ours == theirs
        assert dex.class_count == len(theirs)


def test_every_method_with_code_is_indexed_like_androguard() -> None:
    androguard_quiet()
    from androguard.core.dex import DEX

    dex = _dexes("InsecureBank.apk")[0]
    theirs = {
        (m.get_class_name(), m.get_name(), m.get_descriptor().replace(" ", ""))
        for m in DEX(dex.data).get_encoded_methods()
        if m.get_code() is not None
    }
    ours = {
        (
            dex.method_class(idx),
            dex.method_name(idx),
            dex.method_signature(idx)[len(dex.method_name(idx)) :],
        )
        for idx in dex.code_of_method
    }
    assert ours == theirs


def test_finds_the_real_getdeviceid_call_site() -> None:
    dex = _dexes("InsecureBank.apk")[0]
    wanted = dex.method_indexes({"Landroid/telephony/TelephonyManager;": {"getDeviceId"}})
    assert len(wanted) == 1
    hits = dex.find_refs({INVOKE_OPS: set(wanted)})
    callers = {(dex.method_class(m), dex.method_name(m)) for m in hits}
    assert callers == {("Lcom/android/insecurebank/LoginScreen;", "dologin")}


def test_truncated_dex_is_an_input_error() -> None:
    data = _dexes("InsecureBank.apk")[0].data
    with pytest.raises(InputError, match="truncated DEX"):
        DexFile(data[: len(data) // 2], "classes.dex")
    with pytest.raises(InputError, match="truncated DEX"):
        DexFile(data[:50], "classes.dex")


def test_garbage_and_lying_headers_are_input_errors() -> None:
    with pytest.raises(InputError, match="not a DEX"):
        DexFile(b"\x00" * 200, "classes.dex")
    data = bytearray(_dexes("InsecureBank.apk")[0].data)
    struct.pack_into("<I", data, 0x58, 0x7FFFFFFF)  # method_ids_size far past the end
    with pytest.raises(InputError, match="outside the file"):
        DexFile(bytes(data), "classes.dex")


def test_corrupt_code_offsets_never_escape_as_other_errors() -> None:
    data = bytearray(_dexes("InsecureBank.apk")[0].data)
    # Scribble over the class-data section: every outcome must be data or an InputError.
    dex = DexFile(bytes(data), "classes.dex")
    start, _count = dex.sections[0x2000]
    for i in range(start, min(start + 400, len(data))):
        data[i] = 0xFF
    broken = DexFile(bytes(data), "classes.dex")
    try:
        methods = broken.code_of_method
        for method in list(methods)[:50]:
            broken.refs(method)
    except InputError:
        pass


@pytest.mark.parametrize("apk", ["ApiDemos-debug.apk", "settings_apk-debug.apk"])
def test_targeted_method_lookup_agrees_with_the_full_index(apk: str) -> None:
    import random

    rng = random.Random(7)
    for indexed in _dexes(apk)[:3]:
        targeted = DexFile(indexed.data, indexed.name)  # fresh: no full index built
        methods = sorted(indexed.code_of_method.items())
        for midx, code_off in rng.sample(methods, min(150, len(methods))):
            (insns,) = struct.unpack_from("<I", indexed.data, code_off + 12)
            if not insns:
                continue
            offset = code_off + 16 + 2 * rng.randrange(insns)
            assert targeted.method_at(offset) == midx == indexed._method_at_indexed(offset)
        assert "_code_index" not in targeted.__dict__  # only the light index (_code_starts)
        for offset in rng.sample(range(0x70, targeted.sections[0x2001][0], 2), 20):
            assert targeted.method_at(offset) is None  # before the code section


def test_light_code_index_equals_the_full_index() -> None:
    for apk in ("ApiDemos-debug.apk", "settings_apk-debug.apk", "InsecureBank.apk"):
        for dex in _dexes(apk):
            starts, owners = dex._code_starts
            assert (list(starts), list(owners)) == dex._code_index


def test_pathological_dex_is_linear() -> None:
    """CONSTRUCTED dexworst.apk: code far from a large class-data section, every other word in
    the 128 KiB before each call a plausible code-item header (tools/build_pathological_dex.py).
    A class-data search per candidate header took minutes; the index takes milliseconds."""
    import time

    from conftest import CONSTRUCTED

    from pica.extract.apk import extract

    with zipfile.ZipFile(CONSTRUCTED / "dexworst.apk") as z:
        dex = DexFile(z.read("classes.dex"))
    assert dex.method_id_count == 60004 and dex.class_count == 1501
    start = time.perf_counter()
    facts = extract(CONSTRUCTED / "dexworst.apk")
    assert time.perf_counter() - start < 5
    calls = sorted(
        {
            (u.caller_class, u.caller_method, u.api)
            for u in facts.api_uses
            if u.api.endswith("getDeviceId")
        }
    )
    assert calls == [
        ("com.example.worst.Hot", f"hot{i}()V", "android.telephony.TelephonyManager.getDeviceId")
        for i in range(3)
    ]
    starts, owners = dex._code_starts
    assert (list(starts), list(owners)) == dex._code_index


def test_pathological_fixture_rebuilds_byte_for_byte(tmp_path) -> None:
    import importlib.util
    from pathlib import Path

    from conftest import CONSTRUCTED

    tool = Path(__file__).resolve().parent.parent / "tools" / "build_pathological_dex.py"
    spec = importlib.util.spec_from_file_location("build_pathological_dex", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_apk(tmp_path / "dexworst.apk")
    assert (tmp_path / "dexworst.apk").read_bytes() == (CONSTRUCTED / "dexworst.apk").read_bytes()
