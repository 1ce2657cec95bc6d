"""The sentence-topic model: file size, load time and sentences per second on one core.

    .venv/bin/python benchmarks/bench_topics.py [--dir CAPP130_DIR] [--repeat 5]

Load time is ``np.load`` of the shipped .npz in a fresh process (the median of --repeat
processes, each timing only the load). Throughput classifies every sentence of the CAPP-130
development policies (about 30,000), one policy per batch with its context, as the reader does;
the figure is the best of --repeat passes. Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pica.eval.capp130 import DEFAULT_DIR, load_corpus  # noqa: E402
from pica.extract.policy import topics as tp  # noqa: E402

_LOAD = (
    "import time; t = time.perf_counter(); from pica.extract.policy import topics as tp; "
    "m = tp.model(); print(time.perf_counter() - t)"
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    loads = [
        float(subprocess.run([sys.executable, "-c", _LOAD], capture_output=True, check=True).stdout)
        for _ in range(a.repeat)
    ]
    policies = load_corpus(__import__("pathlib").Path(a.dir))
    n = sum(len(p.texts) for p in policies)
    model = tp.model()
    best = float("inf")
    for _ in range(a.repeat):
        start = time.perf_counter()
        for p in policies:
            model.predict(p.texts, p.contexts, p.previous)
        best = min(best, time.perf_counter() - start)
    size = tp.MODEL_FILE.stat().st_size
    print("| model file | import + load (median) | sentences/s (one core) |")
    print("| --- | --- | --- |")
    print(
        f"| {size / 1e6:.1f} MB ({model.weights.shape[1]} features x {model.weights.shape[0]} "
        f"topics, float32) | {statistics.median(loads) * 1000:.0f} ms | {n / best:,.0f} "
        f"({n} sentences in {best:.2f} s) |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
