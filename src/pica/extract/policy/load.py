"""Bounded input: read a file, bytes or an http(s) URL; sniff the format; decode the charset."""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pica import limits
from pica.errors import InputError

DEFAULT_MAX_BYTES = limits.Limits().max_policy_bytes
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class RawInput:
    data: bytes
    location: str  # path or URL as given (for reports)
    name: str  # short name used in cites
    ext: str  # lower-case suffix hint, "" if none
    content_type: str = ""  # from HTTP, if fetched


def is_url(source: object) -> bool:
    return isinstance(source, str) and bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", source))


def read_source(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
) -> RawInput:
    """The bytes of a policy; ``max_bytes`` and the fetch deadline (``timeout``) default to
    the limits in force (``pica.limits``)."""
    if max_bytes is None:
        max_bytes = limits.current().max_policy_bytes
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > max_bytes:
            raise InputError(f"policy input is {len(data)} bytes, over the {max_bytes}-byte limit")
        nm = name or "policy"
        return RawInput(data, nm, nm, Path(nm).suffix.lower())
    if is_url(source):
        return fetch_url(str(source), name=name, max_bytes=max_bytes, timeout=timeout)
    path = Path(os.fspath(source))
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read policy file {path.name}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise InputError(f"policy input {path.name} is not a regular file")
    if size > max_bytes:
        raise InputError(
            f"policy file {path.name} is {size} bytes, over the {max_bytes}-byte limit"
        )
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read policy file {path.name}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"policy file {path.name} is over the {max_bytes}-byte limit")
    return RawInput(data, str(path), name or path.name, path.suffix.lower())


def _short(url: str) -> str:
    """A URL as messages quote it: one line, at most 120 characters."""
    text = "".join(c if c.isprintable() else "?" for c in url)
    return text if len(text) <= 120 else text[:117] + "..."


def fetch_url(
    url: str, *, name: str | None, max_bytes: int, timeout: float | None = None
) -> RawInput:
    """GET an http(s) URL within one overall deadline (connect, headers and body of every hop,
    redirects included; ``timeout`` overrides ``Limits.fetch_deadline``), bounded headers and
    body, redirects only to http(s). Every failure is one ``InputError`` line."""
    import time
    import urllib.parse

    lim = limits.current()
    seconds = lim.fetch_deadline if timeout is None else timeout
    deadline = time.monotonic() + seconds
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            parts = urllib.parse.urlsplit(current)
            host, port = parts.hostname, parts.port
        except ValueError as exc:
            raise InputError(f"malformed policy URL {_short(current)}: {exc}") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise InputError(f"only http(s) policy URLs are fetched, not {parts.scheme}:")
        if not host:
            raise InputError(f"malformed policy URL {_short(current)}: no host")
        status, headers, data = _get_once(parts, host, port, deadline, seconds, max_bytes, lim)
        if status in (301, 302, 303, 307, 308):
            location = headers.get("Location", "")
            if not location:
                raise InputError(
                    f"policy URL {_short(current)} returned HTTP {status} and no Location"
                )
            target = urllib.parse.urljoin(current, location.strip())
            scheme = urllib.parse.urlsplit(target).scheme.lower()
            if scheme not in ("http", "https"):
                raise InputError(
                    f"policy URL {_short(current)} redirects to {_short(target)}: "
                    "only redirects to http(s) are followed"
                )
            current = target
            continue
        if not 200 <= status < 300:
            raise InputError(f"policy URL {_short(current)} returned HTTP {status}")
        path = urllib.parse.urlsplit(current).path
        ctype = headers.get("Content-Type", "")
        return RawInput(data, url, name or url, Path(path).suffix.lower(), ctype)
    raise InputError(f"policy URL {_short(url)} redirects more than {MAX_REDIRECTS} times")


def _get_once(parts, host, port, deadline, seconds, max_bytes, lim):  # noqa: ANN001, ANN202
    """One GET under a watchdog that shuts the socket at the deadline (a server trickling a
    byte a second passes any per-read timeout; it cannot pass this)."""
    # imported here, as only a URL needs them (~7 ms of every process's start-up otherwise)
    import http.client
    import socket
    import ssl
    import threading
    import time

    where = f"policy URL {_short(parts.geturl())}"
    late = InputError(
        f"{where} did not answer within the {seconds:g} s fetch deadline "
        f"({limits.Limits.env_name('fetch_deadline')})"
    )
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise late
    try:
        if parts.scheme.lower() == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=remaining, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(host, port, timeout=remaining)
    except (ValueError, http.client.InvalidURL) as exc:
        raise InputError(f"malformed {where}: {_first(exc)}") from None
    # the name is resolved first, under the same deadline (getaddrinfo has no timeout of its
    # own: a resolver that never answers would hang here), and the connection goes to the
    # addresses found; TLS still checks the certificate against the host name
    addresses = _resolve_within(host, port, deadline, late, where)

    def connect_resolved(_address, timeout, source=None):  # noqa: ANN001, ANN202
        return _connect_any(addresses, timeout, source)

    # http.client's one hook for how a connection's socket is made (used by HTTPS too)
    conn._create_connection = connect_resolved  # type: ignore[attr-defined]
    expired = threading.Event()
    held: list[socket.socket] = []  # the connected socket (http.client drops conn.sock early)

    def expire() -> None:
        expired.set()
        for sock in held:
            try:  # the plain socket's shutdown, also under TLS: wakes a blocked read
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(remaining, expire)
    timer.daemon = True
    timer.start()
    try:
        conn.connect()
        if expired.is_set():
            raise late
        held.append(conn.sock)
        if expired.is_set():  # the deadline fell between connect and now
            raise late
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request(
            "GET",
            target,
            headers={"User-Agent": "pica-policy-fetch/0.1", "Accept": "text/html,*/*;q=0.5"},
        )
        resp = conn.getresponse()
        items = resp.msg.items()
        if len(items) > lim.fetch_max_headers:
            raise InputError(
                f"{where} sent {len(items):,} header lines (limit {lim.fetch_max_headers}, "
                f"{limits.Limits.env_name('fetch_max_headers')})"
            )
        size = sum(len(k) + len(v) + 4 for k, v in items)
        if size > lim.fetch_max_header_bytes:
            raise InputError(
                f"{where} sent {size:,} bytes of headers (limit {lim.fetch_max_header_bytes:,}, "
                f"{limits.Limits.env_name('fetch_max_header_bytes')})"
            )
        headers = {k.title(): v for k, v in items}
        if resp.status in (301, 302, 303, 307, 308):
            return resp.status, headers, b""
        length = headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise InputError(f"{where} body is {length} bytes, over the {max_bytes:,}-byte limit")
        body = bytearray()
        while len(body) <= max_bytes:
            chunk = resp.read1(65536)
            if not chunk:
                break
            body += chunk
        if len(body) > max_bytes:
            raise InputError(f"{where} body is over the {max_bytes:,}-byte limit")
        if expired.is_set():
            raise late
        return resp.status, headers, bytes(body)
    except InputError:
        raise
    except http.client.HTTPException as exc:
        if expired.is_set():
            raise late from None
        text = _first(exc)
        if "more than" in text and "headers" in text:
            raise InputError(f"{where} sent more header lines than the limit ({text})") from None
        raise InputError(
            f"{where} sent a malformed HTTP response ({type(exc).__name__}: {text})"
        ) from None
    except ssl.SSLError as exc:
        raise InputError(f"{where}: TLS failed ({_first(exc)})") from None
    except ssl.CertificateError as exc:
        raise InputError(f"{where}: TLS certificate refused ({_first(exc)})") from None
    except TimeoutError:
        raise late from None
    except OSError as exc:
        if expired.is_set():
            raise late from None
        raise InputError(f"cannot fetch {where}: {_first(exc.strerror or exc)}") from None
    except (ValueError, UnicodeError) as exc:  # a host IDNA cannot encode, a bad header value
        raise InputError(f"cannot fetch {where}: {_first(exc)}") from None
    finally:
        timer.cancel()
        conn.close()


def _resolve_within(
    host: str, port: int, deadline: float, late: InputError, where: str
) -> list[tuple[str, int]]:
    """The socket addresses of ``host``, or ``late`` when the resolver has not answered by the
    deadline (it runs in a daemon thread that is left behind; the process goes on)."""
    import socket
    import threading
    import time

    found: list[tuple[str, int]] = []
    failed: list[BaseException] = []

    def resolve() -> None:
        try:
            for *_rest, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
                if (sockaddr[0], sockaddr[1]) not in found:
                    found.append((sockaddr[0], sockaddr[1]))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            failed.append(exc)

    worker = threading.Thread(target=resolve, name="pica-resolve", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        raise late
    if failed:
        exc = failed[0]
        if isinstance(exc, OSError):
            raise InputError(f"cannot fetch {where}: {_first(exc.strerror or exc)}") from None
        raise InputError(f"cannot fetch {where}: {_first(exc)}") from None
    if not found:
        raise InputError(f"cannot fetch {where}: the host name has no address")
    return found


def _connect_any(addresses: list[tuple[str, int]], timeout: float, source=None):  # noqa: ANN001, ANN202
    """Connect to the first of the resolved addresses that accepts (as create_connection does
    with the addresses it resolves itself)."""
    import socket

    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection(address, timeout, source)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


def _first(text: object) -> str:
    lines = str(text).strip().splitlines()
    return (lines[0] if lines else type(text).__name__)[:200]


def sniff_kind(raw: RawInput) -> str:
    """'pdf', 'html' or 'text'."""
    head = raw.data[:2048]
    if head.lstrip()[:5] == b"%PDF-" or "pdf" in raw.content_type.lower():
        return "pdf"
    if raw.ext == ".pdf":
        raise InputError(f"{raw.name} is named .pdf but is not a PDF")
    if raw.ext in (".html", ".htm", ".xhtml") or "html" in raw.content_type.lower():
        return "html"
    if raw.ext in (".txt", ".md", ".text"):
        return "text"
    probe = _strip_bom(head).lower()
    for enc_probe in (probe, head.decode("utf-16", "ignore").encode("utf-8", "ignore").lower()):
        if re.search(rb"<\s*(!doctype\s+html|html|head|body|meta|div|p|table|h[1-6])\b", enc_probe):
            return "html"
    return "text"


def _strip_bom(data: bytes) -> bytes:
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(bom):
            return data[len(bom) :]
    return data


_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
_META = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]{2,30})""", re.I)


def _norm(enc: str) -> str | None:
    enc = enc.strip().lower()
    enc = _ALIASES.get(enc, enc)
    try:
        return codecs.lookup(enc).name
    except LookupError:
        return None


def decode_bytes(data: bytes, *, content_type: str = "", html: bool = False) -> str:
    """Decode with BOM, then HTTP/meta charset, then UTF-8, then detection. Raises InputError."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return _try(data, "utf-32") or _fail()
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _try(data, "utf-16") or _fail()
    declared: list[str] = []
    m = re.search(r"charset\s*=\s*([A-Za-z0-9_\-]+)", content_type or "", re.I)
    if m:
        declared.append(m.group(1))
    if html:
        mm = _META.search(data[:8192])
        if mm:
            declared.append(mm.group(1).decode("ascii", "ignore"))
    for enc in declared:
        norm = _norm(enc)
        if norm and not norm.startswith("utf-16"):
            text = _try(data, norm)
            if text is not None:
                return text
    # UTF-16 without BOM: many NULs in alternating positions.
    if data[:2000].count(b"\x00") > len(data[:2000]) // 4:
        for enc in ("utf-16-le", "utf-16-be"):
            text = _try(data, enc)
            if text is not None and _looks_textual(text):
                return text
    text = _try(data, "utf-8")
    if text is not None:
        return text
    text = _detect(data)
    if text is not None:
        return text
    # Mostly UTF-8 with a few bad bytes: keep it, with replacement characters.
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") <= max(8, len(text) // 100):
        return text
    raise InputError("policy text is not decodable in any supported charset")


def _fail() -> str:
    raise InputError("policy text is not decodable in the charset its byte-order mark declares")


def _try(data: bytes, enc: str) -> str | None:
    try:
        return data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_textual(text: str) -> bool:
    sample = text[:2000]
    if not sample:
        return True
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\r\n\t") or 0xE000 <= ord(c) < 0xF900)
    return bad < len(sample) // 20


def _detect(data: bytes) -> str | None:
    # GB18030 is the commonest non-UTF-8 encoding for Chinese policies: try it strictly first.
    text = _try(data, "gb18030")
    if text is not None and _cjk_ratio(text) > 0.05:
        return text
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
    except Exception:  # detection is best-effort
        best = None
    if best is None:
        return None
    enc = _norm(best.encoding) or best.encoding
    text = _try(data, enc)
    if text is not None and _looks_textual(text):
        return text
    return None


def _cjk_ratio(text: str) -> float:
    sample = text[:5000]
    if not sample:
        return 0.0
    return sum(1 for c in sample if "\u4e00" <= c <= "\u9fff") / len(sample)
