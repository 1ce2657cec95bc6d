"""Where tasks run: a local pool of worker processes, or Ray. Both run
:func:`pica.batch.worker.run_task` unchanged and hand results back in completion order."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

from pica.batch.worker import Result, run_task
from pica.errors import InputError


class Engine(Protocol):
    slots: int

    def submit(self, key: int, task: dict[str, Any]) -> None: ...

    def completed(self) -> Iterator[tuple[int, Result]]:
        """Block until at least one task finishes; yield (key, result) for those that did."""
        ...

    def close(self) -> None: ...


class LocalEngine:
    """``workers`` threads, each waiting on one child process (pica.batch.child) at a time: at
    most ``workers`` apps are audited at once, each in its own process and budget."""

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pica-batch")
        self._running: dict[Future[Result], int] = {}

    def submit(self, key: int, task: dict[str, Any]) -> None:
        self._running[self._pool.submit(run_task, task)] = key

    def completed(self) -> Iterator[tuple[int, Result]]:
        done, _ = wait(list(self._running), return_when=FIRST_COMPLETED)
        for future in done:
            yield self._running.pop(future), future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class RayEngine:
    """The same task function as a Ray remote task (one CPU each). ``address``: a cluster's
    (``--ray-address`` or ``RAY_ADDRESS``); none starts a local Ray with ``workers`` CPUs."""

    def __init__(self, workers: int, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise InputError("--engine ray needs Ray: pip install 'pica[ray]'") from None
        self._ray = ray
        address = address or os.environ.get("RAY_ADDRESS") or None
        if not ray.is_initialized():
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            self._owned = True
        else:
            self._owned = False
        self.slots = workers
        self._remote = ray.remote(num_cpus=1, max_retries=0)(run_task)
        self._running: dict[Any, int] = {}

    def submit(self, key: int, task: dict[str, Any]) -> None:
        self._running[self._remote.remote(task)] = key

    def completed(self) -> Iterator[tuple[int, Result]]:
        ready, _ = self._ray.wait(list(self._running), num_returns=1)
        for ref in ready:
            key = self._running.pop(ref)
            try:
                result = self._ray.get(ref)
            except Exception as exc:  # the Ray worker itself died: a crash, not the app's fault
                line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                result = {
                    "status": "failed",
                    "report": None,
                    "error": f"Ray task failed: {line[:300]}",
                    "error_kind": "crash",
                    "seconds": 0.0,
                }
            yield key, result

    def close(self) -> None:
        if self._owned:
            self._ray.shutdown()


def make_engine(name: str, workers: int, ray_address: str | None = None) -> Engine:
    if name == "local":
        return LocalEngine(workers)
    if name == "ray":
        return RayEngine(workers, ray_address)
    raise InputError(f"unknown engine {name!r}: use local or ray")
