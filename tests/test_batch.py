"""pica batch through real processes: 20 inputs (17 real APKs, 3 corrupt), 2 workers; a second
run scans nothing new; Ray gives the same findings; budgets turn a runaway app into a recorded
failure; the exports of the batch open with openpyxl and have the regulator's columns."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import APKS, CONSTRUCTED, FIXTURES, with_zip_comment

from pica.store import Store

PICA = [sys.executable, "-m", "pica"]
SMALL = [
    CONSTRUCTED / "clean.apk",
    CONSTRUCTED / "gated.apk",
    CONSTRUCTED / "preconsent.apk",
    CONSTRUCTED / "dexworst.apk",
    APKS / "InsecureBank.apk",
    APKS / "ReturnParameterTest.apk",
]
POLICY = FIXTURES / "policies" / "viodroid" / "C107228073-1.0.0.html"


def build_inputs(root: Path) -> tuple[list[str], set[str]]:
    """20 inputs: a folder of 14 APKs (the 6 small fixtures and copies of them with a byte added
    to the zip comment: new sha256s) and 3 corrupt files, plus a CSV manifest of 3 more APKs (one
    with a real policy and an app type). Returns the command's INPUT arguments and the names of
    the corrupt ones."""
    folder = root / "apks"
    (folder / "more").mkdir(parents=True)
    for i in range(14):
        source = SMALL[i % len(SMALL)]
        where = folder if i < 8 else folder / "more"
        if i < len(SMALL):
            (where / source.name).write_bytes(source.read_bytes())
        else:
            with_zip_comment(source, where / f"copy{i}-{source.name}", bytes([48 + i]))
    whole = (APKS / "InsecureBank.apk").read_bytes()
    (folder / "truncated.apk").write_bytes(whole[: len(whole) // 3])
    (folder / "random.apk").write_bytes(random.Random(15).randbytes(40_000))
    (folder / "notes.apk").write_text("这不是一个 APK, just a text file.\n", encoding="utf-8")
    listed = root / "listed"
    listed.mkdir()
    rows = []
    for i, source in enumerate(SMALL[:3]):
        with_zip_comment(source, listed / f"listed{i}.apk", b"manifest" + bytes([48 + i]))
        rows.append({"apk": f"listed{i}.apk", "policy": "", "category": "", "trace": ""})
    (listed / "policy.html").write_bytes(POLICY.read_bytes())
    rows[0].update(policy="policy.html", category="news")
    with (listed / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["apk", "policy", "category", "trace"])
        writer.writeheader()
        writer.writerows(rows)
    return [str(folder), str(listed / "manifest.csv")], {"truncated.apk", "random.apk", "notes.apk"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PICA, *args], capture_output=True, text=True, timeout=900, cwd=Path.home().anchor
    )


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("batch")
    inputs, corrupt = build_inputs(root)
    url = f"sqlite:///{root / 'local.db'}"
    first = run("batch", *inputs, "--workers", "2", "--db", url, "--out", str(root / "reports"))
    second = run("batch", *inputs, "--workers", "2", "--db", url)
    return {"root": root, "inputs": inputs, "corrupt": corrupt, "url": url, "runs": (first, second)}


def findings_by_sha(url: str) -> dict[str, list[tuple[str, str, str]]]:
    with Store(url) as store:
        return {
            d.scan.sha256: [(f.item_id, f.verdict, f.reason) for f in d.findings]
            for d in store.details()
            if d.scan.status == "done"
        }


def test_twenty_inputs_seventeen_done_three_recorded_failures(batch: dict) -> None:
    first, _ = batch["runs"]
    assert first.returncode == 0, first.stderr
    assert "17 done, 3 failed, 0 already done" in first.stderr
    with Store(batch["url"]) as store:
        scans = store.scans()
        assert len(scans) == 20
        done = [s for s in scans if s.status == "done"]
        failed = [s for s in scans if s.status == "failed"]
        assert len(done) == 17 and len({s.sha256 for s in done}) == 17
        assert {Path(s.input).name for s in failed} == batch["corrupt"]
        for scan in failed:
            assert scan.error_kind == "input"
            assert scan.error and "\n" not in scan.error
            assert Path(scan.input).name in scan.error  # the reader's one line names the file
            assert f"{scan.input}: {scan.error}" in first.stderr.replace("pica: ", "")
        for scan in done:
            assert sum(scan.counts.values()) == 31
        listed = next(s for s in done if s.input.endswith("listed0.apk"))
        detail = store.scan(listed.id)
        assert detail.inputs["policy"].endswith("policy.html")
        assert detail.report["category"]["id"] == "news"
        assert detail.report["policy"] is not None
    reports = sorted((batch["root"] / "reports").glob("*.json"))
    assert len(reports) == 17
    assert all(json.loads(p.read_text())["findings"] for p in reports)


def test_a_second_run_scans_nothing_new(batch: dict) -> None:
    _, second = batch["runs"]
    assert second.returncode == 0, second.stderr
    assert "0 done, 0 failed, 20 already done" in second.stderr
    with Store(batch["url"]) as store:
        assert len(store.scans()) == 20
        assert all(s.attempts == 1 for s in store.scans())
        later = store.batches()[-1]["id"]
        assert len(store.scans(later)) == 20  # the re-run's batch lists what it skipped


def test_ray_gives_identical_findings(batch: dict) -> None:
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'pica[ray]')")
    url = f"sqlite:///{batch['root'] / 'ray.db'}"
    result = run("batch", *batch["inputs"], "--workers", "2", "--engine", "ray", "--db", url)
    assert result.returncode == 0, result.stderr
    assert "17 done, 3 failed, 0 already done" in result.stderr
    local, ray = findings_by_sha(batch["url"]), findings_by_sha(url)
    assert len(ray) == 17
    assert ray == local
    with Store(url) as store:
        errors = sorted((Path(s.input).name, s.error) for s in store.scans(status="failed"))
    with Store(batch["url"]) as store:
        assert errors == sorted((Path(s.input).name, s.error) for s in store.scans(status="failed"))


def test_xlsx_export_has_the_notice_columns_and_sheets(batch: dict) -> None:
    from openpyxl import load_workbook

    out = batch["root"] / "export.xlsx"
    result = run("export", "--db", batch["url"], "--batch", "1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["Findings 问题", "Summary 汇总", "SDKs", "Scans 输入"]
    findings = book["Findings 问题"]
    header = [c.value for c in findings[1]]
    assert header == [
        "应用名称 App name",
        "开发者 Developer",
        "包名 Package",
        "版本 Version",
        "SHA-256",
        "条目 Item",
        "条目标题 Item title (zh)",
        "结论 Verdict",
        "理由 Reason",
        "证据摘要 Evidence summary",
        "主体/SDK Party/SDK",
        "检测时间 Scan time (UTC)",
    ]
    assert findings.freeze_panes == "A2"
    assert findings.column_dimensions["I"].width == 60
    rows = list(findings.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 17 * 31
    bank = [r for r in rows if r[2] == "com.android.insecurebank" and r[5] == "1.1"][0]
    assert bank[0] == "InsecureBank" and bank[3] == "1.0"
    assert bank[6].startswith("在App中没有隐私政策") and bank[7] == "violation"
    assert {r[7] for r in rows} <= {
        "violation",
        "compliant",
        "not_applicable",
        "inconclusive",
        "manual",
    }
    summary = list(book["Summary 汇总"].iter_rows(values_only=True))
    assert len(summary[0]) == 4 + 6 + 1 and summary[0][4].startswith("1. ")
    assert len(summary) == 1 + 17
    for row in summary[1:]:  # per category counts add up to the total, and to the findings sheet
        assert sum(row[4:10]) == row[10]
        violations = [r for r in rows if r[4] == row[3] and r[7] == "violation"]
        assert row[10] == len(violations)
    sdks = list(book["SDKs"].iter_rows(values_only=True))
    assert len(sdks) >= 2 and all(r[3] >= 1 for r in sdks[1:])
    scans = list(book["Scans 输入"].iter_rows(values_only=True))
    assert len(scans) == 1 + 20
    failed = [r for r in scans[1:] if r[5] == "failed"]
    assert {Path(r[0]).name for r in failed} == batch["corrupt"] and all(r[6] for r in failed)


def test_csv_and_json_exports(batch: dict) -> None:
    out = batch["root"] / "export.csv"
    assert run("export", "--db", batch["url"], "-o", str(out)).returncode == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "应用名称 App name" and len(rows) == 1 + 17 * 31
    out = batch["root"] / "export.json"
    assert run("export", "--db", batch["url"], "--format", "json", "-o", str(out)).returncode == 0
    scans = json.loads(out.read_text(encoding="utf-8"))["scans"]
    assert len(scans) == 20
    assert set(scans[0]) == {"input", "sha256", "package", "status", "error", "findings"}
    assert sum(len(s["findings"]) for s in scans) == 17 * 31
    failed = [s for s in scans if s["status"] == "failed"]
    assert len(failed) == 3 and all(s["error"] and not s["findings"] for s in failed)


def test_a_runaway_app_becomes_a_recorded_failure(tmp_path: Path) -> None:
    """Budgets: ApiDemos (6 MB) cannot be audited in 128 MiB of address space, nor in 1 s."""
    url = f"sqlite:///{tmp_path / 'budget.db'}"
    apk = str(APKS / "ApiDemos-debug.apk")
    result = run("batch", apk, "--memory-mb", "128", "--db", url)
    assert result.returncode == 0, result.stderr
    assert "0 done, 1 failed" in result.stderr
    with Store(url) as store:
        (failed,) = store.scans(status="failed")
        assert failed.error == "memory budget exceeded: 128 MiB (--memory-mb)"
        assert failed.error_kind == "budget"
    result = run("batch", apk, "--timeout", "1", "--db", url)
    assert result.returncode == 0, result.stderr
    with Store(url) as store:
        (failed,) = store.scans(status="failed")
        assert failed.error == "time budget exceeded: no result after 1 s (--timeout)"
        assert failed.attempts == 2  # a budget failure is not final: it was run again


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Missing argument"),
        (["no/such/dir"], "no such file or folder: no/such/dir"),
        (["{empty}"], "no APK among the inputs"),
        (["{apk}", "--workers", "0"], "--workers"),
        (["{apk}", "--engine", "spark"], "--engine"),
        (["{apk}", "--db", "nosuchdb://x"], "cannot open the database nosuchdb://x"),
        (["{bad_csv}"], "a manifest needs a header with an 'apk' column"),
        (["{bad_category}"], "unknown category 'no_such_type'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.csv").write_text("file,policy\nx.apk,\n", encoding="utf-8")
    (tmp_path / "cat.csv").write_text(
        f"apk,category\n{CONSTRUCTED / 'clean.apk'},no_such_type\n", encoding="utf-8"
    )
    names = {
        "empty": str(tmp_path / "empty"),
        "apk": str(CONSTRUCTED / "clean.apk"),
        "bad_csv": str(tmp_path / "bad.csv"),
        "bad_category": str(tmp_path / "cat.csv"),
    }
    args = [a.format(**names) for a in args]
    result = (
        run("batch", *args, "--db", f"sqlite:///{tmp_path / 'x.db'}")
        if "--db" not in args
        else run("batch", *args)
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if message.startswith(("no such", "no APK", "cannot", "a manifest", "unknown category")):
        assert len(result.stderr.strip().splitlines()) == 1


def test_export_bad_arguments_exit_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = run("export", "--db", url, "-o", str(tmp_path / "out.txt"))
    assert result.returncode == 2 and "give --format xlsx, csv or json" in result.stderr
    result = run("export", "--db", url, "--batch", "7", "-o", str(tmp_path / "out.xlsx"))
    assert result.returncode == 2 and "no batch 7" in result.stderr


def test_on_a_terminal_a_progress_bar_shows_done_failed_and_rate(tmp_path: Path) -> None:
    import os
    import pty

    notes = tmp_path / "notes.apk"
    notes.write_text("not an APK\n", encoding="utf-8")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [*PICA, "batch", str(CONSTRUCTED / "clean.apk"), str(notes)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "PICA_DB": f"sqlite:///{tmp_path / 'tty.db'}", "COLUMNS": "160"},
    )
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert proc.wait(timeout=300) == 0
    text = screen.decode("utf-8", "replace")
    assert "2/2" in text and "1 done" in text and "1 failed" in text and "apps/min" in text
    assert "1 done, 1 failed, 0 already done" in text  # and the summary line (PICA_DB read)
