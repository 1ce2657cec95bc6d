"""Cold start: wall time of whole ``pica`` processes, as a batch or a CI job meets them.

    .venv/bin/python benchmarks/startup.py [--runs N] [--policy FILE]

Each command is a new process, run ``--runs`` times (default 7); the figure is the median wall
time (min and max beside it, and the median CPU time of the process, user + system, which
other load on the machine disturbs less). The commands take turns, one run of each per round,
so that all of them see the same load. The floor is ``python -c pass`` with the same
interpreter (this one, ``sys.executable``): the cost of starting Python at all.

- ``pica --help``: the command line alone.
- ``pica policy FILE -o out.json``, cache built: ``PICA_CACHE_DIR`` points at a cache that an
  untimed run built first (pica's user cache: jieba's dictionary as a table, the lexicon's
  compiled patterns and prefilters). The usual run.
- the same, first run: ``PICA_CACHE_DIR`` points at a new empty directory each time, so the run
  builds the cache. (jieba keeps its own cache of its dictionary in the temporary directory;
  without it, a first run takes about a second more.)

FILE defaults to the 28 KB fixture policy tests/fixtures/policies/viodroid/C107228073-1.0.0.html.
The environment is passed on as it is; the last line says whether Python writes bytecode caches
(``PYTHONDONTWRITEBYTECODE``): without them an editable install compiles pica's modules from
source in every process. Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY = ROOT / "tests" / "fixtures" / "policies" / "viodroid" / "C107228073-1.0.0.html"


def pica_command() -> list[str]:
    """The ``pica`` console script next to this interpreter, else ``python -m pica``."""
    script = Path(sys.executable).parent / "pica"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pica"]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: findings at or above --fail-on, a normal outcome
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--policy", type=Path, default=DEFAULT_POLICY)
    args = parser.parse_args()
    pica = pica_command()
    work = Path(tempfile.mkdtemp(prefix="pica-startup-"))
    load = os.getloadavg()[0]
    try:
        out = str(work / "report.json")
        warm = work / "warm-cache"
        base = {k: v for k, v in os.environ.items() if k != "PICA_CACHE_DIR"}
        warm_env = {**base, "PICA_CACHE_DIR": str(warm)}
        policy = [*pica, "policy", str(args.policy), "-o", out, "-q"]
        timed(policy, warm_env)  # builds the warm cache (untimed)

        def first_run() -> tuple[float, float]:
            empty = Path(tempfile.mkdtemp(dir=work, prefix="empty-"))
            try:
                return timed(policy, {**base, "PICA_CACHE_DIR": str(empty)})
            finally:
                shutil.rmtree(empty, ignore_errors=True)

        size = f"{args.policy.name} ({args.policy.stat().st_size / 1000:.0f} KB)"
        rows = [
            ("`python -c pass` (floor)", lambda: timed([sys.executable, "-c", "pass"], base)),
            ("`pica --help`", lambda: timed([*pica, "--help"], base)),
            (f"`pica policy` {size}, cache built", lambda: timed(policy, warm_env)),
            (f"`pica policy` {size}, first run (empty cache)", first_run),
        ]
        times: list[list[tuple[float, float]]] = [[] for _ in rows]
        for _ in range(args.runs):
            for i, (_name, run) in enumerate(rows):
                times[i].append(run())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Wall time of a new process, median of {args.runs} runs.\n")
    print("| command | median s | min s | max s | CPU s |")
    print("|---|---:|---:|---:|---:|")
    for (name, _run), runs in zip(rows, times, strict=True):
        wall = [w for w, _c in runs]
        cpu = statistics.median(c for _w, c in runs)
        print(
            f"| {name} | {statistics.median(wall):.3f} | {min(wall):.3f} | {max(wall):.3f} "
            f"| {cpu:.3f} |"
        )
    bytecode = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    print(
        f"\n{sys.executable}: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load:.2f} before / {os.getloadavg()[0]:.2f} after, "
        f"bytecode cache writing {bytecode}."
    )


if __name__ == "__main__":
    main()
