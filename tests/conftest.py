"""Shared fixtures: paths to the real APKs copied into tests/fixtures (see its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
