"""The APK's signing certificate: who signed it, the one evidence of its publisher it carries.

Sources, in the order Android verifies them: the APK Signing Block before the zip's central
directory (APK Signature Scheme v3, then v2: the first signer's first certificate), else the
v1 JAR signature (``META-INF/*.RSA|*.DSA|*.EC``, a PKCS#7 SignedData: the certificate its first
SignerInfo names). Nothing is verified: pica reports who the certificate says signed, not
whether the signature holds.

Everything here is hostile input. The DER reader checks every length against its buffer,
bounds nesting (``MAX_DEPTH``) and element counts, reads at most ``MAX_SIGNATURE_BYTES`` of
signature data, and turns every malformation into a reason string: ``read_signer`` returns
``(None, reason)``, never raises.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pica import knowledge
from pica.errors import InputError
from pica.evidence import SigningCert

if TYPE_CHECKING:
    from pica.extract.apk.container import ApkFile

MAX_SIGNATURE_BYTES = 1024**2  # a signing block or META-INF signature file; real ones are KBs
MAX_DEPTH = 32  # DER nesting; a certificate needs about 8
MAX_CHILDREN = 4096  # elements in one constructed DER value
MAX_VALUE_CHARS = 256  # of one subject/issuer attribute (X.509's upper bounds are 64-200)
MAX_SERIAL_BYTES = 64

SIG_BLOCK_MAGIC = b"APK Sig Block 42"
V2_ID = 0x7109871A
V3_ID = 0xF05368C0
_EOCD = b"PK\x05\x06"
_EOCD_SEARCH = 0xFFFF + 22  # the end-of-central-directory record plus the longest comment
_SIGNED_DATA_OID = bytes.fromhex("2a864886f70d010702")  # 1.2.840.113549.1.7.2
_V1_SUFFIXES = (".RSA", ".DSA", ".EC")

# X.509 attribute types (RFC 5280 appendix A, PKCS #9 emailAddress) by their DER OID content.
_ATTRIBUTES = {
    bytes.fromhex("550403"): "CN",
    bytes.fromhex("55040a"): "O",
    bytes.fromhex("55040b"): "OU",
    bytes.fromhex("550407"): "L",
    bytes.fromhex("550408"): "ST",
    bytes.fromhex("550406"): "C",
    bytes.fromhex("2a864886f70d010901"): "E",
}
# DirectoryString and friends: tag -> codec (T61String read as latin-1, as most tools do).
_STRINGS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "ascii",  # PrintableString
    0x16: "ascii",  # IA5String
    0x1A: "ascii",  # VisibleString
    0x14: "latin-1",  # T61String / TeletexString
    0x1E: "utf-16-be",  # BMPString
    0x1C: "utf-32-be",  # UniversalString
}
_UTC_TIME = re.compile(rb"(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z")
_GENERALIZED_TIME = re.compile(rb"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d{1,9})?Z")


class Malformed(Exception):
    """Why a signature structure could not be read (becomes the reason string)."""


class NotRead(Exception):
    """A well-formed APK whose signature pica does not read (zip64)."""


@dataclass(frozen=True, slots=True)
class _Tlv:
    tag: int
    head: int  # offset of the tag byte
    body: int  # offset of the content
    end: int  # end of the content (before the end-of-contents octets of an indefinite length)
    next: int  # offset just after the element


def _tlv(buf: bytes, pos: int, limit: int, depth: int = 0) -> _Tlv:
    """One DER (or BER indefinite-length) element at ``pos``, all of it inside ``limit``."""
    if depth > MAX_DEPTH:
        raise Malformed(f"DER nested deeper than {MAX_DEPTH} levels")
    if pos + 2 > limit:
        raise Malformed(f"DER element at offset {pos} is truncated")
    tag, first = buf[pos], buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise Malformed(f"DER tag at offset {pos} uses the high-tag-number form")
    body = pos + 2
    if first == 0x80:
        if not tag & 0x20:
            raise Malformed(f"primitive DER element at offset {pos} has an indefinite length")
        p, count = body, 0
        while True:
            if p + 2 > limit:
                raise Malformed(f"indefinite-length element at offset {pos} has no end")
            if buf[p] == 0 and buf[p + 1] == 0:
                return _Tlv(tag, pos, body, p, p + 2)
            count += 1
            if count > MAX_CHILDREN:
                raise Malformed(f"DER element at offset {pos} has over {MAX_CHILDREN} elements")
            p = _tlv(buf, p, limit, depth + 1).next
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if n > 4:
            raise Malformed(f"DER length at offset {pos} takes {n} bytes")
        if body + n > limit:
            raise Malformed(f"DER length at offset {pos} is truncated")
        length = int.from_bytes(buf[body : body + n], "big")
        body += n
    if length > limit - body:
        raise Malformed(
            f"DER length {length:,} at offset {pos} runs past the end ({limit - body:,} bytes left)"
        )
    return _Tlv(tag, pos, body, body + length, body + length)


def _children(buf: bytes, t: _Tlv, depth: int) -> list[_Tlv]:
    out: list[_Tlv] = []
    p = t.body
    while p < t.end:
        if len(out) >= MAX_CHILDREN:
            raise Malformed(f"DER element at offset {t.head} has over {MAX_CHILDREN} elements")
        child = _tlv(buf, p, t.end, depth + 1)
        out.append(child)
        p = child.next
    return out


def _expect(t: _Tlv, tag: int, what: str) -> _Tlv:
    if t.tag != tag:
        raise Malformed(f"{what} at offset {t.head}: tag 0x{t.tag:02x}, expected 0x{tag:02x}")
    return t


def _text(raw: bytes, codec: str) -> str:
    value = raw.decode(codec, errors="replace")
    value = "".join(ch if ch.isprintable() else "\ufffd" for ch in value)
    return value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 1] + "…"


def _name(buf: bytes, t: _Tlv, depth: int) -> dict[str, str]:
    """An X.509 Name (RFC 5280 4.1.2.4): the attributes pica knows, in order; repeated
    attributes (two OUs) joined with ", "."""
    out: dict[str, str] = {}
    for rdn in _children(buf, _expect(t, 0x30, "Name"), depth):
        for atv in _children(buf, _expect(rdn, 0x31, "RelativeDistinguishedName"), depth + 1):
            parts = _children(buf, _expect(atv, 0x30, "AttributeTypeAndValue"), depth + 2)
            if len(parts) != 2:
                raise Malformed(f"AttributeTypeAndValue at offset {atv.head} is not a pair")
            oid, value = _expect(parts[0], 0x06, "attribute type"), parts[1]
            key = _ATTRIBUTES.get(buf[oid.body : oid.end])
            codec = _STRINGS.get(value.tag)
            if key is None or codec is None:
                continue
            text = _text(buf[value.body : value.end], codec)
            out[key] = f"{out[key]}, {text}" if key in out else text
    return out


def _time(buf: bytes, t: _Tlv) -> str:
    raw = buf[t.body : t.end]
    if t.tag == 0x17:
        m = _UTC_TIME.fullmatch(raw)
        if m:
            yy = int(m[1])
            parts = [(1900 if yy >= 50 else 2000) + yy, *(int(g or 0) for g in m.groups()[1:])]
    elif t.tag == 0x18:
        m = _GENERALIZED_TIME.fullmatch(raw)
        if m:
            parts = [int(g or 0) for g in m.groups()]
    else:
        raise Malformed(f"validity time at offset {t.head} has tag 0x{t.tag:02x}")
    if not m:
        raise Malformed(f"validity time at offset {t.head} is not a UTC time: {raw[:32]!r}")
    try:
        return datetime(*parts).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError as exc:
        raise Malformed(f"validity time at offset {t.head}: {exc}") from None


@dataclass(frozen=True)
class _Cert:
    fact: SigningCert
    issuer_der: bytes
    serial_der: bytes


def _certificate(buf: bytes, t: _Tlv, scheme: str, source: str, depth: int = 0) -> _Cert:
    """An X.509 certificate (RFC 5280 4.1): subject, issuer, serial, validity, digest."""
    parts = _children(buf, _expect(t, 0x30, "Certificate"), depth)
    if len(parts) < 3:
        raise Malformed("Certificate has fewer than three parts")
    tbs = _children(buf, _expect(parts[0], 0x30, "TBSCertificate"), depth + 1)
    if tbs and tbs[0].tag == 0xA0:  # [0] EXPLICIT version
        tbs = tbs[1:]
    if len(tbs) < 6:
        raise Malformed("TBSCertificate has fewer than six fields")
    serial, _alg, issuer, validity, subject = tbs[:5]
    _expect(serial, 0x02, "serialNumber")
    raw_serial = buf[serial.body : serial.end]
    if not 0 < len(raw_serial) <= MAX_SERIAL_BYTES:
        raise Malformed(f"serialNumber of {len(raw_serial)} bytes")
    times = _children(buf, _expect(validity, 0x30, "Validity"), depth + 2)
    if len(times) != 2:
        raise Malformed("Validity is not a pair of times")
    subject_attrs = _name(buf, subject, depth + 2)
    debug = any(
        subject_attrs.get("CN") == d.cn and subject_attrs.get("O") == d.o
        for d in knowledge.debug_signing_subjects()
    )
    fact = SigningCert(
        scheme=scheme,
        subject=subject_attrs,
        issuer=_name(buf, issuer, depth + 2),
        serial=format(int.from_bytes(raw_serial, "big"), "x"),
        not_before=_time(buf, times[0]),
        not_after=_time(buf, times[1]),
        sha256=hashlib.sha256(buf[t.head : t.next]).hexdigest(),
        source=source,
        debug=debug,
    )
    return _Cert(fact, buf[issuer.head : issuer.next], raw_serial)


def pkcs7_signer(data: bytes, source: str) -> SigningCert:
    """The signer's certificate of a PKCS#7 SignedData (RFC 2315 9.1) — a v1 signature file.
    The first SignerInfo's issuer and serial pick it from the certificates; else the first."""
    top = _tlv(data, 0, len(data))
    info = _children(data, _expect(top, 0x30, "ContentInfo"), 0)
    if len(info) < 2 or info[0].tag != 0x06 or data[info[0].body : info[0].end] != _SIGNED_DATA_OID:
        raise Malformed("not a PKCS#7 SignedData")
    wrapped = _children(data, _expect(info[1], 0xA0, "ContentInfo content"), 1)
    if not wrapped:
        raise Malformed("PKCS#7 SignedData is empty")
    fields = _children(data, _expect(wrapped[0], 0x30, "SignedData"), 2)
    cert_set = next((f for f in fields if f.tag == 0xA0), None)
    if cert_set is None:
        raise Malformed("PKCS#7 SignedData carries no certificates")
    certs = [
        _certificate(data, c, "v1", source, 4)
        for c in _children(data, cert_set, 3)[:MAX_CHILDREN]
        if c.tag == 0x30
    ]
    if not certs:
        raise Malformed("PKCS#7 SignedData carries no certificates")
    signer_infos = fields[-1] if fields[-1].tag == 0x31 else None
    if signer_infos is not None:
        infos = _children(data, signer_infos, 3)
        if infos and infos[0].tag == 0x30:
            sid_parts = _children(data, infos[0], 4)
            if len(sid_parts) > 1 and sid_parts[1].tag == 0x30:
                sid = _children(data, sid_parts[1], 5)
                if len(sid) == 2 and sid[1].tag == 0x02:
                    issuer = data[sid[0].head : sid[0].next]
                    serial = data[sid[1].body : sid[1].end]
                    for cert in certs:
                        if cert.issuer_der == issuer and cert.serial_der == serial:
                            return cert.fact
    return certs[0].fact


def _lp(buf: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    """A uint32-length-prefixed value at ``pos``: its (start, stop), inside ``end``."""
    if pos + 4 > end:
        raise Malformed(f"{what}: length prefix is truncated")
    (n,) = struct.unpack_from("<I", buf, pos)
    if n > end - pos - 4:
        raise Malformed(f"{what}: length {n:,} runs past its container ({end - pos - 4:,} left)")
    return pos + 4, pos + 4 + n


def block_signer(value: bytes, scheme: str) -> SigningCert:
    """The first signer's first certificate of a v2 or v3 signature scheme block value."""
    where = f"APK Signing Block ({scheme})"
    start, stop = _lp(value, 0, len(value), f"{where} signers")
    start, stop = _lp(value, start, stop, f"{where} first signer")
    start, stop = _lp(value, start, stop, f"{where} signed data")
    digests_end = _lp(value, start, stop, f"{where} digests")[1]
    start, stop = _lp(value, digests_end, stop, f"{where} certificates")
    start, stop = _lp(value, start, stop, f"{where} first certificate")
    cert = value[start:stop]
    t = _tlv(cert, 0, len(cert))
    if t.next != len(cert):
        raise Malformed(f"{where}: {len(cert) - t.next:,} bytes after the certificate")
    return _certificate(cert, t, scheme, where).fact


def _signing_block(apk: ApkFile) -> dict[int, bytes] | None:
    """The APK Signing Block's id -> value pairs, None when the APK has none."""
    with open(apk.path, "rb") as handle:
        tail_start = max(0, apk.size - _EOCD_SEARCH)
        handle.seek(tail_start)
        tail = handle.read(apk.size - tail_start)
        at = tail.rfind(_EOCD)
        if at < 0 or at + 22 > len(tail):
            raise Malformed("no end-of-central-directory record")
        (cd_offset,) = struct.unpack_from("<I", tail, at + 16)
        if cd_offset == 0xFFFFFFFF:
            raise NotRead("zip64 APK: pica does not read its APK Signing Block")
        if cd_offset < 32 or cd_offset > apk.size:
            return None
        handle.seek(cd_offset - 24)
        footer = handle.read(24)
        if len(footer) != 24 or footer[8:] != SIG_BLOCK_MAGIC:
            return None
        (size,) = struct.unpack_from("<Q", footer)
        if size > MAX_SIGNATURE_BYTES:
            raise Malformed(
                f"APK Signing Block says it is {size:,} bytes (limit {MAX_SIGNATURE_BYTES:,})"
            )
        if size < 24 or size + 8 > cd_offset:
            raise Malformed(f"APK Signing Block size {size:,} does not fit before the directory")
        handle.seek(cd_offset - size - 8)
        block = handle.read(size + 8)
    if len(block) != size + 8 or struct.unpack_from("<Q", block)[0] != size:
        raise Malformed("APK Signing Block's two sizes disagree")
    pairs: dict[int, bytes] = {}
    pos, end = 8, len(block) - 24
    while pos < end:
        if pos + 8 > end:
            raise Malformed("APK Signing Block pair is truncated")
        (n,) = struct.unpack_from("<Q", block, pos)
        if n < 4 or n > end - pos - 8:
            raise Malformed(f"APK Signing Block pair length {n:,} runs past the block")
        (pair_id,) = struct.unpack_from("<I", block, pos + 8)
        pairs.setdefault(pair_id, block[pos + 12 : pos + 8 + n])
        pos += 8 + n
    return pairs


def _v1_files(apk: ApkFile) -> list[str]:
    return sorted(
        n
        for n in apk.names()
        if PurePosixPath(n).parent.as_posix() == "META-INF" and n.upper().endswith(_V1_SUFFIXES)
    )


def read_signer(apk: ApkFile) -> tuple[SigningCert | None, str]:
    """(the signing certificate, "") or (None, why there is none). Never raises."""
    try:
        pairs = _signing_block(apk)
        if pairs:
            for pair_id, scheme in ((V3_ID, "v3"), (V2_ID, "v2")):
                if pair_id in pairs:
                    return block_signer(pairs[pair_id], scheme), ""
        for name in _v1_files(apk):
            data = apk.read(name, MAX_SIGNATURE_BYTES)
            return pkcs7_signer(data, name), ""
        if pairs:
            return None, "unsigned: the APK Signing Block has no v2 or v3 signature"
        return None, "unsigned: no APK Signing Block and no META-INF/*.RSA, *.DSA or *.EC"
    except Malformed as exc:
        return None, f"malformed signature: {exc}"
    except (InputError, NotRead) as exc:
        return None, f"signature not read: {exc}"
    except (OSError, ValueError, IndexError, struct.error, RecursionError) as exc:
        return None, f"malformed signature: {type(exc).__name__}: {exc}"
