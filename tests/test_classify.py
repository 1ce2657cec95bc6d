"""``pica classify``: JSON Lines of sentences in, topics/classes/PI types out."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from pica.classify import classify_command

app = typer.Typer()
app.command("classify")(classify_command)
app.command("noop")(lambda: None)  # two commands: "classify" is then a sub-command, as in pica


def _lines(*objs) -> str:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs)


DOC = [
    {"doc": "a", "text": "一、我们如何收集和使用您的个人信息"},
    {"doc": "a", "text": "我们会收集您的手机号码和位置信息，用于提供导航服务。"},
    {"doc": "a", "text": "二、我们如何共享您的个人信息"},
    {"doc": "a", "text": "我们会与第三方SDK共享您的设备信息。"},
    {"doc": "a", "text": "三、如何联系我们"},
    {"doc": "a", "text": "您可以发送邮件至privacy@example.com与我们联系。"},
]


def test_round_trip_file_to_file(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(_lines(*DOC), encoding="utf-8")
    r = CliRunner().invoke(app, ["classify", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(DOC)
    for row in rows:
        assert set(row) == {"topics", "classes", "pi_types"}
    assert "collection" in rows[1]["topics"]
    assert "collect" in rows[1]["classes"]
    assert rows[1]["pi_types"]  # phone number, location
    assert "sharing" in rows[3]["topics"]
    assert "contact" in rows[5]["topics"]


def test_order_is_kept_across_interleaved_docs(tmp_path):
    other = [{"doc": "b", "text": d["text"]} for d in reversed(DOC)]
    mixed = [x for pair in zip(DOC, other, strict=True) for x in pair]
    src = tmp_path / "in.jsonl"
    src.write_text(_lines(*mixed), encoding="utf-8")
    r = CliRunner().invoke(app, ["classify", str(src)])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(rows) == len(mixed)
    alone = CliRunner().invoke(app, ["classify", str(tmp_path / "a.jsonl")])
    assert alone.exit_code == 2  # missing file
    (tmp_path / "a.jsonl").write_text(_lines(*DOC), encoding="utf-8")
    alone = CliRunner().invoke(app, ["classify", str(tmp_path / "a.jsonl")])
    expected = [json.loads(x) for x in alone.stdout.splitlines()]
    assert rows[0::2] == expected  # doc "a" reads the same interleaved with doc "b"


def test_doc_context_is_used():
    from pica.classify import classify_lines

    lead = "以下情形中，我们会向第三方提供您的个人信息："
    item = "（1）事先获得您的明确同意；"
    with_ctx = classify_lines([("d", lead), ("d", item)])[1]["topics"]
    alone = classify_lines([(None, lead), (None, item)])[1]["topics"]
    assert "sharing" in with_ctx
    assert with_ctx != alone


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"text": "a"}\nnot json\n', "line 2: not JSON"),
        (b'{"text": "a"}\n{"doc": "x"}\n', 'line 2: no "text" string'),
        (b'{"text": "a"}\n{"text": "\xff\xfe"}\n', "line 2: not UTF-8"),
        (b'["text"]\n', "line 1: not a JSON object"),
        (b'{"text": 3}\n', 'line 1: no "text" string'),
    ],
)
def test_bad_lines_exit_2_naming_the_line(tmp_path, body, message):
    src = tmp_path / "in.jsonl"
    src.write_bytes(body)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, typer; from pica.classify import classify_command; "
            "typer.run(classify_command)",
            str(src),
        ],
        capture_output=True,
    )
    assert done.returncode == 2
    err = done.stderr.decode().strip().splitlines()
    assert len(err) == 1 and message in err[0] and str(src) in err[0]
    assert done.stdout == b""


def test_stdin_to_stdout():
    body = _lines(*DOC[:2], {"text": "我们会采取加密技术保护您的个人信息安全。"}).encode()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import typer; from pica.classify import classify_command; typer.run(classify_command)",
        ],
        input=body,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr.decode()
    rows = [json.loads(x) for x in done.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 3
    assert "security" in rows[2]["topics"]


def test_empty_input_gives_empty_output():
    r = CliRunner().invoke(app, ["classify"], input="")
    assert r.exit_code == 0 and r.stdout == ""


def test_pica_classify_is_a_command_of_the_main_app() -> None:
    import subprocess
    import sys

    line = '{"doc": "a", "text": "我们会收集您的手机号码用于注册。"}\n'
    result = subprocess.run(
        [sys.executable, "-m", "pica", "classify"], input=line, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert "collection" in out["topics"] and out["pi_types"] == ["phone_number"]
