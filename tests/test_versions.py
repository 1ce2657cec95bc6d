"""Two versions compared (pica.analysis.versions, items 2.2 and 4.3, and ``pica diff``)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from conftest import APKS, FIXTURES
from typer.testing import CliRunner

from pica.audit import diff
from pica.cli import app
from pica.extract.policy import extract
from pica.render import render, schema
from pica.render.diff import diff_document
from pica.report import Verdict

POLICY = FIXTURES / "policies" / "viodroid" / "C100003425-1.3.10.txt"
SETTINGS = APKS / "settings_apk-debug.apk"  # io.appium.settings
DEMOS = APKS / "ApiDemos-debug.apk"  # io.appium.android.apis


def _keys(doc, section: str, part: str) -> set[str]:
    return {c["key"] for c in doc[section][part]}


def _finding(report, item_id: str):
    return next(f for f in report.findings if f.item_id == item_id)


def test_two_different_apks_with_one_unchanged_policy(tmp_path: Path) -> None:
    """Appium Settings then ApiDemos, both under 片场's policy: ApiDemos reaches the camera,
    contacts and sensors that Appium Settings does not (its CameraPreview, contacts samples and
    Compass); it drops Google Play services, and Appium Settings' SMS reader stays
    (ApiDemos reads SMS too). The policy did not change, so the growth was not notified (2.2)."""
    report = diff(SETTINGS, DEMOS, POLICY, POLICY)
    doc = diff_document(report)
    assert {"camera @ app", "contacts @ app", "sensors @ app"} <= _keys(doc, "pi_types", "added")
    assert "sms @ app" not in _keys(doc, "pi_types", "added") | _keys(doc, "pi_types", "removed")
    assert _keys(doc, "sdks", "removed") == {"google_play_services"}  # Firebase: see issue 19
    assert "android.permission.CAMERA" in _keys(doc, "permissions", "added")
    assert doc["policy"] == {"changed": False, "added": [], "removed": []}
    f22 = _finding(report, "2.2")
    assert f22.verdict is Verdict.VIOLATION and "did not change" in f22.reason
    assert any("CameraPreview" in c.text or "camera" in c.text for c in f22.cites)
    f43 = _finding(report, "4.3")
    assert f43.verdict is Verdict.MANUAL and "android.permission.CAMERA" in f43.reason
    jsonschema.Draft202012Validator(schema()).validate(json.loads(render(report, "json")))


def test_a_policy_pair_with_the_sharing_section_removed(tmp_path: Path) -> None:
    """The same APK under 片场's policy, then under the same policy without its part 四 (共享、
    转让、公开披露): the diff lists exactly that part's sentences as removed, nothing added; with
    no growth in behaviour 2.2 is judged on the new policy's own change-notice commitment."""
    text = POLICY.read_text("utf-8")
    start, end = text.index("四、 我们会如何共享"), text.index("五、 如何访问及管理")
    cut = tmp_path / "cut.txt"
    cut.write_text(text[:start] + text[end:], encoding="utf-8")
    report = diff(SETTINGS, SETTINGS, POLICY, cut)
    doc = diff_document(report)
    for section in ("permissions", "pi_types", "sdks", "preconsent_paths"):
        assert doc[section] == {"added": [], "removed": []}, section
    policy = doc["policy"]
    assert policy["changed"] is True and policy["added"] == []
    removed = " ".join(r["text"] for r in policy["removed"])
    assert "我们承诺对您的信息进行严格保密" in removed and "公开披露" in removed
    read = extract(POLICY).text  # spans are offsets in the text pica read, as in every cite
    first, last = read.index("四、 我们会如何共享"), read.index("五、 如何访问及管理")
    assert all(first <= r["start"] < last for r in policy["removed"])
    assert _finding(report, "2.2").verdict is Verdict.COMPLIANT


def test_pica_diff_command_writes_each_format_and_sets_the_exit_code(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["diff", str(SETTINGS), str(DEMOS), "--old-policy", str(POLICY), "--new-policy",
            str(POLICY), "-q"]  # fmt: skip
    out = tmp_path / "d.json"
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 1, result.output  # 2.2 is a violation
    doc = json.loads(out.read_text("utf-8"))
    assert set(doc) >= {"permissions", "pi_types", "sdks", "preconsent_paths", "policy", "findings"}
    assert [f["item_id"] for f in doc["findings"]] == ["2.2", "4.3"]
    for suffix in (".html", ".md"):
        result = runner.invoke(
            app, [*args, "-o", str(tmp_path / f"d{suffix}"), "--fail-on", "never"]
        )
        assert result.exit_code == 0, result.output
    page = (tmp_path / "d.html").read_text("utf-8")
    assert "<script" not in page and "camera @ app" in page
    bad = runner.invoke(app, ["diff", str(tmp_path / "missing.apk"), str(DEMOS), "-q"])
    assert bad.exit_code == 2


def test_two_stored_reports_compare_like_pica_diff() -> None:
    """The web UI compares two versions from their stored JSON reports (no APK at hand): for
    permissions, PI per party and SDKs it finds exactly what ``pica diff`` finds, and it lists
    the items whose verdict changed."""
    from pica.audit import audit
    from pica.render import report_document
    from pica.render.diff import DOCUMENT_SECTIONS, compare_documents

    old = report_document(audit(SETTINGS, POLICY))
    new_report = audit(DEMOS, POLICY)
    new = report_document(new_report)
    changes = compare_documents(old, new)
    reference = diff_document(diff(SETTINGS, DEMOS, POLICY, POLICY))
    for section, _title in DOCUMENT_SECTIONS:
        for part in ("added", "removed"):
            assert _keys(changes, section, part) == _keys(reference, section, part), section
    assert "google_play_services" in _keys(changes, "sdks", "removed")
    before = {f["item_id"]: f["verdict"] for f in old["findings"]}
    assert changes["verdicts"] == [
        {"item_id": f.item_id, "old": before[f.item_id], "new": f.verdict.value, "reason": f.reason}
        for f in new_report.findings
        if before[f.item_id] != f.verdict.value
    ]
    assert changes["verdicts"]
