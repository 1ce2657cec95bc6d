"""Manifest model: every fixture APK checked against androguard, exact known values, and the
platform's defaulting rules on hand-built trees."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest

from pica.errors import InputError
from pica.extract.apk import arsc, axml
from pica.extract.apk.axml import ResRef, XmlElement
from pica.extract.apk.manifest import (
    ComponentDecl,
    Manifest,
    PermissionDecl,
    parse_apk_manifest,
    parse_manifest,
)

APKS = Path(__file__).parent / "fixtures" / "apks"
FIXTURES = sorted(p.name for p in APKS.glob("*.apk"))


def load(name: str, with_table: bool = True) -> Manifest:
    with zipfile.ZipFile(APKS / name) as z:
        mb = z.read("AndroidManifest.xml")
        rb = z.read("resources.arsc") if with_table else None
    return parse_apk_manifest(mb, rb)


def _names(m: Manifest, kind: str) -> set[str]:
    return {c.name for c in m.components_of(kind)}


@pytest.mark.parametrize("apk", FIXTURES)
def test_matches_androguard(apk: str) -> None:
    from loguru import logger

    logger.disable("androguard")
    from androguard.core.apk import APK

    a = APK(str(APKS / apk))
    m = load(apk)
    assert m.package == a.get_package()
    assert str(m.version_code) == a.get_androidversion_code()
    assert m.version_name == a.get_androidversion_name()
    assert (None if m.min_sdk is None else str(m.min_sdk)) == a.get_min_sdk_version()
    assert (None if m.target_sdk is None else str(m.target_sdk)) == a.get_target_sdk_version()
    assert m.permission_names == set(a.get_permissions())
    assert _names(m, "activity") == set(a.get_activities())
    assert {(c.name, c.target_activity) for c in m.components_of("activity-alias")} == {
        (d["name"], d["targetActivity"]) for d in a.get_activity_aliases()
    }
    assert _names(m, "service") == set(a.get_services())
    assert _names(m, "receiver") == set(a.get_receivers())
    assert _names(m, "provider") == set(a.get_providers())
    assert m.label == a.get_app_name()
    # Intent filters of up to 25 components.
    for c in [c for c in m.components if c.kind != "provider"][:25]:
        f = a.get_intent_filters(c.kind, c.name)
        assert set(c.actions) == set(f.get("action", [])), c.name
        assert set(c.categories) == set(f.get("category", [])), c.name


def test_apidemos_known_values() -> None:
    m = load("ApiDemos-debug.apk")
    assert (m.package, m.version_code, m.version_name) == ("io.appium.android.apis", 25, "5.0.0")
    assert (m.min_sdk, m.target_sdk, m.effective_target_sdk) == (17, 33, 33)
    assert m.label == "API Demos"
    assert m.permission_names == {
        "android.permission.ACCESS_COARSE_LOCATION",
        "android.permission.CAMERA",
        "android.permission.INTERNET",
        "android.permission.NFC",
        "android.permission.POST_NOTIFICATIONS",
        "android.permission.READ_CONTACTS",
        "android.permission.RECEIVE_SMS",
        "android.permission.RECORD_AUDIO",
        "android.permission.SEND_SMS",
        "android.permission.SET_WALLPAPER",
        "android.permission.VIBRATE",
        "android.permission.WRITE_CONTACTS",
        "android.permission.WRITE_EXTERNAL_STORAGE",
        "io.appium.android.apis.DYNAMIC_RECEIVER_NOT_EXPORTED_PERMISSION",
    }
    assert len(m.permissions) == 14
    assert all(p.element == "uses-permission" for p in m.permissions)
    counts = {k: len(m.components_of(k)) for k in ("activity", "service", "receiver", "provider")}
    assert counts == {"activity": 331, "service": 11, "receiver": 7, "provider": 4}
    main = next(c for c in m.components if c.name == "io.appium.android.apis.ApiDemos")
    assert "android.intent.action.MAIN" in main.actions
    assert "android.intent.category.LAUNCHER" in main.categories
    for p in m.components_of("provider"):
        assert p.authorities, p.name


def test_settings_known_values() -> None:
    m = load("settings_apk-debug.apk")
    assert (m.package, m.version_code, m.version_name) == ("io.appium.settings", 192, "8.0.10")
    assert (m.min_sdk, m.target_sdk) == (26, 35)
    assert m.label == "Appium Settings"
    assert m.debuggable is True and m.allow_backup is False
    assert m.uses_cleartext_traffic is False  # target ≥ 28, no attribute
    assert m.uses_features == ("android.hardware.wifi",)
    assert m.defined_permissions == ("io.appium.settings.DYNAMIC_RECEIVER_NOT_EXPORTED_PERMISSION",)
    android = {
        "ACCESS_BACKGROUND_LOCATION", "ACCESS_COARSE_LOCATION", "ACCESS_FINE_LOCATION",
        "ACCESS_MOCK_LOCATION", "ACCESS_NETWORK_STATE", "ACCESS_WIFI_STATE", "BLUETOOTH",
        "BLUETOOTH_ADMIN", "BLUETOOTH_CONNECT", "BLUETOOTH_SCAN", "CHANGE_CONFIGURATION",
        "CHANGE_NETWORK_STATE", "CHANGE_WIFI_STATE", "DISABLE_KEYGUARD", "FOREGROUND_SERVICE",
        "FOREGROUND_SERVICE_LOCATION", "FOREGROUND_SERVICE_MEDIA_PROJECTION", "INTERNET",
        "READ_EXTERNAL_STORAGE", "READ_MEDIA_IMAGES", "READ_PHONE_STATE", "READ_SMS",
        "RECORD_AUDIO", "SET_ANIMATION_SCALE", "WAKE_LOCK", "WRITE_SETTINGS",
    }  # fmt: skip
    assert m.permission_names == {"android.permission." + p for p in android} | {
        "io.appium.settings.DYNAMIC_RECEIVER_NOT_EXPORTED_PERMISSION"
    }
    bt = {p.name: p.max_sdk for p in m.permissions if p.max_sdk is not None}
    assert bt == {"android.permission.BLUETOOTH": 30, "android.permission.BLUETOOTH_ADMIN": 30}
    assert m.components_of("provider") == ()
    assert _names(m, "receiver") == {
        "io.appium.settings.receivers." + r
        for r in (
            "ClipboardReceiver", "BluetoothConnectionSettingReceiver", "SmsReader",
            "UnpairBluetoothDevicesReceiver", "LocationInfoReceiver",
            "WiFiConnectionSettingReceiver", "AnimationSettingReceiver", "MediaScannerReceiver",
            "LocaleSettingReceiver", "LocalesReader",
        )
    }  # fmt: skip
    rec = next(c for c in m.components if c.name == "io.appium.settings.recorder.RecorderService")
    assert rec.kind == "service" and rec.permission == "android.permission.RECORD_AUDIO"
    assert rec.exported is True and rec.exported_explicit


def test_without_table_label_is_none() -> None:
    m = load("settings_apk-debug.apk", with_table=False)
    assert m.label is None
    assert m.package == "io.appium.settings"


def test_flowdroid_defaults() -> None:
    m = load("InsecureBank.apk")
    assert m.target_sdk is None and m.min_sdk == 8 and m.effective_target_sdk == 8
    assert m.uses_cleartext_traffic is True  # target < 28
    assert m.allow_backup is True  # default
    assert m.debuggable is True  # android:debuggable="true" in this build
    assert load("SourceToSink1.apk").debuggable is False  # default


# --- rules on hand-built trees ------------------------------------------------------------------


def E(tag: str, attrs: dict | None = None, *children: XmlElement) -> XmlElement:  # noqa: N802
    return XmlElement(tag, dict(attrs or {}), list(children))


def filt(*actions: str) -> XmlElement:
    return E("intent-filter", {}, *[E("action", {"android:name": a}) for a in actions])


def build(target: int | None, *components: XmlElement, min_sdk: int | None = 21, **app):
    sdk = {}
    if min_sdk is not None:
        sdk["android:minSdkVersion"] = min_sdk
    if target is not None:
        sdk["android:targetSdkVersion"] = target
    return parse_manifest(
        E(
            "manifest",
            {"package": "com.ex", "android:versionCode": 3},
            E("uses-sdk", sdk),
            E("uses-permission", {"android:name": "android.permission.CAMERA"}),
            E("uses-permission-sdk-m", {"android:name": "android.permission.READ_SMS"}),
            E(
                "uses-permission-sdk-23",
                {"android:name": "android.permission.SEND_SMS", "android:maxSdkVersion": 28},
            ),
            E("uses-permission", {"android:name": "android.permission.CAMERA"}),  # duplicate
            E("application", app, *components),
            E("activity", {"android:name": ".Misplaced"}),  # not under <application>: ignored
        )
    )


def comp(m: Manifest, name: str) -> ComponentDecl:
    return next(c for c in m.components if c.name == name)


def test_exported_rules() -> None:
    kids = (
        E("activity", {"android:name": ".Explicit", "android:exported": False}, filt("X")),
        E("activity", {"android:name": ".Filtered"}, filt("android.intent.action.VIEW")),
        E("activity", {"android:name": "Plain"}),
        E("service", {"android:name": "a.b.Svc"}, filt("S")),
        E("receiver", {"android:name": ".R", "android:enabled": False}, filt("R")),
        E("provider", {"android:name": ".P", "android:authorities": "a;b; a"}),
        E("activity-alias", {"android:name": ".Alias", "android:targetActivity": ".Plain"}),
    )
    m30 = build(30, *kids)
    assert comp(m30, "com.ex.Explicit").exported is False
    assert comp(m30, "com.ex.Explicit").exported_explicit
    assert comp(m30, "com.ex.Filtered").exported is True
    assert comp(m30, "com.ex.Filtered").actions == ("android.intent.action.VIEW",)
    assert comp(m30, "com.ex.Plain").exported is False
    assert comp(m30, "a.b.Svc").exported is True
    assert comp(m30, "com.ex.R").enabled is False
    assert comp(m30, "com.ex.P").exported is False
    assert comp(m30, "com.ex.P").authorities == ("a", "b")
    assert comp(m30, "com.ex.Alias").target_activity == "com.ex.Plain"
    assert "com.ex.Misplaced" not in {c.name for c in m30.components}
    m31 = build(31, *kids)
    assert comp(m31, "com.ex.Filtered").exported is None  # platform refuses to install
    assert comp(m31, "com.ex.Explicit").exported is False
    assert comp(m31, "com.ex.Plain").exported is False
    assert comp(build(16, *kids), "com.ex.P").exported is True
    assert comp(build(17, *kids), "com.ex.P").exported is False
    # No targetSdkVersion: minSdk stands in.
    assert comp(build(None, *kids, min_sdk=16), "com.ex.P").exported is True
    assert comp(build(None, *kids, min_sdk=None), "com.ex.Filtered").exported is True


def test_permissions_and_flags() -> None:
    m = build(
        33,
        E("meta-data", {"android:name": "k.bool", "android:value": True}),
        E("meta-data", {"android:name": "k.int", "android:value": 12345}),
        E("meta-data", {"android:name": "k.str", "android:value": "abc"}),
        E("meta-data", {"android:name": "k.res", "android:resource": ResRef(0x7F0F0001)}),
        **{
            "android:name": ".App",
            "android:label": "Literal",
            "android:usesCleartextTraffic": True,
            "android:networkSecurityConfig": ResRef(0x7F0F0002),
        },
    )
    assert m.permissions == (
        PermissionDecl("android.permission.CAMERA", None, "uses-permission"),
        PermissionDecl("android.permission.READ_SMS", None, "uses-permission-sdk-23"),
        PermissionDecl("android.permission.SEND_SMS", 28, "uses-permission-sdk-23"),
    )
    assert m.meta_data == {
        "k.bool": "true",
        "k.int": "12345",
        "k.str": "abc",
        "k.res": "@0x7f0f0001",
    }
    assert m.application_class == "com.ex.App"
    assert m.label == "Literal"
    assert m.uses_cleartext_traffic is True
    assert m.network_security_config == "@0x7f0f0002"
    assert m.version_code == 3 and m.version_name is None
    assert dataclasses.is_dataclass(m)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.package = "x"  # type: ignore[misc]


def test_codename_sdk() -> None:
    m = parse_manifest(
        E("manifest", {"package": "p"}, E("uses-sdk", {"android:targetSdkVersion": "Q"}))
    )
    assert m.target_sdk == 10000


class FakeTable:
    def __init__(self, values: dict[int, object]):
        self.values = values

    def resolve_value(self, res_id: int) -> object:
        return self.values.get(res_id)


def test_references_resolved_through_table() -> None:
    root = E(
        "manifest",
        {
            "package": "com.ex",
            "android:versionName": ResRef(0x7F010001),
            "android:versionCode": ResRef(0x7F020001),
        },
        E("uses-sdk", {"android:minSdkVersion": ResRef(0x7F020002)}),
        E(
            "application",
            {"android:label": ResRef(0x7F010002), "android:debuggable": ResRef(0x7F030001)},
            E("meta-data", {"android:name": "m", "android:resource": ResRef(0x7F040001)}),
            E("meta-data", {"android:name": "v", "android:value": ResRef(0x7F010001)}),
        ),
    )
    table = FakeTable(
        {
            0x7F010001: "2.1",
            0x7F010002: "应用",
            0x7F020001: 7,
            0x7F020002: 24,
            0x7F030001: True,
            0x7F040001: "res/xml/paths.xml",
        }
    )
    m = parse_manifest(root, table)  # type: ignore[arg-type]
    assert (m.version_name, m.version_code, m.min_sdk, m.label) == ("2.1", 7, 24, "应用")
    assert m.debuggable is True
    assert m.meta_data == {"m": "res/xml/paths.xml", "v": "2.1"}
    m = parse_manifest(root, None)
    assert m.version_name == "@0x7f010001" and m.label is None and m.version_code is None


def test_real_table_type() -> None:
    with zipfile.ZipFile(APKS / "settings_apk-debug.apk") as z:
        root = axml.parse(z.read("AndroidManifest.xml"))
        table = arsc.parse(z.read("resources.arsc"))
    assert parse_manifest(root, table).label == "Appium Settings"


def test_bad_roots() -> None:
    with pytest.raises(InputError, match="root"):
        parse_manifest(E("resources"))
    with pytest.raises(InputError, match="package"):
        parse_manifest(E("manifest", {}, E("application")))
    with pytest.raises(InputError):
        parse_apk_manifest(b"\x03\x00\x08\x00garbage", None)
