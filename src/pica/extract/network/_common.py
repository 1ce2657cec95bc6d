"""What the capture readers share: limits, header and host clean-up, warning collection."""

from __future__ import annotations

import urllib.parse

# Header bounds, the same for every format: a request keeps at most this many headers, each value
# cut to this many characters (a cookie jar or a base64 blob in a header is still recognisable).
MAX_HEADERS = 200
MAX_HEADER_VALUE = 8192
MAX_URL = 16384

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def clean_host(host: str) -> str:
    """Lower-case host without brackets or a trailing dot: ``[::1]`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".")


def host_of_authority(authority: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` (``[v6]:port`` too) as a Host header or CONNECT target holds it."""
    authority = authority.strip()
    if authority.startswith("["):
        end = authority.find("]")
        if end > 0:
            rest = authority[end + 1 :]
            port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
            return clean_host(authority[: end + 1]), port
    host, sep, port = authority.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return clean_host(host), int(port)
    return clean_host(authority), None


def url_parts(url: str) -> tuple[str, int | None]:
    """Host and port of an absolute URL (the scheme's port when none is written)."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return "", None
    host = clean_host(parts.hostname or "")
    return host, port if port is not None else DEFAULT_PORTS.get(parts.scheme.lower())


def bounded_headers(pairs) -> tuple[tuple[str, str], ...]:
    out = []
    for name, value in pairs:
        if len(out) >= MAX_HEADERS:
            break
        out.append((str(name)[:256], str(value)[:MAX_HEADER_VALUE]))
    return tuple(out)


def header(headers: tuple[tuple[str, str], ...], name: str) -> str:
    name = name.lower()
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


class Notes:
    """Warnings, folded: the first occurrence of each kind is told, later ones only counted."""

    def __init__(self) -> None:
        self._first: dict[str, str] = {}
        self._count: dict[str, int] = {}

    def add(self, kind: str, message: str) -> None:
        if kind not in self._first:
            self._first[kind] = message
        self._count[kind] = self._count.get(kind, 0) + 1

    def lines(self) -> tuple[str, ...]:
        out = []
        for kind, message in self._first.items():
            more = self._count[kind] - 1
            out.append(message + (f" ({more:,} more like it)" if more else ""))
        return tuple(out)
