"""pcap and pcapng record framing, streamed: one packet at a time, never the whole file.

pcap (libpcap "savefile", draft-ietf-opsawg-pcap): a 24-byte file header (magic, version, snaplen,
link type) then records of a 16-byte header (seconds, micro- or nanoseconds, captured length,
original length) and the captured bytes. pcapng (draft-ietf-opsawg-pcapng): blocks of
``type, total length, body, total length``; a Section Header Block (``0A0D0D0A``, byte-order
magic ``1A2B3C4D``) opens each section, Interface Description Blocks (type 1) give each
interface's link type and time resolution (option ``if_tsresol``, code 9; ``if_tsoffset``,
code 14), Enhanced (6), Simple (3) and the obsolete Packet (2) Blocks carry packets; other blocks
are skipped with a seek.

dpkt's own readers trust the record lengths (``read(caplen)`` allocates what a corrupt header
claims) and return a short record silently when the file ends, so the framing is done here:

- a record is at most ``MAX_RECORD`` bytes (262,144, tcpdump's and Wireshark's largest snap
  length); a pcap record claiming more is corruption and ends the read with a warning, a pcapng
  packet longer than that is cut to it (the block length still frames the file);
- a file that ends inside a header or a record ends the read with a warning; what came before
  is kept.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_RECORD = 262_144
MAX_BLOCK_HEADER = 64 * 1024  # the part of a non-packet pcapng block we read (IDB, SHB)


class FramingError(ValueError):
    """The capture's framing is broken; the message says where (one line)."""


class Truncated(FramingError):
    """The capture ends inside a header or a record."""


class NotCapture(FramingError):
    """The file's own header is missing or wrong: it is not a pcap or pcapng file."""


@dataclass(frozen=True)
class Record:
    frame: int  # 1-based packet number
    ns: int  # capture time, nanoseconds since the epoch (or the capture's own origin)
    linktype: int
    data: bytes
    cut: bool  # captured shorter than the packet was on the wire


def _read(f: BinaryIO, n: int, what: str, offset: int) -> bytes:
    data = f.read(n)
    if len(data) < n:
        raise Truncated(f"ends inside {what} at byte {offset:,}")
    return data


def records(f: BinaryIO) -> Iterator[Record]:
    """Yield every packet of a pcap or pcapng file (after the caller checked the magic)."""
    magic = f.read(4)
    f.seek(0)
    if magic == b"\x0a\x0d\x0d\x0a":
        yield from _pcapng(f)
    else:
        yield from _pcap(f)


def _pcap(f: BinaryIO) -> Iterator[Record]:
    head = f.read(24)
    if len(head) < 24:
        raise NotCapture(f"ends inside the pcap file header ({len(head)} of 24 bytes)")
    magic = head[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", head[20:24])[0] & 0xFFFF  # upper bits: FCS length
    rec = struct.Struct(endian + "IIII")
    offset, frame = 24, 0
    while True:
        hdr = f.read(16)
        if not hdr:
            return
        frame += 1
        if len(hdr) < 16:
            raise Truncated(f"ends inside the header of frame {frame:,} at byte {offset:,}")
        sec, frac, caplen, origlen = rec.unpack(hdr)
        if caplen > MAX_RECORD:
            raise FramingError(
                f"frame {frame:,} at byte {offset:,} claims {caplen:,} bytes "
                f"(limit {MAX_RECORD:,}): the file is corrupt from there"
            )
        data = _read(f, caplen, f"frame {frame:,}", offset)
        offset += 16 + caplen
        ns = sec * 1_000_000_000 + (frac if nano else frac * 1000)
        yield Record(frame, ns, linktype, data, origlen > caplen)


@dataclass
class _Iface:
    linktype: int
    snaplen: int
    to_ns: tuple[int, int, int]  # multiply, shift right, divide (see _resolution)
    offset_ns: int = 0


def _resolution(code: int | None) -> tuple[int, int, int]:
    """if_tsresol: high bit clear = 10^-n s, set = 2^-n s; default microseconds."""
    if code is None:
        return 1000, 0, 1
    n = code & 0x7F
    if code & 0x80:
        return 1_000_000_000, min(n, 127), 1
    if n <= 9:
        return 10 ** (9 - n), 0, 1
    return 1, 0, 10 ** min(n - 9, 60)


def _options(body: bytes, endian: str) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    at = 0
    while at + 4 <= len(body):
        code, length = struct.unpack(endian + "HH", body[at : at + 4])
        if code == 0:
            break
        out.setdefault(code, body[at + 4 : at + 4 + length])
        at += 4 + length + (-length % 4)
    return out


def _pcapng(f: BinaryIO) -> Iterator[Record]:
    endian = "<"
    ifaces: list[_Iface] = []
    offset, frame = 0, 0
    while True:
        head = f.read(8)
        if not head:
            return
        if len(head) < 8:
            raise (NotCapture if offset == 0 else Truncated)(
                f"ends inside a block header at byte {offset:,}"
            )
        if offset == 0 and head[:4] != b"\x0a\x0d\x0d\x0a":
            raise NotCapture("does not start with a pcapng section header")
        if head[:4] == b"\x0a\x0d\x0d\x0a":
            bom = f.read(4)
            if len(bom) < 4:
                raise (NotCapture if offset == 0 else Truncated)(
                    f"ends inside a section header at byte {offset:,}"
                )
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                raise (NotCapture if offset == 0 else FramingError)(
                    f"has a section header without a byte-order magic at byte {offset:,}"
                )
            ifaces = []
            f.seek(-4, 1)
        btype, blen = struct.unpack(endian + "II", head)
        if blen < 12 or blen % 4:
            raise FramingError(f"has a block of impossible length {blen:,} at byte {offset:,}")
        body_len = blen - 12
        start = f.tell()
        if btype in (6, 2, 3):
            frame += 1
            fixed = {6: 20, 2: 20, 3: 4}[btype]
            if body_len < fixed:
                raise FramingError(f"frame {frame:,} at byte {offset:,} has a short block")
            fields = _read(f, fixed, f"frame {frame:,}", offset)
            if btype == 3:
                (origlen,) = struct.unpack(endian + "I", fields)
                iface_id, ts, caplen = 0, None, min(origlen, body_len - 4)
            else:
                if btype == 6:
                    iface_id, hi, lo, caplen, origlen = struct.unpack(endian + "IIIII", fields)
                else:
                    iface_id, _, hi, lo, caplen, origlen = struct.unpack(endian + "HHIIII", fields)
                ts = (hi << 32) | lo
                if caplen > body_len - fixed:
                    raise FramingError(
                        f"frame {frame:,} at byte {offset:,} claims more bytes than its block"
                    )
            if iface_id >= len(ifaces):
                raise FramingError(
                    f"frame {frame:,} names interface {iface_id} that is not described"
                )
            iface = ifaces[iface_id]
            data = _read(f, min(caplen, MAX_RECORD), f"frame {frame:,}", offset)
            ns = 0
            if ts is not None:
                mul, shift, div = iface.to_ns
                ns = ((ts * mul) >> shift) // div + iface.offset_ns
            f.seek(start + body_len)
            tail = _read(f, 4, f"frame {frame:,}", offset)
            if struct.unpack(endian + "I", tail)[0] != blen:
                raise FramingError(f"frame {frame:,} at byte {offset:,}: block lengths disagree")
            offset += blen
            yield Record(frame, ns, iface.linktype, data, origlen > len(data))
            continue
        if btype == 1 or head[:4] == b"\x0a\x0d\x0d\x0a":
            body = _read(f, min(body_len, MAX_BLOCK_HEADER), "a block", offset)
            if btype == 1:
                if len(body) < 8:
                    raise FramingError(f"has a short interface description at byte {offset:,}")
                linktype, _, snaplen = struct.unpack(endian + "HHI", body[:8])
                opts = _options(body[8:], endian)
                tsresol = opts.get(9, b"")[:1]
                tsoffset = opts.get(14, b"")
                iface = _Iface(linktype, snaplen, _resolution(tsresol[0] if tsresol else None))
                if len(tsoffset) == 8:
                    iface.offset_ns = struct.unpack(endian + "q", tsoffset)[0] * 1_000_000_000
                ifaces.append(iface)
        f.seek(start + body_len)
        tail = _read(f, 4, "a block", offset)
        if struct.unpack(endian + "I", tail)[0] != blen:
            raise FramingError(f"block at byte {offset:,}: its two lengths disagree")
        offset += blen
