"""Pre-consent reachability on the constructed fixtures (tests/fixtures/constructed/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import APKS, CONSTRUCTED

from pica.analysis.reachability import pre_ui_paths
from pica.analysis.sdks import attribute_call_sites, sdk_for_class
from pica.audit import audit, gather
from pica.extract.apk import extract
from pica.report import Verdict

EXPECTED = json.loads((CONSTRUCTED / "expected.json").read_text())


@dataclass(frozen=True)
class FakeEntry:
    id: str
    category: str = "push"

    @property
    def is_library(self) -> bool:
        return False


def lookup(class_name: str):
    """The real catalog plus a test-only entry for the fictional cn.fakepush SDK."""
    if class_name.startswith("cn.fakepush.sdk."):
        return FakeEntry("fakepush")
    return sdk_for_class(class_name)


@pytest.fixture(scope="module")
def preconsent():
    facts = extract(CONSTRUCTED / "preconsent.apk")
    uses = attribute_call_sites(facts.api_uses, lookup)
    return pre_ui_paths(facts, uses, lookup)


def _api(paths, pi):
    return [p for p in paths if p.kind == "api" and p.pi_type == pi]


@pytest.mark.parametrize(
    "pi, entry, via, hops",
    [
        ("imei", "FixtureApp.onCreate", "cn.fakepush.sdk.PushClient.init", ("direct", "direct")),
        (
            "android_id",
            "FixtureApp.attachBaseContext",
            "com.umeng.commonsdk.UMConfigure.init",
            ("direct", "direct"),
        ),
        (
            "mac_address",
            "cn.fakepush.sdk.AutoInitProvider.onCreate",
            "cn.fakepush.sdk.DeviceInfo.readMac",
            ("direct", "direct"),
        ),
        (
            "location_precise",
            "FixtureApp.onCreate",
            "preconsent.LocationTask.run",
            ("async", "direct"),
        ),
        (
            "installed_apps",
            "FixtureApp.onCreate",
            "preconsent.AppListTask.run",
            ("async", "direct"),
        ),
        ("clipboard", "FixtureApp.onCreate", "preconsent.ClipboardTask.run", ("async", "direct")),
        ("imsi", "FixtureApp.onCreate", "preconsent.ImsiCollector.collect", ("virtual", "direct")),
        (
            "phone_number",
            "BootReceiver.onReceive",
            "preconsent.SyncService.onStartCommand",
            ("async", "direct"),
        ),
    ],
)
def test_each_constructed_pre_consent_path(preconsent, pi, entry, via, hops) -> None:
    paths = _api(preconsent, pi)
    assert paths, f"no pre-UI path to {pi}"
    best = min(paths, key=lambda p: len(p.path))
    assert best.entry_point.endswith(entry)
    assert best.path[1].endswith(via)
    assert best.hop_kinds == hops
    assert best.confidence == ("high" if set(hops) == {"direct"} else "medium")
    assert best.gated_by is None


def test_after_ui_call_is_not_pre_consent(preconsent) -> None:
    # MainActivity.onCreate -> getSimSerialNumber exists as a call site but runs after UI.
    facts = extract(CONSTRUCTED / "preconsent.apk")
    assert [u for u in facts.api_uses if u.pi_type == "iccid"]
    assert not _api(preconsent, "iccid")


def test_sdk_inits_reached_before_ui(preconsent) -> None:
    inits = {p.sdk: p for p in preconsent if p.kind == "sdk_init"}
    assert inits["fakepush"].entry_point.endswith(
        ("AutoInitProvider.onCreate", "FixtureApp.onCreate")
    )
    assert inits["umeng_analytics"].target == "com.umeng.commonsdk.UMConfigure.init"
    assert inits["umeng_analytics"].path[0].endswith("FixtureApp.attachBaseContext")


def test_expected_file_agrees_on_entry_points(preconsent) -> None:
    expected = EXPECTED["apks"]["preconsent.apk"]["pre_ui_entry_points"]
    seen = {p.entry_point for p in preconsent}
    # SyncService.onStartCommand is reached from the boot receiver, which is the entry point here.
    assert seen == {e for e in expected if not e.endswith("SyncService.onStartCommand")}


def test_gated_path_is_marked_and_3_1_is_inconclusive() -> None:
    evidence = gather(CONSTRUCTED / "gated.apk")
    imei = [p for p in evidence.reachable if p.pi_type == "imei"]
    assert imei and all(
        p.gated_by == 'SharedPreferences.getBoolean("privacy_agreed")' for p in imei
    )
    report = audit(apk=CONSTRUCTED / "gated.apk")
    finding = next(f for f in report.findings if f.item_id == "3.1")
    assert finding.verdict is Verdict.INCONCLUSIVE
    assert "consent flag" in finding.reason


def test_clean_app_has_no_pre_ui_paths() -> None:
    evidence = gather(CONSTRUCTED / "clean.apk")
    assert evidence.reachable == ()
    report = audit(apk=CONSTRUCTED / "clean.apk")
    assert next(f for f in report.findings if f.item_id == "3.1").verdict is Verdict.INCONCLUSIVE


def test_preconsent_audit_3_1_and_5_1_violations_with_paths() -> None:
    report = audit(apk=CONSTRUCTED / "preconsent.apk")
    f31 = next(f for f in report.findings if f.item_id == "3.1")
    assert f31.verdict is Verdict.VIOLATION and f31.evidence_kind == "static"
    assert f31.confidence == "high"
    assert all(len(c.path) >= 2 for c in f31.cites)
    assert any("hops: async" in c.text for c in f31.cites)
    f51 = next(f for f in report.findings if f.item_id == "5.1")
    assert f51.verdict is Verdict.VIOLATION
    assert "umeng_analytics" in f51.reason


def test_real_app_sms_reader_is_the_apps_not_googles() -> None:
    evidence = gather(APKS / "settings_apk-debug.apk")
    sms = [u for u in evidence.api_uses if u.pi_type == "sms"]
    assert sms and all(u.sdk is None and u.party.value == "first" for u in sms)
    assert "google_play_services" in {s.sdk_id for s in evidence.sdks}


def test_androidx_startup_initializers_are_entry_points() -> None:
    from pica.analysis.reachability import entry_points
    from pica.extract.apk.callgraph import CallGraph

    facts = extract(APKS / "ApiDemos-debug.apk")
    provider = next(
        c for c in facts.components if c.name == "androidx.startup.InitializationProvider"
    )
    assert provider.kind == "provider"
    entries = {
        f"{node[0]}->{node[1]}": why for node, why in entry_points(CallGraph(facts.dexes), facts)
    }
    create = "Landroidx/emoji2/text/EmojiCompatInitializer;->create(Landroid/content/Context;)Ljava/lang/Object;"
    assert entries.get(create) == "androidx.startup Initializer"


def test_sms_receiver_reading_contacts_is_a_firm_pre_ui_path() -> None:
    report = audit(apk=APKS / "ApiDemos-debug.apk")
    finding = next(f for f in report.findings if f.item_id == "3.1")
    assert finding.verdict is Verdict.VIOLATION and finding.confidence == "high"
    assert all(
        c.path[0].startswith("io.appium.android.apis.os.SmsMessageReceiver") for c in finding.cites
    )


def test_sarif_carries_the_call_paths_as_code_flows() -> None:
    from pica.render import render

    sarif = json.loads(render(audit(apk=CONSTRUCTED / "preconsent.apk"), "sarif"))
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    for item in ("3.1", "5.1"):
        flows = results[item]["codeFlows"]
        steps = flows[0]["threadFlows"][0]["locations"]
        names = [s["location"]["logicalLocations"][0]["fullyQualifiedName"] for s in steps]
        assert len(names) >= 2
        assert names[0].startswith(("com.example.picafixture", "cn.fakepush"))


# ------------------------------------------------------------- reached means reachable


def _analysed(apk: Path):
    from pica.analysis.apk import analyse_apk

    return analyse_apk(extract(apk)).api_uses


def test_every_constructed_call_site_is_reachable_from_some_entry_point() -> None:
    """Pre-UI, after UI (MainActivity.onCreate), boot receiver, service: all run."""
    for name in ("preconsent", "gated", "clean"):
        uses = _analysed(CONSTRUCTED / f"{name}.apk")
        assert uses and all(u.reachable is True for u in uses), name


def test_library_code_nothing_calls_is_present_but_unreached() -> None:
    """Appium Settings and ApiDemos carry androidx TelephonyManagerCompat.getImei, which no
    method of either app calls: present, never collection."""
    for apk in ("settings_apk-debug.apk", "ApiDemos-debug.apk"):
        uses = _analysed(APKS / apk)
        compat = [u for u in uses if "TelephonyManagerCompat" in u.caller_class]
        assert compat and all(u.reachable is False for u in compat), apk
        report = audit(apk=APKS / apk, category="map_navigation")
        assert "imei" in report.present_unreached["app"]
        assert "imei" not in report.pi_by_party.get("app", {})
        finding = next(f for f in report.findings if f.item_id == "4.1")
        assert not any("TelephonyManagerCompat" in c.text for c in finding.cites)


def test_the_apps_own_callbacks_are_reached() -> None:
    """Framework callbacks of objects the app creates (a CursorAdapter's filter query, a
    loader's loadInBackground) and an android:onClick handler named only in a layout."""
    demos = {u.caller: u.reachable for u in _analysed(APKS / "ApiDemos-debug.apk")}
    assert demos[
        "io.appium.android.apis.view.AutoComplete4$ContactListAdapter.runQueryOnBackgroundThread"
    ]
    assert demos["io.appium.android.apis.app.LoaderCustom$AppListLoader.loadInBackground"]
    own = [r for c, r in demos.items() if c.startswith("io.appium.android.apis.")]
    assert own and all(own)
    clicks = _analysed(APKS / "ReturnParameterTest.apk")
    assert clicks and all(u.reachable for u in clicks)


def test_a_virtual_call_reaches_only_classes_with_a_live_object() -> None:
    """SourceToSink1 bundles the support library's ShareActionProvider, which only a menu XML
    could create and this app never does: class-hierarchy analysis alone reached its
    queryIntentActivities through MenuItemImpl.invoke; rapid type analysis does not."""
    uses = _analysed(APKS / "SourceToSink1.apk")
    chooser = [u for u in uses if u.caller_class.endswith("ActivityChooserModel")]
    assert chooser and chooser[0].reachable is False


def test_androguard_agrees_nothing_calls_the_compat_getimei() -> None:
    from conftest import androguard_quiet

    androguard_quiet()
    from androguard.misc import AnalyzeAPK

    _a, _d, dx = AnalyzeAPK(str(APKS / "settings_apk-debug.apk"))
    methods = [
        m
        for m in dx.find_methods(classname=r"Landroidx/core/telephony/TelephonyManagerCompat;")
        if m.name == "getImei"
    ]
    assert methods and all(not m.get_xref_from() for m in methods)


def test_no_finding_cites_the_same_fact_twice() -> None:
    report = audit(apk=APKS / "settings_apk-debug.apk", category="map_navigation")
    for finding in report.findings:
        keys = [(c.text, c.source) for c in finding.cites]
        assert len(keys) == len(set(keys)), finding.item_id
