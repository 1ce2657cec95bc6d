"""The store: every scan pica ran, its app and version, findings, SDKs and JSON report.

Public API (the web layer and the exports need no SQL of their own)::

    store = Store(url)                      # None: $PICA_DB, else SQLite in the user data dir;
                                            # the schema is upgraded to the newest migration
    batch = store.start_batch({"inputs": [...]})        # -> batch id
    scan = store.begin_scan(apk_path, sha256, inputs, batch_id=batch)  # -> scan id, "running"
    store.record_done(scan, report_document, seconds)   # one transaction: app, version,
                                                        # findings, SDKs, report, "done"
    store.record_failure(scan, "not a zip file", "input", seconds)     # one error line
    store.finished_scan(sha256, pica_version, digest)   # a done scan (or a bad input) or None
    store.link(batch, scan, skipped=True)               # a re-run lists what it skipped
    store.apps(search=, category=, item=, verdict=, sdk=)   # -> [AppRow], newest scan per app
    store.history(package)                  # -> [ScanRow] of its done scans, oldest first
    store.scan(scan_id)                     # -> ScanDetail (findings and the report) or None
    store.scans(batch_id=None)              # -> [ScanRow], every input with status and error
    store.details(batch_id=None)            # -> [ScanDetail] for exports
    store.dashboard()                       # -> counts for a dashboard (see Dashboard)

Rows come back as frozen dataclasses, never as ORM objects: no session leaks out. To run one
scan (a web upload) under the batch's time and memory budget: ``pica.batch.claim`` then
``pica.batch.execute`` (they call the audit in a worker process and these methods).

Why one transaction per scan: ``begin_scan`` commits a ``running`` row at once (so a crash
leaves a trace of what was being scanned); ``record_done`` writes everything else and flips the
status in a single commit. A process killed at any point leaves the scan ``running`` with no
finding, SDK or report rows, and the next ``begin_scan`` for the same input takes the row over.

Resuming: a scan is identified by the APK's sha256, pica's version and ``inputs_digest`` (a digest
of the other inputs — policy, category, trace — "" when there are none). ``finished_scan``
finds a ``done`` scan for that key, or a ``failed`` one whose error was the input itself
(``error_kind == "input"``: a corrupt APK fails the same way every time); scans that ran out of
their time or memory budget, crashed or were interrupted are run again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, selectinload

from pica import __version__
from pica.store.models import App, Batch, BatchScan, Finding, Scan, SdkPresence, Version

ENV = "PICA_DB"
ITEM_CATEGORIES = ("1", "2", "3", "4", "5", "6")


def default_url() -> str:
    """$PICA_DB, else a SQLite file in the user's data directory (platformdirs)."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("pica", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'pica.db'}"


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest migration shipped inside pica (no alembic.ini)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("pica.store").joinpath("migrations"))
    )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the web UI) never block the writer
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def digest(*parts: str | None) -> str:
    """A stable digest of the inputs besides the APK ("" when there are none)."""
    if not any(parts):
        return ""
    return hashlib.sha256(json.dumps(list(parts)).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _party(finding: dict[str, Any], sdk_names: list[str]) -> str:
    """Whose behaviour a finding cites: the detected SDKs named in its cites or reason, else
    "app" when it cites any fact, else "" (a finding resting on the policy alone or on nothing)."""
    text = finding.get("reason", "") + " ".join(c.get("text", "") for c in finding.get("cites", []))
    named = [n for n in sdk_names if n and n in text]
    if named:
        return ", ".join(named)
    return "app" if finding.get("cites") else ""


@dataclass(frozen=True)
class ScanRow:
    """One scan as a list shows it."""

    id: int
    input: str
    sha256: str
    status: str
    error: str | None
    error_kind: str | None
    pica_version: str
    package: str | None
    label: str | None
    developer: str | None
    version_name: str | None
    version_code: str | None
    app_category: str | None
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    attempts: int
    counts: dict[str, int]  # verdict -> number of items


@dataclass(frozen=True)
class FindingRow:
    item_id: str
    title_zh: str
    title_en: str
    verdict: str
    reason: str
    party: str
    evidence: list[dict[str, Any]]


@dataclass(frozen=True)
class ScanDetail:
    scan: ScanRow
    findings: list[FindingRow]
    sdks: list[dict[str, Any]]  # {sdk_id, name, vendor, chinese, confidence}
    report: dict[str, Any] | None  # the JSON report document (None unless done)
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AppRow:
    package: str
    label: str | None
    developer: str | None
    versions: int
    latest: ScanRow  # the newest done scan of any of its versions


@dataclass(frozen=True)
class Dashboard:
    status: dict[str, int]  # scans per status
    apps: int
    versions: int
    verdicts_by_category: dict[str, dict[str, int]]  # "1".."6" -> verdict -> count
    top_items: list[tuple[str, int]]  # item id, apps (versions) with a violation of it
    top_sdks: list[tuple[str, int]]  # SDK name, versions carrying it (strong/medium)
    scans_per_day: list[tuple[str, int]]  # YYYY-MM-DD, scans finished that day


class Store:
    """A connection to pica's database; see the module docstring for the API."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = create_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        migrate(self.engine)

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------

    def start_batch(self, args: dict[str, Any]) -> int:
        with Session(self.engine) as session, session.begin():
            batch = Batch(started_at=_now(), pica_version=__version__, args=args)
            session.add(batch)
            session.flush()
            return batch.id

    def finish_batch(self, batch_id: int) -> None:
        with Session(self.engine) as session, session.begin():
            session.get_one(Batch, batch_id).finished_at = _now()

    def link(self, batch_id: int, scan_id: int, skipped: bool = False) -> None:
        """List a scan under a batch (``skipped``: it was done before this batch ran)."""
        with Session(self.engine) as session, session.begin():
            if session.get(BatchScan, (batch_id, scan_id)) is None:
                session.add(BatchScan(batch_id=batch_id, scan_id=scan_id, skipped=skipped))

    def finished_scan(
        self, sha256: str, pica_version: str = __version__, inputs_digest: str = ""
    ) -> ScanRow | None:
        """The scan a re-run skips: done, or failed on the input itself; else None."""
        with Session(self.engine) as session:
            scan = session.scalars(
                self._key(sha256, pica_version, inputs_digest)
                .where(
                    (Scan.status == "done")
                    | ((Scan.status == "failed") & (Scan.error_kind == "input"))
                )
                .order_by(Scan.id.desc())
            ).first()
            return None if scan is None else _row(scan)

    def done_scan(
        self, sha256: str, pica_version: str = __version__, inputs_digest: str = ""
    ) -> ScanRow | None:
        """The newest done scan of this APK by this pica version, or None."""
        with Session(self.engine) as session:
            scan = session.scalars(
                self._key(sha256, pica_version, inputs_digest)
                .where(Scan.status == "done")
                .order_by(Scan.id.desc())
            ).first()
            return None if scan is None else _row(scan)

    @staticmethod
    def _key(sha256: str, pica_version: str, inputs_digest: str):
        return (
            select(Scan)
            .options(selectinload(Scan.version).selectinload(Version.app))
            .where(
                Scan.sha256 == sha256,
                Scan.pica_version == pica_version,
                Scan.inputs_digest == inputs_digest,
            )
        )

    def begin_scan(
        self,
        input: str,
        sha256: str,
        inputs: dict[str, Any] | None = None,
        inputs_digest: str = "",
        batch_id: int | None = None,
    ) -> int:
        """Commit a ``running`` scan and return its id. An unfinished scan of the same key
        (interrupted, out of budget, crashed) is taken over rather than duplicated."""
        with Session(self.engine) as session, session.begin():
            scan = session.scalars(
                self._key(sha256, __version__, inputs_digest)
                .where(Scan.status != "done")
                .where((Scan.error_kind.is_(None)) | (Scan.error_kind != "input"))
                .order_by(Scan.id.desc())
            ).first()
            if scan is None:
                scan = Scan(
                    input=input,
                    sha256=sha256,
                    inputs_digest=inputs_digest,
                    inputs=inputs or {"apk": input},
                    pica_version=__version__,
                    status="running",
                    started_at=_now(),
                    attempts=1,
                )
                session.add(scan)
            else:
                scan.input, scan.inputs, scan.status = input, inputs or {"apk": input}, "running"
                scan.error = scan.error_kind = None
                scan.started_at, scan.finished_at, scan.seconds = _now(), None, None
                scan.attempts += 1
            session.flush()
            if batch_id is not None:
                session.add(BatchScan(batch_id=batch_id, scan_id=scan.id))
            return scan.id

    def record_done(self, scan_id: int, report: dict[str, Any], seconds: float) -> None:
        """Write the app, version, findings, SDKs and report and mark the scan done, all in one
        transaction. ``report`` is the JSON report document (pica.render.json_report)."""
        with Session(self.engine) as session, session.begin():
            scan = session.get_one(Scan, scan_id)
            info = report.get("app") or {}
            if info.get("package"):
                app = session.scalars(select(App).where(App.package == info["package"])).first()
                if app is None:
                    app = App(package=info["package"])
                    session.add(app)
                app.label = info.get("label") or app.label
                # the certificate names it; capped at the column's width (a hostile O is not)
                app.developer = (info.get("developer") or "")[:255] or app.developer
                version = session.scalars(
                    select(Version).where(Version.sha256 == scan.sha256)
                ).first()
                if version is None:
                    version = Version(sha256=scan.sha256, app=app, size=info.get("size") or 0)
                    session.add(version)
                version.version_name = info.get("version_name")
                version.version_code = info.get("version_code")
                scan.version = version
            sdks = [s for s in report.get("sdks", []) if s.get("confidence") != "weak"]
            names = sorted({s["name"] for s in sdks}, key=len, reverse=True)
            scan.findings = [
                Finding(
                    item_id=f["item_id"],
                    verdict=f["verdict"],
                    reason=f["reason"],
                    party=_party(f, names),
                    evidence=f.get("cites", []),
                )
                for f in report.get("findings", [])
            ]
            scan.sdks = [
                SdkPresence(
                    sdk_id=s["id"],
                    name=s["name"],
                    vendor=s.get("vendor"),
                    chinese=bool(s.get("chinese")),
                    confidence=s.get("confidence") or "",
                )
                for s in report.get("sdks", [])
            ]
            category = report.get("category") or report.get("category_proposal") or {}
            scan.app_category = category.get("id")
            scan.report = report
            scan.status, scan.error, scan.error_kind = "done", None, None
            scan.finished_at, scan.seconds = _now(), seconds

    def record_failure(self, scan_id: int, error: str, kind: str, seconds: float) -> None:
        """Mark a scan failed with its one error line; ``kind``: input, budget or crash."""
        with Session(self.engine) as session, session.begin():
            scan = session.get_one(Scan, scan_id)
            scan.status, scan.error, scan.error_kind = "failed", error.splitlines()[0], kind
            scan.finished_at, scan.seconds = _now(), seconds

    # -- reading -------------------------------------------------------------------------------

    def scans(self, batch_id: int | None = None, status: str | None = None) -> list[ScanRow]:
        """Every scan (of a batch), oldest first, with its status and error line."""
        with Session(self.engine) as session:
            return [_row(s) for s in session.scalars(self._scans(batch_id, status))]

    def _scans(self, batch_id: int | None, status: str | None = None):
        query = select(Scan).options(
            selectinload(Scan.version).selectinload(Version.app), selectinload(Scan.findings)
        )
        if batch_id is not None:
            query = query.join(BatchScan, BatchScan.scan_id == Scan.id).where(
                BatchScan.batch_id == batch_id
            )
        if status is not None:
            query = query.where(Scan.status == status)
        return query.order_by(Scan.id)

    def scan(self, scan_id: int) -> ScanDetail | None:
        with Session(self.engine) as session:
            scan = session.scalars(
                self._scans(None).options(selectinload(Scan.sdks)).where(Scan.id == scan_id)
            ).first()
            return None if scan is None else _detail(scan)

    def details(self, batch_id: int | None = None) -> list[ScanDetail]:
        """Every scan (of a batch) with findings, SDKs and report: what an export needs."""
        with Session(self.engine) as session:
            query = self._scans(batch_id).options(selectinload(Scan.sdks))
            return [_detail(s) for s in session.scalars(query)]

    def batches(self) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            return [
                {
                    "id": b.id,
                    "started_at": _utc(b.started_at),
                    "finished_at": _utc(b.finished_at),
                    "pica_version": b.pica_version,
                    "args": b.args,
                }
                for b in session.scalars(select(Batch).order_by(Batch.id))
            ]

    def apps(
        self,
        search: str | None = None,
        category: str | None = None,
        item: str | None = None,
        verdict: str | None = None,
        sdk: str | None = None,
    ) -> list[AppRow]:
        """Apps whose newest done scan matches every filter given: ``search`` in package or
        label, ``category`` the app type, ``item`` and/or ``verdict`` a finding, ``sdk`` an SDK
        id or name carried (strong or medium)."""
        with Session(self.engine) as session:
            query = (
                self._scans(None, "done")
                .options(selectinload(Scan.sdks))
                .where(Scan.version_id.is_not(None))
            )
            newest: dict[str, Scan] = {}
            versions: dict[str, set[int]] = {}
            for scan in session.scalars(query):
                package = scan.version.app.package
                versions.setdefault(package, set()).add(scan.version_id)
                if package not in newest or scan.finished_at >= newest[package].finished_at:
                    newest[package] = scan
            rows = []
            for package, scan in sorted(newest.items()):
                app = scan.version.app
                if search and search.lower() not in f"{package} {app.label or ''}".lower():
                    continue
                if category and scan.app_category != category:
                    continue
                if (item or verdict) and not any(
                    (not item or f.item_id == item) and (not verdict or f.verdict == verdict)
                    for f in scan.findings
                ):
                    continue
                if sdk and not any(
                    s.confidence != "weak" and sdk in (s.sdk_id, s.name) for s in scan.sdks
                ):
                    continue
                rows.append(
                    AppRow(package, app.label, app.developer, len(versions[package]), _row(scan))
                )
            return rows

    def history(self, package: str) -> list[ScanRow]:
        """The done scans of an app's versions, oldest first (by version code, then time)."""
        with Session(self.engine) as session:
            query = (
                self._scans(None, "done")
                .join(Version, Version.id == Scan.version_id)
                .join(App, App.id == Version.app_id)
                .where(App.package == package)
            )
            scans = [_row(s) for s in session.scalars(query)]

        def order(row: ScanRow) -> tuple[int, datetime]:
            code = row.version_code or ""
            return (int(code) if code.isdigit() else -1, row.finished_at or row.started_at)

        return sorted(scans, key=order)

    def dashboard(self) -> Dashboard:
        """Counts over the newest done scan of each version."""
        with Session(self.engine) as session:
            status = Counter(dict(session.execute(_count_by(Scan.status)).all()))
            newest: dict[int, Scan] = {}
            query = self._scans(None, "done").options(selectinload(Scan.sdks))
            for scan in session.scalars(query.where(Scan.version_id.is_not(None))):
                newest[scan.version_id] = scan  # ordered by id: the last is the newest
            by_category: dict[str, Counter[str]] = {c: Counter() for c in ITEM_CATEGORIES}
            items: Counter[str] = Counter()
            sdks: Counter[str] = Counter()
            for scan in newest.values():
                for f in scan.findings:
                    by_category[f.item_id.split(".")[0]][f.verdict] += 1
                    if f.verdict == "violation":
                        items[f.item_id] += 1
                for name in {s.name for s in scan.sdks if s.confidence != "weak"}:
                    sdks[name] += 1
            days: Counter[str] = Counter()
            for (finished,) in session.execute(
                select(Scan.finished_at).where(Scan.finished_at.is_not(None))
            ):
                days[finished.strftime("%Y-%m-%d")] += 1
            return Dashboard(
                status=dict(status),
                apps=len({s.version.app_id for s in newest.values()}),
                versions=len(newest),
                verdicts_by_category={c: dict(v) for c, v in by_category.items()},
                top_items=items.most_common(10),
                top_sdks=sdks.most_common(10),
                scans_per_day=sorted(days.items()),
            )


def _count_by(column: Any):
    from sqlalchemy import func

    return select(column, func.count()).group_by(column)


def _utc(value: datetime | None) -> datetime | None:
    """Times are stored in UTC; SQLite hands them back naive, PostgreSQL aware: always aware."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _row(scan: Scan) -> ScanRow:
    version = scan.version
    app = version.app if version else None
    return ScanRow(
        id=scan.id,
        input=scan.input,
        sha256=scan.sha256,
        status=scan.status,
        error=scan.error,
        error_kind=scan.error_kind,
        pica_version=scan.pica_version,
        package=app.package if app else None,
        label=app.label if app else None,
        developer=app.developer if app else None,
        version_name=version.version_name if version else None,
        version_code=version.version_code if version else None,
        app_category=scan.app_category,
        started_at=_utc(scan.started_at),
        finished_at=_utc(scan.finished_at),
        seconds=scan.seconds,
        attempts=scan.attempts,
        counts=dict(Counter(f.verdict for f in scan.findings)),
    )


def _detail(scan: Scan) -> ScanDetail:
    titles = {f["item_id"]: f for f in (scan.report or {}).get("findings", [])}
    return ScanDetail(
        scan=_row(scan),
        findings=[
            FindingRow(
                item_id=f.item_id,
                title_zh=titles.get(f.item_id, {}).get("title_zh", ""),
                title_en=titles.get(f.item_id, {}).get("title_en", ""),
                verdict=f.verdict,
                reason=f.reason,
                party=f.party,
                evidence=f.evidence,
            )
            for f in scan.findings
        ],
        sdks=[
            {
                "sdk_id": s.sdk_id,
                "name": s.name,
                "vendor": s.vendor,
                "chinese": s.chinese,
                "confidence": s.confidence,
            }
            for s in scan.sdks
        ],
        report=scan.report,
        inputs=scan.inputs,
    )
