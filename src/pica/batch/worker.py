"""One app, one process, one budget: the task function both engines run.

:func:`run_task` starts ``python -m pica.batch.child`` for one input, with the memory budget
(RLIMIT_AS, set by the child before it imports anything heavy) and a wall-clock timeout
(enforced here: the child is killed when it runs out). Whatever happens to the child — a
corrupt APK, a MemoryError, a crash, a kill — the answer is a result dict with one error line,
so a runaway app becomes a recorded failure and the batch goes on. The local engine calls this
from its threads; Ray calls the very same function as a remote task.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

# Each worker is one app on one core: numpy's BLAS would otherwise start a thread (and reserve
# address space) per core in every worker.
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# How running out of the address-space budget ends a process, when Python's MemoryError is not
# the last word: the BLAS library and glibc say it themselves.
_OUT_OF_MEMORY = (
    "MemoryError",
    "Memory allocation",
    "Cannot allocate memory",
    "failed to map segment",
)

# A result: {"status": "done" | "failed", "report": dict | None, "error": str | None,
#            "error_kind": "input" | "budget" | "crash" | None, "seconds": float}
Result = dict[str, Any]


def run_task(task: dict[str, Any]) -> Result:
    """Audit one input (``task``: apk, policy, category, trace, timeout, memory_mb) in a child
    process under its budget and return its result."""
    started = time.monotonic()
    timeout = float(task["timeout"])
    with tempfile.TemporaryDirectory(prefix="pica-batch-") as tmp:
        out = os.path.join(tmp, "result.json")
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "pica.batch.child", out],
                env={**os.environ, **_ONE_THREAD},
                input=json.dumps(task).encode(),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:  # subprocess.run killed the child (SIGKILL)
            return _failed(
                f"time budget exceeded: no result after {timeout:g} s (--timeout)",
                "budget",
                started,
            )
        if os.path.exists(out):
            with open(out, encoding="utf-8") as handle:
                result = json.load(handle)
            result["seconds"] = time.monotonic() - started
            return result
        if proc.returncode < 0:
            how = f"killed by signal {-proc.returncode}"
        else:
            how = f"exit code {proc.returncode}"
        last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        if any(marker in last for marker in _OUT_OF_MEMORY):
            line = f"memory budget exceeded: {task['memory_mb']} MiB (--memory-mb)"
            return _failed(line, "budget", started)
        line = f"worker died ({how})" + (f": {last[:300]}" if last else "")
        return _failed(line, "crash", started)


def _failed(error: str, kind: str, started: float) -> Result:
    return {
        "status": "failed",
        "report": None,
        "error": error,
        "error_kind": kind,
        "seconds": time.monotonic() - started,
    }
