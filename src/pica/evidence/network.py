"""Facts from network captures: one request per ``NetRequest``, whatever the capture format.

HAR 1.2, pcap/pcapng (DNS names, TLS SNI, plain HTTP), mitmproxy flow files and a trace's own
``net`` events all come out as this type (``pica.extract.network``). Bodies are bounded
excerpts; ``t`` is milliseconds on the trace's clock when the capture can be aligned with it,
else on the capture's own clock from its first packet (``aligned`` says which).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Party(StrEnum):
    """Who makes a call or receives data."""

    FIRST = "first"  # the app's own code or back-end
    THIRD = "third"  # an embedded SDK or an outside service


@dataclass(frozen=True)
class NetRequest:
    """One request (or, from pcap, one TLS handshake or DNS answer) the app's device sent."""

    index: int  # 1-based position in the capture (line of the trace, entry of the HAR…)
    t: int | None  # milliseconds (see module docstring); None when the format has no time
    host: str  # lower-case host name, or the IP when no name is known
    ip: str = ""
    port: int | None = None
    method: str = ""  # GET, POST… ; "TLS" for an SNI-only record, "DNS" for a lookup
    url: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""  # request body excerpt (bounded by the reader)
    sni: str = ""
    aligned: bool = True  # t is on the trace's clock
    source: str = ""  # capture file and position: "capture.har entry 3", "dump.pcap frame 812"
