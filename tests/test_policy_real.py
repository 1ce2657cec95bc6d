"""The two real policies (VioDroid-Finder test data, AGPL-3.0, test-only).

The asserted profile fields were verified by a person reading the policies: the dates,
company, address, e-mail and phone in the 片场 policy's header; the 10-working-day copy
promise (§5); the 寻找他 policy's CSS (p 13px, body #666 on #f4f4f4), its "于2021年1月1日发布
并同时生效" line, and the absence of any account-cancellation or correction procedure in it.
"""

from pathlib import Path

import pytest
from conftest import POLICY_ITEMS, judge

from pica.extract.policy import extract
from pica.report import Verdict

D = Path(__file__).parent / "fixtures" / "policies" / "viodroid"


@pytest.fixture(scope="module")
def pianchang():
    return extract(D / "C100003425-1.3.10.html")


@pytest.fixture(scope="module")
def xunzhaota():
    return extract(D / "C107228073-1.0.0.html")


def test_pianchang_profile(pianchang):
    p = pianchang.profile
    assert [(d.kind, d.value) for d in p.dates][:2] == [
        ("updated", "2022-09-22"),
        ("updated", "2022-01-14"),
    ]
    assert p.controller.names[0] == "上海如书文化传播有限公司"
    assert p.controller.address.startswith("上海市嘉定区众仁路399号")
    values = {c.value for c in p.channels}
    assert "support@fotoplace.cc" in values and "021-54011831" in values
    assert {"access", "correct", "delete", "cancel_account", "withdraw_consent"} <= {
        r.kind for r in p.rights
    }
    assert any(lim.working_days == 10 and lim.unit == "工作日" for lim in p.response_limits)
    assert p.readability.body_font_px == 16.0
    assert p.readability.has_simplified_chinese
    assert p.minors and p.change_notices
    assert any("个推" in r.name or "友盟" in r.name for r in p.sdk_rows)


def test_pianchang_text_and_html_agree(pianchang):
    txt = extract(D / "C100003425-1.3.10.txt").profile
    assert txt.dates == () or txt.dates[0].value == pianchang.profile.dates[0].value
    assert txt.controller.names[0] == pianchang.profile.controller.names[0]
    assert txt.readability.body_font_px is None  # no CSS in plain text


def test_pianchang_findings(pianchang):
    v = {k: judge(k, pianchang).verdict for k in POLICY_ITEMS}
    assert v["1.1"] == Verdict.COMPLIANT
    assert v["1.4"] == Verdict.COMPLIANT
    assert v["2.2"] == Verdict.COMPLIANT
    assert v["3.8"] == Verdict.COMPLIANT
    assert v["6.1"] == Verdict.COMPLIANT
    assert v["6.2"] == Verdict.COMPLIANT
    assert v["6.3"] == Verdict.COMPLIANT
    assert v["6.5"] == Verdict.COMPLIANT
    f = judge("6.5", pianchang)
    assert any("support@fotoplace.cc" in c.text for c in f.cites)
    assert all(c.source.startswith("C100003425-1.3.10.html: chars ") for c in f.cites)


def test_xunzhaota_profile_and_findings(xunzhaota):
    p = xunzhaota.profile
    assert [(d.kind, d.value) for d in p.dates] == [("effective", "2021-01-01")]
    assert p.controller.names == ("深圳市奇蜜果科技有限公司",)
    rd = p.readability
    assert rd.body_font_px == 13.0
    assert (rd.text_color, rd.background_color) == ("#666666", "#f4f4f4")
    assert rd.contrast_ratio == pytest.approx(5.22, abs=0.01)
    f = judge("6.1", xunzhaota)
    assert f.verdict == Verdict.VIOLATION and "account cancellation" in f.reason
    assert judge("2.2", xunzhaota).verdict == Verdict.COMPLIANT


def test_sdk_names_checked_against_policy(pianchang):
    f = judge("2.1", pianchang, sdk_names=["NoSuchSDK"])
    assert f.verdict == Verdict.VIOLATION
    assert "NoSuchSDK (detected in the APK) is not named" in f.reason
