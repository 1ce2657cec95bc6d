"""Native code (issue 16, deliver 3) on CONSTRUCTED APKs (tests/fixtures/constructed/hidden):
``jni_plain.apk`` reads the IMEI, the serial and the Wi-Fi MAC in Java, ``jni.apk`` the same
three in ``lib/x86_64/libfakenative.so`` (a real ELF built with gcc). Bad libraries are built
here from it."""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path

from conftest import CONSTRUCTED

from pica.audit import audit, gather
from pica.extract.apk.api_scan import ApiTable
from pica.extract.apk.native import native_reads
from pica.report import Verdict

HIDDEN = CONSTRUCTED / "hidden"
SO = "lib/x86_64/libfakenative.so"


def _so() -> bytes:
    with zipfile.ZipFile(HIDDEN / "jni.apk") as z:
        return z.read(SO)


def _pi(apk: Path) -> set[str]:
    return {u.pi_type for u in gather(apk).api_uses}


def test_the_library_is_a_real_elf_with_the_strings():
    data = _so()
    assert data[:4] == b"\x7fELF" and data[4] == 2  # 64-bit
    assert b"android/telephony/TelephonyManager\x00" in data and b"ro.serialno\x00" in data


def test_jni_lookup_and_identifier_reads_are_found():
    table = ApiTable()
    reads = {(r.api, r.kind) for r in native_reads(_so(), table.methods, table.fields)}
    assert ("android.telephony.TelephonyManager.getDeviceId", "jni") in reads
    assert ("ro.serialno", "identifier") in reads
    assert ("/sys/class/net/wlan0/address", "identifier") in reads
    # Context.getSystemService is looked up too, and is no PI API
    assert not any("getSystemService" in api for api, _kind in reads)


def test_hidden_variant_reaches_the_plain_variants_pi_types():
    plain, hidden = _pi(HIDDEN / "jni_plain.apk"), _pi(HIDDEN / "jni.apk")
    assert {"imei", "meid", "serial_number", "mac_address"} <= hidden
    assert plain - hidden == {"wifi_info"}  # getConnectionInfo() itself has no native twin here


def test_native_reads_are_attributed_to_the_declaring_class_and_shown():
    evidence = gather(HIDDEN / "jni.apk")
    native = [u for u in evidence.api_uses if u.via == "native"]
    assert native and all(u.caller_class == "cn.fakenative.NativeProbe" for u in native)
    assert all(u.dex == SO and u.reachable is None for u in native)
    report = audit(apk=HIDDEN / "jni.apk")
    assert {f.item_id: f.verdict for f in report.findings}["1.1"] is Verdict.VIOLATION
    sites = [s for pi in report.pi_by_party.values() for ss in pi.values() for s in ss]
    assert any("ro.serialno" in s for s in sites)


def _replace_so(tmp_path: Path, data: bytes, compress: int = zipfile.ZIP_DEFLATED) -> Path:
    out = tmp_path / "lib.apk"
    with zipfile.ZipFile(HIDDEN / "jni.apk") as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != SO:
                dst.writestr(info, src.read(info))
        with dst.open(zipfile.ZipInfo(SO), "w", force_zip64=True) as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                for chunk in data:
                    handle.write(chunk)
    return out


def test_broken_section_headers_change_nothing(tmp_path: Path):
    """e_shoff, e_shentsize, e_shnum and e_shstrndx overwritten with garbage: the scan trusts
    no header, so the same reads come out."""
    data = bytearray(_so())
    struct.pack_into("<Q", data, 0x28, 0xFFFFFFFFFFFF)  # e_shoff
    struct.pack_into("<HHH", data, 0x3A, 0xFFFF, 0xFFFF, 0xFFFF)  # shentsize, shnum, shstrndx
    apk = _replace_so(tmp_path, bytes(data))
    assert {u.api for u in gather(apk).api_uses if u.via == "native"} == {
        u.api for u in gather(HIDDEN / "jni.apk").api_uses if u.via == "native"
    }


def test_oversized_library_is_skipped_with_a_fact(tmp_path: Path):
    """100 MB of library (over the 64 MB scan limit; a 1 GB one takes the same path: refused
    on its declared size, nothing inflated). The rest of the APK is audited."""
    rng = random.Random(16)
    block = bytes(rng.getrandbits(8) for _ in range(4096))
    apk = _replace_so(tmp_path, (block * 256 for _ in range(100)))
    evidence = gather(apk)
    facts = [h for h in evidence.hidden_code if h.kind == "native"]
    assert len(facts) == 1 and "not scanned" in facts[0].detail and SO in facts[0].detail
    assert not facts[0].blocks_absence
    assert not [u for u in evidence.api_uses if u.via == "native"]
