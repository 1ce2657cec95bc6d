"""One exception type at the CLI boundary: every reader's documented failure is an
``InputError`` whose message is one line (issue 20), and the limits object behind them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import APKS, FIXTURES

from pica import limits
from pica.errors import InputError

HOSTILE = FIXTURES / "hostile"


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _apk(tmp: Path) -> None:
    from pica.extract.apk import extract

    extract(_write(tmp, "x.apk", b"PK\x03\x04 not really"))


def _apk_overlap(tmp: Path) -> None:
    from pica.extract.apk.container import open_apk

    open_apk(HOSTILE / "overlap.apk")


def _axml(tmp: Path) -> None:
    from pica.extract.apk import axml

    axml.parse(b"\x03\x00\x08\x00\xff\xff\xff\x7f")


def _arsc(tmp: Path) -> None:
    from pica.extract.apk import arsc

    arsc.parse(b"\x02\x00\x0c\x00\xff\xff\xff\x7f\x01\x00\x00\x00")


def _dex(tmp: Path) -> None:
    from pica.extract.apk.dex import DexFile

    DexFile(b"dex\n035\x00" + b"\xff" * 200, "classes.dex")


def _policy_file(tmp: Path) -> None:
    from pica.extract.policy import extract

    extract(tmp)  # a directory


def _policy_pdf(tmp: Path) -> None:
    from pica.extract.policy import extract

    extract(_write(tmp, "p.pdf", b"%PDF-1.7\n garbage"))


def _policy_url(tmp: Path) -> None:
    from pica.extract.policy import extract

    extract("http://[::1/privacy.html")


def _checklist_yaml(tmp: Path) -> None:
    from pica.extract.checklist import extract

    extract(_write(tmp, "c.yaml", b"items: {a: [\n  b: c\n"))


def _checklist_alias(tmp: Path) -> None:
    from pica.extract.checklist import extract

    extract(HOSTILE / "alias_bomb.yaml")


def _checklist_dir(tmp: Path) -> None:
    from pica.extract.checklist import extract

    extract(tmp)


def _checklist_int(tmp: Path) -> None:
    from pica.extract.checklist import extract

    extract(_write(tmp, "c.yaml", b'items: {"1.3": {result: fail, note: !!int 0xZZ}}\n'))


def _checklist_digits(tmp: Path) -> None:
    from pica.extract.checklist import extract

    extract(_write(tmp, "c.yaml", b'items: {"1.3": {result: fail, note: ' + b"7" * 5000 + b"}}"))


def _device_profile(tmp: Path) -> None:
    from pica.extract.device_profile import read_device_profile

    read_device_profile(_write(tmp, "d.json", b'{"imei": ' + b"1" * 5000 + b"}"))


def _device_profile_surrogate(tmp: Path) -> None:
    from pica.extract.device_profile import read_device_profile

    read_device_profile(_write(tmp, "d.json", b'{"imei": "\\udcff"}'))


def _trace(tmp: Path) -> None:
    from pica.extract.trace import read_trace

    read_trace(_write(tmp, "t.jsonl", b"\xff\xfe\x00garbage"))


def _har(tmp: Path) -> None:
    from pica.extract.network import read_capture

    read_capture(_write(tmp, "x.har", b'{"log": {"entries": [' + b"1" * 5000 + b"]}}"))


def _capture(tmp: Path) -> None:
    from pica.extract.network import read_capture

    read_capture(_write(tmp, "x.pcap", b"\xd4\xc3\xb2\xa1" + b"\x00" * 3))


def _camille(tmp: Path) -> None:
    from pica.extract.trace.camille import convert_camille

    convert_camille(_write(tmp, "c.xlsx", b"PK\x03\x04 not a workbook"), tmp / "t.jsonl")


READERS: dict[str, Callable[[Path], None]] = {
    "apk: not a zip": _apk,
    "apk: overlapping entries": _apk_overlap,
    "axml: chunk past the end": _axml,
    "arsc: chunk past the end": _arsc,
    "dex: truncated": _dex,
    "policy: a directory": _policy_file,
    "policy: a broken pdf": _policy_pdf,
    "policy: a malformed url": _policy_url,
    "checklist: malformed yaml": _checklist_yaml,
    "checklist: alias bomb": _checklist_alias,
    "checklist: a directory": _checklist_dir,
    "checklist: !!int 0xZZ": _checklist_int,
    "checklist: a 5,000-digit integer": _checklist_digits,
    "device profile: a 5,000-digit integer": _device_profile,
    "device profile: a lone surrogate": _device_profile_surrogate,
    "trace: not UTF-8": _trace,
    "har: a 5,000-digit integer": _har,
    "pcap: truncated header": _capture,
    "camille: not a workbook": _camille,
}


@pytest.mark.parametrize("reader", list(READERS), ids=list(READERS))
def test_every_reader_fails_with_one_line_input_error(tmp_path: Path, reader: str) -> None:
    with pytest.raises(InputError) as caught:
        READERS[reader](tmp_path)
    message = str(caught.value)
    assert message.strip() and "\n" not in message, message


def test_limits_from_the_environment() -> None:
    got = limits.Limits.from_env({"PICA_INFLATE_BUDGET": "2_000_000", "PICA_FETCH_DEADLINE": "2.5"})
    assert got.inflate_budget == 2_000_000 and got.fetch_deadline == 2.5
    assert got.max_depth == limits.Limits().max_depth
    with pytest.raises(ValueError, match="PICA_MAX_DEPTH"):
        limits.Limits.from_env({"PICA_MAX_DEPTH": "deep"})
    with pytest.raises(ValueError, match="positive"):
        limits.Limits.from_env({"PICA_INFLATE_BUDGET": "0"})


def test_a_batch_runner_sets_limits_per_app() -> None:
    """The readers obey the limits in force: an APK within the default budget is refused under a
    smaller one set by ``using`` (what a batch runner does per app), and accepted after."""
    from pica.extract.apk import extract

    with limits.using(limits.Limits(inflate_budget=10_000)):
        with pytest.raises(InputError, match="inflate budget"):
            extract(APKS / "InsecureBank.apk")
    assert extract(APKS / "InsecureBank.apk").app.package


@contextmanager
def one_connection_server(reply: Callable[[socket.socket], None]) -> Iterator[int]:
    """A loopback TCP server that hands its first connection to ``reply`` in a thread; yields
    the port, and closes and joins on the way out."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            reply(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        thread.join(timeout=5)


def test_fetch_deadline_bounds_a_trickling_server() -> None:
    """In-process: a server sending one byte every 0.2 s is cut at the deadline, whatever the
    per-read timeout would allow."""
    from pica.extract.policy.load import fetch_url

    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        while not stop.wait(0.2):
            try:
                conn.sendall(b"x")
            except OSError:
                return

    with one_connection_server(trickle) as port:
        try:
            with pytest.raises(InputError, match="deadline"):
                fetch_url(
                    f"http://127.0.0.1:{port}/p.html", name=None, max_bytes=1024**2, timeout=1.0
                )
        finally:
            stop.set()


def test_fetch_deadline_covers_a_resolver_that_never_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Name resolution has no timeout of its own. No DNS server can be pointed at here, so the
    system resolver is replaced by one that hangs until released: the fetch must end at its
    deadline, not when the resolver gives up (it then fails, which would read "cannot fetch")."""
    from pica.extract.policy.load import fetch_url

    release = threading.Event()
    asked: list[str] = []
    answered: list[str] = []

    def hanging_resolver(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        asked.append(host)
        release.wait(10)
        answered.append(host)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", hanging_resolver)
    try:
        with pytest.raises(InputError, match="deadline") as caught:
            fetch_url("http://policy.example.cn/p.html", name=None, max_bytes=1024, timeout=0.5)
        # the fetch ended while the resolver was still waiting (no wall clock read: before
        # the fix it waited for the resolver to give up, and only then said "deadline")
        assert asked == ["policy.example.cn"] and answered == []
    finally:
        release.set()
    assert "\n" not in str(caught.value)


def test_fetch_connects_to_the_resolved_address() -> None:
    """The connection goes to what the name resolved to ("localhost" here, a real lookup)."""
    from pica.extract.policy.load import fetch_url

    def policy(conn: socket.socket) -> None:
        conn.recv(65536)
        body = "<html><body><p>隐私政策</p></body></html>".encode()
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    with one_connection_server(policy) as port:
        fetched = fetch_url(
            f"http://localhost:{port}/p.html", name=None, max_bytes=1024**2, timeout=5.0
        )
    assert "隐私政策".encode() in fetched.data


def test_tls_to_a_server_that_is_not_tls_is_one_line() -> None:
    """An https URL answered with a plain-text banner: the ssl error is one InputError line."""
    from pica.extract.policy.load import fetch_url

    def banner(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n" * 20)
        conn.recv(65536)

    with one_connection_server(banner) as port, pytest.raises(InputError) as caught:
        fetch_url(f"https://127.0.0.1:{port}/p.html", name=None, max_bytes=1024**2, timeout=5.0)
    assert "TLS" in str(caught.value) and "\n" not in str(caught.value)
