"""Network capture reader: a HAR, pcap/pcapng or mitmproxy flow file in, ``NetRequest``s out.

``read_capture`` decides the format from the file's first bytes, never from its name:

- pcap (all four magic numbers) and pcapng (``0A 0D 0D 0A``): ``pcap.py``, streamed packet by
  packet; DNS answers, TLS ClientHello SNI and plain HTTP/1.x requests.
- JSON (a ``{`` after an optional BOM and white space): a HAR 1.2 file, ``har.py``. A HAR is parsed
  whole, so it is refused above ``max_bytes`` (default 256 MiB; a 250 MiB HAR of 95,221 entries
  peaked at 1.16 GiB RSS and took 6.5 s here).
- a tnetstring (``<digits>:``): a mitmproxy flow file, ``mitm.py``, streamed flow by flow.

Every reader returns ``(requests, warnings)``: the requests in capture order (``index`` is the
entry, frame or flow number, 1-based) and one-line warnings about what was skipped or cut short
(a truncated capture keeps what was read). A file that is none of these formats, or is unreadable
as the format it claims, raises ``InputError`` with a one-line message. Times are milliseconds on
the capture's own clock from its first request or packet, so ``aligned`` is False.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pica.errors import InputError
from pica.evidence import NetRequest

DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # the largest HAR read (pcap and flow files are streamed)
DEFAULT_MAX_REQUESTS = 100_000
DEFAULT_BODY_EXCERPT = 4096

PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"

__all__ = ["read_capture", "sniff_format", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_REQUESTS"]


def sniff_format(path: str | os.PathLike[str]) -> str:
    """``"pcap"``, ``"pcapng"``, ``"har"`` or ``"mitm"``, from the first bytes; else InputError."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(64)
    except IsADirectoryError as exc:
        raise InputError(f"capture {path} is a directory, not a file") from exc
    except OSError as exc:
        raise InputError(f"cannot read capture {path}: {exc.strerror or exc}") from exc
    if not head:
        raise InputError(f"capture {path.name} is empty")
    if head[:4] in PCAP_MAGICS:
        return "pcap"
    if head[:4] == PCAPNG_MAGIC:
        return "pcapng"
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if text.lstrip(b" \t\r\n")[:1] in (b"{", b"["):
        return "har"
    if re.match(rb"[0-9]{1,20}:", head):
        return "mitm"
    if head[:2] == b"\x1f\x8b":
        raise InputError(f"capture {path.name} is gzip-compressed: decompress it first")
    shown = head[:8].hex(" ")
    raise InputError(
        f"capture {path.name} is not a HAR, pcap, pcapng or mitmproxy flow file "
        f"(it starts with {shown})"
    )


def read_capture(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_requests: int = DEFAULT_MAX_REQUESTS,
    body_excerpt: int = DEFAULT_BODY_EXCERPT,
) -> tuple[tuple[NetRequest, ...], tuple[str, ...]]:
    """Read one capture file into its requests and warnings (see the module docstring).

    ``max_bytes`` bounds a HAR (read whole); pcap and flow files are streamed whatever their size,
    with bounds on each record. At most ``max_requests`` requests are kept (a warning says when the
    reader stopped there); each body is cut to ``body_excerpt`` bytes.
    """
    for name, value in (
        ("max_bytes", max_bytes),
        ("max_requests", max_requests),
        ("body_excerpt", body_excerpt),
    ):
        least = 0 if name == "body_excerpt" else 1
        if not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an int of at least {least}, not {value!r}")
    kind = sniff_format(path)
    if kind == "har":
        from pica.extract.network.har import read_har

        return read_har(
            path, max_bytes=max_bytes, max_requests=max_requests, body_excerpt=body_excerpt
        )
    if kind == "mitm":
        from pica.extract.network.mitm import read_flows

        return read_flows(path, max_requests=max_requests, body_excerpt=body_excerpt)
    from pica.extract.network.pcap import read_pcap

    return read_pcap(path, max_requests=max_requests, body_excerpt=body_excerpt)
