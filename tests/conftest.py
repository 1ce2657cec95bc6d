"""Shared fixtures: paths to the real APKs copied into tests/fixtures (see its README)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# pica's user cache (pica.cache) in a directory of this session, never the user's: set before
# any test imports pica, and inherited by the pica processes tests start.
_CACHE = tempfile.mkdtemp(prefix="pica-test-cache-")
os.environ["PICA_CACHE_DIR"] = _CACHE


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


FIXTURES = Path(__file__).parent / "fixtures"
APKS = FIXTURES / "apks"
CONSTRUCTED = FIXTURES / "constructed"


@pytest.fixture(scope="session")
def apk_dir() -> Path:
    return APKS


def androguard_quiet() -> None:
    """androguard logs tens of MB of DEBUG per APK unless loguru is told not to."""
    from loguru import logger

    logger.disable("androguard")
