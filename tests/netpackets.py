"""Constructed packets for the capture tests (every capture built here is constructed, not recorded).

Frames are built with dpkt (Ethernet, IPv4/IPv6, TCP, UDP, DNS) and written with dpkt's pcap and
pcapng writers, or with the small big-endian/nanosecond pcap writer below. The TLS ClientHello is
built by hand following RFC 8446 §4.1.2 and RFC 6066 §3; ``openssl_client_hello`` asks the
ssl module (OpenSSL) for a real one instead.
"""

from __future__ import annotations

import socket
import ssl
import struct

import dpkt

CLIENT4, SERVER4, RESOLVER4 = "10.0.2.15", "203.0.113.7", "10.0.2.3"
CLIENT6, SERVER6, RESOLVER6 = "fd00::15", "2001:db8::7", "fd00::3"


def ip_bytes(addr: str) -> bytes:
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    return socket.inet_pton(family, addr)


def ip_packet(src: str, dst: str, l4) -> bytes:
    proto = dpkt.ip.IP_PROTO_TCP if isinstance(l4, dpkt.tcp.TCP) else dpkt.ip.IP_PROTO_UDP
    if ":" in src:
        pkt = dpkt.ip6.IP6(
            src=ip_bytes(src), dst=ip_bytes(dst), nxt=proto, hlim=64, data=l4, plen=len(bytes(l4))
        )
        return bytes(pkt)
    pkt = dpkt.ip.IP(src=ip_bytes(src), dst=ip_bytes(dst), p=proto, ttl=64, data=l4)
    pkt.len = 20 + len(bytes(l4))
    return bytes(pkt)


def frame(ip: bytes, linktype: int = 1) -> bytes:
    """Wrap an IP packet for a link type: 1 Ethernet, 113 Linux cooked, 276 cooked v2, 101 raw."""
    ethertype = dpkt.ethernet.ETH_TYPE_IP6 if ip[0] >> 4 == 6 else dpkt.ethernet.ETH_TYPE_IP
    if linktype == 1:
        return bytes(
            dpkt.ethernet.Ethernet(
                src=b"\x02\x00\x00\x00\x00\x01", dst=b"\x02\x00\x00\x00\x00\x02",
                type=ethertype, data=ip,
            )
        )  # fmt: skip
    if linktype == 113:
        return struct.pack(">HHH8sH", 4, 1, 6, b"\x02\x00\x00\x00\x00\x01\x00\x00", ethertype) + ip
    if linktype == 276:
        return struct.pack(">HHiHBB8s", ethertype, 0, 3, 1, 4, 6, b"\x02" + b"\x00" * 7) + ip
    if linktype in (101, 228, 229):
        return ip
    if linktype == 0:  # BSD loopback: address family in host byte order
        return struct.pack("=I", 30 if ethertype == dpkt.ethernet.ETH_TYPE_IP6 else 2) + ip
    raise ValueError(linktype)


def tcp(src, sport, dst, dport, seq, payload=b"", flags=dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH):
    seg = dpkt.tcp.TCP(
        sport=sport, dport=dport, seq=seq, ack=1, flags=flags, win=65535, data=payload
    )
    return ip_packet(src, dst, seg)


def udp(src, sport, dst, dport, payload):
    dgram = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    dgram.ulen = 8 + len(payload)
    return ip_packet(src, dst, dgram)


def dns_query(name: str, qtype: int = dpkt.dns.DNS_A, ident: int = 0x1234) -> bytes:
    msg = dpkt.dns.DNS(id=ident, op=dpkt.dns.DNS_RD, qd=[dpkt.dns.DNS.Q(name=name, type=qtype)])
    return bytes(msg)


def dns_answer(name: str, addresses=(), cname: str | None = None, ident: int = 0x1234) -> bytes:
    """A response: optional CNAME from ``name``, then A/AAAA records for the final name."""
    qtype = dpkt.dns.DNS_AAAA if addresses and ":" in addresses[0] else dpkt.dns.DNS_A
    msg = dpkt.dns.DNS(
        id=ident, op=dpkt.dns.DNS_RD | dpkt.dns.DNS_RA, qd=[dpkt.dns.DNS.Q(name=name, type=qtype)]
    )
    msg.qr = dpkt.dns.DNS_R
    answers = []
    target = name
    if cname:
        rr = dpkt.dns.DNS.RR(name=name, type=dpkt.dns.DNS_CNAME, ttl=60)
        rr.cname = cname
        answers.append(rr)
        target = cname
    for address in addresses:
        rtype = dpkt.dns.DNS_AAAA if ":" in address else dpkt.dns.DNS_A
        rr = dpkt.dns.DNS.RR(name=target, type=rtype, ttl=60, rdata=ip_bytes(address))
        answers.append(rr)
    msg.an = answers
    return bytes(msg)


def client_hello(sni: str | None, *, padding: int = 0) -> bytes:
    """A TLS 1.3 ClientHello record, by hand (RFC 8446 §4.1.2; server_name per RFC 6066 §3).

    ``padding`` adds a padding extension (RFC 7685, type 21) *before* server_name, so that a big
    hello puts the name past the first TCP segment, as Chrome's post-quantum key shares do.
    """

    def ext(etype: int, data: bytes) -> bytes:
        return etype.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data

    extensions = b""
    if padding:
        extensions += ext(21, b"\x00" * padding)
    if sni is not None:
        name = sni.encode("ascii")
        entry = b"\x00" + len(name).to_bytes(2, "big") + name  # host_name(0)
        extensions += ext(0, len(entry).to_bytes(2, "big") + entry)
    extensions += ext(43, b"\x02\x03\x04")  # supported_versions: TLS 1.3
    extensions += ext(10, b"\x00\x02\x00\x1d")  # supported_groups: x25519
    extensions += ext(13, b"\x00\x02\x08\x04")  # signature_algorithms: rsa_pss_rsae_sha256
    share = b"\x00\x1d" + (32).to_bytes(2, "big") + bytes(range(32))
    extensions += ext(51, len(share).to_bytes(2, "big") + share)  # key_share
    body = (
        b"\x03\x03"  # legacy_version
        + bytes(range(100, 132))  # random
        + b"\x20" + bytes(range(32))  # legacy_session_id
        + b"\x00\x04\x13\x01\x13\x02"  # cipher_suites: TLS_AES_128_GCM_SHA256, _256_GCM_SHA384
        + b"\x01\x00"  # legacy_compression_methods: null
        + len(extensions).to_bytes(2, "big") + extensions
    )  # fmt: skip
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + len(handshake).to_bytes(2, "big") + handshake


def openssl_client_hello(sni: str) -> bytes:
    """The ClientHello this Python's OpenSSL sends for ``sni`` (no network: memory BIOs)."""
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        conn.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def http_request(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def write_pcap(path, packets, linktype: int = 1) -> None:
    """dpkt's pcap writer (microseconds, this machine's byte order)."""
    with open(path, "wb") as f:
        writer = dpkt.pcap.Writer(f, linktype=linktype, snaplen=262144)
        for ts, data in packets:
            writer.writepkt(data, ts=ts)


def write_pcapng(path, packets, linktype: int = 1) -> None:
    with open(path, "wb") as f:
        writer = dpkt.pcapng.Writer(f, linktype=linktype, snaplen=262144)
        for ts, data in packets:
            writer.writepkt(data, ts=ts)


def write_pcap_be_nano(path, packets, linktype: int = 1) -> None:
    """A big-endian, nanosecond pcap (magic A1B23C4D), written field by field."""
    with open(path, "wb") as f:
        f.write(struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype))
        for ts, data in packets:
            sec = int(ts)
            nsec = round((ts - sec) * 1e9)
            f.write(struct.pack(">IIII", sec, nsec, len(data), len(data)) + data)


def write_pcapng_be(path, packets) -> None:
    """A big-endian pcapng written block by block: two interfaces (Ethernet with nanosecond
    ``if_tsresol``, raw IP with the default microseconds), an unknown block, Enhanced Packet
    Blocks, and Simple Packet Blocks for ``iface=None`` (no time). ``packets`` holds
    (iface, timestamp, bytes)."""

    def block(btype: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        length = 12 + len(body)
        return struct.pack(">II", btype, length) + body + struct.pack(">I", length)

    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1)))
        tsresol = struct.pack(">HHB3x", 9, 1, 9) + struct.pack(">HH", 0, 0)
        f.write(block(1, struct.pack(">HHI", 1, 0, 262144) + tsresol))
        f.write(block(1, struct.pack(">HHI", 101, 0, 262144)))
        f.write(block(0x0BAD, b"unknown block type"))
        for iface, ts, data in packets:
            if iface is None:
                f.write(block(3, struct.pack(">I", len(data)) + data))
                continue
            units = round(ts * (1e9 if iface == 0 else 1e6))
            head = struct.pack(
                ">IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(data), len(data)
            )
            f.write(block(6, head + data))
