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
    assert "privacy policy" in finding.cites[0].text


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
    from pica.extract.errors import InputError

    with pytest.raises(InputError, match="unknown category"):
        audit(apk=Path(APKS / "InsecureBank.apk"), category="not-a-category")
