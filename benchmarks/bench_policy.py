"""Policy analyser speed: MB/s of extraction + statements + profile, on one core.

    .venv/bin/python benchmarks/bench_policy.py [FILE ...]

Default input: the two real policies in tests/fixtures/policies/viodroid (HTML and text),
each repeated to ~1 MB so per-call overhead does not dominate. Time is this process's CPU time
(single-threaded code, so CPU seconds = seconds on one core). One warm-up run first (jieba's
dictionary load, ~1 s, is a one-off cost per process and is not counted). Prints, asserts nothing.
"""

from __future__ import annotations

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
    files = [Path(a) for a in argv] or [p for p in DEFAULT if p.suffix in (".html", ".txt")]
    extract(files[0])  # warm-up
    total_bytes = 0
    total_time = 0.0
    for f in files:
        data = grow(f.read_bytes(), f.suffix)
        t0 = time.process_time()  # CPU time of this process: one core, robust to a busy machine
        ev = extract(data, name=f.name)
        dt = time.process_time() - t0
        total_bytes += len(data)
        total_time += dt
        print(
            f"{f.name:28} {len(data) / 1e6:6.2f} MB  {dt:6.2f} s  {len(data) / 1e6 / dt:6.2f} MB/s  {len(ev.statements):6d} sentences"
        )
    print(
        f"{'total':28} {total_bytes / 1e6:6.2f} MB  {total_time:6.2f} s  {total_bytes / 1e6 / total_time:6.2f} MB/s"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
