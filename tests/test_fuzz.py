"""The hostile-input fuzz suite (issue 20): Hypothesis mutates the real fixtures — byte flips,
truncation and header field edits in zip/DEX/AXML/ARSC, encodings and markup in policies, YAML
structure in checklists, JSON in device profiles and traces, bad options — and every case must
keep the contract:

    exit 0/1 with a complete report, or exit 2 with one line on stderr and nothing written;
    never a traceback.

Most cases run in-process through the CLI's own entry (``pica.cli.main``) so that hundreds fit
in CI's time; a sample runs as real processes under RLIMIT_AS (memory cap below). Seeds are
fixed (``derandomize``); ``pytest -m fuzz_long`` runs the same properties on many more cases.
A failure found here becomes a fixture in tests/fixtures/hostile/found/ (replayed by
``test_found_inputs_keep_the_contract``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import APKS, CONSTRUCTED, FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pica import cli

MEMORY_CAP = 1024**3  # address space of each subprocess case: 1 GiB
POLICIES = FIXTURES / "policies" / "viodroid"
FOUND = FIXTURES / "hostile" / "found"
SEEDED_APKS = (APKS / "InsecureBank.apk", CONSTRUCTED / "preconsent.apk")
POLICY_TEXT = (POLICIES / "C107228073-1.0.0.html").read_bytes()


def _settings(examples: int) -> Callable:
    return settings(
        max_examples=examples,
        derandomize=True,  # fixed seeds: the same cases on every run
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


# --- the contract ------------------------------------------------------------------------------


def run_in_process(args: list[str], out_dir: Path, report: Path) -> tuple[int, str]:
    """pica's console entry in this process; (exit code, stderr). Any exception escaping it is
    a traceback a user would see, so it fails the test as it is."""
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        code = cli.main(args)
    return code, stderr.getvalue()


def check_contract(code: int, stderr: str, out_dir: Path, report: Path, inputs: set[str]) -> str:
    """The issue's contract; returns "report" or "refused" for the tallies."""
    assert "Traceback" not in stderr, stderr
    written = sorted(p.name for p in out_dir.iterdir() if p.name not in inputs)
    if code in (0, 1):
        assert written == [report.name], (code, stderr, written)
        document = json.loads(report.read_text(encoding="utf-8"))
        assert len(document["findings"]) == 31, "an incomplete report"
        return "report"
    assert code == 2, (code, stderr)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("pica: "), lines[0]
    assert written == [], f"refused but wrote {written}"
    return "refused"


def audit_case(files: dict[str, bytes], args: list[str]) -> str:
    """Write ``files`` into a fresh directory, run ``pica *args -o report.json`` there."""
    with tempfile.TemporaryDirectory(prefix="pica-fuzz-") as tmp:
        out_dir = Path(tmp)
        for name, data in files.items():
            (out_dir / name).write_bytes(data)
        report = out_dir / "report.json"
        full = args[:1] + [a if a not in files else str(out_dir / a) for a in args[1:]]
        try:
            code, stderr = run_in_process([*full, "-q", "-o", str(report)], out_dir, report)
            return check_contract(code, stderr, out_dir, report, set(files))
        except Exception:
            _keep(files, args)
            raise


def _keep(files: dict[str, bytes], args: list[str]) -> None:
    """Save a failing case where a developer finds it (PICA_FUZZ_KEEP=dir), to commit it under
    tests/fixtures/hostile/found/ once understood."""
    keep = os.environ.get("PICA_FUZZ_KEEP")
    if not keep:
        return
    folder = Path(keep) / f"case-{abs(hash((tuple(args), *files.values()))):x}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "args.json").write_text(json.dumps(args))


# --- APKs: zip, DEX, AXML, ARSC -----------------------------------------------------------------


def _entries(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i, z.read(i)) for i in z.infolist()]


ENTRIES = {p: _entries(p) for p in SEEDED_APKS}
INTERESTING = (0, 1, 0x70, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
# header fields worth editing: (entry kind, byte offset, width)
FIELDS = {
    "dex": [(0x20, 4), (0x24, 4), (0x34, 4), (0x38, 4), (0x3C, 4), (0x40, 4), (0x44, 4),
            (0x48, 4), (0x4C, 4), (0x50, 4), (0x54, 4), (0x58, 4), (0x5C, 4), (0x60, 4),
            (0x64, 4), (0x68, 4), (0x6C, 4)],
    "axml": [(0, 2), (2, 2), (4, 4), (8, 2), (10, 2), (12, 4), (16, 4), (20, 4), (24, 4),
             (28, 4), (32, 4)],
    "arsc": [(0, 2), (2, 2), (4, 4), (8, 4), (12, 2), (14, 2), (16, 4), (20, 4), (24, 4),
             (28, 4)],
}  # fmt: skip
ZIP_FIELDS = [  # (signature, offset in the record, width): local header and central directory
    (b"PK\x03\x04", 4, 2), (b"PK\x03\x04", 8, 2), (b"PK\x03\x04", 18, 4),
    (b"PK\x03\x04", 22, 4), (b"PK\x03\x04", 26, 2), (b"PK\x03\x04", 28, 2),
    (b"PK\x01\x02", 6, 2), (b"PK\x01\x02", 10, 2), (b"PK\x01\x02", 20, 4),
    (b"PK\x01\x02", 24, 4), (b"PK\x01\x02", 28, 2), (b"PK\x01\x02", 42, 4),
    (b"PK\x05\x06", 10, 2), (b"PK\x05\x06", 12, 4), (b"PK\x05\x06", 16, 4),
]  # fmt: skip


def _kind(name: str) -> str | None:
    if name.endswith(".dex"):
        return "dex"
    if name == "AndroidManifest.xml":
        return "axml"
    if name == "resources.arsc":
        return "arsc"
    return None


def _put(data: bytearray, offset: int, width: int, value: int) -> None:
    if offset + width <= len(data):
        data[offset : offset + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")


entry_edit = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 30), st.integers(0, 255)),
    st.tuples(st.just("field"), st.integers(0, 100), st.sampled_from(INTERESTING)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 30), st.just(0)),
)


@st.composite
def apk_mutants(draw) -> bytes:  # noqa: ANN001
    """A real APK, re-zipped with its DEX/manifest/resource entries edited, then maybe the zip
    records themselves edited (sizes, offsets, versions, methods, name lengths)."""
    source = draw(st.sampled_from(SEEDED_APKS))
    targets = [i.filename for i, _ in ENTRIES[source] if _kind(i.filename)]
    chosen = draw(st.sets(st.sampled_from(targets), min_size=0, max_size=len(targets)))
    edits = {name: draw(st.lists(entry_edit, min_size=1, max_size=6)) for name in chosen}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for info, data in ENTRIES[source]:
            mutated = bytearray(data)
            for op, at, value in edits.get(info.filename, []):
                if not mutated:
                    break
                if op == "flip":
                    mutated[at % len(mutated)] = value
                elif op == "field":
                    offset, width = FIELDS[_kind(info.filename)][
                        at % len(FIELDS[_kind(info.filename)])
                    ]
                    _put(mutated, offset, width, value)
                else:
                    mutated = mutated[: at % len(mutated)]
            w.writestr(info, bytes(mutated), compress_type=zipfile.ZIP_DEFLATED)
    blob = bytearray(out.getvalue())
    for sig, offset, width in draw(st.lists(st.sampled_from(ZIP_FIELDS), max_size=3)):
        starts = [i for i in range(len(blob) - 4) if blob[i : i + 4] == sig][:50]
        if starts:
            at = draw(st.sampled_from(starts))
            _put(blob, at + offset, width, draw(st.sampled_from(INTERESTING)))
    if draw(st.booleans()) and draw(st.booleans()):
        blob = blob[: draw(st.integers(0, len(blob)))]
    return bytes(blob)


def apk_property(blob: bytes) -> None:
    audit_case({"app.apk": blob}, ["audit", "app.apk"])


# --- policies: encodings and markup -------------------------------------------------------------

MARKUP = [
    b"<script>alert(1)</script>", b"<iframe src=javascript:alert(1)>", b"<div>" * 3000,
    b"</p></p></div>", b"<![CDATA[x]]>", b"<!--", b"&#xD800;", b"&#0;", b"&#x110000;",
    b"\x00", b"<meta charset=utf-16>", b"<meta charset=x-unknown>", b"<table>" * 200,
    b"<style>p{font-size:0}</style>", b"<svg><foreignObject>", b"\xff\xfe", b"\xef\xbb\xbf",
    b"<a href='file:///etc/passwd'>", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>",
]  # fmt: skip
ENCODINGS = ["utf-8", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "big5", "latin-1"]


@st.composite
def policy_mutants(draw) -> tuple[str, bytes]:  # noqa: ANN001
    text = POLICY_TEXT.decode("utf-8")
    cut = draw(st.integers(200, len(text)))
    body = text[:cut]
    encoding = draw(st.sampled_from(ENCODINGS))
    data = bytearray(body.encode(encoding, "replace"))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.sampled_from(MARKUP))
    for at, value in draw(
        st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 255)), max_size=8)
    ):
        if data:
            data[at % len(data)] = value
    suffix = draw(st.sampled_from([".html", ".txt", ".pdf", ""]))
    return "policy" + suffix, bytes(data)


def policy_property(case: tuple[str, bytes]) -> None:
    name, data = case
    audit_case({name: data}, ["policy", name])


# --- checklists: YAML structure -----------------------------------------------------------------

SCALARS = [
    "pass", "fail", "not_applicable", "2019-02-30", "!!int 0xZZ", "!!float nan", "1" * 5000,
    '"\\udcff"', "~", "!!binary AAAA", "!!python/object:os.system", "*a", "&a x", "[", "{",
    "'", "\t", "!!timestamp 2019-13-01", "0o777", "!!set {a}", "? [a]", "!!omap [a: 1]",
]  # fmt: skip
ITEM_IDS = ["1.3", "3.7", "6.4", "9.9", "1.1", 1.3, "", "items"]


yaml_values = st.recursive(
    st.sampled_from(SCALARS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(st.sampled_from(["result", "note", "x"]), inner, max_size=3).map(
            lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
        ),
    ),
    max_leaves=12,
)


@st.composite
def checklists(draw) -> bytes:  # noqa: ANN001
    if draw(st.integers(0, 9)) == 0:  # a deep one
        depth = draw(st.integers(50, 3000))
        return ("items: " + "[" * depth + "]" * depth + "\n").encode()
    items = draw(st.dictionaries(st.sampled_from(ITEM_IDS), yaml_values, max_size=4))
    head = draw(st.sampled_from(["items: ", "", "items:\n  ", "- ", "a: &a "]))
    body = head + "{" + ", ".join(f'"{k}": {v}' for k, v in items.items()) + "}\n"
    data = bytearray(body.encode("utf-8"))
    for at, value in draw(
        st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=3)
    ):
        if data:
            data[at % len(data)] = value
    return bytes(data)


TINY_POLICY = "我们会收集您的手机号码，用于账号注册。".encode()


def checklist_property(data: bytes) -> None:
    audit_case(
        {"c.yaml": data, "p.txt": TINY_POLICY},
        ["audit", "--policy", "p.txt", "--checklist", "c.yaml"],
    )


# --- device profiles and traces: JSON ------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
        st.sampled_from(["861234567890123", "\udcff", "1" * 5000, "9" * 400]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=10,
)  # fmt: skip
TRACE = (FIXTURES / "traces" / "session.jsonl").read_bytes().splitlines()


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


@st.composite
def trace_cases(draw) -> dict[str, bytes]:  # noqa: ANN001
    profile = draw(
        st.one_of(
            st.dictionaries(
                st.sampled_from(["imei", "android_id", "oaid", "x"]), json_values, max_size=3
            ),
            json_values,
        )
    )
    lines = list(TRACE[: draw(st.integers(1, len(TRACE)))])
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, _dumps(draw(json_values)))
    if draw(st.booleans()):
        k = draw(st.integers(0, len(lines) - 1))
        lines[k] = lines[k][: draw(st.integers(0, len(lines[k])))]
    profile_bytes = _dumps(profile)
    if draw(st.integers(0, 5)) == 0:
        profile_bytes = b"[" * 5000 + b"]" * 5000
    return {"t.jsonl": b"\n".join(lines) + b"\n", "dp.json": profile_bytes}


def trace_property(files: dict[str, bytes]) -> None:
    audit_case(files, ["trace", "t.jsonl", "--device-profile", "dp.json"])


# --- options -----------------------------------------------------------------------------------

OPTION_WORDS = [
    "audit", "policy", "trace", "diff", "--format", "pdf", "json", "--fail-on", "maybe",
    "--category", "nonsense", "--checklist", "--policy", "--net", "--bogus", "-o", "--demo",
    "", "\udcff", "--device-profile", "missing.json", "x.apk", "--help",
]  # fmt: skip


def options_property(words: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="pica-fuzz-") as tmp:
        out_dir = Path(tmp)
        stderr, stdout = io.StringIO(), io.StringIO()
        cwd = os.getcwd()
        os.chdir(out_dir)
        try:
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
                code = cli.main(words)
        finally:
            os.chdir(cwd)
        text = stderr.getvalue()
        assert "Traceback" not in text
        if code == 2 and "Usage:" not in stdout.getvalue() + text:
            assert len([x for x in text.splitlines() if x.strip()]) == 1, text


# --- the tests: CI size and the long run ------------------------------------------------------

CI = {"apk": 200, "policy": 120, "checklist": 300, "trace": 120, "options": 150}
LONG = {name: n * 25 for name, n in CI.items()}


def _pair(name: str, strategy, body):  # noqa: ANN001, ANN202
    short = _settings(CI[name])(given(strategy)(body))
    long = pytest.mark.fuzz_long(_settings(LONG[name])(given(strategy)(body)))
    return short, long


test_fuzz_apks, test_fuzz_apks_long = _pair("apk", apk_mutants(), apk_property)
test_fuzz_policies, test_fuzz_policies_long = _pair("policy", policy_mutants(), policy_property)
test_fuzz_checklists, test_fuzz_checklists_long = _pair(
    "checklist", checklists(), checklist_property
)
test_fuzz_traces, test_fuzz_traces_long = _pair("trace", trace_cases(), trace_property)
test_fuzz_options, test_fuzz_options_long = _pair(
    "options", st.lists(st.sampled_from(OPTION_WORDS), max_size=6), options_property
)


# --- a sample as real processes, memory capped ------------------------------------------------


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def subprocess_case(files: dict[str, bytes], args: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="pica-fuzz-") as tmp:
        out_dir = Path(tmp)
        for name, data in files.items():
            (out_dir / name).write_bytes(data)
        report = out_dir / "report.json"
        result = subprocess.run(
            [sys.executable, "-m", "pica", *args, "-q", "-o", str(report)],
            cwd=out_dir,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=120,
            preexec_fn=_cap,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "COLUMNS": "200"},
        )
        check_contract(result.returncode, result.stderr, out_dir, report, set(files))


@_settings(10)
@given(apk_mutants())
def test_fuzz_apks_in_capped_processes(blob: bytes) -> None:
    subprocess_case({"app.apk": blob}, ["audit", "app.apk"])


@_settings(6)
@given(policy_mutants())
def test_fuzz_policies_in_capped_processes(case: tuple[str, bytes]) -> None:
    name, data = case
    subprocess_case({name: data}, ["policy", name])


# --- what the fuzzing found, kept ---------------------------------------------------------------


def _found() -> list[Path]:
    return sorted(p for p in FOUND.iterdir() if p.is_dir()) if FOUND.is_dir() else []


@pytest.mark.parametrize("case", _found(), ids=lambda p: p.name)
def test_found_inputs_keep_the_contract(case: Path) -> None:
    args = json.loads((case / "args.json").read_text())
    files = {p.name: p.read_bytes() for p in case.iterdir() if p.name != "args.json"}
    audit_case(files, args)
