"""APK + policy and policy alone through the whole pipeline, including hostile policy text."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import APKS, FIXTURES
from typer.testing import CliRunner

from pica.audit import audit
from pica.cli import app
from pica.render import render
from pica.report import Verdict

POLICY = FIXTURES / "policies" / "viodroid" / "C100003425-1.3.10.html"
POLICY_ITEMS = {"1.1", "1.4", "2.1", "2.2", "2.4", "3.6", "3.8", "4.5", "6.1", "6.2", "6.3", "6.5"}
runner = CliRunner()


def test_apk_with_policy_judges_the_policy_items() -> None:
    report = audit(apk=APKS / "settings_apk-debug.apk", policy=POLICY)
    assert len(report.findings) == 31
    by_id = {f.item_id: f for f in report.findings}
    judged = {i for i in POLICY_ITEMS if by_id[i].evidence_kind == "policy"}
    assert judged == POLICY_ITEMS
    assert by_id["1.1"].verdict is Verdict.COMPLIANT
    assert by_id["6.3"].verdict is Verdict.COMPLIANT  # promises 10 working days
    assert any("10" in c.text for c in by_id["6.3"].cites)
    # 2.1 now checks each detected SDK is named in the policy.
    assert "Google Play services" in by_id["2.1"].reason or by_id["2.1"].cites
    assert [i["kind"] for i in report.inputs] == ["apk", "policy"]


def test_policy_command_gives_the_full_report(tmp_path: Path) -> None:
    out = tmp_path / "policy.json"
    result = runner.invoke(app, ["policy", str(POLICY), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["findings"]) == 31
    assert data["app"] is None
    verdicts = {f["item_id"]: f["verdict"] for f in data["findings"]}
    assert verdicts["1.1"] == "compliant"
    assert verdicts["4.1"] == "inconclusive"  # needs an APK


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element a browser would build from the report, with its attributes."""
    from html.parser import HTMLParser

    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


HOSTILE = """<html><head><meta charset="utf-8"><title>隐私政策</title>
<script>alert('pwned')</script></head><body>
<h1>隐私政策<script>document.write('x')</script></h1>
<p>我们会收集您的设备标识符（IMEI）用于安全风控。<img src=x onerror="alert(1)"></p>
<p>如需注销账号请联系 <a href="javascript:alert(2)">客服</a> 或发邮件至 "><svg onload=alert(3)>@evil.example。</p>
<iframe src="https://evil.example/"></iframe>
<p>我们将在十五个工作日内答复。&lt;script&gt;alert(4)&lt;/script&gt;</p>
</body></html>"""


def test_hostile_policy_is_never_rendered_unescaped(tmp_path: Path) -> None:
    source = tmp_path / "evil.html"
    source.write_text(HOSTILE, encoding="utf-8")
    report = audit(apk=APKS / "InsecureBank.apk", policy=source)
    html = render(report, "html").decode("utf-8")
    tags = _tags(html)
    assert not {"script", "iframe", "svg", "img"} & {tag for tag, _ in tags}
    for _tag, attrs in tags:
        for name, value in attrs:
            assert not name.startswith("on"), name
            assert not (value or "").strip().lower().startswith("javascript:"), value
    markdown = render(report, "md").decode("utf-8")
    assert "<script" not in markdown.lower() and "<svg" not in markdown.lower()
    # The policy was read: its IMEI sentence and the 15-working-day promise reach the findings.
    by_id = {f.item_id: f for f in report.findings}
    assert by_id["6.3"].verdict is Verdict.COMPLIANT
