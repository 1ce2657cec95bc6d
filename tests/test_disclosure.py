"""Policy versus behaviour (pica.analysis.disclosure and the items it feeds: 2.1, 3.3, 3.9, 5.1).

Real pairs: Appium Settings (a real APK that reads SMS, the clipboard, Bluetooth and location,
and carries Google Play services) against two real Chinese policies from the
VioDroid set. The policies are not this app's; that is the point: each comparison below was
worked out by reading the policy text by hand, and the variants change one sentence to show
that each verdict flips for the right reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import APKS, FIXTURES

from pica import knowledge
from pica.analysis.disclosure import compare, covered_types
from pica.analysis.sdks import detect_sdks
from pica.audit import build_report, gather
from pica.evidence import ApiUse
from pica.extract.policy import extract_text
from pica.render import render, schema
from pica.report import Verdict

POLICIES = FIXTURES / "policies" / "viodroid"
PIANCHANG = POLICIES / "C100003425-1.3.10.txt"  # 片场: has a third-party SDK table
XUNZHAOTA = POLICIES / "C107228073-1.0.0.txt"  # 寻找TA: location app, no SDK table
SETTINGS = APKS / "settings_apk-debug.apk"


def _policy_file(tmp_path: Path, text: str, name: str = "variant.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _row(evidence, pi_type: str, party: str = "app"):
    return next(d for d in evidence.consistency.pi if d.pi_type == pi_type and d.party == party)


def _finding(report, item_id: str):
    return next(f for f in report.findings if f.item_id == item_id)


@pytest.fixture(scope="module")
def settings_pianchang():
    return gather(SETTINGS, PIANCHANG)


def test_real_pair_settings_against_pianchang(settings_pianchang) -> None:
    ev = settings_pianchang
    # 片场 never mentions SMS (短信) or the clipboard (剪切板/剪贴板) or Bluetooth (蓝牙):
    # Appium Settings' SmsReader, ClipboardReceiver and Bluetooth receiver reach them.
    for pi in ("sms", "clipboard", "bluetooth_info"):
        row = _row(ev, pi)
        assert row.reach == "reachable" and not row.disclosed, pi
    # It names IMEI in its device-information sentence, and discloses location with a purpose.
    imei = _row(ev, "imei")
    assert imei.disclosed and imei.covered_by is None and "IMEI" in imei.policy_ref.text
    location = _row(ev, "location_precise")
    assert location.disclosed and location.purpose_stated
    # Its SDK table lists 友盟, 百度地图, TalkingData…; not Firebase or Google Play services.
    sdks = {s.sdk_id: s for s in ev.consistency.sdks}
    # (Settings' three com.google.firebase exception classes are play-services-basement's, so
    # Google Play services is the one SDK here: issue 19.)
    assert set(sdks) == {"google_play_services"} and not sdks["google_play_services"].disclosed
    assert "友盟" in ev.consistency.policy_sdks_not_found  # informational only
    report = build_report(ev)
    f21 = _finding(report, "2.1")
    assert f21.verdict is Verdict.VIOLATION
    assert "短信" in f21.reason
    assert "Google Play services (detected in the APK) is not named" in f21.reason
    assert any("SmsReader" in c.text or "sms" in c.text.lower() for c in f21.cites)
    assert f21.searched and "aliases" in " ".join(f21.searched[0].patterns)
    # No denial in 片场 contradicts the app: 3.9 stays open, and says what was searched.
    f39 = _finding(report, "3.9")
    assert f39.verdict is Verdict.INCONCLUSIVE and f39.searched


def test_real_pair_settings_against_xunzhaota() -> None:
    ev = gather(SETTINGS, XUNZHAOTA)
    # 寻找TA lists 蓝牙 among the location sensors it collects (section 2, 查看位置功能).
    bluetooth = _row(ev, "bluetooth_info")
    assert bluetooth.disclosed and "蓝牙" in bluetooth.policy_ref.text
    # It names 短信 only as a channel for change notices, never as PI it collects.
    assert not _row(ev, "sms").disclosed


def test_removing_the_location_sentences_makes_location_undisclosed(tmp_path: Path) -> None:
    text = PIANCHANG.read_text("utf-8")
    kept = "\n".join(
        line
        for line in text.splitlines()
        if not any(w in line for w in ("位置", "定位", "GPS", "经纬度", "基站"))
    )
    ev = gather(SETTINGS, _policy_file(tmp_path, kept))
    assert not _row(ev, "location_precise").disclosed
    assert "精确位置" in _finding(build_report(ev), "2.1").reason


def test_a_denial_the_app_contradicts_is_a_3_9_violation(tmp_path: Path) -> None:
    text = XUNZHAOTA.read_text("utf-8") + "\n我们不会收集您的短信内容。\n"
    report = build_report(gather(SETTINGS, _policy_file(tmp_path, text)))
    f39 = _finding(report, "3.9")
    assert f39.verdict is Verdict.VIOLATION and "短信" in f39.reason
    texts = [c.text for c in f39.cites]
    assert "The policy: 我们不会收集您的短信内容。" in texts  # the policy's side
    assert any("SmsReader.listSms" in t and "→ sms" in t for t in texts)  # the behaviour's side


def test_a_conditional_negation_is_no_denial(tmp_path: Path) -> None:
    text = XUNZHAOTA.read_text("utf-8") + "\n未经您的同意，我们不会收集您的短信内容。\n"
    ev = gather(SETTINGS, _policy_file(tmp_path, text))
    assert _row(ev, "sms").denied_by is None
    assert _finding(build_report(ev), "3.9").verdict is Verdict.INCONCLUSIVE


def _umeng():
    (sdk,) = detect_sdks(["com.umeng.analytics.MobclickAgent"])
    assert sdk.sdk_id == "umeng_analytics"
    return sdk


SDK_TABLE = (
    "第三方SDK目录\n为了实现统计分析功能，我们接入了以下第三方SDK：\n"
    "SDK名称：{name}；使用目的：统计分析；收集的个人信息：设备信息（IMEI、Android ID、OAID）。\n"
)


@pytest.mark.parametrize("name", ["友盟+", "友盟统计", "UMeng+", "Umeng", "友盟 SDK"])
def test_an_sdk_named_by_any_alias_is_disclosed(name: str) -> None:
    policy = extract_text("隐私政策\n" + SDK_TABLE.format(name=name), name="p.txt")
    (row,) = compare(policy, (), (), [_umeng()], None).sdks
    assert row.disclosed and row.matched is not None and row.purpose_stated and row.pi_listed


def test_an_sdk_the_policy_does_not_name_is_undisclosed() -> None:
    text = "隐私政策\n" + SDK_TABLE.format(name="极光推送") + "我们的应用支持 mobile 设备。\n"
    policy = extract_text(text, name="p.txt")
    (row,) = compare(policy, (), (), [_umeng()], None).sdks
    assert not row.disclosed  # 极光推送 is another SDK; "mobile" is not the alias "Mob"
    (mob,) = detect_sdks(["cn.sharesdk.framework.ShareSDK"])
    (mob_row,) = compare(policy, (), (), [mob], None).sdks
    assert not mob_row.disclosed


def test_the_longest_alias_decides_whose_row_it_is() -> None:
    (push,) = detect_sdks(["com.umeng.message.PushAgent"])
    policy = extract_text("隐私政策\n" + SDK_TABLE.format(name="友盟推送"), name="p.txt")
    rows = {r.sdk_id: r for r in compare(policy, (), (), [_umeng(), push], None).sdks}
    assert "友盟推送" in push.aliases and "友盟" in _umeng().aliases  # both would match the row
    assert rows["umeng_push"].disclosed and rows["umeng_push"].matched == "友盟推送"
    assert not rows["umeng_analytics"].disclosed


def test_a_shared_library_is_disclosed_by_the_row_of_the_sdk_that_carries_it() -> None:
    """UTDID ships inside the Alipay SDK (alipaySdk-15.6.5-20190718211148.aar; class names from
    benchmarks/vendor_sdks): named as itself (issue 19), but a policy that lists the Alipay SDK
    discloses the UTDID inside it. Alone (no Alipay SDK in the APK), the Alipay row says nothing
    about it; a policy naming UTDID discloses it directly."""
    layout = ["com.alipay.sdk.app.PayTask", "com.ta.utdid2.device.UTDevice"]
    sdks = detect_sdks(layout)
    assert [s.sdk_id for s in sdks] == ["alipay_sdk", "utdid"]
    imei = ApiUse(
        "imei", "android.telephony.TelephonyManager.getDeviceId", "com.ta.utdid2.a.a.d",
        "getImei(Landroid/content/Context;)Ljava/lang/String;", "classes2.dex", 0, "dex",
        sdk="utdid", reachable=True,
    )  # fmt: skip
    table = "隐私政策\n" + SDK_TABLE.format(name="支付宝 SDK")
    result = compare(extract_text(table, name="p.txt"), [imei], (), sdks, None)
    rows = {r.sdk_id: r for r in result.sdks}
    assert rows["alipay_sdk"].disclosed and rows["utdid"].disclosed
    assert rows["utdid"].matched == rows["alipay_sdk"].matched
    (pi,) = [r for r in result.pi if r.party == "utdid"]
    assert pi.pi_type == "imei" and pi.disclosed  # the Alipay row lists IMEI
    alone = compare(extract_text(table, name="p.txt"), [imei], (), sdks[1:], None)
    assert not alone.sdks[0].disclosed
    named = compare(extract_text("隐私政策\n" + SDK_TABLE.format(name="UTDID SDK"), name="p.txt"),
                    [imei], (), sdks[1:], None)  # fmt: skip
    assert named.sdks[0].disclosed and named.sdks[0].matched == "UTDID SDK"


@pytest.mark.parametrize("rule", knowledge.pi_generalisation(), ids=lambda r: r.id)
def test_each_generalisation_rule_covers_what_it_says_and_nothing_else(rule) -> None:
    for name in rule.names:
        found = covered_types(f"我们会收集您的{name}。")
        assert set(rule.covers) <= set(found), (rule.id, name)
        assert not set(rule.not_covers) & set(found), (rule.id, name)
    assert not covered_types("我们会收集您的个人信息和相关数据。")  # too general for any type


def test_the_consistency_block_is_in_json_html_and_md(settings_pianchang) -> None:
    report = build_report(settings_pianchang)
    document = json.loads(render(report, "json"))
    jsonschema.Draft202012Validator(schema()).validate(document)
    block = document["consistency"]
    sms = next(r for r in block["pi"] if r["pi_type"] == "sms")
    assert sms == sms | {"party": "app", "reach": "reachable", "disclosed": False}
    assert sms["policy_ref"] is None and sms["denied_by_policy"] is False and sms["evidence"]
    gms = next(s for s in block["sdks"] if s["sdk_id"] == "google_play_services")
    assert gms["disclosed"] is False and gms["matched"] is None
    assert "Policy versus behaviour" in render(report, "html").decode()
    assert "Policy versus behaviour" in render(report, "md").decode()
    assert build_report(gather(SETTINGS)).consistency is None  # no policy, no comparison
