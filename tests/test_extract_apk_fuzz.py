"""Mutated real APKs: every outcome is a report's evidence or an InputError, never a crash."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from conftest import APKS, CONSTRUCTED

from pica.audit import gather
from pica.errors import InputError

TARGETS = ("AndroidManifest.xml", "resources.arsc")


def _mutants(source: Path, seed: int, count: int):
    rng = random.Random(seed)
    with zipfile.ZipFile(source) as z:
        entries = [(info.filename, z.read(info)) for info in z.infolist()]
    for _ in range(count):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as w:
            for name, data in entries:
                if (name.endswith(".dex") or name in TARGETS) and rng.random() < 0.7:
                    mutated = bytearray(data)
                    for _ in range(rng.choice([1, 5, 50, 500])):
                        mutated[rng.randrange(len(mutated))] = rng.randrange(256)
                    if rng.random() < 0.2:
                        mutated = mutated[: rng.randrange(len(mutated))]
                    data = bytes(mutated)
                w.writestr(name, data)
        yield out.getvalue()


@pytest.mark.parametrize(
    "source, seed", [(APKS / "InsecureBank.apk", 1), (CONSTRUCTED / "preconsent.apk", 4)]
)
def test_mutated_apks_give_evidence_or_input_error(tmp_path: Path, source: Path, seed: int) -> None:
    outcomes = {"ok": 0, "input_error": 0}
    target = tmp_path / "mutant.apk"
    for blob in _mutants(source, seed, 120):
        target.write_bytes(blob)
        try:
            gather(target)
            outcomes["ok"] += 1
        except InputError as exc:
            assert "\n" not in str(exc)
            outcomes["input_error"] += 1
    assert outcomes["ok"] and outcomes["input_error"]  # both paths really exercised
