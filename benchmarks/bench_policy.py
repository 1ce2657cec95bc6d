"""Policy analyser speed: MB/s of extraction + statements + profile, on one core, and the ratio
against jieba segmenting the same text in the same process.

    .venv/bin/python benchmarks/bench_policy.py [--repeat N] [FILE ...]

Input: the real policies in tests/fixtures/policies/viodroid, both the HTML and the plain-text
version of each, measured twice:
- at their real size (25-51 KB each), as a regulator's batch meets them: a timed run extracts
  whole copies of the file, about 300 KB' worth, so per-document costs (parsing, the profile's
  word-count sample) count as they do in practice;
- grown to ~1 MB each by repeating the body (about 4 MB in all), where per-document costs are
  spread thin: the figure for the per-sentence analysis.
The figure counts input bytes (the HTML with its markup, the text as UTF-8).

Time is this process's CPU time (``time.process_time``): the code is single-threaded, so CPU
seconds are seconds on one core, and time the machine spends on other processes is not counted.
Each file is extracted ``--repeat`` times (default 7); the reported figure is total MB divided by
the sum over files of the *median* CPU time (the minimum is printed too). One warm-up run first
(jieba's dictionary load, ~1 s, is a one-off cost per process and is not counted). Nothing is
cached between runs: each run parses, segments and analyses the text from scratch.

Baseline (machines are noisy, so speed is read as a ratio measured in the same run):
``jieba.lcut(text, HMM=False)`` with jieba's default dictionary over the same document's plain
text (the text pica extracted from the HTML, or the decoded .txt), timed the same way (CPU time,
median of ``--repeat`` runs, alternating with pica's runs so both see the same load).
``pica÷jieba`` is pica's median time over jieba's, per file and for the sum of the medians:
lower is better, 1.0 means the whole analysis costs one dictionary segmentation of the text.
Prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jieba

from pica.extract.policy import extract

ROOT = Path(__file__).resolve().parent.parent
# a real-size policy is extracted this many bytes' worth per timed run (whole copies)
REAL_RUN_BYTES = 300_000
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


def cpu(fn: Callable[[], object]) -> float:
    """CPU seconds of one call (this process only: one core, robust to a busy box)."""
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def measure(label: str, items: list[tuple[str, bytes, int]], repeat: int) -> None:
    """Time ``extract`` (pica) and ``jieba.lcut`` (baseline) on each item, alternating, and
    print a line per item and a total. An item is (name, input bytes, copies per run): a run
    extracts the input that many times, so a small real policy is timed over ~0.3 s, not 30 ms."""
    print(label)
    total_bytes = 0
    total_med = total_min = total_jieba = 0.0
    for name, data, copies in items:
        ev = extract(data, name=name)
        # the baseline's input: the plain text pica works on
        plain = ev.text if name.endswith((".html", ".htm")) else data.decode("utf-8")

        def pica_run(data: bytes = data, name: str = name, copies: int = copies) -> None:
            for _ in range(copies):
                extract(data, name=name)

        def jieba_run(plain: str = plain, copies: int = copies) -> None:
            for _ in range(copies):
                jieba.lcut(plain, HMM=False)

        times, jtimes = [], []
        for _ in range(max(1, repeat)):
            times.append(cpu(pica_run))
            jtimes.append(cpu(jieba_run))
        med, low, jmed = statistics.median(times), min(times), statistics.median(jtimes)
        size = len(data) * copies
        total_bytes += size
        total_med += med
        total_min += low
        total_jieba += jmed
        mb = size / 1e6
        print(
            f"  {name:28} {len(data) / 1e6:6.3f} MB x{copies:<3} median {med:5.2f} s"
            f"  {mb / med:5.2f} MB/s  (min {low:5.2f} s  {mb / low:5.2f} MB/s)"
            f"  {len(ev.statements):6d} sentences  jieba {jmed:5.2f} s  pica÷jieba {med / jmed:5.2f}"
        )
    mb = total_bytes / 1e6
    print(
        f"  {'total':28} {mb:6.2f} MB       median {total_med:5.2f} s  {mb / total_med:5.2f} MB/s"
        f"  (min {total_min:5.2f} s  {mb / total_min:5.2f} MB/s)"
        f"  jieba {total_jieba:5.2f} s  pica÷jieba {total_med / total_jieba:5.2f}"
        f"  CPU time, {repeat} runs/file"
    )


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)
    files = [Path(a) for a in args.files] or [p for p in DEFAULT if p.suffix in (".html", ".txt")]
    extract(files[0])  # warm-up (pica's jieba tokenizer)
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # the baseline's dictionary load, not timed either
    real = []
    for f in files:
        data = f.read_bytes()
        real.append((f.name, data, max(1, round(REAL_RUN_BYTES / len(data)))))
    measure("real size (each policy as published, extracted whole)", real, args.repeat)
    grown = [(f.name, grow(f.read_bytes(), f.suffix), 1) for f in files]
    measure("grown to ~1 MB (per-document costs spread thin)", grown, args.repeat)


if __name__ == "__main__":
    main(sys.argv[1:])
