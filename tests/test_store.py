"""The store on SQLite and PostgreSQL: migrations, one transaction per scan, resuming keys,
and the queries the web UI and exports read. Reports are real audits of fixture APKs."""

from __future__ import annotations

import copy

import pytest
from conftest import APKS, CONSTRUCTED, FIXTURES
from sqlalchemy import create_engine, inspect, text

from pica import __version__
from pica.store import Store, digest

SIGNED = FIXTURES / "signing"
DEVELOPER = "杭州示例网络科技有限公司"  # the O of its certificate


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    """JSON report documents of real audits: InsecureBank and the constructed pre-consent app
    (which carries an SDK)."""
    from pica.audit import audit
    from pica.render.json_report import report_document

    return {
        "insecurebank": report_document(audit(APKS / "InsecureBank.apk")),
        "preconsent": report_document(audit(CONSTRUCTED / "preconsent.apk")),
        # InsecureBank signed with a developer's certificate (tests/fixtures/signing/README.md)
        "signed": report_document(audit(SIGNED / "InsecureBank-signed-v1v2v3.apk")),
    }


def _record(store: Store, report: dict, **kwargs) -> int:
    scan = store.begin_scan(report["app"]["file_name"], report["app"]["sha256"], **kwargs)
    store.record_done(scan, report, 1.5)
    return scan


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def test_store_upgrades_an_empty_database_to_head(db_url: str) -> None:
    with Store(db_url):
        pass
    engine = create_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert {"app", "version", "scan", "finding", "sdk", "batch", "batch_scan"} <= tables
    assert head == "0001"
    with Store(db_url) as again:  # a second open finds the schema current and changes nothing
        assert again.scans() == []


def test_a_done_scan_has_its_app_version_findings_sdks_and_report(
    db_url: str, reports: dict
) -> None:
    report = reports["preconsent"]
    with Store(db_url) as store:
        scan_id = _record(store, report)
        detail = store.scan(scan_id)
    assert detail is not None
    assert detail.scan.status == "done"
    assert detail.scan.package == report["app"]["package"]
    assert detail.scan.version_code == report["app"]["version_code"]
    assert len(detail.findings) == 31
    assert {f.item_id for f in detail.findings} == {f["item_id"] for f in report["findings"]}
    by_id = {f.item_id: f for f in detail.findings}
    for f in report["findings"]:
        assert by_id[f["item_id"]].verdict == f["verdict"]
        assert by_id[f["item_id"]].title_zh == f["title_zh"]
    assert [s["sdk_id"] for s in detail.sdks] == [s["id"] for s in report["sdks"]]
    assert detail.report == report
    assert sum(detail.scan.counts.values()) == 31
    assert detail.scan.finished_at.tzinfo is not None  # UTC, aware, on either database
    assert detail.scan.finished_at >= detail.scan.started_at


def test_a_failed_write_leaves_the_scan_running_and_nothing_half_written(
    db_url: str, reports: dict
) -> None:
    """record_done is one transaction: a finding that cannot be written (here, no verdict)
    rolls back the app, version, the findings before it and the status."""
    broken = copy.deepcopy(reports["insecurebank"])
    del broken["findings"][20]["verdict"]
    with Store(db_url) as store:
        scan_id = store.begin_scan("InsecureBank.apk", broken["app"]["sha256"])
        with pytest.raises(KeyError):
            store.record_done(scan_id, broken, 1.0)
        assert store.scan(scan_id).scan.status == "running"
        assert store.done_scan(broken["app"]["sha256"]) is None
    for table in ("finding", "sdk", "app", "version"):
        assert _count(db_url, table) == 0, table


def test_an_unfinished_scan_is_taken_over_not_duplicated(db_url: str, reports: dict) -> None:
    report = reports["insecurebank"]
    sha = report["app"]["sha256"]
    with Store(db_url) as store:
        first = store.begin_scan("a/InsecureBank.apk", sha)  # then the process died
        assert store.finished_scan(sha) is None
        second = store.begin_scan("b/InsecureBank.apk", sha)
        assert second == first
        store.record_done(second, report, 2.0)
        done = store.finished_scan(sha)
        assert done is not None and done.id == first and done.attempts == 2
        assert done.input == "b/InsecureBank.apk"
        assert store.finished_scan(sha, pica_version="0.0.0-other") is None
        assert store.finished_scan(sha, inputs_digest=digest("policy-sha", None, None)) is None
        assert len(store.scans()) == 1


def test_failures_on_the_input_are_final_others_are_retried(db_url: str) -> None:
    with Store(db_url) as store:
        bad = store.begin_scan("rand.apk", "a" * 64)
        store.record_failure(
            bad, "rand.apk is not an APK: no zip signature at the start", "input", 0.1
        )
        slow = store.begin_scan("slow.apk", "b" * 64)
        store.record_failure(
            slow, "time budget exceeded: no result after 5 s\nsecond line", "budget", 5
        )
        assert store.finished_scan("a" * 64).error_kind == "input"
        assert store.finished_scan("b" * 64) is None  # a budget failure is run again
        assert store.scan(slow).scan.error == "time budget exceeded: no result after 5 s"
        assert store.begin_scan("slow.apk", "b" * 64) == slow


def test_queries_for_the_web_layer(db_url: str, reports: dict) -> None:
    ib, pre = reports["insecurebank"], reports["preconsent"]
    newer = copy.deepcopy(ib)
    newer["app"]["version_code"], newer["app"]["version_name"] = "2", "2.0"
    newer["app"]["sha256"] = "f" * 64
    with Store(db_url) as store:
        batch = store.start_batch({"inputs": ["x"]})
        _record(store, ib, batch_id=batch)
        _record(store, pre, batch_id=batch)
        _record(store, newer)
        failed = store.begin_scan("bad.apk", "c" * 64, batch_id=batch)
        store.record_failure(failed, "bad.apk is not an APK", "input", 0.1)
        store.finish_batch(batch)

        apps = store.apps()
        assert [a.package for a in apps] == sorted([ib["app"]["package"], pre["app"]["package"]])
        bank = next(a for a in apps if a.package == ib["app"]["package"])
        assert bank.versions == 2 and bank.latest.version_name == "2.0"

        assert [a.package for a in store.apps(search="insecure")] == [ib["app"]["package"]]
        sdk = next(s for s in pre["sdks"] if s["confidence"] != "weak")
        assert [a.package for a in store.apps(sdk=sdk["name"])] == [pre["app"]["package"]]
        assert [a.package for a in store.apps(sdk=sdk["id"])] == [pre["app"]["package"]]
        violated = {f["item_id"] for f in pre["findings"] if f["verdict"] == "violation"}
        item = sorted(violated)[0]
        expected = sorted(
            r["app"]["package"]
            for r in (ib, pre)
            if any(f["item_id"] == item and f["verdict"] == "violation" for f in r["findings"])
        )
        assert [a.package for a in store.apps(item=item, verdict="violation")] == expected
        category = (pre.get("category") or pre["category_proposal"])["id"]
        assert pre["app"]["package"] in [a.package for a in store.apps(category=category)]
        assert store.apps(search="no such app") == []

        history = store.history(ib["app"]["package"])
        assert [h.version_code for h in history] == ["1", "2"]

        assert [s.status for s in store.scans(batch)] == ["done", "done", "failed"]
        assert len(store.scans()) == 4
        assert store.scans(status="failed")[0].error == "bad.apk is not an APK"

        board = store.dashboard()
        assert board.status == {"done": 3, "failed": 1}
        assert board.apps == 2 and board.versions == 3
        total = sum(sum(v.values()) for v in board.verdicts_by_category.values())
        assert total == 31 * 3
        assert board.top_sdks[0] == (sdk["name"], 1)
        assert store.done_scan(ib["app"]["sha256"], __version__).package == ib["app"]["package"]
        assert [b["id"] for b in store.batches()] == [batch]


def test_one_input_claimed_then_executed_and_an_app_given_twice_scanned_once(
    db_url: str, tmp_path
) -> None:
    """The path a web upload takes (claim, execute), and a batch naming one APK twice."""
    from pica.batch import Input, claim, execute, run_batch

    item = Input(str(CONSTRUCTED / "gated.apk"))
    with Store(db_url) as store:
        scan_id, finished = claim(store, item)
        assert not finished and store.scan(scan_id).scan.status == "running"
        assert execute(store, scan_id, item) == "done"
        assert store.scan(scan_id).scan.package == "com.example.picafixture.gated"
        assert claim(store, item) == (scan_id, True)
        twice = [Input(str(CONSTRUCTED / "clean.apk"))] * 2 + [item]
        outcome = run_batch(twice, store, workers=2)
        assert len(outcome.done) == 2 and outcome.skipped == [item.apk]
        assert len(store.scans()) == 2
        assert len(store.scans(outcome.batch_id)) == 2


def test_the_migrations_make_exactly_the_models_schema(db_url: str) -> None:
    """A model changed without a migration shows here as a difference."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from pica.store.models import Base

    with Store(db_url) as store, store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_exports_keep_text_from_an_app_inert(db_url: str, reports: dict, tmp_path) -> None:
    """An app label that looks like a formula stays text in xlsx and is defused in csv."""
    from openpyxl import load_workbook

    from pica.store.export import export

    report = copy.deepcopy(reports["insecurebank"])
    report["app"]["label"] = '=HYPERLINK("http://evil.example","click")\x07'
    with Store(db_url) as store:
        _record(store, report)
        (tmp_path / "x.xlsx").write_bytes(export(store, "xlsx"))
        text_csv = export(store, "csv").decode("utf-8-sig")
    sheet = load_workbook(tmp_path / "x.xlsx")["Findings 问题"]
    cell = sheet["A2"]
    assert cell.value == '=HYPERLINK("http://evil.example","click")' and cell.data_type == "s"
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text_csv)))
    assert rows[1][0].startswith("'=HYPERLINK(") and len(rows) == 1 + 31


def test_the_developer_column_is_the_signing_certificates(db_url: str, reports: dict) -> None:
    """The certificate's O fills app.developer and the exports' 开发者 column; a debug key's
    app (the same package, InsecureBank, scanned first) has none, and a later debug-signed
    scan does not erase a developer once known."""
    from pica.store.export import export, finding_rows

    signed, debug = reports["signed"], reports["insecurebank"]
    assert signed["app"]["package"] == debug["app"]["package"]
    with Store(db_url) as store:
        _record(store, debug)
        assert [a.developer for a in store.apps()] == [None]
        scan = _record(store, signed)
        assert [a.developer for a in store.apps()] == [DEVELOPER]
        assert store.scan(scan).scan.developer == DEVELOPER
        rows = finding_rows(store.details())
        by_sha = {r["sha256"]: r["developer"] for r in rows}
        assert by_sha == {
            signed["app"]["sha256"]: DEVELOPER,
            debug["app"]["sha256"]: DEVELOPER,  # the app's, as the column is
        }
        again = copy.deepcopy(debug)
        again["app"]["sha256"] = "e" * 64
        _record(store, again)
        assert [a.developer for a in store.apps()] == [DEVELOPER]
        exported = export(store, "csv").decode("utf-8-sig")
    header, first = exported.splitlines()[:2]
    assert header.split(",")[1] == "开发者 Developer" and first.split(",")[1] == DEVELOPER
    hostile = copy.deepcopy(signed)
    hostile["app"]["developer"] = "有限公司" * 100  # 400 characters, over the column's 255
    hostile["app"]["sha256"] = "d" * 64
    with Store(db_url) as store:
        _record(store, hostile)
        assert [len(a.developer) for a in store.apps()] == [255]
