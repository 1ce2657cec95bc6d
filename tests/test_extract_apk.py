"""The APK extractor on real APKs: permissions, components, call sites, counts."""

from __future__ import annotations

import pytest
from conftest import APKS, androguard_quiet

from pica.extract.apk import extract


@pytest.fixture(scope="module")
def settings():
    return extract(APKS / "settings_apk-debug.apk")


def test_identity_and_counts_match_androguard(settings) -> None:
    androguard_quiet()
    from androguard.core.apk import APK

    theirs = APK(str(APKS / "settings_apk-debug.apk"))
    assert settings.app.package == "io.appium.settings" == theirs.get_package()
    assert settings.app.dex_files == tuple(
        ["classes.dex"] + [f"classes{i}.dex" for i in range(2, 10)]
    )
    assert {p.name for p in settings.permissions} == set(theirs.get_permissions())
    assert settings.app.class_count == 5846


def test_settings_permissions_exact(settings) -> None:
    names = {p.name for p in settings.permissions}
    assert len(names) == 27
    for expected in (
        "android.permission.READ_SMS",
        "android.permission.ACCESS_FINE_LOCATION",
        "android.permission.ACCESS_BACKGROUND_LOCATION",
        "android.permission.ACCESS_WIFI_STATE",
    ):
        assert expected in names
    sms = next(p for p in settings.permissions if p.name == "android.permission.READ_SMS")
    assert sms.is_runtime and "sms" in sms.pi_types


def test_settings_reads_sms_through_content_resolver_in_smsreader(settings) -> None:
    sms = [u for u in settings.api_uses if u.pi_type == "sms"]
    query = [u for u in sms if u.api == "android.content.ContentResolver.query"]
    assert [(u.caller_class, u.caller_method.split("(")[0]) for u in query] == [
        ("io.appium.settings.receivers.SmsReader", "listSms")
    ]
    assert query[0].dex == "classes3.dex"
    assert "SmsReader;->listSms" in query[0].source


def test_settings_clipboard_and_location_call_sites(settings) -> None:
    callers = {(u.pi_type, u.caller_class) for u in settings.api_uses}
    assert ("clipboard", "io.appium.settings.receivers.ClipboardReceiver") in callers
    assert ("location_precise", "io.appium.settings.LocationTracker") in callers


def test_settings_android_id_needs_the_android_id_argument(settings) -> None:
    # NotificationsReceiver calls Settings.Secure.getString for the notification listeners,
    # not for ANDROID_ID: it must not count as reading the Android ID.
    assert not [u for u in settings.api_uses if u.pi_type == "android_id"]


def test_insecurebank_device_ids_in_login_screen() -> None:
    facts = extract(APKS / "InsecureBank.apk")
    found = {(u.api.rsplit(".", 1)[1], u.caller) for u in facts.api_uses}
    assert ("getDeviceId", "com.android.insecurebank.LoginScreen.dologin") in found
    assert ("getLine1Number", "com.android.insecurebank.LoginScreen.dologin") in found
    assert ("getSimSerialNumber", "com.android.insecurebank.LoginScreen.dologin") in found
    assert {p.name for p in facts.permissions} == {
        "android.permission.INTERNET",
        "android.permission.READ_PHONE_STATE",
        "android.permission.WRITE_EXTERNAL_STORAGE",
    }


def test_return_parameter_test_calls_getdeviceid_from_button2() -> None:
    facts = extract(APKS / "ReturnParameterTest.apk")
    imei = [u for u in facts.api_uses if u.pi_type == "imei"]
    assert {(u.caller_class, u.caller_method.split("(")[0]) for u in imei} == {
        ("de.ecspride.Button2", "clickOnButton3")
    }


def test_keyevent_getdeviceid_is_not_a_device_identifier() -> None:
    # SourceToSink1's only "getDeviceId" is android.view.KeyEvent.getDeviceId (input device id).
    facts = extract(APKS / "SourceToSink1.apk")
    assert not [u for u in facts.api_uses if u.pi_type in ("imei", "meid")]
    assert facts.app.class_count == 1111


def test_apidemos_contacts_camera_and_single_dex() -> None:
    facts = extract(APKS / "ApiDemos-debug.apk")
    assert facts.app.dex_files == ("classes.dex",)
    assert len(facts.permissions) == 14
    callers = {(u.pi_type, u.caller_class) for u in facts.api_uses}
    assert ("camera", "io.appium.android.apis.graphics.CameraPreview") in callers
    assert ("contacts", "io.appium.android.apis.view.List7") in callers
    assert ("clipboard", "io.appium.android.apis.content.ClipboardSample") in callers


def test_hosts_come_from_code_strings(settings) -> None:
    assert all(h.host and "." in h.host for h in settings.hosts)
    assert all(h.source for h in settings.hosts)
