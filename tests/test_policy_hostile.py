"""Hostile input: size, nesting, PDF bombs, bad bytes, scripts, URL schemes."""

import io
import zlib

import pytest

from pica.errors import InputError
from pica.extract.policy import extract, extract_text


def test_oversize_file_rejected_before_reading(tmp_path):
    big = tmp_path / "big.html"
    with big.open("wb") as fh:
        fh.seek(200 * 1024 * 1024)
        fh.write(b"x")  # sparse 200 MB file
    with pytest.raises(InputError, match="limit"):
        extract(big)


def test_oversize_bytes_rejected():
    with pytest.raises(InputError, match="limit"):
        extract(b"<p>a</p>" * 10, max_bytes=20)


def test_deep_nesting_is_bounded():
    html = "<div>" * 100_000 + "我们会收集您的手机号码。" + "</div>" * 100_000
    try:
        ev = extract(html.encode(), name="deep.html")
    except InputError as exc:
        assert "nested" in str(exc) or "parse" in str(exc)
    else:
        assert len(ev.text) < 10_000


def test_scripts_iframes_javascript_dropped():
    html = (
        "<html><body><p>我们会收集您的手机号码。</p><script>alert('x')</script>"
        "<iframe src='javascript:alert(1)'>frame text</iframe>"
        "<a href='javascript:alert(2)'>链接</a><style>p{color:red}</style>"
        "<p onclick='alert(3)'>&lt;script&gt;alert(4)&lt;/script&gt;</p></body></html>"
    )
    ev = extract(html.encode(), name="x.html")
    assert "alert('x')" not in ev.text and "frame text" not in ev.text
    assert "javascript:" not in ev.text and "alert(3)" not in ev.text
    # escaped text stays as text (data, never markup); renderers must escape it
    assert "<script>alert(4)</script>" in ev.text


def test_invalid_utf8_is_handled():
    data = "<p>我们会收集您的手机号码。</p>".encode() + b"\xff\xfe\xfa" + "<p>位置信息</p>".encode()
    ev = extract(data, name="bad.html")
    assert "手机号码" in ev.text


def test_binary_garbage_is_an_input_error_or_text():
    data = bytes(range(256)) * 50
    try:
        extract(data, name="garbage.txt")
    except InputError as exc:
        assert "\n" not in str(exc)


def test_not_a_pdf():
    with pytest.raises(InputError, match="not a PDF"):
        extract(b"hello", name="x.pdf")


def _pdf_with_stream(raw: bytes) -> bytes:
    comp = zlib.compress(raw, 9)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(comp) + comp + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    x = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offs:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x))
    return out.getvalue()


def test_pdf_bomb_is_rejected_or_bounded():
    bomb = _pdf_with_stream(b" " * (120 * 1024 * 1024))  # 120 MB of spaces, ~120 KB compressed
    assert len(bomb) < 1_000_000
    try:
        ev = extract(bomb, name="bomb.pdf")
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert len(ev.text) < 5_000_000


def test_small_pdf_reads():
    pdf = _pdf_with_stream(
        b"BT /F1 12 Tf 72 720 Td (Privacy policy: we collect your email address.) Tj ET"
    )
    ev = extract(pdf, name="p.pdf")
    assert ev.profile.format == "pdf"


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/p.html", "javascript:alert(1)"]
)
def test_non_http_urls_refused(url):
    with pytest.raises(InputError):
        extract(url)


def test_url_fetch_and_redirect_guard():
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class H(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path == "/bad":
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()
                return
            body = "<html><body><p>我们会收集您的手机号码。</p></body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        ev = extract(base + "/policy")
        assert "手机号码" in ev.text
        with pytest.raises(InputError):
            extract(base + "/bad")
    finally:
        srv.shutdown()


def test_extract_text_bounds():
    with pytest.raises(InputError):
        extract_text("a" * 10_000_001, name="x")
