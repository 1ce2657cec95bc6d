"""The server name a TLS client asks for, from the first bytes it sends (its ClientHello).

RFC 8446 §5.1 (records: type 22 handshake, version, 2-byte length), §4 (handshake: type 1
client_hello, 3-byte length, possibly split over several records), §4.1.2 (ClientHello:
legacy_version, 32-byte random, session id <0..32>, cipher suites <2..2^16-2>, compression
methods <1..2^8-1>, extensions <8..2^16-1>); RFC 6066 §3 (extension 0 server_name: a 2-byte list
length, then entries of name_type 0 host_name with a 2-byte length and the name). Also TLS 1.0-1.2
(RFC 5246 §7.4.1.2 has the same layout).
"""

from __future__ import annotations

MAX_HELLO = 16 * 1024 + 4  # a ClientHello spans at most this much of the stream (bounded buffer)

MORE, HELLO, BAD = "more", "hello", "bad"


def looks_like_hello(first: bytes) -> bool:
    """The stream starts like a TLS handshake record (type 22, version 3.x)."""
    return len(first) >= 1 and first[0] == 0x16 and (len(first) < 2 or first[1] == 3)


def client_hello_sni(stream: bytes) -> tuple[str, str]:
    """(MORE, "") until the ClientHello is complete, then (HELLO, sni or ""), or (BAD, why)."""
    message = bytearray()
    at = 0
    need = None
    while True:
        if len(stream) < at + 5:
            return MORE, ""
        rtype, major, length = stream[at], stream[at + 1], int.from_bytes(stream[at + 3 : at + 5])
        if rtype != 22 or major != 3 or length == 0:
            return BAD, "not a TLS handshake record"
        chunk = stream[at + 5 : at + 5 + length]
        message += chunk
        if need is None and len(message) >= 4:
            if message[0] != 1:
                return BAD, "the first handshake message is not a ClientHello"
            need = 4 + int.from_bytes(message[1:4])
            if need > MAX_HELLO:
                return BAD, f"the ClientHello claims {need:,} bytes"
        if need is not None and len(message) >= need:
            return _sni(bytes(message[4:need]))
        if len(chunk) < length:
            return MORE, ""
        at += 5 + length


def _sni(body: bytes) -> tuple[str, str]:
    at = 2 + 32  # legacy_version, random
    try:
        at += 1 + body[at]  # session id
        at += 2 + int.from_bytes(body[at : at + 2])  # cipher suites
        at += 1 + body[at]  # compression methods
    except IndexError:
        return BAD, "the ClientHello is cut short"
    if at == len(body):
        return HELLO, ""  # no extensions (TLS 1.0-era client)
    if at + 2 > len(body):
        return BAD, "the ClientHello is cut short"
    end = at + 2 + int.from_bytes(body[at : at + 2])
    if end > len(body):
        return BAD, "the ClientHello's extensions overrun it"
    at += 2
    while at + 4 <= end:
        etype = int.from_bytes(body[at : at + 2])
        elen = int.from_bytes(body[at + 2 : at + 4])
        data = body[at + 4 : at + 4 + elen]
        at += 4 + elen
        if etype != 0:
            continue
        if len(data) < 2:
            return BAD, "an empty server_name extension"
        pos, stop = 2, min(len(data), 2 + int.from_bytes(data[:2]))
        while pos + 3 <= stop:
            ntype = data[pos]
            nlen = int.from_bytes(data[pos + 1 : pos + 3])
            name = data[pos + 3 : pos + 3 + nlen]
            pos += 3 + nlen
            if ntype == 0 and name:
                return HELLO, name.decode("ascii", "replace").lower().rstrip(".")
        return HELLO, ""
    return HELLO, ""
