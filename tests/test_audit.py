"""End to end on real APKs: 31 findings, allowed verdicts, schema-valid JSON and SARIF."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import APKS, CONSTRUCTED, FIXTURES

from pica import knowledge
from pica.audit import audit
from pica.render import render
from pica.report import Verdict

SHARED_APPIUM = Path(__file__).resolve().parents[2] / "shared" / "data" / "apks" / "appium"
REAL_APKS = sorted(APKS.glob("*.apk")) + sorted(CONSTRUCTED.glob("*.apk"))
# The 18 MB stress APK is not copied into the project; CI and developers have shared/ beside it.
REAL_APKS += sorted(SHARED_APPIUM.glob("appium-uiautomator2-server-*.apk"))
ALLOWED = {v.value for v in Verdict}


@pytest.fixture(scope="module")
def report_schema() -> dict:
    return json.loads(resources.files("pica.render").joinpath("report.schema.json").read_text())


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("apk", REAL_APKS, ids=lambda p: p.name)
def test_every_real_apk_gets_31_findings_and_valid_outputs(
    apk: Path, report_schema: dict, sarif_validator
) -> None:
    report = audit(apk=apk)
    ids = [f.item_id for f in report.findings]
    assert ids == list(knowledge.rule_catalog())
    assert len(ids) == 31
    assert {f.verdict.value for f in report.findings} <= ALLOWED
    for finding in report.findings:
        assert finding.reason
        assert "could not be evaluated" not in finding.reason, finding.reason
        if finding.verdict is Verdict.INCONCLUSIVE:
            assert finding.missing, finding.item_id
    as_json = json.loads(render(report, "json"))
    jsonschema.validate(as_json, report_schema)
    sarif = json.loads(render(report, "sarif"))
    errors = sorted(sarif_validator.iter_errors(sarif), key=str)
    assert not errors, errors[0].message
    results = sarif["runs"][0]["results"]
    wanted = [f for f in report.findings if f.verdict in (Verdict.VIOLATION, Verdict.INCONCLUSIVE)]
    assert len(results) == len(wanted)
    assert {r["ruleId"] for r in results} == {f.item_id for f in wanted}


def test_no_policy_anywhere_is_a_1_1_violation_with_its_search_stated() -> None:
    report = audit(apk=APKS / "InsecureBank.apk")
    finding = next(f for f in report.findings if f.item_id == "1.1")
    assert finding.verdict is Verdict.VIOLATION
    assert not finding.cites  # nothing was found, so the finding cites what was searched
    (searched,) = finding.searched
    assert searched.input == "apk" and "privacy policy" in searched.what
    assert "隐私政策" in searched.terms and "DEX string" in searched.scope
    document = json.loads(render(report, "json"))
    row = next(f for f in document["findings"] if f["item_id"] == "1.1")
    assert row["searched"][0]["scope"] == searched.scope
    html = render(report, "html").decode()
    assert "已检索 Searched" in html and "隐私政策" in html


def test_category_settles_4_1() -> None:
    report = audit(apk=APKS / "InsecureBank.apk", category="map_navigation")
    finding = next(f for f in report.findings if f.item_id == "4.1")
    assert finding.verdict is Verdict.VIOLATION
    assert "Phone number" in finding.reason
    assert any("LoginScreen" in c.logical for c in finding.cites)


def test_without_category_4_1_asks_for_it() -> None:
    report = audit(apk=APKS / "InsecureBank.apk")
    finding = next(f for f in report.findings if f.item_id == "4.1")
    assert finding.verdict is Verdict.INCONCLUSIVE
    assert any("--category" in m for m in finding.missing)


def test_settings_groups_pi_by_party_with_google_play_services_detected() -> None:
    report = audit(apk=APKS / "settings_apk-debug.apk")
    names = {s["name"] for s in report.sdks}
    assert "Google Play services" in names
    assert "sms" in report.pi_by_party["app"]
    assert all("sms" not in pis for party, pis in report.pi_by_party.items() if party != "app")


def test_2_3_lists_each_runtime_permission() -> None:
    report = audit(apk=APKS / "ApiDemos-debug.apk")
    finding = next(f for f in report.findings if f.item_id == "2.3")
    assert finding.verdict is Verdict.INCONCLUSIVE
    assert any("android.permission.CAMERA" in c.text for c in finding.cites)


def test_unknown_category_is_an_input_error() -> None:
    from pica.errors import InputError

    with pytest.raises(InputError, match="unknown category"):
        audit(apk=Path(APKS / "InsecureBank.apk"), category="not-a-category")


def test_detected_sdks_with_signals_and_party_in_every_format() -> None:
    report = audit(apk=CONSTRUCTED / "preconsent.apk")
    umeng = next(s for s in report.sdks if s["id"] == "umeng_analytics")
    assert any(sig.startswith("code: com.umeng") for sig in umeng["signals"])
    assert "android_id" in report.pi_by_party[umeng["name"]]
    for fmt in ("html", "md", "json", "sarif"):
        text = render(report, fmt).decode("utf-8")
        assert "code: com.umeng" in text, fmt
        assert umeng["name"] in text or umeng["name"].replace("(", "\\(") in text, fmt


def test_policy_bundled_in_the_apk_is_read_when_none_is_given(tmp_path: Path) -> None:
    """A constructed APK: InsecureBank plus an assets/privacy.html policy."""
    import zipfile

    bundled = tmp_path / "with_policy.apk"
    with zipfile.ZipFile(APKS / "InsecureBank.apk") as src, zipfile.ZipFile(bundled, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr(
            "assets/privacy.html",
            "<html><head><meta charset='gbk'></head><body><h1>隐私政策</h1><p>我们会收集您的设备识别码（IMEI），用于账号安全风控。"
            "</p><p>您可以在“设置-账号注销”中注销账号，我们将在十五个工作日内完成处理。</p>"
            "<p>如有投诉，请发送邮件至 privacy@bank.example。</p></body></html>".encode("gbk"),
        )
    report = audit(apk=bundled)
    assert [i["kind"] for i in report.inputs] == ["apk", "policy"]
    assert report.policy and report.policy["statements"] >= 3
    assert report.inputs[1]["name"].endswith("!/assets/privacy.html")
    by_id = {f.item_id: f for f in report.findings}
    assert by_id["1.1"].evidence_kind == "policy"
    assert by_id["1.1"].verdict is Verdict.COMPLIANT
