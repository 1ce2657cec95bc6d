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


# The items the policy text settles on its own.
POLICY_ITEMS = ("1.1", "1.4", "2.1", "2.2", "2.4", "3.6", "3.8", "4.5", "6.1", "6.2", "6.3", "6.5")


def judge(item_id: str, policy, sdk_names=()):
    """Run the registered rule for one item on a policy alone (plus detected SDKs by name)."""
    from pica.evidence import Evidence, SdkPresence
    from pica.rules import RULES, load_rules

    load_rules()
    sdks = tuple(
        SdkPresence(sdk_id=n, name=n, name_zh=None, vendor="", category="analytics",
                    chinese=True, signals=())
        for n in sdk_names
    )  # fmt: skip
    evidence = Evidence(inputs={"policy": policy.location}, policy=policy, sdks=sdks)
    if sdks:  # an APK's SDKs were given: compare them with the policy, as audit does
        from pica.analysis.disclosure import compare

        evidence.inputs["apk"] = "constructed"
        evidence.consistency = compare(policy, (), (), sdks, None)
    return RULES[item_id](evidence)
