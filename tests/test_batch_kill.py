"""Kills mid-scan, on SQLite and PostgreSQL: SIGKILL to the batch process leaves no scan `done`
that did not finish and nothing half-written, and the next run completes it; SIGKILL to one
worker process makes a recorded failure, the batch goes on, and the next run redoes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import APKS, CONSTRUCTED, with_zip_comment
from sqlalchemy import create_engine, text

from pica.store import Store

PICA = [sys.executable, "-m", "pica"]
SOURCES = [
    APKS / "InsecureBank.apk",
    APKS / "ReturnParameterTest.apk",
    CONSTRUCTED / "clean.apk",
    CONSTRUCTED / "preconsent.apk",
]


def _inputs(folder: Path, count: int = 6) -> Path:
    folder.mkdir()
    for i in range(count):
        source = SOURCES[i % len(SOURCES)]
        with_zip_comment(source, folder / f"app{i}-{source.name}", bytes([65 + i]))
    return folder


def _wait_for(store: Store, proc: subprocess.Popen, ready) -> list:
    """Poll the store until ``ready(scans)``; the batch must still be running by then."""
    deadline = time.monotonic() + 600  # a hang fails the test instead of blocking CI
    while time.monotonic() < deadline:
        scans = store.scans()
        if ready(scans):
            return scans
        assert proc.poll() is None, "the batch ended before the moment to kill came"
        time.sleep(0.05)
    raise AssertionError("the batch never reached the moment to kill")


def _rows(url: str, table: str, scan_id: int) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = text(f"SELECT count(*) FROM {table} WHERE scan_id = :id")
            return conn.execute(query, {"id": scan_id}).scalar_one()
    finally:
        engine.dispose()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def test_killing_the_batch_mid_scan_leaves_nothing_half_done(db_url: str, tmp_path: Path) -> None:
    folder = _inputs(tmp_path / "apks")
    command = [*PICA, "batch", str(folder), "--workers", "1", "--db", db_url, "-q"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with Store(db_url) as store:
            scans = _wait_for(
                store,
                proc,
                lambda s: (
                    any(x.status == "done" for x in s) and any(x.status == "running" for x in s)
                ),
            )
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            scans = store.scans()  # after the kill: what the database holds now
            done = [s for s in scans if s.status == "done"]
            running = [s for s in scans if s.status == "running"]
            assert done and running and len(done) < 6
            for scan in done:
                detail = store.scan(scan.id)
                assert len(detail.findings) == 31 and detail.report is not None
                assert detail.scan.package is not None
                assert _rows(db_url, "sdk", scan.id) == len(detail.report["sdks"])
            for scan in running:  # begun, not finished: no app, findings, SDKs or report
                detail = store.scan(scan.id)
                assert detail.report is None and detail.scan.package is None
                assert _rows(db_url, "finding", scan.id) == 0
                assert _rows(db_url, "sdk", scan.id) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    again = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr
    assert f"{6 - len(done)} done, 0 failed, {len(done)} already done" in again.stderr
    with Store(db_url) as store:
        after = {s.id: s for s in store.scans()}
        assert len(after) == 6 and all(s.status == "done" for s in after.values())
        for scan in running:  # the interrupted scan's row was taken over and finished
            assert after[scan.id].attempts == 2
            assert len(store.scan(scan.id).findings) == 31


def test_killing_a_worker_is_a_recorded_failure_and_is_redone(db_url: str, tmp_path: Path) -> None:
    folder = _inputs(tmp_path / "apks", count=4)
    command = [*PICA, "batch", str(folder), "--workers", "1", "--db", db_url, "-q"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with Store(db_url) as store:
            _wait_for(store, proc, lambda s: any(x.status == "running" for x in s))
            deadline = time.monotonic() + 120
            while not (workers := _children(proc.pid)) and time.monotonic() < deadline:
                time.sleep(0.01)
            (worker,) = workers
            assert "pica.batch.child" in Path(f"/proc/{worker}/cmdline").read_text()
            victim = next(s for s in store.scans() if s.status == "running")
            os.kill(worker, signal.SIGKILL)
            _, stderr = proc.communicate(timeout=900)
            assert proc.returncode == 0, stderr
            assert "3 done, 1 failed" in stderr
            killed = store.scan(victim.id).scan
            assert killed.status == "failed" and killed.error_kind == "crash"
            assert killed.error == "worker died (killed by signal 9)"
            assert _rows(db_url, "finding", victim.id) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    again = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr
    assert "1 done, 0 failed, 3 already done" in again.stderr
    with Store(db_url) as store:
        assert store.scan(victim.id).scan.status == "done"
        assert store.scan(victim.id).scan.attempts == 2
