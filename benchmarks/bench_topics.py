"""The sentence-topic model: file size, load time and sentences per second on one core.

    .venv/bin/python benchmarks/bench_topics.py [--dir CAPP130_DIR] [--repeat 5]

Load time is ``model()`` (``np.load`` of the shipped .npz) in a fresh process, the median of
--repeat processes, timed apart from the import of pica, numpy and the topics module before it. Throughput classifies every sentence of the CAPP-130
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
    "import time; t0 = time.perf_counter(); from pica.extract.policy import topics as tp; "
    "t1 = time.perf_counter(); m = tp.model(); t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    runs = [
        subprocess.run(
            [sys.executable, "-c", _LOAD], capture_output=True, check=True
        ).stdout.split()
        for _ in range(a.repeat)
    ]
    imports = [float(r[0]) for r in runs]
    loads = [float(r[1]) for r in runs]
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
    print(
        "| model file | model load, first use (median) | import of pica + numpy + topics | sentences/s (one core) |"
    )
    print("| --- | --- | --- | --- |")
    print(
        f"| {size / 1e6:.1f} MB ({model.weights.shape[1]} features x {model.weights.shape[0]} "
        f"topics, float32) | {statistics.median(loads) * 1000:.0f} ms | "
        f"{statistics.median(imports) * 1000:.0f} ms | {n / best:,.0f} "
        f"({n} sentences in {best:.2f} s) |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
