"""Policy analyser speed: MB/s of extraction + statements + profile, on one core.

    .venv/bin/python benchmarks/bench_policy.py [--repeat N] [FILE ...]

Input: the real policies in tests/fixtures/policies/viodroid, both the HTML and the plain-text
version of each, each repeated to ~1 MB so per-call overhead does not dominate (about 4 MB in
all). The figure counts input bytes (the HTML with its markup, the text as UTF-8).

Time is this process's CPU time (``time.process_time``): the code is single-threaded, so CPU
seconds are seconds on one core, and time the machine spends on other processes is not counted.
Each file is extracted ``--repeat`` times (default 7); the reported figure is total MB divided by
the sum over files of the *median* CPU time (the minimum is printed too). One warm-up run first
(jieba's dictionary load, ~1 s, is a one-off cost per process and is not counted). Nothing is
cached between runs: each run parses, segments and analyses the text from scratch.
Prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from pica.extract.policy import extract

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = sorted((ROOT / "tests" / "fixtures" / "policies" / "viodroid").glob("*.[th][xt]*"))


def grow(data: bytes, suffix: str, target: int = 1_000_000) -> bytes:
    if len(data) >= target:
        return data
    n = target // len(data) + 1
    if suffix in (".html", ".htm"):
        text = data.decode("utf-8", "replace")
        head, sep, body = text.partition("<body")
        inner = body.split(">", 1)[1].rsplit("</body>", 1)[0] if sep else text
        return (head + "<body>" + inner * n + "</body></html>").encode("utf-8")
    return (data + b"\n\n") * n


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)
    files = [Path(a) for a in args.files] or [p for p in DEFAULT if p.suffix in (".html", ".txt")]
    extract(files[0])  # warm-up
    total_bytes = 0
    total_med = total_min = 0.0
    for f in files:
        data = grow(f.read_bytes(), f.suffix)
        times = []
        for _ in range(max(1, args.repeat)):
            t0 = time.process_time()  # CPU time of this process: one core, robust to a busy box
            ev = extract(data, name=f.name)
            times.append(time.process_time() - t0)
        med, low = statistics.median(times), min(times)
        total_bytes += len(data)
        total_med += med
        total_min += low
        mb = len(data) / 1e6
        print(
            f"{f.name:28} {mb:6.2f} MB  median {med:5.2f} s  {mb / med:5.2f} MB/s"
            f"  (min {low:5.2f} s  {mb / low:5.2f} MB/s)  {len(ev.statements):6d} sentences"
        )
    mb = total_bytes / 1e6
    print(
        f"{'total':28} {mb:6.2f} MB  median {total_med:5.2f} s  {mb / total_med:5.2f} MB/s"
        f"  (min {total_min:5.2f} s  {mb / total_min:5.2f} MB/s)  CPU time, {args.repeat} runs/file"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
