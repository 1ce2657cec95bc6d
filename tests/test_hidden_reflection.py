"""Reflection (issue 16, deliver 2): sensitive calls made through java.lang.reflect with names
that are constants or built from constants in the method, on CONSTRUCTED APKs
(tests/fixtures/constructed/hidden/README.md): ``reflect_plain.apk`` reads seven identifiers
directly, ``reflect.apk`` the same seven by reflection."""

from __future__ import annotations

import json
import zipfile

from conftest import CONSTRUCTED

from pica.audit import audit, gather
from pica.extract.apk.api_scan import ApiTable
from pica.extract.apk.dex import DexFile
from pica.extract.apk.reflection import scan_reflection
from pica.render import render
from pica.report import Verdict

HIDDEN = CONSTRUCTED / "hidden"


def _dex(apk: str) -> DexFile:
    with zipfile.ZipFile(HIDDEN / apk) as z:
        return DexFile(z.read("classes.dex"), "classes.dex")


def _sensitive(apk: str) -> set[tuple[str, str]]:
    return {(u.api, u.pi_type) for u in gather(HIDDEN / apk).api_uses}


def test_each_written_form_is_resolved():
    table = ApiTable()
    uses, _facts = scan_reflection([_dex("reflect.apk")], table.methods, table.fields)
    apis = {u.api for u in uses}
    assert "android.telephony.TelephonyManager.getDeviceId" in apis  # constant names
    assert "android.telephony.TelephonyManager.getSubscriberId" in apis  # StringBuilder, twice
    assert "android.telephony.TelephonyManager.getLine1Number" in apis  # String.concat
    assert "android.telephony.TelephonyManager.getSimSerialNumber" in apis  # String.valueOf
    assert "android.net.wifi.WifiInfo.getMacAddress" in apis  # getClass(): by the name alone
    assert "android.os.Build.SERIAL" in apis  # a field
    assert (
        "android.telephony.TelephonyManager.getVoiceMailNumber" not in apis
    )  # decoded at run time
    assert all(u.via == "reflection" and "via reflection" in u.source for u in uses)
    mac = next(u for u in uses if u.api.endswith("getMacAddress"))
    assert "class inferred from the member name" in mac.source


def test_hidden_variant_finds_what_the_plain_one_does_but_the_run_time_name():
    plain, hidden = _sensitive("reflect_plain.apk"), _sensitive("reflect.apk")
    assert hidden < plain
    assert plain - hidden == {
        ("android.telephony.TelephonyManager.getVoiceMailNumber", "phone_number")
    }


def test_the_unresolved_call_is_a_fact_that_blocks_nothing():
    evidence = gather(HIDDEN / "reflect.apk")
    facts = [h for h in evidence.hidden_code if h.kind == "reflection"]
    assert len(facts) == 1
    assert "reflective call, target unknown" in facts[0].detail
    assert "android.telephony.TelephonyManager" in facts[0].detail
    assert not facts[0].blocks_absence and evidence.code_hidden() == ()
    assert gather(HIDDEN / "reflect_plain.apk").hidden_code == ()


def test_reflective_calls_are_call_sites_in_the_verdicts_and_reports():
    report = audit(apk=HIDDEN / "reflect.apk")
    by_item = {f.item_id: f for f in report.findings}
    assert by_item["3.1"].verdict is Verdict.VIOLATION  # reached before any UI, by reflection
    assert any("via reflection" in c.source for c in by_item["3.1"].cites)
    doc = json.loads(render(report, "json"))
    sites = [s for pi in doc["pi_by_party"].values() for ss in pi.values() for s in ss]
    assert any(s.endswith("(via reflection)") for s in sites)
    assert doc["hidden_code"]["facts"][0]["kind"] == "reflection"
    assert "Hidden-code facts" in render(report, "md").decode()


def test_no_reflection_no_cost_no_fact():
    """The plain constructed APKs use no reflection API: nothing is decoded, nothing found."""
    table = ApiTable()
    for apk in ("preconsent.apk", "gated.apk", "clean.apk"):
        with zipfile.ZipFile(CONSTRUCTED / apk) as z:
            dex = DexFile(z.read("classes.dex"), "classes.dex")
        assert scan_reflection([dex], table.methods, table.fields) == ([], [])


def test_real_androidx_reflection_is_pinned():
    """androidx's own reflective lookups in a real APK (ApiDemos): the resolved call sites and
    the "target unknown" facts, by method. Pinned so that a change to the cheap pre-filter
    (which methods are worth decoding) cannot drop any silently."""
    from conftest import APKS

    evidence = gather(APKS / "ApiDemos-debug.apk")
    resolved = {(u.caller_class, u.api) for u in evidence.api_uses if u.via == "reflection"}
    assert resolved == {
        (
            "androidx.core.location.LocationManagerCompat",
            "android.location.LocationManager.registerGnssMeasurementsCallback",
        ),
        (
            "androidx.core.location.LocationManagerCompat$Api19Impl",
            "android.location.LocationManager.requestLocationUpdates",
        ),
        (
            "androidx.core.location.LocationManagerCompat$Api30Impl",
            "android.location.LocationManager.requestLocationUpdates",
        ),
        (
            "androidx.core.telephony.TelephonyManagerCompat",
            "android.telephony.TelephonyManager.getDeviceId",
        ),
    }
    unknown = sorted(
        h.detail.split(" in ", 1)[1].split(",", 1)[0]
        for h in evidence.hidden_code
        if h.kind == "reflection"
    )
    assert unknown == [
        "androidx.core.location.LocationManagerCompat$Api19Impl.tryRequestLocationUpdates",
        "androidx.core.location.LocationManagerCompat$Api19Impl.tryRequestLocationUpdates",
        "androidx.core.location.LocationManagerCompat$Api30Impl.tryRequestLocationUpdates",
        "androidx.core.location.LocationManagerCompat.isLocationEnabled",
        "androidx.core.location.LocationManagerCompat.registerGnssMeasurementsCallbackOnR",
        "androidx.core.telephony.SubscriptionManagerCompat.getSlotIndex",
        "androidx.core.telephony.TelephonyManagerCompat.getImei",
        "androidx.core.telephony.TelephonyManagerCompat.getSubscriptionId",
    ]
