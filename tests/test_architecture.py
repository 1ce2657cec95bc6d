"""The layers of docs/architecture.md, as the import-linter contracts in pyproject.toml hold them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(src: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with the project's contracts over the package tree under ``src``."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def linter() -> Path:
    if not LINT.exists():
        pytest.fail(f"{LINT} is missing: install the test extras (import-linter)")
    return LINT


def test_the_contracts_hold(linter: Path, tmp_path: Path) -> None:
    result = lint(ROOT / "src", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, line",
    [
        ("rules/r1_published.py", "from pica.extract.policy import lexicon"),
        ("rules/r3_consent.py", "from pica.analysis import reachability"),
        ("extract/apk/__init__.py", "from pica.analysis import sdks"),
        ("evidence/apk.py", "from pica import report"),
        ("knowledge/sdks.py", "from pica import evidence"),
        ("store/export.py", "from pica.audit import audit"),
        ("batch/worker.py", "from pica.extract import apk"),
        ("audit.py", "from pica import store"),
        ("web/app.py", "from pica.rules import r1_published"),
        ("web/charts.py", "from pica.extract import apk"),
        ("batch/__init__.py", "from pica import web"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    linter: Path, tmp_path: Path, module: str, line: str
) -> None:
    """Each arrow the architecture forbids is caught: the contracts are not vacuous."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "pica", src / "pica", ignore=shutil.ignore_patterns("data"))
    target = src / "pica" / module
    target.write_text(target.read_text("utf-8") + f"\n{line}  # noqa\n", "utf-8")
    result = lint(src, tmp_path)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
