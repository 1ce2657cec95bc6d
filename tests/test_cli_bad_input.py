"""Hostile and broken APKs: one-line error, exit 2, bounded memory, nothing written."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import APKS

MEMORY_CAP = 1536 * 1024**2  # address space for the pica process: far below a bomb's size


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_pica(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pica", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
        env={**os.environ, "COLUMNS": "200"},
    )


def _manifest_bytes() -> bytes:
    with zipfile.ZipFile(APKS / "InsecureBank.apk") as z:
        return z.read("AndroidManifest.xml")


def _assert_clean_failure(result: subprocess.CompletedProcess[str], cwd: Path, words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pica: error:")
    assert words in lines[0].lower()
    assert "Traceback" not in result.stderr


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "run").mkdir()
    return tmp_path


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_not_a_zip(workdir: Path) -> None:
    bad = workdir / "notes.apk"
    bad.write_text("this is not an apk")
    result = run_pica("audit", str(bad), cwd=workdir / "run")
    _assert_clean_failure(result, workdir, "no zip signature")
    assert _files(workdir / "run") == set()


def test_100_mb_of_garbage(workdir: Path) -> None:
    bad = workdir / "garbage.apk"
    with bad.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        for _ in range(100):
            handle.write(os.urandom(1024 * 1024))
    result = run_pica("audit", str(bad), cwd=workdir / "run")
    _assert_clean_failure(result, workdir, "not a readable zip")


def test_zip_without_manifest(workdir: Path) -> None:
    bad = workdir / "nomanifest.apk"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("classes.dex", b"dex\n035\x00")
    result = run_pica("audit", str(bad), cwd=workdir / "run")
    _assert_clean_failure(result, workdir, "no androidmanifest.xml")


def test_truncated_dex(workdir: Path) -> None:
    with zipfile.ZipFile(APKS / "InsecureBank.apk") as z:
        dex = z.read("classes.dex")
    bad = workdir / "truncated.apk"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("AndroidManifest.xml", _manifest_bytes())
        z.writestr("classes.dex", dex[: len(dex) // 3])
    result = run_pica("audit", str(bad), cwd=workdir / "run")
    _assert_clean_failure(result, workdir, "truncated dex")


def test_path_traversal_entry(workdir: Path) -> None:
    bad = workdir / "traversal.apk"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("AndroidManifest.xml", _manifest_bytes())
        z.writestr("../../x", b"owned")
    result = run_pica("audit", str(bad), "-o", "out/report.html", cwd=workdir / "run")
    _assert_clean_failure(result, workdir, "path traversal")
    assert not (workdir / "x").exists() and not (workdir.parent / "x").exists()
    assert _files(workdir / "run") == set()


def test_zip_bomb_by_ratio(workdir: Path) -> None:
    bad = workdir / "bomb.apk"
    chunk = b"\x00" * (1024 * 1024)
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("AndroidManifest.xml", _manifest_bytes())
        with z.open("classes.dex", "w", force_zip64=True) as entry:
            for _ in range(300):
                entry.write(chunk)
    assert bad.stat().st_size < 2 * 1024**2
    result = run_pica("audit", str(bad), cwd=workdir / "run")
    _assert_clean_failure(result, workdir, "zip bomb")


def test_zip_bomb_lying_about_its_size(workdir: Path) -> None:
    """An entry whose header declares a small size but whose data inflates far past it."""
    bad = workdir / "liar.apk"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("AndroidManifest.xml", _manifest_bytes())
        z.writestr("classes.dex", b"\x00" * (64 * 1024**2))
    data = bytearray(bad.read_bytes())
    # Patch both the local header and the central directory to claim 4 KiB inflated.
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = data.find(sig)
        while pos >= 0:
            name_len = int.from_bytes(
                data[pos + (26 if sig == b"PK\x03\x04" else 28) :][:2], "little"
            )
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[name_at : name_at + name_len]) == b"classes.dex":
                data[pos + size_at : pos + size_at + 4] = (4096).to_bytes(4, "little")
            pos = data.find(sig, pos + 4)
    bad.write_bytes(bytes(data))
    result = run_pica("audit", str(bad), cwd=workdir / "run")
    assert result.returncode == 2, result.stderr
    assert len([x for x in result.stderr.splitlines() if x.strip()]) == 1
    assert "Traceback" not in result.stderr


def test_missing_file(workdir: Path) -> None:
    result = run_pica("audit", str(workdir / "nope.apk"), cwd=workdir / "run")
    _assert_clean_failure(result, workdir, "cannot read")
