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


# -- the store's database: SQLite always, PostgreSQL when .ci/run (or you) set PICA_TEST_PG_URL --

PG_ENV = "PICA_TEST_PG_URL"


def _pg_database(base_url: str):
    """A fresh database on the PostgreSQL server of ``base_url``; yields its URL, drops it after.
    The server being unreachable fails the test: CI set the URL, so the server must be there."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        pytest.fail(f"{PG_ENV} is set but the server is unreachable: {exc}".splitlines()[0])
    name = f"pica_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A new, empty database URL: a SQLite file, or a new database on PICA_TEST_PG_URL's server
    (skipped, with the reason, when that variable is not set: .ci/run sets it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pica.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set: no PostgreSQL server to test on (.ci/run starts one)")
    yield from _pg_database(base)


def with_zip_comment(source: Path, target: Path, extra: bytes) -> Path:
    """A copy of an APK with ``extra`` appended to its zip comment: same content, new sha256."""
    data = bytearray(source.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    length = int.from_bytes(data[eocd + 20 : eocd + 22], "little")
    data[eocd + 20 : eocd + 22] = (length + len(extra)).to_bytes(2, "little")
    target.write_bytes(bytes(data) + extra)
    return target


# -- Debian's Chromium, driven by Playwright (never `playwright install`: nothing is downloaded) --

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def chromium():
    """A headless Debian Chromium under Playwright's sync API (skipped, with the reason, when
    Playwright or /usr/bin/chromium is missing: .ci/run installs both)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
