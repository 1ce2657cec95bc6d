"""The web UI in a real browser (Playwright driving Debian's Chromium, headless): upload a real
APK with a real policy, watch the scan, read the report (31 items, the SDK), the dashboard's
charts; and XSS payloads in a policy and in an app label that must stay inert text.

Screenshots are test artifacts: in pytest's tmp folder and in build/web-screenshots/ (ignored
by git). docs/web-report.png is one of them, committed for the README."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import APKS, FIXTURES, with_zip_comment

pytest.importorskip("fastapi", reason="pica[web] is not installed")
from webserver import serve  # noqa: E402

from pica.store import Store  # noqa: E402
from pica.web import create_app  # noqa: E402

SETTINGS = APKS / "settings_apk-debug.apk"  # io.appium.settings, carries Google Play services
POLICY = FIXTURES / "policies" / "viodroid" / "C107228073-1.0.0.html"
POLICY_TEXT = FIXTURES / "policies" / "viodroid" / "C107228073-1.0.0.txt"
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "web-screenshots"
# the regulation's 31 items, in its order: 4 + 4 + 9 + 6 + 3 + 5
ITEMS = [
    f"{c}.{n}"
    for c, count in zip(range(1, 7), (4, 4, 9, 6, 3, 5), strict=True)
    for n in range(1, count + 1)
]
# Each payload sets window.__xss (or opens a dialog) if it ever runs.
PAYLOADS = (
    '<script>window.__xss="script",alert(1)</script>',
    "<img src=x onerror=\"window.__xss='img'\">",
    '"><svg onload="window.__xss=\'svg\'">',
)


def _shot(page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    target = tmp_path / name
    page.screenshot(path=str(target), full_page=full_page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(target, ARTIFACTS / name)
    return target


def _watch(page) -> dict[str, list]:
    """Record what a page does that it must not: dialogs, requests off the server, CSP errors."""
    seen: dict[str, list] = {"dialogs": [], "requests": [], "console": []}

    def on_dialog(dialog) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
    return seen


def test_upload_scan_report_and_dashboard(chromium, tmp_path: Path) -> None:
    """A person's path: the form, the progress page, the report with all 31 items and the
    detected SDK, the app list, the dashboard's four SVG charts. No request leaves the server."""
    with serve(create_app(f"sqlite:///{tmp_path / 'pica.db'}", upload_dir=tmp_path)) as base:
        context = chromium.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
        page = context.new_page()
        seen = _watch(page)
        page.goto(base + "/")
        page.set_input_files("#apk", str(SETTINGS))
        page.set_input_files("#policy", str(POLICY))
        page.click("#submit")
        page.wait_for_url(f"{base}/scans/*")
        # the worker process needs seconds to import pica and read the APK: first the progress
        # page, refreshing itself with a <meta> tag, until the report replaces it
        assert page.locator("#progress").count() == 1
        assert page.locator('meta[http-equiv="refresh"]').count() == 1
        assert "检测中" in page.inner_text("h1") and "elsewhere" not in page.content()
        _shot(page, tmp_path, "web-progress.png", full_page=False)
        page.wait_for_selector("#report", timeout=300_000)
        report = page.locator("#report")
        assert report.locator("article.item").count() == 31
        shown = [report.locator(f"article.item#item-{i.replace('.', '-')} .id").inner_text()
                 for i in ITEMS]  # fmt: skip
        assert shown == ITEMS
        sdks = page.locator("section", has=page.locator("h2", has_text="Third-party SDKs"))
        assert "Google Play services" in sdks.inner_text()
        assert page.evaluate("getComputedStyle(document.querySelector('.badge')).borderRadius")
        report_png = _shot(page, tmp_path, "web-report.png")
        page.evaluate("window.scrollTo(0, 0)")
        _shot(page, tmp_path, "web-report-summary.png", full_page=False)  # docs/web-report.png

        page.goto(base + "/apps?sdk=google_play_services")
        assert "io.appium.settings" in page.inner_text("#apps")
        page.goto(base + "/apps?sdk=umeng")
        assert "io.appium.settings" not in page.inner_text("#apps")

        page.goto(base + "/dashboard")
        for chart in ("verdicts", "items", "sdks", "days"):
            svg = page.locator(f"#chart-{chart} svg.chart")
            assert svg.count() == 1
            assert svg.locator("rect.bar").count() >= 1
            box = svg.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 20
        assert "Google Play services" in page.inner_text("#chart-sdks")
        dashboard_png = _shot(page, tmp_path, "web-dashboard.png")
        context.close()
    assert report_png.stat().st_size > 20_000 and dashboard_png.stat().st_size > 10_000
    assert all(url.startswith(base) for url in seen["requests"]), seen["requests"]
    assert not [m for m in seen["console"] if "Content Security Policy" in m]
    assert seen["dialogs"] == []


def test_xss_in_a_policy_and_in_an_app_label_stays_inert(chromium, tmp_path: Path) -> None:
    """A pasted policy whose collection sentence carries script, an event handler and a broken
    attribute; and an app whose label carries them (recorded as a version of the real app's
    report: the label reaches every page from the stored report). In the browser none runs —
    ``window.__xss`` stays undefined, no dialog opens, no script or injected element exists in
    the DOM — and each payload is there as text."""
    db = f"sqlite:///{tmp_path / 'pica.db'}"
    sentence = "我们会收集您的设备信息（IMEI、Android ID）{}，用于安全风控。"
    policy = "\n".join(sentence.format(p) for p in PAYLOADS) + "\n" + POLICY_TEXT.read_text()
    with serve(create_app(db, upload_dir=tmp_path / "uploads")) as base:
        context = chromium.new_context()
        page = context.new_page()
        seen = _watch(page)
        page.goto(base + "/")
        page.set_input_files("#apk", str(SETTINGS))
        page.fill("#policy_text", policy)
        page.click("#submit")
        page.wait_for_selector("#report", timeout=300_000)
        scan_url = page.url
        text = page.inner_text("#report")
        for payload in PAYLOADS:
            assert payload in text  # shown, as text
        _assert_inert(page, seen)
        _shot(page, tmp_path, "web-xss-policy.png")

        with Store(db) as store:
            scan = store.scan(int(scan_url.rsplit("/", 1)[1]))
            evil = copy.deepcopy(scan.report)
            evil["app"]["label"] = "".join(PAYLOADS)
            evil["app"]["version_code"], evil["app"]["version_name"] = "999", "9.9.9"
            other = with_zip_comment(SETTINGS, tmp_path / "evil.apk", b"evil")
            sha = evil["app"]["sha256"] = _sha256(other)
            evil_id = store.begin_scan(str(other), sha)
            store.record_done(evil_id, evil, 1.0)
        for path in ("/", "/apps", "/apps/io.appium.settings", f"/scans/{evil_id}", "/dashboard"):
            page.goto(base + path)
            if path != "/dashboard":
                assert PAYLOADS[0] in page.inner_text("body"), path
            _assert_inert(page, seen)
        for payload in PAYLOADS:  # reflected: the search box echoes its query
            page.goto(f"{base}/apps?q={quote(payload)}&sdk={quote(payload)}")
            assert page.input_value("input[name=q]") == payload
            _assert_inert(page, seen)
        context.close()


def _assert_inert(page, seen: dict[str, list]) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert seen["dialogs"] == []
    assert page.locator("script").count() == 0
    assert page.locator("img[src='x'], svg[onload], [onerror]").count() == 0


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
