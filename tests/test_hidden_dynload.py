"""Dynamically loaded code (issue 16, deliver 4) on CONSTRUCTED APKs
(tests/fixtures/constructed/hidden/README.md): an Umeng-named SDK's two plug-ins read four
identifiers from classes.dex (``dynload_plain``), from DEX payloads in assets loaded by
DexClassLoader (``dynload``: a raw DEX and a DEX inside a JAR), or from the same payloads
encrypted (``dynload_enc``). Hostile payloads are built here from those APKs."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import APKS, CONSTRUCTED

from pica.audit import audit, gather
from pica.limits import Limits, using
from pica.report import Verdict

HIDDEN = CONSTRUCTED / "hidden"


def _found(apk: Path) -> set[tuple[str, str]]:
    return {(u.api, u.pi_type) for u in gather(apk).api_uses}


def test_plain_payloads_are_analysed_and_attributed_to_the_loader():
    assert _found(HIDDEN / "dynload.apk") == _found(HIDDEN / "dynload_plain.apk")
    evidence = gather(HIDDEN / "dynload.apk")
    assert evidence.app.loaded_dex == ("assets/um_plugin.dex", "assets/um_plugin2.jar!/classes.dex")
    assert evidence.app.dex_files == ("classes.dex",)
    loaded = [u for u in evidence.api_uses if u.dex in evidence.app.loaded_dex]
    assert {u.dex for u in loaded} == set(evidence.app.loaded_dex)
    assert all(u.sdk == "umeng_analytics" and u.attributed_by == "loader" for u in loaded)
    assert all(u.reachable is None for u in loaded)  # entered by reflection: unknown, not unreached
    loaders = [h for h in evidence.hidden_code if h.kind == "loader"]
    assert len(loaders) == 1 and "DexClassLoader" in loaders[0].detail
    assert evidence.code_hidden() == ()  # nothing unreadable: no absence is blocked


def test_encrypted_payload_makes_absence_verdicts_inconclusive():
    report = audit(apk=HIDDEN / "dynload_enc.apk")
    hidden = report.hidden_code
    assert hidden is not None and hidden["absence_inconclusive"]
    payload = [f for f in hidden["facts"] if f["kind"] == "payload"]
    assert payload and "um_plugin.bin: encrypted or packed data" in payload[0]["detail"]
    by_item = {f.item_id: f for f in report.findings}
    assert by_item["1.1"].verdict is Verdict.INCONCLUSIVE
    assert "code hidden by assets/um_plugin.bin" in by_item["1.1"].reason
    assert by_item["3.1"].verdict is Verdict.INCONCLUSIVE
    assert not [f for f in report.findings if f.verdict is Verdict.COMPLIANT]
    # the plain variant's 1.1 is a violation: only the hidden code changed it
    plain = {f.item_id: f.verdict for f in audit(apk=HIDDEN / "dynload_plain.apk").findings}
    assert plain["1.1"] is Verdict.VIOLATION


def test_a_payload_no_loader_loads_is_a_fact_only():
    """ApiDemos ships assets/HelloActivity.apk (an app to install) and loads no code: it is
    listed, not analysed as ApiDemos' code, and blocks nothing."""
    evidence = gather(APKS / "ApiDemos-debug.apk")
    assert evidence.app.loaded_dex == ()
    facts = [h for h in evidence.hidden_code if h.kind == "payload"]
    assert len(facts) == 1 and "HelloActivity.apk: a ZIP file, not analysed" in facts[0].detail
    assert not facts[0].blocks_absence


def _with_assets(tmp_path: Path, extra: dict[str, bytes], name: str = "x.apk") -> Path:
    out = tmp_path / name
    shutil.copy(HIDDEN / "dynload.apk", out)
    with zipfile.ZipFile(out, "a") as z:
        for entry, data in extra.items():
            z.writestr(entry, data)
    return out


def _zip_of(entry: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(entry, data)
    return buf.getvalue()


def test_self_nesting_archive_ends_at_the_nesting_limit(tmp_path: Path):
    """An archive that holds itself, again and again (40 levels): followed 3 deep, then one
    fact; the plug-ins around it are still read."""
    with zipfile.ZipFile(HIDDEN / "dynload.apk") as z:
        core = z.read("assets/um_plugin.dex")
    blob = _zip_of("classes.dex", core)
    for _ in range(40):
        blob = _zip_of("inner.jar", blob)
    evidence = gather(_with_assets(tmp_path, {"assets/nest.jar": blob}))
    deep = [h for h in evidence.hidden_code if "nested deeper than 3" in h.detail]
    assert len(deep) == 1 and deep[0].blocks_absence
    assert "assets/nest.jar!/inner.jar!/inner.jar!/inner.jar" in deep[0].source
    assert "assets/um_plugin.dex" in evidence.app.loaded_dex


def test_payloads_spend_the_apks_inflate_budget(tmp_path: Path):
    """A nested payload that would pass the APK's inflate budget is a fact, not a crash and
    not an unbounded read."""
    big = _zip_of("classes.dex", b"dex\n035\x00" + b"\x00" * (3 * 1024**2))
    apk = _with_assets(tmp_path, {"assets/big.jar": big})
    with using(Limits(inflate_budget=2 * 1024**2)):
        evidence = gather(apk)
    facts = [h for h in evidence.hidden_code if h.kind == "payload" and "big.jar" in h.source]
    assert facts and "inflate budget" in facts[0].detail


@pytest.mark.parametrize(
    "payload",
    [b"dex\n035\x00" + b"\x01" * 200, b"PK\x03\x04 not really a zip at all" * 10],
    ids=["broken DEX", "broken zip"],
)
def test_unreadable_payload_is_a_fact_that_blocks_absence(tmp_path: Path, payload: bytes):
    evidence = gather(_with_assets(tmp_path, {"assets/p.bin": payload}))
    facts = [h for h in evidence.hidden_code if h.kind == "payload"]
    assert len(facts) == 1 and "unreadable code payload" in facts[0].detail
    assert facts[0].blocks_absence and evidence.code_hidden()
