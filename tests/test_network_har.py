"""HAR reader: a real HAR recorded by Playwright driving Debian's Chromium against a loopback
server, constructed HARs for the optional fields, and broken HARs."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import threading
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS

from pica.errors import InputError
from pica.extract.network import read_capture

IMEI = "861234567890123"
ANDROID_ID = "9774d56d682e549c"
MD5 = hashlib.md5(ANDROID_ID.encode()).hexdigest()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self._record(b"")
        page = b"<!doctype html><title>collect</title><link rel=icon href=data:,>ok"
        self._reply(200, "text/html", page)

    def do_POST(self):
        self._record(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self._reply(200, "application/json", b'{"ok": true}')

    def _record(self, body: bytes) -> None:
        self.server.seen.append((self.command, self.path, dict(self.headers.items()), body))

    def _reply(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _record_har(path: Path) -> tuple[int, list]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    server = _Server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(record_har_path=str(path))
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/collect?imei={IMEI}")
            page.evaluate(
                """async ([md5, imei]) => {
                    await fetch('/upload', {method: 'POST',
                        headers: {'Content-Type': 'application/json', 'X-Device-Id': imei},
                        body: JSON.stringify({android_id_md5: md5})});
                }""",
                [MD5, IMEI],
            )
            context.close()  # writes the HAR
            browser.close()
    finally:
        server.shutdown()
    return port, server.seen


def test_real_har_recorded_by_chromium(tmp_path):
    """Chromium (driven by Playwright, which writes the HAR) sends the seeded IMEI in a query
    string and header, and the MD5 of the seeded Android ID in a JSON body."""
    har = tmp_path / "chromium.har"
    port, seen = _record_har(har)
    requests, warnings = read_capture(har)
    assert warnings == ()
    get, post = [r for r in requests if r.url.endswith(("/collect?imei=" + IMEI, "/upload"))]
    assert (get.method, get.host, get.ip, get.port) == ("GET", "127.0.0.1", "127.0.0.1", port)
    assert get.url == f"http://127.0.0.1:{port}/collect?imei={IMEI}"
    assert (get.index, get.t, get.source, get.aligned) == (1, 0, "chromium.har entry 1", False)
    assert (post.method, post.host, post.port) == ("POST", "127.0.0.1", port)
    assert post.url == f"http://127.0.0.1:{port}/upload"
    assert post.body == json.dumps({"android_id_md5": MD5}, separators=(",", ":")).encode()
    assert ("Content-Type", "application/json") in post.headers
    assert ("X-Device-Id", IMEI) in post.headers
    assert post.t is not None and post.t >= 0
    # the HAR says what the server received
    received = {(m, p): (h, b) for m, p, h, b in seen}
    headers, body = received[("POST", "/upload")]
    assert body == post.body and headers["X-Device-Id"] == IMEI
    assert ("GET", f"/collect?imei={IMEI}") in received


def _har(tmp_path: Path, entries, name: str = "c.har") -> Path:
    path = tmp_path / name
    path.write_text(
        json.dumps(
            {
                "log": {
                    "version": "1.2",
                    "creator": {"name": "t", "version": "0"},
                    "entries": entries,
                }
            }
        )
    )
    return path


def test_constructed_har_optional_fields(tmp_path):
    """Constructed: minimal entries, params instead of text, base64 text, an IPv6 server
    address in brackets, an unsorted date with an offset, a missing URL and date."""
    entries = [
        {"startedDateTime": "2026-01-02T03:04:05.100+08:00", "serverIPAddress": "[2001:db8::7]",
         "request": {"method": "POST", "url": "https://Log.Example.CN/a?x=1",
                     "headers": [{"name": "X-Imei", "value": IMEI}, {"bad": 1}, "junk"],
                     "postData": {"mimeType": "application/x-www-form-urlencoded",
                                  "params": [{"name": "imei", "value": IMEI}, {"name": "m", "value": "a b"}]}}},
        {"startedDateTime": "2026-01-01T19:04:05Z",
         "request": {"method": "PUT", "url": "http://h.example.cn:8080/b",
                     "postData": {"mimeType": "application/octet-stream", "encoding": "base64",
                                  "text": "aW1laT04NjEyMzQ1Njc4OTAxMjM="}}},
        {"startedDateTime": "yesterday", "request": {"url": "http://x.cn/"}},
        {"request": {"method": "GET"}},
        "not an entry",
    ]  # fmt: skip
    requests, warnings = read_capture(_har(tmp_path, entries))
    a, b, c = requests
    assert (a.host, a.ip, a.port, a.method, a.t) == (
        "log.example.cn",
        "2001:db8::7",
        443,
        "POST",
        100,
    )
    assert a.headers == (("X-Imei", IMEI),)
    assert a.body == f"imei={IMEI}&m=a+b".encode()
    assert (b.host, b.port, b.t, b.body, b.index) == (
        "h.example.cn",
        8080,
        0,
        f"imei={IMEI}".encode(),
        2,
    )
    assert (c.t, c.method, c.headers, c.body, c.ip, c.source) == (
        None,
        "",
        (),
        b"",
        "",
        "c.har entry 3",
    )
    assert warnings == (
        "c.har: entry 3 has no readable startedDateTime (t left empty)",
        "c.har: entry 4 has no request.url, skipped (1 more like it)",
    )


def test_har_body_excerpt_and_max_requests(tmp_path):
    entries = [
        {"startedDateTime": f"2026-01-01T00:00:0{i}Z",
         "request": {"method": "POST", "url": f"http://h.cn/{i}", "postData": {"text": "é" * 5000}}}
        for i in range(5)
    ]  # fmt: skip
    requests, warnings = read_capture(_har(tmp_path, entries), body_excerpt=11, max_requests=2)
    assert [r.url for r in requests] == ["http://h.cn/0", "http://h.cn/1"]
    assert requests[1].body == ("é" * 5).encode() + b"\xc3" and requests[1].t == 1000
    assert warnings == ("c.har: stopped after 2 requests (max_requests); 3 entries not read",)


def test_har_with_bom_is_read(tmp_path):
    path = _har(tmp_path, [{"request": {"url": "http://h.cn/"}}])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    requests, _ = read_capture(path)
    assert requests[0].host == "h.cn"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"log": {"entries": [{"request": {"url": "http://a"}}', "HAR x.har is not valid JSON: Expecting ',' delimiter at line 1 column 54"),
        (b'{"log": {"version": "1.2"}}', "HAR x.har has no log.entries list (is it a HAR?)"),
        (b'[{"log": 1}]', "HAR x.har has no log.entries list (is it a HAR?)"),
        (b'{"log": {"entries": "none"}}', "HAR x.har has no log.entries list (is it a HAR?)"),
        (b'{"log": "\xff\xfe"}', "HAR x.har is not UTF-8 (byte 9)"),
        (b"[" * 200_000, "HAR x.har is nested too deeply"),
        (b'{"log": {"entries": [] } } trailing', "HAR x.har is not valid JSON: Extra data at line 1 column 28"),
    ],
    ids=["truncated", "no-entries", "list", "entries-not-list", "not-utf8", "deep", "trailing"],
)  # fmt: skip
def test_bad_har_is_one_line_input_error(tmp_path, data, message):
    path = tmp_path / "x.har"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_capture(path)
    assert str(err.value) == message


def test_har_over_the_size_cap(tmp_path):
    path = _har(
        tmp_path,
        [{"request": {"url": "http://h.cn/", "headers": [{"name": "a", "value": "b" * 5000}]}}],
    )
    size = path.stat().st_size
    with pytest.raises(InputError) as err:
        read_capture(path, max_bytes=4096)
    assert str(err.value) == f"HAR c.har is {size:,} bytes (limit 4,096)"
