"""The command line: formats, --fail-on exit codes, --demo, categories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import APKS
from typer.testing import CliRunner

from pica.cli import app

runner = CliRunner()


def test_demo_writes_pica_report_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["audit", "--demo"])
    assert result.exit_code == 0, result.output  # the demo is a showcase: no gate by default
    html = (tmp_path / "pica-report.html").read_text(encoding="utf-8")
    assert "io.appium.settings" in html
    assert html.lstrip().lower().startswith("<!doctype html")
    assert [p.name for p in tmp_path.iterdir()] == ["pica-report.html"]
    gated = runner.invoke(app, ["audit", "--demo", "--fail-on", "violation", "-o", "g.json"])
    assert gated.exit_code == 1  # the demo app has a 1.1 violation


@pytest.mark.parametrize("fail_on, code", [("violation", 1), ("inconclusive", 1), ("never", 0)])
def test_fail_on_thresholds(tmp_path: Path, fail_on: str, code: int) -> None:
    out = tmp_path / "r.json"
    result = runner.invoke(
        app, ["audit", str(APKS / "InsecureBank.apk"), "-o", str(out), "--fail-on", fail_on]
    )
    assert result.exit_code == code, result.output
    assert len(json.loads(out.read_text())["findings"]) == 31


def test_fail_on_violation_passes_when_only_inconclusive(tmp_path: Path) -> None:
    # A policy alone settles 1.1 and friends; an APK with a policy link is inconclusive on 1.1.
    # Here: a report whose worst verdict is inconclusive must exit 0 under --fail-on violation.
    from pica.cli import FailOn, _exit_code
    from pica.report import Finding, Report, Verdict

    report = Report(
        tool_version="t",
        generated_at="t",
        inputs=[],
        findings=[Finding(item_id="1.1", verdict=Verdict.INCONCLUSIVE, reason="r")],
    )
    assert _exit_code(report, FailOn.violation) == 0
    assert _exit_code(report, FailOn.inconclusive) == 1


@pytest.mark.parametrize(
    "fmt, marker", [("md", "# "), ("sarif", '"version": "2.1.0"'), ("json", '"schema_version"')]
)
def test_formats_by_flag_and_by_suffix(tmp_path: Path, fmt: str, marker: str) -> None:
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(app, ["audit", str(APKS / "InsecureBank.apk"), "-o", str(out), "-q"])
    assert result.exit_code == 1
    assert marker in out.read_text(encoding="utf-8")
    flagged = tmp_path / "flagged.out"
    result = runner.invoke(
        app, ["audit", str(APKS / "InsecureBank.apk"), "-o", str(flagged), "--format", fmt]
    )
    assert marker in flagged.read_text(encoding="utf-8")


def test_categories_lists_39() -> None:
    result = runner.invoke(app, ["categories"])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == 39
    assert "map_navigation" in result.output


def test_no_input_is_exit_2() -> None:
    result = runner.invoke(app, ["audit"])
    assert result.exit_code == 2


def test_unwritable_output_is_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(
        app, ["audit", str(APKS / "InsecureBank.apk"), "-o", str(blocker / "sub" / "r.html")]
    )
    assert result.exit_code == 2
    assert "cannot write the report" in result.output


def test_the_command_line_imports_what_a_command_needs_only_when_it_runs() -> None:
    # ``pica --help`` and ``pica version`` must not pay for the extractors (numpy, lxml, jieba,
    # the lexicon): the CLI module imports them inside the commands
    import subprocess
    import sys

    from pica import __version__

    heavy = ["numpy", "lxml", "jieba", "yaml", "pica.audit", "pica.extract.policy", "pica.render"]
    script = (
        "import sys\n"
        "from pica.cli import app\n"
        "try:\n"
        "    app(['version'], prog_name='pica')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == [__version__, "[]"]


def test_trace_lines_skipped_are_warned_and_reported(tmp_path) -> None:
    import json
    import subprocess
    import sys

    bad = tmp_path / "t.jsonl"
    bad.write_text(
        '{"v":1,"t":0,"kind":"lifecycle","event":"launch"}\n'
        '{"v":1,"t":5,"kind":"bogus"}\n'
        '{"v":1,"t":1,"kind":"consent","event":"shown"\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    result = subprocess.run(
        [sys.executable, "-m", "pica", "trace", str(bad), "-o", str(out), "-q"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pica: warning: t.jsonl: line 2: unknown kind 'bogus', skipped" in result.stderr
    assert "Traceback" not in result.stderr
    warnings = json.loads(out.read_text("utf-8"))["warnings"]
    assert [w.split(":")[1].strip() for w in warnings] == ["line 2", "line 3"]
    empty = tmp_path / "e.jsonl"
    empty.write_text("garbage\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pica", "trace", str(empty), "-q"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("pica: error: trace e.jsonl has no usable event")
