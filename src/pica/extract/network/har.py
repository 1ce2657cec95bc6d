"""HAR 1.2 reader: one ``NetRequest`` per ``log.entries[]`` item.

Fields used (HAR 1.2, "HTTP Archive 1.2", Jan Odvarko; mirrored at ahmadnassri/har-spec):
``entries[].startedDateTime`` (ISO 8601), ``entries[].serverIPAddress`` (optional; Chromium
writes IPv6 in brackets), ``request.method``, ``request.url`` (absolute), ``request.headers[]``
(``{name, value}``), ``request.postData`` (optional: ``text``, or ``params[]`` of
``{name, value}``; ``encoding: "base64"`` from the 1.3 proposal is honoured). Any other field,
and ``_``-prefixed custom fields, are ignored; a missing optional field leaves its default.

``t`` is milliseconds from the earliest ``startedDateTime`` (the first entry's, as HAR requires
entries sorted by it); an entry without a readable date has ``t=None``. The port is the URL's, or
its scheme's default. A HAR is JSON and is parsed whole, so its size is capped (``max_bytes``).
"""

from __future__ import annotations

import base64
import binascii
import os
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

from pica.errors import InputError
from pica.evidence import NetRequest
from pica.extract.network._common import (
    MAX_URL,
    Notes,
    bounded_headers,
    clean_host,
    url_parts,
)
from pica.extract.structured import load_json


def read_har(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    max_requests: int,
    body_excerpt: int,
) -> tuple[tuple[NetRequest, ...], tuple[str, ...]]:
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"HAR {name} is {size:,} bytes (limit {max_bytes:,})")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read HAR {path}: {exc.strerror or exc}") from exc
    if len(raw) > max_bytes:  # the file grew after stat
        raise InputError(f"HAR {name} is over {max_bytes:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"HAR {name} is not UTF-8 (byte {exc.start:,})") from exc
    del raw
    data = load_json(text, f"HAR {name}")
    del text
    log = data.get("log") if isinstance(data, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"HAR {name} has no log.entries list (is it a HAR?)")

    notes = Notes()
    rows: list[tuple[int, datetime | None, dict]] = []
    for n, entry in enumerate(entries, start=1):
        if len(rows) >= max_requests:
            notes.add(
                "max",
                f"{name}: stopped after {max_requests:,} requests (max_requests); "
                f"{len(entries) - n + 1:,} entries not read",
            )
            break
        request = entry.get("request") if isinstance(entry, dict) else None
        url = request.get("url") if isinstance(request, dict) else None
        if not isinstance(url, str) or not url:
            notes.add("nourl", f"{name}: entry {n} has no request.url, skipped")
            continue
        started = _parse_time(entry.get("startedDateTime"))
        if started is None:
            notes.add("time", f"{name}: entry {n} has no readable startedDateTime (t left empty)")
        rows.append((n, started, entry))

    times = [s for _, s, _ in rows if s is not None]
    first = min(times) if times else None
    out = []
    for n, started, entry in rows:
        t = None
        if started is not None and first is not None:
            t = round((started - first).total_seconds() * 1000)
        out.append(_request(name, n, t, entry, body_excerpt, notes))
    return tuple(out), notes.lines()


def _request(
    name: str, n: int, t: int | None, entry: dict, body_excerpt: int, notes: Notes
) -> NetRequest:
    request = entry["request"]
    url = request["url"][:MAX_URL]
    host, port = url_parts(url)
    headers = request.get("headers")
    pairs = []
    if isinstance(headers, list):
        for h in headers:
            if isinstance(h, dict) and isinstance(h.get("name"), str):
                value = h.get("value")
                pairs.append((h["name"], value if isinstance(value, str) else ""))
    ip = entry.get("serverIPAddress")
    method = request.get("method")
    return NetRequest(
        index=n,
        t=t,
        host=host,
        ip=clean_host(ip) if isinstance(ip, str) else "",
        port=port,
        method=method if isinstance(method, str) else "",
        url=url,
        headers=bounded_headers(pairs),
        body=_body(name, n, request.get("postData"), body_excerpt, notes),
        aligned=False,
        source=f"{name} entry {n}",
    )


def _body(name: str, n: int, post: object, limit: int, notes: Notes) -> bytes:
    if not isinstance(post, dict):
        return b""
    text = post.get("text")
    if isinstance(text, str) and text:
        if str(post.get("encoding", "")).lower() == "base64":
            try:
                return base64.b64decode(text[: (limit * 4 // 3) + 8], validate=False)[:limit]
            except (binascii.Error, ValueError):
                notes.add("b64", f"{name}: entry {n} postData is not valid base64; kept as text")
        return text[:limit].encode("utf-8")[:limit]
    params = post.get("params")
    if isinstance(params, list):
        pairs = [
            (str(p.get("name", "")), str(p.get("value", ""))) for p in params if isinstance(p, dict)
        ]
        return urllib.parse.urlencode(pairs).encode("ascii")[:limit]
    return b""


def _parse_time(value: object) -> datetime | None:
    """ISO 8601 as Python 3.11 reads it ("Z", offsets, any number of fractional digits)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
