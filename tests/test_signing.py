"""The signing certificate: read from real APKs as apksigner and keytool read it, and hostile
signature data that gives "no signer" with a reason, never an exception."""

from __future__ import annotations

import shutil
import struct
import zipfile
from pathlib import Path

import pytest
from conftest import APKS, FIXTURES

from pica.extract.apk import extract
from pica.extract.apk.container import open_apk
from pica.extract.apk.signing import (
    MAX_DEPTH,
    SIG_BLOCK_MAGIC,
    V2_ID,
    Malformed,
    block_signer,
    pkcs7_signer,
    read_signer,
)

SIGNED = FIXTURES / "signing"  # InsecureBank re-signed with a developer's key (its README)
DEVELOPER = "杭州示例网络科技有限公司"
DEV_SUBJECT = {
    "C": "CN",
    "ST": "浙江",
    "L": "杭州",
    "O": DEVELOPER,
    "OU": "移动开发部",
    "CN": "张伟",
}
DEBUG_SUBJECT = {"CN": "Android Debug", "O": "Android", "C": "US"}

# Expected values, each obtained once with a real tool on the fixture (2026-12-07):
# `keytool -printcert -jarfile F` (OpenJDK 17: Owner, Serial number, Valid from/until, SHA256)
# for the v1-signed files, `apksigner verify --print-certs -v F` (Debian apksigner 31.0.2:
# "Verified using vN scheme", certificate DN, certificate SHA-256 digest) for all of them.
# settings_apk-debug.apk has no v1 signature ("Not a signed jar file" says keytool): apksigner
# alone vouches for it.
EXPECTED = {
    APKS / "ApiDemos-debug.apk": dict(
        scheme="v2",  # apksigner: v1 and v2 verified, v3 not: the v2 block is read first
        subject=DEBUG_SUBJECT,
        serial="1",
        not_before="2024-05-19T05:18:29Z",
        not_after="2054-05-12T05:18:29Z",
        sha256="18e8534fed30cbf9959e4073e723e3395a3f92fd6b41756d5fbc788f280c1107",
        debug=True,
    ),
    APKS / "settings_apk-debug.apk": dict(
        scheme="v2",  # v2 only: no META-INF signature at all
        subject=DEBUG_SUBJECT,
        sha256="680dbbc39ab0944796c811b636ace510c8e551317087036cebab0751b0a6190c",
        debug=True,
    ),
    APKS / "InsecureBank.apk": dict(
        scheme="v1",
        subject=DEBUG_SUBJECT,
        serial="6b64dde",
        not_before="2012-03-02T09:56:58Z",
        not_after="2042-02-23T09:56:58Z",
        sha256="72ea4fddb2b25fbc1480eea8762ac1c462bc9173bd1b8db2bd775aa54f4f5c5c",
        debug=True,
    ),
    APKS / "ReturnParameterTest.apk": dict(
        scheme="v1",
        subject=DEBUG_SUBJECT,
        serial="36f4b115",
        not_before="2014-10-14T13:33:41Z",
        not_after="2044-10-06T13:33:41Z",
        sha256="2dba97b3f4fd8aa2ac7e4135b966f828fd36c8d8ab673c84b800a9041641cf00",
        debug=True,
    ),
    SIGNED / "InsecureBank-signed-v1v2v3.apk": dict(
        scheme="v3",  # apksigner: v1, v2 and v3 verified; v3 is read first
        subject=DEV_SUBJECT,
        issuer=DEV_SUBJECT,
        serial="ff0070ce48769347",
        not_before="2026-12-07T11:20:47Z",
        not_after="2054-04-24T11:20:47Z",
        sha256="d3b179ebfd4f4ebc36cb775838bfe24e14992d63d4f2f00a7d4519430cccd194",
        debug=False,
    ),
    SIGNED / "InsecureBank-signed-v1.apk": dict(
        scheme="v1",
        subject=DEV_SUBJECT,
        serial="ff0070ce48769347",
        sha256="d3b179ebfd4f4ebc36cb775838bfe24e14992d63d4f2f00a7d4519430cccd194",
        source="META-INF/DEV.RSA",
        debug=False,
    ),
}


def _signer(path: Path):
    apk = open_apk(path)
    try:
        return read_signer(apk)
    finally:
        apk.close()


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_real_apks_read_as_the_android_tools_read_them(path: Path) -> None:
    cert, reason = _signer(path)
    assert cert is not None, reason
    assert reason == ""
    for field, value in EXPECTED[path].items():
        assert getattr(cert, field) == value, field
    # a subject's order is the certificate's: C first in InsecureBank's, CN first in ApiDemos'
    assert cert.developer == (None if cert.debug else DEVELOPER)


def test_unsigned_apk_has_no_signer_and_says_so() -> None:
    cert, reason = _signer(APKS / "SourceToSink1.apk")
    assert cert is None
    assert reason == "unsigned: no APK Signing Block and no META-INF/*.RSA, *.DSA or *.EC"


def test_extract_carries_the_signer_on_the_app() -> None:
    app = extract(SIGNED / "InsecureBank-signed-v1v2v3.apk").app
    assert app.signer is not None and app.signer.developer == DEVELOPER
    assert app.signer_note == ""


# -- the report ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    from pica.audit import audit
    from pica.render.json_report import report_document

    return {
        "signed": report_document(audit(SIGNED / "InsecureBank-signed-v1v2v3.apk")),
        "debug": report_document(audit(APKS / "InsecureBank.apk")),
    }


def test_report_names_the_developer_and_the_certificate(documents: dict) -> None:
    app = documents["signed"]["app"]
    assert app["developer"] == DEVELOPER
    assert app["signer"] == {
        "scheme": "v3",
        "subject": DEV_SUBJECT,
        "issuer": DEV_SUBJECT,
        "serial": "ff0070ce48769347",
        "not_before": "2026-12-07T11:20:47Z",
        "not_after": "2054-04-24T11:20:47Z",
        "sha256": "d3b179ebfd4f4ebc36cb775838bfe24e14992d63d4f2f00a7d4519430cccd194",
        "source": "APK Signing Block (v3)",
        "note": None,
    }


def test_a_debug_certificate_names_no_developer(documents: dict) -> None:
    app = documents["debug"]["app"]
    assert app["developer"] is None
    assert app["signer"]["note"] == "debug certificate"
    assert app["signer"]["subject"] == DEBUG_SUBJECT


def test_the_signature_changes_no_verdict(documents: dict) -> None:
    """The same app signed by a developer or by the debug key: the same 31 verdicts."""

    def verdicts(doc: dict) -> dict[str, str]:
        return {f["item_id"]: f["verdict"] for f in doc["findings"]}

    assert len(verdicts(documents["signed"])) == 31
    assert verdicts(documents["signed"]) == verdicts(documents["debug"])


def test_html_and_markdown_show_the_developer(documents: dict) -> None:
    from pica.render import render
    from pica.render.json_report import report_from_document

    report = report_from_document(documents["signed"])
    for fmt in ("html", "md"):
        out = render(report, fmt).decode("utf-8")
        assert DEVELOPER in out and "ff0070ce48769347" in out, fmt
        assert "d3b179ebfd4f4ebc36cb775838bfe24e14992d63d4f2f00a7d4519430cccd194" in out
    debug = render(report_from_document(documents["debug"]), "html").decode("utf-8")
    assert "— (debug certificate)" in debug


def test_a_hostile_subject_is_escaped_in_html_and_markdown() -> None:
    from test_render_support import HOSTILE, SCRIPT, build_report, catalog

    from pica.render import render

    report = build_report(hostile=True)
    assert SCRIPT in report.app["developer"] and SCRIPT in report.app["signer"]["subject"]["CN"]
    page = render(report, "html", catalog()).decode("utf-8")
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    text = render(report, "md", catalog()).decode("utf-8")
    assert SCRIPT not in text and HOSTILE not in text
    assert "杭州示例网络科技有限公司&lt;script&gt;" in text


# -- hostile signature data -------------------------------------------------------------------


@pytest.fixture(scope="module")
def cert_rsa() -> bytes:
    """InsecureBank's real v1 signature file (PKCS#7 SignedData, 2048-bit RSA certificate)."""
    with zipfile.ZipFile(APKS / "InsecureBank.apk") as z:
        return z.read("META-INF/CERT.RSA")


def _apk_with(tmp_path: Path, signature: bytes, name: str = "META-INF/CERT.RSA") -> Path:
    """InsecureBank's entries with its signature file replaced by ``signature``."""
    out = tmp_path / "hostile.apk"
    with zipfile.ZipFile(APKS / "InsecureBank.apk") as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if not info.filename.startswith("META-INF/"):
                dst.writestr(info, src.read(info))
        dst.writestr(name, signature)
    return out


def _nested(depth: int, indefinite: bool) -> bytes:
    if indefinite:
        return b"\x30\x80" * depth + b"\x00\x00" * depth
    inner = b""
    for _ in range(depth):
        n = len(inner)
        length = bytes([n]) if n < 0x80 else b"\x82" + n.to_bytes(2, "big")
        inner = b"\x30" + length + inner
    return inner


def _hostile_signatures(cert_rsa: bytes) -> dict[str, tuple[bytes, str]]:
    """name -> (signature file bytes, words the reason must contain)."""
    longer = bytearray(cert_rsa)
    assert longer[:2] == b"\x30\x82"  # the outer SEQUENCE's two-byte length, made too long
    longer[2:4] = (len(cert_rsa) + 100).to_bytes(2, "big")
    return {
        "garbage": (b"this is not DER at all \xff\xfe" * 40, "ContentInfo"),
        "empty": (b"", "truncated"),
        "truncated certificate": (cert_rsa[: len(cert_rsa) // 2], "runs past the end"),
        "length past the end": (bytes(longer), "runs past the end"),
        "length of 9 bytes": (b"\x30\x89" + b"\xff" * 9, "takes 9 bytes"),
        "1000-deep, indefinite": (_nested(1000, True), f"deeper than {MAX_DEPTH}"),
        "1000-deep, definite": (_nested(1000, False), "not a PKCS#7 SignedData"),
        "not SignedData": (b"\x30\x05\x06\x03\x55\x04\x03", "not a PKCS#7 SignedData"),
    }


def test_hostile_v1_signatures_give_no_signer_and_a_reason(tmp_path: Path, cert_rsa) -> None:
    for label, (data, words) in _hostile_signatures(cert_rsa).items():
        cert, reason = _signer(_apk_with(tmp_path, data))
        assert cert is None, label
        assert reason.startswith("malformed signature: ") and words in reason, (label, reason)
        assert "\n" not in reason


def test_an_oversized_signature_file_is_refused_unread(tmp_path: Path) -> None:
    cert, reason = _signer(_apk_with(tmp_path, b"\x30\x80" + b"\x00" * (2 * 1024**2)))
    assert cert is None
    assert reason.startswith("signature not read: ") and "declares 2,097,154 bytes" in reason


def test_every_truncation_and_byte_flip_of_a_real_signature_is_a_reason(cert_rsa) -> None:
    """The reader on every prefix of a real PKCS#7 file and on every one-byte change of it:
    a certificate or ``Malformed``, nothing else (an IndexError or a hang would fail here)."""
    outcomes = {"cert": 0, "malformed": 0}
    variants = [cert_rsa[:n] for n in range(len(cert_rsa))]
    for i in range(len(cert_rsa)):
        flipped = bytearray(cert_rsa)
        flipped[i] ^= 0xFF
        variants.append(bytes(flipped))
    for data in variants:
        try:
            pkcs7_signer(data, "CERT.RSA")
            outcomes["cert"] += 1
        except Malformed:
            outcomes["malformed"] += 1
    assert outcomes["malformed"] >= len(cert_rsa)  # every prefix is malformed
    assert outcomes["cert"] > 0  # flips in the signature bytes leave the certificate readable


# -- the APK Signing Block ----------------------------------------------------------------------


def _block_offsets(data: bytes) -> tuple[int, int]:
    """(start of the APK Signing Block, start of the central directory) of an APK's bytes."""
    eocd = data.rfind(b"PK\x05\x06")
    (cd,) = struct.unpack_from("<I", data, eocd + 16)
    assert data[cd - 16 : cd] == SIG_BLOCK_MAGIC
    (size,) = struct.unpack_from("<Q", data, cd - 24)
    return cd - size - 8, cd


def _patched(tmp_path: Path, patch) -> Path:
    data = bytearray((APKS / "settings_apk-debug.apk").read_bytes())
    start, cd = _block_offsets(bytes(data))
    patch(data, start, cd)
    out = tmp_path / "block.apk"
    out.write_bytes(bytes(data))
    return out


def _set_u64(data: bytearray, at: int, value: int) -> None:
    data[at : at + 8] = struct.pack("<Q", value)


def _set_u32(data: bytearray, at: int, value: int) -> None:
    data[at : at + 4] = struct.pack("<I", value)


LYING_BLOCKS = {
    # the footer's size: huge, past the start of the file, and disagreeing with the header's
    "size over the limit": (lambda d, s, cd: _set_u64(d, cd - 24, 2**63), "limit"),
    "size too small": (lambda d, s, cd: _set_u64(d, cd - 24, 16), "does not fit"),
    "sizes disagree": (lambda d, s, cd: _set_u64(d, s, 12345), "two sizes disagree"),
    # the first id-value pair's length, past the block
    "pair length": (lambda d, s, cd: _set_u64(d, s + 8, 2**40), "pair length"),
    # the v2 value's own uint32 lengths (signers, first signer), past their containers
    "signers length": (lambda d, s, cd: _set_u32(d, s + 20, 0xFFFFFFF0), "signers: length"),
    "signer length": (lambda d, s, cd: _set_u32(d, s + 24, 0xFFFFFFF0), "first signer: length"),
}


@pytest.mark.parametrize("label", list(LYING_BLOCKS))
def test_a_signing_block_whose_sizes_lie_gives_no_signer(tmp_path: Path, label: str) -> None:
    patch, words = LYING_BLOCKS[label]
    path = _patched(tmp_path, patch)
    cert, reason = _signer(path)
    assert cert is None
    assert reason.startswith("malformed signature: ") and words in reason, reason
    # and the audit goes on: the rest of the APK is read, the app has no signer and a note
    app = extract(path).app
    assert app.signer is None and app.signer_note == reason


def test_the_v2_pair_is_where_the_patches_above_aim() -> None:
    """The offsets the lying-block cases patch are the v2 pair's length, id and value."""
    data = (APKS / "settings_apk-debug.apk").read_bytes()
    start, _cd = _block_offsets(data)
    (pair_id,) = struct.unpack_from("<I", data, start + 16)
    assert pair_id == V2_ID
    (pair_len,) = struct.unpack_from("<Q", data, start + 8)
    value = data[start + 20 : start + 20 + pair_len - 4]
    assert block_signer(value, "v2").sha256 == EXPECTED[APKS / "settings_apk-debug.apk"]["sha256"]


def test_a_certificate_with_trailing_bytes_in_the_block_is_malformed() -> None:
    data = (APKS / "settings_apk-debug.apk").read_bytes()
    start, _cd = _block_offsets(data)
    (pair_len,) = struct.unpack_from("<Q", data, start + 8)
    value = bytearray(data[start + 20 : start + 20 + pair_len - 4])
    # shrink the first certificate's DER length by one: one byte is left over inside its slot
    (digests,) = struct.unpack_from("<I", value, 12)
    at = 24 + digests
    assert value[at : at + 2] == b"\x30\x82"
    (n,) = struct.unpack_from(">H", value, at + 2)
    value[at + 2 : at + 4] = (n - 1).to_bytes(2, "big")
    with pytest.raises(Malformed):
        block_signer(bytes(value), "v2")


def test_signers_are_read_only_from_the_given_apk(tmp_path: Path) -> None:
    """A copy of a signed APK under another name reads the same: nothing keyed on the name."""
    copy = tmp_path / "renamed.apk"
    shutil.copy(SIGNED / "InsecureBank-signed-v1.apk", copy)
    assert _signer(copy)[0] == _signer(SIGNED / "InsecureBank-signed-v1.apk")[0]
