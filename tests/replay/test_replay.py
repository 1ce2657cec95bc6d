"""Every replay trace end to end through ``pica trace`` in a real process (see README.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "traces"
PROFILE = HERE / "device_profile.json"
CASES = sorted(p.stem for p in HERE.glob("*.jsonl"))
EXPECTED = {"violation": ("violation", 1), "compliant": ("compliant", 0)}


def test_every_item_has_both_variants() -> None:
    items = {name.split("-")[0] for name in CASES}
    assert items == {"1.2", "3.1", "3.2", "3.4", "3.5", "4.4", "4.6", "5.1"}
    assert len(CASES) == 2 * len(items)


@pytest.mark.parametrize("case", CASES)
def test_replay(case: str, tmp_path: Path) -> None:
    item, variant = case.split("-")
    out = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pica", "trace", str(HERE / f"{case}.jsonl"),
         "--device-profile", str(PROFILE), "-o", str(out), "-q", "--fail-on", "violation"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    verdict, _code = EXPECTED[variant]
    report = json.loads(out.read_text("utf-8"))
    finding = next(f for f in report["findings"] if f["item_id"] == item)
    assert finding["verdict"] == verdict, finding["reason"]
    assert finding["evidence_kind"] in ("trace", "network")
    if verdict == "violation":
        assert result.returncode == 1
        assert finding["cites"] and all(c["source"] for c in finding["cites"])
    assert report["inputs"][0]["kind"] == "trace"
