"""pcap and pcapng captures: DNS answers, TLS server names and plain HTTP requests, streamed.

Packets are read one at a time (``capfile.records``) and dissected with dpkt (link layer, IPv4,
IPv6, TCP, UDP, DNS). Link types: Ethernet (1, VLAN tags included), Linux cooked v1 (113) and v2
(276), raw IP (101, 12, 14, 228, 229) and BSD loopback (0, 108). Three kinds of record come out:

- ``method="DNS"``: each DNS response over UDP from port 53: ``host`` is the name asked for,
  ``ip`` its first address, ``headers`` every answer as ``(type, value)`` (``("A", "1.2.3.4")``,
  ``("AAAA", …)``, ``("CNAME", …)``). Every address answered is remembered (the newest name wins)
  so that later packets to it get that name as ``host``.
- ``method="TLS"``: each ClientHello: ``sni`` the server name it asks for (RFC 6066), ``host`` the
  SNI, else the DNS name of the server's address, else the address.
- plain HTTP/1.x requests: method, ``Host`` header (else the DNS name, else the address) and path
  as ``url``, headers, and the first ``body_excerpt`` bytes of the body (Content-Length or
  chunked; chunked bodies are de-chunked). Keep-alive and pipelined requests are all read.

TCP reassembly is per connection and per direction, client to server only, and bounded: segments
are taken in sequence order (retransmitted bytes are dropped, up to ``MAX_PENDING`` segments that
arrive early are held); a request head may take ``MAX_HEAD`` bytes and a ClientHello ``MAX_HELLO``;
at most ``MAX_STREAMS`` connections and ``MAX_BUFFERED`` bytes are held at once (the least recently
active connection is dropped first, with a warning). A connection whose first bytes are neither a
ClientHello nor an HTTP request line is ignored. IP fragments, DNS over TCP, QUIC and HTTP/2 are not
read. ``index`` is the frame number where the request (or the DNS answer) begins, ``t`` the
milliseconds from the first packet of the file; ``aligned`` is False.
"""

from __future__ import annotations

import os
import re
import socket
import struct
from collections import OrderedDict
from pathlib import Path

import dpkt

from pica.errors import InputError
from pica.evidence import NetRequest
from pica.extract.network import capfile
from pica.extract.network._common import (
    MAX_URL,
    Notes,
    bounded_headers,
    clean_host,
    header,
    host_of_authority,
)
from pica.extract.network.tls import BAD, HELLO, MAX_HELLO, client_hello_sni, looks_like_hello

MAX_HEAD = 16 * 1024
MAX_PENDING = 8
MAX_STREAMS = 4096
MAX_BUFFERED = 32 * 1024 * 1024
MAX_NAMES = 65_536  # addresses remembered from DNS answers
MAX_IGNORED = 65_536  # connections remembered as not HTTP or TLS

METHODS = (
    b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"PATCH", b"CONNECT", b"TRACE",
)  # fmt: skip
REQUEST_LINE = re.compile(rb"([A-Z]{3,7}) ([^ \r\n]{1,16384}) HTTP/1\.[01]")
DECODE_ERRORS = (dpkt.dpkt.Error, struct.error, IndexError, ValueError, KeyError, TypeError)

ETHERNET, NULL, LOOP, SLL, SLL2 = 1, 0, 108, 113, 276
RAW = (101, 12, 14, 228, 229)
SEQ = 1 << 32


def looks_like_http(first: bytes) -> bool:
    """The stream starts with an HTTP method and a space (or a prefix of one)."""
    head = first[:8]
    if not head:
        return False
    return any(head.startswith(m + b" ") or (m + b" ").startswith(head) for m in METHODS)


class _Request:
    __slots__ = ("frame", "ns", "method", "target", "headers", "body", "left", "chunk")

    def __init__(self, frame: int, ns: int) -> None:
        self.frame, self.ns = frame, ns
        self.method = self.target = ""
        self.headers: tuple[tuple[str, str], ...] = ()
        self.body = bytearray()
        self.left = 0  # body bytes still to come (Content-Length or the current chunk)
        self.chunk = ""  # "" not chunked; else "size", "data", "crlf", "trailer"


class _Stream:
    __slots__ = (
        "key", "kind", "src", "dst", "dport", "next_seq", "buf", "pending", "req", "frame", "ns",
        "counted",
    )  # fmt: skip

    def __init__(self, key: tuple, kind: str, src: str, dst: str, dport: int, seq: int) -> None:
        self.key = key
        self.kind = kind  # "http" or "tls"
        self.counted = 0  # what this stream adds to _Capture.buffered
        self.src, self.dst, self.dport = src, dst, dport
        self.next_seq = seq
        self.buf = bytearray()
        self.pending: dict[int, bytes] = {}
        self.req: _Request | None = None
        self.frame = 0  # where the bytes in buf began
        self.ns = 0

    def held(self) -> int:
        return (
            len(self.buf)
            + sum(len(p) for p in self.pending.values())
            + (len(self.req.body) if self.req else 0)
        )


class _Capture:
    def __init__(self, name: str, max_requests: int, body_excerpt: int) -> None:
        self.name = name
        self.max_requests = max_requests
        self.excerpt = body_excerpt
        self.notes = Notes()
        self.out: list[NetRequest] = []
        self.first_ns: int | None = None
        self.names: OrderedDict[str, str] = OrderedDict()
        self.streams: OrderedDict[tuple, _Stream] = OrderedDict()
        self.ignored: OrderedDict[tuple, None] = OrderedDict()
        self.buffered = 0
        self.links_seen: set[int] = set()

    # ---- records out ------------------------------------------------------------------------

    def t(self, ns: int) -> int:
        return (ns - (self.first_ns or 0) + 500_000) // 1_000_000

    def host_for(self, ip: str) -> str:
        return self.names.get(ip, ip)

    def emit(self, req: NetRequest) -> None:
        self.out.append(req)

    def full(self) -> bool:
        return len(self.out) >= self.max_requests

    # ---- packets ----------------------------------------------------------------------------

    def packet(self, rec: capfile.Record) -> None:
        if self.first_ns is None:
            self.first_ns = rec.ns
        try:
            ip = self.network_layer(rec)
            if ip is None:
                return
            if isinstance(ip, dpkt.ip.IP):
                if ip._flags_offset & (dpkt.ip.IP_MF | dpkt.ip.IP_OFFMASK):
                    self.notes.add(
                        "frag",
                        f"{self.name}: frame {rec.frame:,} is an IP fragment; fragments are not reassembled",
                    )
                    return
                src, dst = (
                    socket.inet_ntop(socket.AF_INET, ip.src),
                    socket.inet_ntop(socket.AF_INET, ip.dst),
                )
            else:
                if 44 in getattr(ip, "extension_hdrs", {}):
                    self.notes.add(
                        "frag",
                        f"{self.name}: frame {rec.frame:,} is an IP fragment; fragments are not reassembled",
                    )
                    return
                src, dst = (
                    socket.inet_ntop(socket.AF_INET6, ip.src),
                    socket.inet_ntop(socket.AF_INET6, ip.dst),
                )
            seg = ip.data
            dns = None
            if isinstance(seg, dpkt.udp.UDP) and seg.sport == 53:
                dns = dpkt.dns.DNS(seg.data)
        except DECODE_ERRORS as exc:  # dpkt's decoding only: the reader's own errors surface
            self.notes.add(
                "decode",
                f"{self.name}: frame {rec.frame:,} could not be decoded "
                f"({type(exc).__name__}: {str(exc)[:80] or 'malformed'}); skipped",
            )
            return
        if dns is not None:
            self.dns(rec, dns)
        elif isinstance(seg, dpkt.tcp.TCP):
            self.tcp(rec, src, dst, seg)

    def network_layer(self, rec: capfile.Record):
        link, data = rec.linktype, rec.data
        if link == ETHERNET:
            inner = dpkt.ethernet.Ethernet(data).data
        elif link == SLL:
            inner = dpkt.sll.SLL(data).data
        elif link == SLL2:
            inner = dpkt.sll2.SLL2(data).data
        elif link in RAW or link in (NULL, LOOP):
            body = data[4:] if link in (NULL, LOOP) else data
            version = body[0] >> 4 if body else 0
            inner = (
                dpkt.ip.IP(body) if version == 4 else dpkt.ip6.IP6(body) if version == 6 else None
            )
        else:
            if link not in self.links_seen:
                self.links_seen.add(link)
                self.notes.add(
                    f"link {link}",
                    f"{self.name}: link type {link} is not read (Ethernet, Linux cooked, raw IP "
                    f"and BSD loopback are); its packets were skipped",
                )
            return None
        return inner if isinstance(inner, dpkt.ip.IP | dpkt.ip6.IP6) else None

    def dns(self, rec: capfile.Record, msg: dpkt.dns.DNS) -> None:
        if msg.qr != dpkt.dns.DNS_R or not msg.qd:
            return
        qname = clean_host(msg.qd[0].name)
        answers: list[tuple[str, str]] = []
        for rr in msg.an:
            if rr.type == dpkt.dns.DNS_A and len(rr.rdata) == 4:
                answers.append(("A", socket.inet_ntop(socket.AF_INET, rr.rdata)))
            elif rr.type == dpkt.dns.DNS_AAAA and len(rr.rdata) == 16:
                answers.append(("AAAA", socket.inet_ntop(socket.AF_INET6, rr.rdata)))
            elif rr.type == dpkt.dns.DNS_CNAME:
                answers.append(("CNAME", clean_host(rr.cname)))
        addresses = [v for k, v in answers if k in ("A", "AAAA")]
        for address in addresses:
            self.names[address] = qname
            self.names.move_to_end(address)
            if len(self.names) > MAX_NAMES:
                self.names.popitem(last=False)
        self.emit(
            NetRequest(
                index=rec.frame,
                t=self.t(rec.ns),
                host=qname,
                ip=addresses[0] if addresses else "",
                method="DNS",
                headers=bounded_headers(answers),
                aligned=False,
                source=f"{self.name} frame {rec.frame}",
            )
        )

    # ---- TCP ----------------------------------------------------------------------------------

    def tcp(self, rec: capfile.Record, src: str, dst: str, seg) -> None:
        key = (src, seg.sport, dst, seg.dport)
        flags = seg.flags
        if flags & dpkt.tcp.TH_SYN:
            self.ignored.pop(key, None)
            self.drop(key, flush=True)
            return
        payload = bytes(seg.data)
        if key in self.ignored:
            return
        st = self.streams.get(key)
        if st is None and payload:
            if looks_like_hello(payload):
                st = _Stream(key, "tls", src, dst, seg.dport, seg.seq)
            elif looks_like_http(payload):
                st = _Stream(key, "http", src, dst, seg.dport, seg.seq)
            else:
                self.ignore(key)
                return
            self.streams[key] = st
            self.evict()
        if st is None:
            return
        self.streams.move_to_end(key)
        if payload:
            self.segment(st, rec, seg.seq, payload)
        if key in self.streams:
            held = st.held()
            self.buffered += held - st.counted
            st.counted = held
        if key in self.streams and (rec.cut or flags & (dpkt.tcp.TH_FIN | dpkt.tcp.TH_RST)):
            self.drop(key, flush=True)
        if self.buffered > MAX_BUFFERED:
            self.evict(force=True)

    def segment(self, st: _Stream, rec: capfile.Record, seq: int, payload: bytes) -> None:
        diff = (seq - st.next_seq) % SEQ
        if diff >= SEQ // 2:  # starts before what we have: a retransmission or an overlap
            overlap = (st.next_seq - seq) % SEQ
            if overlap >= len(payload):
                return
            payload, seq = payload[overlap:], st.next_seq
            diff = 0
        if diff:
            if len(st.pending) >= MAX_PENDING:
                self.notes.add(
                    "gap",
                    f"{self.name}: a TCP stream to {st.dst} port {st.dport} lost a segment "
                    f"(frame {rec.frame:,}); the rest of that connection was not read",
                )
                self.drop_stream(st, flush=True)
                return
            st.pending[seq] = payload
            return
        self.feed(st, rec, payload)
        st.next_seq = (st.next_seq + len(payload)) % SEQ
        while st.pending and st.key in self.streams:
            nxt = None
            for pseq in list(st.pending):
                if (pseq - st.next_seq) % SEQ >= SEQ // 2 or pseq == st.next_seq:
                    nxt = pseq
                    break
            if nxt is None:
                break
            data = st.pending.pop(nxt)
            overlap = (st.next_seq - nxt) % SEQ
            if overlap < len(data):
                self.feed(st, rec, data[overlap:])
                st.next_seq = (st.next_seq + len(data) - overlap) % SEQ

    def feed(self, st: _Stream, rec: capfile.Record, data: bytes) -> None:
        if not st.buf and st.req is None:
            st.frame, st.ns = rec.frame, rec.ns
        if st.kind == "tls":
            st.buf += data[: max(0, MAX_HELLO + 64 - len(st.buf))]
            state, value = client_hello_sni(bytes(st.buf))
            if state == HELLO:
                host = value or self.host_for(st.dst)
                self.emit(
                    NetRequest(
                        index=st.frame,
                        t=self.t(st.ns),
                        host=host,
                        ip=st.dst,
                        port=st.dport,
                        method="TLS",
                        sni=value,
                        aligned=False,
                        source=f"{self.name} frame {st.frame}",
                    )
                )
                self.drop_stream(st, flush=False, ignore=True)
            elif state == BAD or len(st.buf) > MAX_HELLO + 16:
                self.notes.add(
                    "tls",
                    f"{self.name}: frame {st.frame:,}: a TLS stream to {st.dst} port {st.dport} "
                    f"does not start with a readable ClientHello ({value or 'too long'}); ignored",
                )
                self.drop_stream(st, flush=False, ignore=True)
            return
        self.http(st, rec, data)

    def http(self, st: _Stream, rec: capfile.Record, data: bytes) -> None:
        buf = st.buf
        buf += data
        while st.key in self.streams:
            req = st.req
            if req is None:
                if not buf:
                    return
                if not looks_like_http(bytes(buf[:8])):
                    self.drop_stream(st, flush=False, ignore=True)
                    return
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        self.notes.add(
                            "head",
                            f"{self.name}: frame {st.frame:,}: an HTTP request head to {st.dst} "
                            f"is longer than {MAX_HEAD:,} bytes; that connection was not read",
                        )
                        self.drop_stream(st, flush=False, ignore=True)
                    return
                req = self.head(st, bytes(buf[:end]))
                del buf[: end + 4]
                if req is None:
                    self.drop_stream(st, flush=False, ignore=True)
                    return
                st.req = req
                continue
            if not self.body(req, buf):
                return
            self.finish(st)
            st.frame, st.ns = rec.frame, rec.ns

    def head(self, st: _Stream, raw: bytes) -> _Request | None:
        lines = raw.split(b"\r\n")
        m = REQUEST_LINE.fullmatch(lines[0])
        if not m:
            return None
        req = _Request(st.frame, st.ns)
        req.method = m.group(1).decode("ascii")
        req.target = m.group(2).decode("utf-8", "replace")
        pairs = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if sep:
                pairs.append(
                    (
                        name.strip().decode("utf-8", "replace"),
                        value.strip().decode("utf-8", "replace"),
                    )
                )
        req.headers = bounded_headers(pairs)
        if "chunked" in header(req.headers, "Transfer-Encoding").lower():
            req.chunk = "size"
        else:
            length = header(req.headers, "Content-Length").strip()
            req.left = int(length) if length.isdigit() and len(length) < 19 else 0
        return req

    def body(self, req: _Request, buf: bytearray) -> bool:
        """Consume body bytes from buf; True when the request's body is complete."""
        while True:
            if req.chunk in ("", "data"):
                take = min(req.left, len(buf))
                room = self.excerpt - len(req.body)
                if room > 0:
                    req.body += buf[: min(take, room)]
                del buf[:take]
                req.left -= take
                if req.left:
                    return False
                if req.chunk == "":
                    return True
                req.chunk = "crlf"
            if req.chunk == "crlf":
                if len(buf) < 2:
                    return False
                del buf[:2]
                req.chunk = "size"
            if req.chunk in ("size", "trailer"):
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > 4096:  # a chunk-size or trailer line this long is not HTTP
                        del buf[:]
                        req.chunk, req.left = "", 1 << 62
                    return False
                line = bytes(buf[:end])
                del buf[: end + 2]
                if req.chunk == "trailer":
                    if not line:
                        return True
                    continue
                size = line.split(b";", 1)[0].strip()
                try:
                    req.left = int(size, 16)
                except ValueError:
                    req.chunk, req.left = "", 1 << 62  # unreadable: keep what we have, stop
                    return False
                req.chunk = "data" if req.left else "trailer"

    def finish(self, st: _Stream) -> None:
        req = st.req
        st.req = None
        if req is None:
            return
        host_header = header(req.headers, "Host")
        host, _ = host_of_authority(host_header) if host_header else ("", None)
        host = host or self.host_for(st.dst)
        authority = host_header or (f"[{st.dst}]" if ":" in st.dst else st.dst) + (
            f":{st.dport}" if st.dport != 80 else ""
        )
        if req.method == "CONNECT":
            url = req.target
            host = host_of_authority(req.target)[0] or host
        elif "://" in req.target[:16]:
            url = req.target
        else:
            url = f"http://{authority}{req.target if req.target != '*' else ''}"
        self.emit(
            NetRequest(
                index=req.frame,
                t=self.t(req.ns),
                host=host,
                ip=st.dst,
                port=st.dport,
                method=req.method,
                url=url[:MAX_URL],
                headers=req.headers,
                body=bytes(req.body),
                aligned=False,
                source=f"{self.name} frame {req.frame}",
            )
        )

    # ---- stream table ---------------------------------------------------------------------------

    def ignore(self, key: tuple) -> None:
        self.ignored[key] = None
        if len(self.ignored) > MAX_IGNORED:
            self.ignored.popitem(last=False)

    def drop(self, key: tuple, *, flush: bool) -> None:
        st = self.streams.get(key)
        if st is not None:
            self.drop_stream(st, flush=flush)

    def drop_stream(self, st: _Stream, *, flush: bool, ignore: bool = False) -> None:
        key = st.key
        if self.streams.pop(key, None) is None:
            return
        self.buffered -= st.counted
        st.counted = 0
        if flush and st.kind == "http" and st.req is not None:
            self.notes.add(
                "partial",
                f"{self.name}: frame {st.req.frame:,}: the connection to {st.dst} port {st.dport} "
                f"ended (or a segment was missing) before the request body did; kept what was "
                f"captured",
            )
            self.finish(st)
        st.buf.clear()
        st.pending.clear()
        if ignore:
            self.ignore(key)

    def evict(self, force: bool = False) -> None:
        while self.streams and (
            len(self.streams) > MAX_STREAMS or (force and self.buffered > MAX_BUFFERED // 2)
        ):
            _, oldest = next(iter(self.streams.items()))
            self.notes.add(
                "evict",
                f"{self.name}: more than {MAX_STREAMS:,} open connections or "
                f"{MAX_BUFFERED // 2**20} MiB held; the least recently active was dropped "
                f"(to {oldest.dst} port {oldest.dport})",
            )
            self.drop_stream(oldest, flush=True, ignore=True)

    def close(self) -> None:
        for st in list(self.streams.values()):
            self.drop_stream(st, flush=True)


def read_pcap(
    path: str | os.PathLike[str],
    *,
    max_requests: int,
    body_excerpt: int,
) -> tuple[tuple[NetRequest, ...], tuple[str, ...]]:
    path = Path(path)
    cap = _Capture(path.name, max_requests, body_excerpt)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read capture {path}: {exc.strerror or exc}") from exc
    with f:
        frames = 0
        try:
            for rec in capfile.records(f):
                frames = rec.frame
                cap.packet(rec)
                if cap.full():
                    cap.notes.add(
                        "max",
                        f"{path.name}: stopped at frame {rec.frame:,} after {max_requests:,} "
                        f"requests (max_requests)",
                    )
                    break
        except capfile.FramingError as exc:
            if isinstance(exc, capfile.NotCapture) or (
                frames == 0 and not isinstance(exc, capfile.Truncated)
            ):
                raise InputError(f"capture {path.name} is not a readable pcap: it {exc}") from exc
            cap.notes.add(
                "framing", f"{path.name}: {exc}; kept what the {frames:,} frames before it hold"
            )
    cap.close()
    out = sorted(cap.out, key=lambda r: r.index)[:max_requests]
    return tuple(out), cap.notes.lines()
