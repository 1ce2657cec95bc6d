"""The web API through a real uvicorn server on loopback: a scan's round trip on SQLite and
PostgreSQL, the xlsx export, OpenAPI, and the limits (413, 400, 401, file names)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from conftest import APKS, FIXTURES, with_zip_comment

pytest.importorskip("fastapi", reason="pica[web] is not installed")
import httpx  # noqa: E402
from webserver import serve, wait_for_scan  # noqa: E402

from pica.render.diff import compare_documents  # noqa: E402
from pica.store import Store  # noqa: E402
from pica.store.export import FINDING_COLUMNS  # noqa: E402
from pica.web import create_app  # noqa: E402

SETTINGS = APKS / "settings_apk-debug.apk"  # io.appium.settings, carries Google Play services
BANK = APKS / "InsecureBank.apk"  # small: quick scans where the result is not the point
POLICY = FIXTURES / "policies" / "viodroid" / "C107228073-1.0.0.html"


def _post(base: str, apk: Path, name: str | None = None, headers=None, **extra) -> httpx.Response:
    files = {"apk": (name or apk.name, apk.read_bytes(), "application/vnd.android.package-archive")}
    if "policy" in extra:
        policy = extra.pop("policy")
        files["policy"] = (policy.name, policy.read_bytes(), "text/html")
    return httpx.post(f"{base}/api/scans", files=files, data=extra, headers=headers, timeout=60)


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_a_scan_round_trip_report_apps_and_xlsx(db_url: str, tmp_path: Path) -> None:
    """Upload a real APK with a real policy: 202 and an id at once, the scan runs in the
    background, then its JSON report (31 findings, the SDK), the app list and its filters, and
    the xlsx export. Uploading the same inputs again answers the finished scan's id."""
    import openpyxl

    app = create_app(db_url, upload_dir=tmp_path / "uploads")
    with serve(app) as base:
        answer = _post(base, SETTINGS, policy=POLICY)
        assert answer.status_code == 202
        scan_id = answer.json()["id"]
        result = wait_for_scan(base, scan_id)
        assert result["status"] == "done", result["error"]
        report = result["report"]
        assert report["app"]["package"] == "io.appium.settings"
        assert len(report["findings"]) == 31
        assert "google_play_services" in {s["id"] for s in report["sdks"]}

        assert _post(base, SETTINGS, policy=POLICY).json() == {"id": scan_id}  # resumed
        folders = [p for p in (tmp_path / "uploads").iterdir()]
        assert len(folders) == 1  # the second copy was not kept
        assert sorted(p.name for p in folders[0].iterdir()) == [
            "policy-C107228073-1.0.0.html",
            "settings_apk-debug.apk",
        ]

        apps = httpx.get(f"{base}/api/apps").json()
        assert [a["package"] for a in apps] == ["io.appium.settings"]
        assert apps[0]["latest_scan"]["id"] == scan_id
        counts = {k: v for k, v in report["counts"].items() if v}
        assert apps[0]["latest_scan"]["counts"] == counts
        by_sdk = httpx.get(f"{base}/api/apps", params={"sdk": "google_play_services"}).json()
        assert [a["package"] for a in by_sdk] == ["io.appium.settings"]
        assert httpx.get(f"{base}/api/apps", params={"sdk": "umeng"}).json() == []
        violated = next(f["item_id"] for f in report["findings"] if f["verdict"] == "violation")
        params = {"item": violated, "verdict": "violation"}
        assert len(httpx.get(f"{base}/api/apps", params=params).json()) == 1
        params = {"item": violated, "verdict": "compliant"}
        assert httpx.get(f"{base}/api/apps", params=params).json() == []

        xlsx = httpx.get(f"{base}/api/export.xlsx", timeout=60)
        assert xlsx.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        rows = list(book["Findings 问题"].iter_rows(values_only=True))
        assert list(rows[0]) == [h for h, _ in FINDING_COLUMNS]
        assert len(rows) == 1 + 31

        page = httpx.get(f"{base}/scans/{scan_id}")
        assert page.text.count('<article class="item ') == 31
        assert "Google Play services" in page.text


def test_openapi_is_served_and_the_cdn_docs_are_not(tmp_path: Path) -> None:
    with serve(create_app(f"sqlite:///{tmp_path / 'pica.db'}", upload_dir=tmp_path)) as base:
        spec = httpx.get(f"{base}/openapi.json").json()
        assert {"/api/scans", "/api/scans/{scan_id}", "/api/apps", "/api/export.xlsx"} <= set(
            spec["paths"]
        )
        assert "202" in spec["paths"]["/api/scans"]["post"]["responses"]
        assert httpx.get(f"{base}/docs").status_code == 404  # Swagger UI needs a CDN


def test_every_page_carries_a_csp_without_scripts_and_no_script(tmp_path: Path) -> None:
    with serve(create_app(f"sqlite:///{tmp_path / 'pica.db'}", upload_dir=tmp_path)) as base:
        for path in ("/", "/apps", "/dashboard", "/scans/1", "/apps/no.such.app"):
            page = httpx.get(base + path, headers={"Accept": "text/html"})
            csp = page.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "script-src" not in csp
            assert "<script" not in page.text.lower()
            assert not re.search(r"(src|href|action)=\"?(https?:)?//", page.text)  # no asset


def test_over_the_limit_is_413_before_and_while_streaming(tmp_path: Path) -> None:
    """A 1 MiB limit: the 3 MB APK with a Content-Length is refused before its body is read; the
    same body sent chunked (no length) is cut off once it passes the limit. Nothing is kept."""
    uploads = tmp_path / "uploads"
    db = f"sqlite:///{tmp_path / 'pica.db'}"
    with serve(create_app(db, upload_dir=uploads, max_upload_mb=1)) as base:
        assert _post(base, SETTINGS).status_code == 413

        request = httpx.Request("POST", base, files={"apk": ("a.apk", SETTINGS.read_bytes())})
        body, content_type = request.read(), request.headers["content-type"]

        def chunks():
            for start in range(0, len(body), 64 * 1024):
                yield body[start : start + 64 * 1024]

        answer = httpx.post(
            f"{base}/api/scans",
            content=chunks(),
            headers={"Content-Type": content_type},
            timeout=60,
        )
        assert answer.status_code == 413
        assert "limit is 1 MiB" in answer.json()["detail"]
        assert _post(base, BANK).status_code == 202  # under the limit: accepted
        wait_for_scan(base, 1)
    assert [p.name for p in _files(uploads)] == ["InsecureBank.apk"]
    with Store(db) as store:
        assert len(store.scans()) == 1


def test_a_non_apk_and_bad_arguments_are_400_and_leave_no_scan(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'pica.db'}"
    not_zip = tmp_path / "notes.apk"
    not_zip.write_text("not an APK at all")
    no_manifest = tmp_path / "empty.apk"
    with zipfile.ZipFile(no_manifest, "w") as archive:
        archive.writestr("classes.dex", b"dex\n035\x00")
    with serve(create_app(db, upload_dir=tmp_path / "uploads")) as base:
        answer = _post(base, not_zip)
        assert answer.status_code == 400 and "not a zip" in answer.json()["detail"]
        answer = _post(base, no_manifest)
        assert answer.status_code == 400 and "AndroidManifest.xml" in answer.json()["detail"]
        answer = _post(base, BANK, category="no-such-type")
        assert answer.status_code == 400 and "unknown category" in answer.json()["detail"]
        answer = _post(base, BANK, policy_url="file:///etc/passwd")
        assert answer.status_code == 400 and "http" in answer.json()["detail"]
        for url in ("http://127.0.0.1:1/policy.html", "http://localhost/p", "http://[::1]/p"):
            answer = _post(base, BANK, policy_url=url)
            assert answer.status_code == 400 and "not a public address" in answer.json()["detail"]
        answer = _post(base, BANK, policy_url="https://example.org/p", policy_text="政策")
        assert answer.status_code == 400 and "one policy" in answer.json()["detail"]
        answer = _post(base, BANK, policy=tmp_path / "notes.apk")
        assert answer.status_code == 400 and "the policy must be one of" in answer.json()["detail"]
        assert httpx.get(f"{base}/api/scans/999").status_code == 404
        page = httpx.post(
            f"{base}/scans", files={"apk": ("x.apk", b"nope")}, headers={"Accept": "text/html"}
        )
        assert page.status_code == 400 and "not a zip archive" in page.text
    with Store(db) as store:
        assert store.scans() == []
    assert not _files(tmp_path / "uploads")  # a refused upload leaves nothing behind


def test_write_endpoints_need_the_api_key_when_one_is_set(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PICA_API_KEY", "s3cret-key")
    db = f"sqlite:///{tmp_path / 'pica.db'}"
    with serve(create_app(db, upload_dir=tmp_path / "uploads")) as base:
        assert _post(base, BANK).status_code == 401
        assert _post(base, BANK, headers={"X-API-Key": "wrong"}).status_code == 401
        form = httpx.post(f"{base}/scans", files={"apk": ("a.apk", BANK.read_bytes())})
        assert form.status_code == 401
        assert httpx.get(f"{base}/api/apps").status_code == 200  # reading needs no key
        with Store(db) as store:
            assert store.scans() == []
        answer = _post(base, BANK, headers={"X-API-Key": "s3cret-key"})
        assert answer.status_code == 202
        assert wait_for_scan(base, answer.json()["id"])["status"] == "done"
        form = httpx.post(
            f"{base}/scans",
            files={"apk": ("a.apk", BANK.read_bytes())},
            data={"api_key": "s3cret-key"},
        )
        assert form.status_code == 303 and form.headers["location"] == "/scans/1"


def test_path_traversal_file_names_stay_in_the_upload_folder(tmp_path: Path) -> None:
    """File names with ../, backslashes and absolute paths are reduced to base names inside a
    fresh folder under the upload folder: nothing is written anywhere else."""
    root = tmp_path / "srv"
    uploads = root / "uploads"
    db = f"sqlite:///{root / 'pica.db'}"
    root.mkdir()
    names = ["../../escape1.apk", "..\\..\\escape2.apk", f"{tmp_path}/escape3.apk", "..", ".apk"]
    policy = tmp_path / "p.html"
    policy.write_bytes(POLICY.read_bytes())
    before = _files(tmp_path)
    with serve(create_app(db, upload_dir=uploads)) as base:
        ids = []
        for number, name in enumerate(names):
            apk = with_zip_comment(BANK, tmp_path / f"bank{number}.apk", str(number).encode())
            before.add(apk)
            files = {
                "apk": (name, apk.read_bytes()),
                "policy": ("../../../evil-policy.html", policy.read_bytes()),
            }
            answer = httpx.post(f"{base}/api/scans", files=files, timeout=60)
            assert answer.status_code == 202
            ids.append(answer.json()["id"])
        reports = [wait_for_scan(base, i) for i in ids]
    assert [r["status"] for r in reports] == ["done"] * len(names)
    written = {p for p in _files(tmp_path) - before if not p.name.startswith("pica.db")}
    assert written and all(uploads in p.parents for p in written)
    assert {p.name for p in written} == {
        "escape1.apk", "escape2.apk", "escape3.apk", "app.apk", "apk",
        "policy-evil-policy.html",
    }  # fmt: skip
    assert not list(tmp_path.glob("escape*")) and not list(root.glob("escape*"))
    assert [r["report"]["app"]["file_name"] for r in reports][:3] == [
        "escape1.apk",
        "escape2.apk",
        "escape3.apk",
    ]


def test_an_apps_versions_and_what_changed(tmp_path: Path) -> None:
    """Two scans of io.appium.settings (the second a new build, by its sha256, with a policy):
    the app page lists both and the items whose verdict the policy changed."""
    newer = with_zip_comment(SETTINGS, tmp_path / "settings-2.apk", b"build 2")
    db = f"sqlite:///{tmp_path / 'pica.db'}"
    with serve(create_app(db, upload_dir=tmp_path / "uploads")) as base:
        first = wait_for_scan(base, _post(base, SETTINGS).json()["id"])
        second = wait_for_scan(base, _post(base, newer, policy=POLICY).json()["id"])
        page = httpx.get(f"{base}/apps/io.appium.settings").text
    changes = compare_documents(first["report"], second["report"])
    assert changes["verdicts"], "a policy settles items the APK alone cannot"
    assert page.count('<a href="/scans/') == 2
    assert 'id="diff"' in page
    for change in changes["verdicts"]:
        assert f"<td>{change['item_id']}</td><td>{change['old']}</td>" in page


def test_pica_serve_serves_and_a_bad_database_is_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    from webserver import _free_port

    pica = [sys.executable, "-m", "pica"]
    bad = subprocess.run(
        [*pica, "serve", "--db", "nosuchdb://x"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("pica: error: cannot open the database")
    assert len(bad.stderr.strip().splitlines()) == 1

    port = _free_port()
    db = f"sqlite:///{tmp_path / 'pica.db'}"
    args = ["serve", "--port", str(port), "--db", db, "--upload-dir", str(tmp_path / "up")]
    env = {**os.environ, "PICA_API_KEY": "k"}
    proc = subprocess.Popen([*pica, *args], env=env, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.1)
        assert home.status_code == 200 and 'name="api_key"' in home.text
        assert _post(f"http://127.0.0.1:{port}", BANK).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_scan_running_elsewhere_or_interrupted_says_so(tmp_path: Path) -> None:
    """A ``running`` scan this server did not start (a pica batch's, or one a restart cut
    short) keeps refreshing but says it is not running here; an upload of it resumes it."""
    db = f"sqlite:///{tmp_path / 'pica.db'}"
    with Store(db) as store:
        from pica.batch import Input, claim

        scan_id, finished = claim(store, Input(str(BANK)))
    assert not finished
    with serve(create_app(db, upload_dir=tmp_path / "uploads")) as base:
        page = httpx.get(f"{base}/scans/{scan_id}").text
        assert 'http-equiv="refresh"' in page and 'id="elsewhere"' in page
        assert _post(base, BANK).json() == {"id": scan_id}  # taken over, not duplicated
        assert wait_for_scan(base, scan_id)["status"] == "done"
    with Store(db) as store:
        assert store.scan(scan_id).scan.attempts == 2
