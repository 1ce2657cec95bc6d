"""mitmproxy flow files (``mitmdump -w``), read without mitmproxy.

A flow file is tnetstring-encoded flow state dicts, one after the other (mitmproxy
``io/io.py``: ``FlowWriter.add`` dumps ``flow.get_state()``; ``FlowReader.stream`` loads until
the end of the file). Checked against mitmproxy's own source for flow format versions
**15 to 21**, i.e. files written by mitmproxy 8.0 to 12.3 (``version.FLOW_FORMAT_VERSION``: 15 in
8.0, 18 in 9.0, 20 in 10.x, 21 in 11.0-12.3; ``io/compat.py`` lists every change). In those
versions a flow is ``{"version": int, "type": "http" | "tcp" | "udp" | "dns", "request": {...},
"server_conn": {...}, "timestamp_created": float, ...}`` and an HTTP request is
``{"host": str, "port": int, "method": bytes, "scheme": bytes, "authority": bytes,
"path": bytes, "http_version": bytes, "headers": [[name bytes, value bytes], ...],
"content": bytes | None, "trailers": ..., "timestamp_start": float, "timestamp_end": ...}``.
The server's IP is ``server_conn["peername"][0]`` from version 19 and
``server_conn["ip_address"][0]`` before; the SNI the client sent is ``server_conn["sni"]``.
Flows of another version are read the same way with one warning.

Only HTTP flows become requests (others are counted in a warning). ``t`` is milliseconds from the
earliest ``request.timestamp_start``. The content is what mitmproxy stored: the body as sent,
still compressed if the client compressed it. Every flow is streamed: parts of a flow other than
its type, version, request and server connection are skipped without being parsed.
"""

from __future__ import annotations

import os
from pathlib import Path

from pica.errors import InputError
from pica.evidence import NetRequest
from pica.extract.network._common import (
    DEFAULT_PORTS,
    MAX_URL,
    Notes,
    bounded_headers,
    clean_host,
)
from pica.extract.network.tnetstring import Reader, TnetError

VERIFIED_VERSIONS = range(15, 22)
TOP_KEYS = frozenset({"version", "type", "request", "server_conn", "id"})
STRING_KEEP = 65536


def _want(path: tuple, key: str) -> bool:
    return bool(path) or key in TOP_KEYS


def read_flows(
    path: str | os.PathLike[str],
    *,
    max_requests: int,
    body_excerpt: int,
) -> tuple[tuple[NetRequest, ...], tuple[str, ...]]:
    path = Path(path)
    name = path.name
    notes = Notes()
    rows: list[tuple[int, float | None, NetRequest]] = []
    try:
        f = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read flow file {path}: {exc.strerror or exc}") from exc
    with f:
        size = os.fstat(f.fileno()).st_size
        reader = Reader(f, keep=max(STRING_KEEP, body_excerpt))
        n = 0
        while True:
            at = f.tell()
            if at >= size:
                break
            n += 1
            if len(rows) >= max_requests:
                notes.add(
                    "max",
                    f"{name}: stopped after {max_requests:,} requests (max_requests) at flow {n:,}",
                )
                break
            reader.elements = 0
            try:
                length, _ = reader.prefix(size - at)
                if reader.tag_after(length) != ord("}"):
                    raise TnetError("is not a dict")
                f.seek(at)
                state, _ = reader.read(size - at, _want)
            except TnetError as exc:
                if n == 1:
                    raise InputError(
                        f"{name} is not a readable mitmproxy flow file: flow 1 {exc}"
                    ) from exc
                notes.add(
                    "bad",
                    f"{name}: flow {n:,} at byte {at:,} {exc}; kept the {n - 1:,} flows before it",
                )
                break
            row = _flow(name, n, state, body_excerpt, notes)
            if row is not None:
                rows.append(row)

    starts = [ts for _, ts, _ in rows if ts is not None]
    first = min(starts) if starts else None
    out = []
    for _, ts, req in rows:
        t = round((ts - first) * 1000) if ts is not None and first is not None else None
        out.append(_with_t(req, t))
    return tuple(out), notes.lines()


def _with_t(req: NetRequest, t: int | None) -> NetRequest:
    from dataclasses import replace

    return replace(req, t=t)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _flow(
    name: str, n: int, state: dict, body_excerpt: int, notes: Notes
) -> tuple[int, float | None, NetRequest] | None:
    version = state.get("version")
    if version not in VERIFIED_VERSIONS:
        notes.add(
            f"version {version!r}",
            f"{name}: flow {n:,} has flow format version {version!r}; pica was checked against "
            f"15-21 (mitmproxy 8.0-12.3) and read it as those",
        )
    kind = _text(state.get("type")) or "http"
    request = state.get("request")
    if kind != "http" or not isinstance(request, dict):
        notes.add(f"type {kind}", f"{name}: flow {n:,} is a {kind} flow, not HTTP; skipped")
        return None
    host = clean_host(_text(request.get("host")))
    port = request.get("port") if isinstance(request.get("port"), int) else None
    method = _text(request.get("method"))
    scheme = _text(request.get("scheme")).lower()
    target = _text(request.get("path"))
    authority = _text(request.get("authority"))
    if method.upper() == "CONNECT" or not target:
        url = authority or (f"{host}:{port}" if port else host)
    else:
        shown = f"[{host}]" if ":" in host else host
        if port is not None and port != DEFAULT_PORTS.get(scheme):
            shown = f"{shown}:{port}"
        url = target if "://" in target else f"{scheme}://{shown}{target}"
    pairs = []
    headers = request.get("headers")
    if isinstance(headers, list):
        for h in headers:
            if isinstance(h, list) and len(h) == 2:
                pairs.append((_text(h[0]), _text(h[1])))
    content = request.get("content")
    body = content[:body_excerpt] if isinstance(content, bytes) else b""
    server = state.get("server_conn")
    ip, sni = "", ""
    if isinstance(server, dict):
        peer = server.get("peername", server.get("ip_address"))
        if isinstance(peer, list) and peer:
            ip = clean_host(_text(peer[0]))
        sni = clean_host(_text(server.get("sni")))
    ts = request.get("timestamp_start")
    req = NetRequest(
        index=n,
        t=None,
        host=host,
        ip=ip,
        port=port,
        method=method,
        url=url[:MAX_URL],
        headers=bounded_headers(pairs),
        body=body,
        sni=sni,
        aligned=False,
        source=f"{name} flow {n}",
    )
    return n, float(ts) if isinstance(ts, int | float) else None, req
