"""SDK detection: synthetic signal lists, speed, and a real APK (io.appium.settings + Google Play services)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from pica.analysis.sdks import detect_sdks, sdk_for_class
from pica.evidence import SdkPresence

APK = Path(__file__).parent / "fixtures" / "apks" / "settings_apk-debug.apk"


def _ids(found: list[SdkPresence]) -> set[str]:
    return {p.sdk_id for p in found}


def _by_id(found: list[SdkPresence]) -> dict[str, SdkPresence]:
    return {p.sdk_id: p for p in found}


def test_longest_prefix_wins_within_a_vendor():
    assert sdk_for_class("com.tencent.mm.opensdk.modelpay.PayReq").id == "wechat_opensdk"
    assert sdk_for_class("com.tencent.bugly.crashreport.CrashReport").id == "bugly"
    assert (
        sdk_for_class("com.tencent.map.geolocation.TencentLocationManager").id == "tencent_location"
    )
    assert sdk_for_class("com.umeng.message.PushAgent").id == "umeng_push"
    assert sdk_for_class("com.umeng.analytics.MobclickAgent").id == "umeng_analytics"
    # kotlin.coroutines is more specific than kotlin
    assert sdk_for_class("kotlin.coroutines.Continuation").id != sdk_for_class("kotlin.Unit").id


def test_class_name_forms_and_inner_classes():
    assert sdk_for_class("Lcom/igexin/sdk/PushManager;").id == "getui_push"
    assert sdk_for_class("com.igexin.sdk.PushManager$1").id == "getui_push"
    assert sdk_for_class("com.igexin").id == "getui_push"


def test_package_boundary_and_broad_prefixes():
    assert sdk_for_class("com.igexinfoo.Main") is None  # not a segment boundary
    assert sdk_for_class("com.google.myapp.MainActivity") is None  # "com.google." is no signature
    assert sdk_for_class("com.tencent.someapp.Main") is None
    assert sdk_for_class("com.example.app.MainActivity") is None
    assert sdk_for_class("a.b.c") is None


def test_app_package_is_first_party():
    # A catalog prefix that is an ancestor of the app's package does not make the app "an SDK".
    assert sdk_for_class("com.umeng.analytics.demo.MainActivity").id == "umeng_analytics"
    assert (
        sdk_for_class("com.umeng.analytics.demo.MainActivity", "com.umeng.analytics.demo") is None
    )
    # ... but an SDK nested inside the app's package is still the SDK.
    assert (
        sdk_for_class("com.tencent.mm.opensdk.openapi.WXAPIFactory", "com.tencent.mm").id
        == "wechat_opensdk"
    )
    found = detect_sdks(
        ["com.umeng.analytics.demo.MainActivity", "com.umeng.analytics.demo.a"],
        ["com.umeng.analytics.demo.MainActivity"],
        [],
        [],
        app_package="com.umeng.analytics.demo",
    )
    assert found == []


def test_detect_with_every_signal():
    classes = [
        "com.tencent.mm.opensdk.openapi.WXAPIFactory",
        "com.tencent.mm.opensdk.modelpay.PayReq",
        "com.tencent.bugly.crashreport.CrashReport",
        "com.tencent.bugly.crashreport.CrashReport$UserStrategy",
        "com.example.shop.MainActivity",
    ]
    found = detect_sdks(
        classes,
        ["com.example.shop.MainActivity", "com.igexin.sdk.PushService"],
        ["lib/arm64-v8a/libjcore220.so", "lib/arm64-v8a/libunknown.so"],
        [
            "plbslog.umeng.com",
            "https://api.weixin.qq.com/sns/oauth2",
            "example.com",
            "notumeng.com",
        ],
    )
    by = _by_id(found)
    assert set(by) == {"wechat_opensdk", "bugly", "getui_push", "jcore", "umeng_analytics"}
    assert "code: com.tencent.mm.opensdk (2 classes)" in by["wechat_opensdk"].signals
    assert "domain: api.weixin.qq.com" in by["wechat_opensdk"].signals
    assert by["bugly"].signals == ("code: com.tencent.bugly (2 classes)",)
    assert by["getui_push"].signals == ("component: com.igexin.sdk.PushService (class absent)",)
    assert by["jcore"].signals == ("native: libjcore220.so",)  # JCore's, under JPush
    assert {k: p.confidence for k, p in by.items()} == {
        "wechat_opensdk": "strong",
        "bugly": "strong",
        "getui_push": "weak",  # its component's class is not in the DEX files
        "jcore": "medium",
        "umeng_analytics": "weak",  # a domain alone
    }
    assert by["umeng_analytics"].signals == ("domain: umeng.com (plbslog.umeng.com)",)
    u = by["umeng_analytics"]
    assert u.chinese and u.name_zh == "友盟统计" and "imei" in u.pi_types and u.policy_url
    assert [p.sdk_id for p in found] == sorted(by)


def test_component_only_detection_when_code_is_obfuscated():
    # The manifest names SDK components whose classes the DEX files do not define (R8 keeps
    # manifest-named classes, so they are absent, not renamed): detected, but weakly (issue 19).
    classes = ["a.a", "a.b", "b.a.c", "com.example.app.App"]
    components = [
        "com.igexin.sdk.PushService",  # listed in the catalog
        "com.bytedance.sdk.openadsdk.stub.activity.Stub_Standard_Portrait_Activity",  # by prefix
        "com.example.app.MainActivity",
    ]
    found = _by_id(detect_sdks(classes, components, [], []))
    assert set(found) == {"getui_push", "pangle"}
    assert found["pangle"].signals == (
        "component: com.bytedance.sdk.openadsdk.stub.activity.Stub_Standard_Portrait_Activity"
        " (class absent)",
    )
    assert {p.confidence for p in found.values()} == {"weak"}
    present = _by_id(detect_sdks([*classes, "com.igexin.sdk.PushService"], components, [], []))
    assert present["getui_push"].confidence == "strong"  # its class is code in the package


def test_domain_suffix_matching():
    found = _by_id(
        detect_sdks([], [], [], ["sdk.open.e.kuaishou.com", "e.qq.com", "getui.com:443"])
    )
    assert "kuaishou_ads" in found and "tencent_gdt" in found and "getui_push" in found
    assert (
        detect_sdks([], [], [], ["evilumeng.com", "umeng.com.attacker.net", "localhost", ""]) == []
    )


def test_detection_is_fast():
    pkgs = ["com.umeng.analytics", "com.tencent.bugly.crashreport", "com.example.app.ui",
            "androidx.core.view", "kotlinx.coroutines.flow", "a.b", "com.google.android.gms.internal"]  # fmt: skip
    names = [f"{pkgs[i % len(pkgs)]}.C{i}" for i in range(100_000)]
    detect_sdks(names[:10], [], [], [])  # load the catalog and build the index
    start = time.perf_counter()
    found = detect_sdks(names, [], [], [])
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    assert {"umeng_analytics", "bugly", "google_play_services"} <= _ids(found)


def _apk_class_names(path: Path) -> list[str]:
    loguru = pytest.importorskip("loguru")
    loguru.logger.disable("androguard")
    dex_mod = pytest.importorskip("androguard.core.dex")
    names: list[str] = []
    with zipfile.ZipFile(path) as z:
        for entry in sorted(z.namelist()):
            if entry.startswith("classes") and entry.endswith(".dex"):
                names.extend(dex_mod.DEX(z.read(entry)).get_classes_names())
    return names


@pytest.fixture(scope="module")
def settings_classes() -> list[str]:
    if not APK.is_file():
        pytest.skip("fixture APK missing")
    return _apk_class_names(APK)


def test_real_apk_google_play_services_detected(settings_classes):
    app_classes = [c for c in settings_classes if c.startswith("Lio/appium/settings/")]
    assert app_classes, "the fixture's own classes are expected in its DEX"
    found = _by_id(detect_sdks(settings_classes, [], [], [], app_package="io.appium.settings"))
    gms = found["google_play_services"]
    assert any(s.startswith("code: com.google.android.gms (") for s in gms.signals)
    assert not gms.chinese
    # The app's own code is never an SDK, with or without the app package given.
    for c in app_classes:
        assert sdk_for_class(c) is None, c
        assert sdk_for_class(c, "io.appium.settings") is None, c
    for p in found.values():
        assert not any("io.appium" in s for s in p.signals), p
