"""A real uvicorn server on a free loopback port, in a thread, for the web tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app) -> Iterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1; yields its base URL, stops it after."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_for_scan(base: str, scan_id: int, attempts: int = 900) -> dict:
    """Poll GET /api/scans/{id} until the scan is no longer running (0.2 s apart)."""
    for _ in range(attempts):
        answer = httpx.get(f"{base}/api/scans/{scan_id}", timeout=30).json()
        if answer["status"] != "running":
            return answer
        time.sleep(0.2)
    raise AssertionError(f"scan {scan_id} still running after {attempts} polls")
