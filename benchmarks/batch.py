"""Batch throughput: apps per minute, 1 and 2 workers, local pool and Ray.

    .venv/bin/python benchmarks/batch.py [--apks DIR] [--workers 1 2] [--engines local ray]

Each configuration is one whole ``pica batch DIR --db sqlite:///<new file>`` process, timed
from start to exit (so Ray's start-up, a few seconds, is in its figure; the store's writes are
in every figure). DIR defaults to the shared APKs (/work/shared/data/apks: 11 real APKs, 32 MB),
else the fixture APKs. Every app is scanned (a new database each time: nothing is skipped).
Prints the machine's core count and load average and a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path("/work/shared/data/apks")


def apks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.apk") if p.is_file())


def run(folder: Path, engine: str, workers: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="pica-bench-batch-") as tmp:
        command = [
            sys.executable, "-m", "pica", "batch", str(folder), "--engine", engine,
            "--workers", str(workers), "--db", f"sqlite:///{tmp}/bench.db", "-q",
        ]  # fmt: skip
        started = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()}")
    summary = result.stderr.strip().splitlines()[-1]  # "pica batch 1: 11 done, … — URL"
    return elapsed, summary.split(": ", 1)[-1].split(" — ")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = SHARED if SHARED.is_dir() else ROOT / "tests" / "fixtures" / "apks"
    parser.add_argument("--apks", type=Path, default=default)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--engines", nargs="+", default=["local", "ray"])
    args = parser.parse_args()
    found = apks(args.apks)
    size = sum(p.stat().st_size for p in found) / 1e6
    print(
        f"cores: {os.cpu_count()} (usable here: {len(os.sched_getaffinity(0))}); "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"inputs: {len(found)} APKs, {size:.1f} MB, from {args.apks}\n")
    print("| engine | workers | wall (s) | apps/min | batch's summary |")
    print("| --- | --- | --- | --- | --- |")
    for engine in args.engines:
        for workers in args.workers:
            elapsed, summary = run(args.apks, engine, workers)
            rate = len(found) / (elapsed / 60)
            print(f"| {engine} | {workers} | {elapsed:.1f} | {rate:.1f} | {summary} |", flush=True)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
