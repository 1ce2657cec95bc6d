"""Batches: many apps audited on a pool of worker processes (or Ray), every result in the store.

``expand_inputs`` turns the command line's INPUTs (APK files, folders, CSV manifests with
columns ``apk,policy,category,trace``) into :class:`Input`s; ``run_batch`` audits those the store
has not finished yet, ``workers`` at a time, each in its own process under a time and memory
:class:`Budget`, and records each result in one transaction as it arrives. Re-running the same
batch skips what is done, so a killed batch resumes where it stopped.

For one input at a time (a web upload): :func:`claim` returns the scan's id at once (an existing
finished scan, or a new ``running`` one), :func:`execute` runs it under its budget and records it.

Only :mod:`pica.audit` (in the child process), the JSON renderer and the store are used: a batch
judges nothing itself.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pica.errors import InputError
from pica.store import Store, digest

MANIFEST_COLUMNS = ("apk", "policy", "category", "trace")


@dataclass(frozen=True)
class Input:
    """One app to audit: its APK and, from a manifest, its policy (file or URL), app type and
    runtime trace."""

    apk: str
    policy: str | None = None
    category: str | None = None
    trace: str | None = None


@dataclass(frozen=True)
class Budget:
    """Per-app limits: wall-clock seconds and address space (MiB) of the worker process."""

    timeout: float = 600.0
    memory_mb: int = 4096


@dataclass
class Outcome:
    """What a batch did: its id, and per input whether it was scanned, skipped or failed."""

    batch_id: int
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # input, error line
    skipped: list[str] = field(default_factory=list)  # finished before this batch

    @property
    def total(self) -> int:
        return len(self.done) + len(self.failed) + len(self.skipped)


def _existing(path: Path, what: str) -> Path:
    if not path.exists():
        raise InputError(f"no such {what}: {path}")
    return path


def _manifest(path: Path) -> list[Input]:
    """A CSV manifest: header with an ``apk`` column (and optionally policy, category, trace);
    relative paths are relative to the manifest's folder; a policy may be an http(s) URL."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the manifest {path}: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    if "apk" not in columns:
        raise InputError(f"{path}: a manifest needs a header with an 'apk' column")
    unknown = set(columns) - set(MANIFEST_COLUMNS)
    if unknown:
        raise InputError(
            f"{path}: unknown column(s) {', '.join(sorted(unknown))}; "
            f"use {', '.join(MANIFEST_COLUMNS)}"
        )
    base = path.parent
    inputs = []
    for line, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not row.get("apk"):
            raise InputError(f"{path} line {line}: no apk")

        def local(value: str, what: str, line: int = line) -> str:
            target = Path(value) if Path(value).is_absolute() else base / value
            if not target.exists():
                raise InputError(f"{path} line {line}: no such {what}: {value}")
            return str(target)

        policy = row.get("policy") or None
        if policy and "://" not in policy:
            policy = local(policy, "policy")
        inputs.append(
            Input(
                apk=local(row["apk"], "APK"),
                policy=policy,
                category=row.get("category") or None,
                trace=local(row["trace"], "trace") if row.get("trace") else None,
            )
        )
    return inputs


def expand_inputs(args: Sequence[str | os.PathLike[str]]) -> list[Input]:
    """APK files, folders (every ``*.apk`` under them, sorted) and CSV manifests → inputs."""
    from pica.audit import check_category

    inputs: list[Input] = []
    for arg in args:
        path = _existing(Path(arg), "file or folder")
        if path.is_dir():
            inputs += [
                Input(str(p))
                for p in sorted(path.rglob("*"))
                if p.suffix.lower() == ".apk" and p.is_file()
            ]
        elif path.suffix.lower() == ".csv":
            inputs += _manifest(path)
        else:
            inputs.append(Input(str(path)))
    if not inputs:
        raise InputError("no APK among the inputs (give APK files, folders or a CSV manifest)")
    for item in inputs:
        check_category(item.category)  # an unknown app type is a bad argument, before any work
    return inputs


def sha256_file(path: str | os.PathLike[str]) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def _key(item: Input) -> tuple[str, str, dict[str, str | None]]:
    """The APK's sha256, the digest of the other inputs, and the inputs as recorded."""
    apk = sha256_file(item.apk)
    policy = item.policy
    policy_sha = None
    if policy and "://" not in policy:
        policy_sha = sha256_file(policy)
    trace_sha = sha256_file(item.trace) if item.trace else None
    recorded = {**asdict(item), "apk_sha256": apk, "policy_sha256": policy_sha}
    recorded["trace_sha256"] = trace_sha
    other = digest(policy_sha or policy, item.category, trace_sha)
    return apk, other, recorded


# on_event(kind, input, detail): kind is "skipped", "started", "done" or "failed"; detail is the
# error line for failures.
Event = Callable[[str, Input, str | None], None]


def run_batch(
    inputs: Sequence[Input],
    store: Store,
    workers: int = 2,
    engine: str = "local",
    budget: Budget | None = None,
    ray_address: str | None = None,
    out: Path | None = None,
    on_event: Event | None = None,
) -> Outcome:
    """Audit every input the store has not finished, ``workers`` at a time; record each result
    as it arrives. Returns what was done, failed and skipped."""
    from pica.batch.engines import make_engine

    budget = budget or Budget()
    notify = on_event or (lambda *_args: None)
    batch_id = store.start_batch(
        {
            "inputs": [asdict(i) for i in inputs],
            "workers": workers,
            "engine": engine,
            "timeout": budget.timeout,
            "memory_mb": budget.memory_mb,
        }
    )
    outcome = Outcome(batch_id)
    # key -> (first input, its record, repeats): an app given twice in one batch is scanned once
    pending: dict[tuple[str, str], tuple[Input, dict, list[Input]]] = {}
    for item in inputs:
        apk_sha, other, recorded = _key(item)
        if (apk_sha, other) in pending:
            pending[(apk_sha, other)][2].append(item)
            continue
        finished = store.finished_scan(apk_sha, inputs_digest=other)
        if finished is not None:
            store.link(batch_id, finished.id, skipped=True)
            outcome.skipped.append(item.apk)
            notify("skipped", item, finished.error)
        else:
            pending[(apk_sha, other)] = (item, recorded, [])
    if not pending:
        store.finish_batch(batch_id)
        return outcome

    runner = make_engine(engine, workers, ray_address)
    running: dict[int, tuple[Input, list[Input]]] = {}
    queue = list(pending.items())
    try:
        while queue or running:
            while queue and len(running) < runner.slots:
                (apk_sha, other), (item, recorded, repeats) = queue.pop(0)
                scan_id = store.begin_scan(item.apk, apk_sha, recorded, other, batch_id)
                running[scan_id] = (item, repeats)
                notify("started", item, None)
                task = {
                    **asdict(item),
                    "timeout": budget.timeout,
                    "memory_mb": budget.memory_mb,
                }
                runner.submit(scan_id, task)
            for scan_id, result in runner.completed():
                item, repeats = running.pop(scan_id)
                _record(store, scan_id, result, out, item)
                for each in (item, *repeats):
                    if result["status"] == "done":
                        outcome.done.append(each.apk)
                        notify("done", each, None)
                    else:
                        outcome.failed.append((each.apk, result["error"]))
                        notify("failed", each, result["error"])
    finally:
        runner.close()
    store.finish_batch(batch_id)
    return outcome


def claim(store: Store, item: Input, batch_id: int | None = None) -> tuple[int, bool]:
    """One input outside a batch run (an upload, say): ``(id, True)`` when the store has already
    finished its scan, else ``(id, False)`` for a new ``running`` scan to :func:`execute`."""
    apk_sha, other, recorded = _key(item)
    finished = store.finished_scan(apk_sha, inputs_digest=other)
    if finished is not None:
        return finished.id, True
    return store.begin_scan(item.apk, apk_sha, recorded, other, batch_id), False


def execute(store: Store, scan_id: int, item: Input, budget: Budget | None = None) -> str:
    """Run a claimed scan in its own worker process under ``budget`` (blocking: call it from a
    background thread) and record the result; returns the scan's status (done or failed)."""
    from pica.batch.worker import run_task

    budget = budget or Budget()
    task = {**asdict(item), "timeout": budget.timeout, "memory_mb": budget.memory_mb}
    result = run_task(task)
    _record(store, scan_id, result, None, item)
    return result["status"]


def _record(store: Store, scan_id: int, result: dict, out: Path | None, item: Input) -> None:
    if result["status"] == "done":
        store.record_done(scan_id, result["report"], result["seconds"])
        if out is not None:
            _write_report(out, item, result["report"])
    else:
        store.record_failure(scan_id, result["error"], result["error_kind"], result["seconds"])


def _write_report(out: Path, item: Input, report: dict) -> None:
    """``--out DIR``: each done scan's JSON report as DIR/<apk name>-<sha256[:12]>.json."""
    out.mkdir(parents=True, exist_ok=True)
    sha = (report.get("app") or {}).get("sha256", "")[:12]
    target = out / f"{Path(item.apk).stem}-{sha}.json"
    tmp = target.with_name(f".{target.name}.part")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)


__all__ = [
    "Budget",
    "Input",
    "Outcome",
    "claim",
    "execute",
    "expand_inputs",
    "run_batch",
    "sha256_file",
]
