"""The checklist extractor and its effect on manual items, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import APKS
from typer.testing import CliRunner

from pica.cli import app
from pica.errors import InputError
from pica.extract.checklist import extract

runner = CliRunner()


def test_answers_settle_manual_items(tmp_path: Path) -> None:
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text(
        'items:\n  "1.3": {result: fail, note: "6 taps from home to the policy"}\n'
        '  "6.4": {result: pass, note: "account removed from the back-end"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    result = runner.invoke(
        app,
        ["audit", str(APKS / "InsecureBank.apk"), "--checklist", str(checklist), "-o", str(out)],
    )
    assert result.exit_code == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    verdicts = {f["item_id"]: f for f in data["findings"]}
    assert verdicts["1.3"]["verdict"] == "violation"
    assert "6 taps" in verdicts["1.3"]["reason"]
    assert verdicts["6.4"]["verdict"] == "compliant"
    assert verdicts["6.4"]["evidence_kind"] == "checklist"
    assert [i["kind"] for i in data["inputs"]] == ["apk", "checklist"]


@pytest.mark.parametrize(
    "text, words",
    [
        ('items:\n  "9.9": {result: pass}\n', "unknown item id"),
        ('items:\n  "1.3": {result: maybe}\n', "needs result"),
        ("- just a list\n", "needs a mapping"),
        ("items: [unclosed\n", "not valid"),
    ],
)
def test_bad_checklists_are_input_errors(tmp_path: Path, text: str, words: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=words):
        extract(bad)


def test_bad_checklist_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('items:\n  "9.9": {result: pass}\n', encoding="utf-8")
    result = runner.invoke(app, ["audit", str(APKS / "InsecureBank.apk"), "--checklist", str(bad)])
    assert result.exit_code == 2
