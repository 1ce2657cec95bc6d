"""Issue 20's acceptance: each constructed hostile input gives exit 2 and one line, nothing
written, in a pica process whose address space is capped at 1 GiB (RLIMIT_AS) and whose peak
RSS is measured (wait4). Fixtures: tests/fixtures/hostile (tools/build_hostile_fixtures.py);
HTTP servers: real sockets on loopback in threads."""

from __future__ import annotations

import importlib.util
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import APKS, FIXTURES

HOSTILE = FIXTURES / "hostile"
ROOT = FIXTURES.parent.parent
POLICY = FIXTURES / "policies" / "viodroid" / "C107228073-1.0.0.html"
ADDRESS_CAP = 1024**3  # 1 GiB of address space: peak RSS is below it by construction
RSS_CAP_KIB = 1024**2  # and measured: ru_maxrss in KiB


def _tools():
    spec = importlib.util.spec_from_file_location(
        "build_hostile_fixtures", ROOT / "tools" / "build_hostile_fixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    max_rss_kib: int


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_CAP, ADDRESS_CAP))


def run_capped(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """pica in a fresh process under RLIMIT_AS; its own peak RSS from wait4."""
    out, err = cwd.parent / "stdout.txt", cwd.parent / "stderr.txt"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pica", *args],
            cwd=cwd,
            stdout=o,
            stderr=e,
            preexec_fn=_cap,
            env={**os.environ, "COLUMNS": "200", "OPENBLAS_NUM_THREADS": "1", **(env or {})},
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        proc.returncode,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        usage.ru_maxrss,
    )


def assert_one_line_refusal(run: Run, cwd: Path, *words: str) -> str:
    assert run.returncode == 2, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
    assert run.max_rss_kib < RSS_CAP_KIB, run.max_rss_kib
    assert sorted(p.name for p in cwd.iterdir()) == [], "something was written"
    return lines[0]


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    return run


# --- archives ---------------------------------------------------------------------------------


def test_lying_sizes_past_the_inflate_budget(tmp_path: Path, cwd: Path) -> None:
    bomb = tmp_path / "budget_bomb.apk"
    bomb.write_bytes(_tools().budget_bomb())
    assert bomb.stat().st_size < 8 * 1024**2  # three entries declaring 400 MiB each
    line = assert_one_line_refusal(
        run_capped("audit", str(bomb), "-o", "r.json", cwd=cwd), cwd, "inflate budget", "DEX"
    )
    assert "PICA_INFLATE_BUDGET" in line


def test_inflate_budget_counted_while_inflating(tmp_path: Path, cwd: Path) -> None:
    """A budget smaller than the resource table: hit by the running count, chunk by chunk,
    naming the entry it was inflating."""
    line = assert_one_line_refusal(
        run_capped(
            "audit",
            str(APKS / "InsecureBank.apk"),
            "-o",
            "r.json",
            cwd=cwd,
            env={"PICA_INFLATE_BUDGET": "4000"},
        ),
        cwd,
        "inflate budget",
    )
    assert "exhausted while inflating entry 'resources.arsc'" in line


@pytest.mark.parametrize(
    "fixture, words",
    [
        ("overlap.apk", ("overlap", "classes2.dex")),
        ("local_central.apk", ("local header", "central directory", "classes.dex")),
        ("bad_version.apk", ("unsupported", "version")),
    ],
)
def test_hostile_archives(cwd: Path, fixture: str, words: tuple[str, ...]) -> None:
    assert_one_line_refusal(
        run_capped("audit", str(HOSTILE / fixture), "-o", "r.json", cwd=cwd), cwd, *words
    )


# --- YAML -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture, words",
    [
        ("alias_bomb.yaml", ("alias", "line 1")),
        ("deep.yaml", ("nested", "64")),
        ("bad_values.yaml", ("line 1", "cannot build")),
        # legal YAML, but no Unicode text
        ("surrogate_note.yaml", ("line 1", "lone surrogate", "\\udcff")),
    ],
)
def test_hostile_checklists(cwd: Path, fixture: str, words: tuple[str, ...]) -> None:
    assert_one_line_refusal(
        run_capped(
            "audit", "--demo", "--checklist", str(HOSTILE / fixture), "-o", "r.json", cwd=cwd
        ),
        cwd,
        *words,
    )


@pytest.mark.parametrize("fmt", ["json", "html", "md", "sarif"])
def test_surrogate_in_report_text_is_escaped_in_every_format(fmt: str) -> None:
    """Other inputs (a trace's JSON, a HAR body) can still carry one: every renderer writes
    valid UTF-8 with the surrogate as its escape instead of failing the report."""
    import dataclasses

    from test_render_support import build_report

    from pica.render import render

    report = build_report()
    report.findings = [
        dataclasses.replace(f, reason=f.reason + " 6 taps \udcff") for f in report.findings
    ]
    text = render(report, fmt).decode("utf-8")  # strict: valid UTF-8 throughout
    assert "\\udcff" in text


# --- HTTP ---------------------------------------------------------------------------------------


class Server:
    """A loopback TCP server answering every connection with ``reply(conn)`` in a thread."""

    def __init__(self, reply) -> None:  # noqa: ANN001
        self.reply = reply
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)  # the request
                self.reply(conn, self.stop)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(timeout=5)


def _trickle(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
    while not stop.wait(0.5):
        conn.sendall(b"x")  # a byte every half second, for ever: no read ever times out


def _trickle_headers(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while not stop.wait(0.5):
        conn.sendall(b"X")  # one header line that never ends


def _garbage(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n" + bytes(range(256)) * 4)


def _many_headers(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n" + b"X-Pad: 1\r\n" * 10_000 + b"\r\n<p>hi</p>")


def _long_header(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 100_000 + b"\r\n\r\n<p>hi</p>")


def _to_file(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n")


def _to_file_relative(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 301 Moved\r\nLocation: ftp://127.0.0.1/p\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def server(request) -> Iterator[Server]:  # noqa: ANN001
    srv = Server(request.param)
    yield srv
    srv.close()


@pytest.mark.parametrize(
    "server, words",
    [
        (_trickle, ("fetch deadline", "PICA_FETCH_DEADLINE")),
        (_trickle_headers, ("fetch deadline",)),
        (_garbage, ("malformed http response",)),
        (_many_headers, ("header",)),
        (_long_header, ("malformed http response",)),
        (_to_file, ("redirects to file:///etc/passwd", "http(s)")),
        (_to_file_relative, ("redirects to ftp://",)),
    ],
    indirect=["server"],
    ids=["trickle", "trickle-headers", "garbage", "10000-headers", "long-header", "file", "ftp"],
)
def test_hostile_policy_servers(server: Server, cwd: Path, words: tuple[str, ...]) -> None:
    run = run_capped(
        "policy",
        f"http://127.0.0.1:{server.port}/privacy.html",
        "-o",
        "r.json",
        cwd=cwd,
        env={"PICA_FETCH_DEADLINE": "2"},
    )
    assert_one_line_refusal(run, cwd, *words)


def test_malformed_url_host(cwd: Path) -> None:
    run = run_capped("policy", "http://[::1/privacy.html", "-o", "r.json", cwd=cwd)
    assert_one_line_refusal(run, cwd, "malformed policy url")


# --- output -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["apk", "policy", "checklist", "default-name"])
def test_output_equal_to_an_input_is_refused(tmp_path: Path, cwd: Path, kind: str) -> None:
    apk = tmp_path / "app.apk"
    shutil.copy(APKS / "InsecureBank.apk", apk)
    if kind == "apk":
        args = ["audit", str(apk), "-o", str(apk)]
        victim = apk
    elif kind == "policy":
        victim = tmp_path / "policy.html"
        shutil.copy(POLICY, victim)
        args = ["audit", str(apk), "--policy", str(victim), "-o", "../policy.html"]
    elif kind == "checklist":
        victim = tmp_path / "c.yaml"
        victim.write_text('items: {"1.3": {result: pass}}\n')
        args = [
            "audit",
            str(apk),
            "--checklist",
            str(victim),
            "--format",
            "html",
            "-o",
            str(victim),
        ]
    else:  # no -o: the default report name is the policy's own name
        victim = cwd / "pica-report.html"
        shutil.copy(POLICY, victim)
        args = ["policy", "pica-report.html"]
    before = victim.read_bytes()
    run = run_capped(*args, cwd=cwd)
    assert run.returncode == 2, run.stderr
    lines = [x for x in run.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "would overwrite the input" in lines[0], run.stderr
    assert victim.read_bytes() == before
    assert not [p for p in victim.parent.iterdir() if p.name.startswith(".pica-")]


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_signal_between_temp_file_and_rename_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signame: str
) -> None:
    """A real signal delivered while the report sits in its temporary file (the moment
    ``os.replace`` is called): the temporary file is removed, the target never appears."""
    from pica import cli

    sig = getattr(signal, signame)
    previous = signal.getsignal(sig)
    signal.signal(sig, signal.SIG_DFL)
    try:
        cli._install_signal_handlers()
        real_replace = os.replace

        def replace_after_signal(src, dst):  # noqa: ANN001, ANN202
            os.kill(os.getpid(), sig)
            for _ in range(1000):  # the handler runs between bytecodes of this thread
                pass
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace_after_signal)
        with pytest.raises(SystemExit) as stopped:
            cli._write(b"report", tmp_path / "r.html")
        assert stopped.value.code == 128 + sig
    finally:
        signal.signal(sig, previous)
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_one_usage_line(cwd: Path) -> None:
    run = run_capped("audit", "--format", "pdf", "app.apk", cwd=cwd)
    assert run.returncode == 2
    assert run.stderr.strip() == "pica: --format: 'pdf' is not one of html, json, md, sarif"


def test_jieba_cache_goes_to_the_user_cache(tmp_path: Path, cwd: Path) -> None:
    """The first policy run (empty cache) writes nothing to the temp directory: jieba's cache
    lands in pica's user cache directory."""
    tmp, cache = tmp_path / "tmp", tmp_path / "cache"
    tmp.mkdir()
    run = run_capped(
        "policy",
        str(POLICY),
        "-o",
        "r.json",
        cwd=cwd,
        env={"TMPDIR": str(tmp), "PICA_CACHE_DIR": str(cache)},
    )
    assert run.returncode in (0, 1), run.stderr
    assert list(tmp.iterdir()) == []
    assert (cache / "jieba.cache").exists()
