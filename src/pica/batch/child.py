"""The child process of :mod:`pica.batch.worker`: set the memory budget, audit one input,
write the result as JSON to the path given (the task itself arrives on stdin).

Run as ``python -m pica.batch.child RESULT.json``; not a public command.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys


def _die_with_parent() -> None:
    """Linux: be killed when the batch process dies, so a killed batch leaves no orphan."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the timeout still bounds the orphan
        pass


def _out_of_memory(exc: BaseException) -> bool:
    """Whether a MemoryError is behind this exception (its cause or context, transitively)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _write(path: str, result: dict) -> None:
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(result, handle, ensure_ascii=False)
    os.replace(tmp, path)


def main(path: str) -> None:
    task = json.loads(sys.stdin.read())
    _die_with_parent()
    limit = int(task["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from pica.audit import audit
        from pica.errors import InputError
        from pica.render.json_report import report_document

        try:
            report = audit(
                apk=task["apk"],
                policy=task.get("policy"),
                category=task.get("category"),
                trace=task.get("trace"),
            )
            result = {"status": "done", "report": report_document(report)}
        except InputError as exc:
            if not _out_of_memory(exc):
                result = {"status": "failed", "error": str(exc), "error_kind": "input"}
            else:  # a reader wrapped the budget's MemoryError (zlib's, say) as bad input
                raise MemoryError from exc
    except MemoryError:
        result = {
            "status": "failed",
            "error": f"memory budget exceeded: {task['memory_mb']} MiB (--memory-mb)",
            "error_kind": "budget",
        }
    result.setdefault("report", None)
    result.setdefault("error", None)
    result.setdefault("error_kind", None)
    _write(path, result)


if __name__ == "__main__":
    main(sys.argv[1])
