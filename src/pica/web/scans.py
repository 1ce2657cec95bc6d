"""Uploads become scans: the inputs checked and saved, the scan claimed in the store and run
in a background thread, one worker process per scan (``pica.batch.claim`` + ``execute``, the
path a batch takes for one input)."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import HTTPException, UploadFile

from pica.batch import Budget, Input, claim, execute
from pica.errors import InputError
from pica.store import Store
from pica.web.uploads import POLICY_SUFFIXES, apk_problem, new_folder, safe_name, save, url_problem


class Scans:
    """Background scans: a small pool of threads, each running one claimed scan in its own
    worker process (``pica.batch.execute``) under the budget. A scan already running here is not
    started twice when the same inputs are uploaded again meanwhile."""

    def __init__(self, store: Store, uploads: Path, budget: Budget, workers: int) -> None:
        self.store, self.uploads, self.budget = store, uploads, budget
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pica-scan")
        self.lock = threading.Lock()
        self.running: set[int] = set()

    def submit(self, scan_id: int, item: Input) -> None:
        with self.lock:
            if scan_id in self.running:
                return
            self.running.add(scan_id)
        self.pool.submit(self._run, scan_id, item)

    def _run(self, scan_id: int, item: Input) -> None:
        try:
            execute(self.store, scan_id, item, self.budget)
        except Exception as exc:  # recorded, never lost in a thread
            self.store.record_failure(scan_id, f"{type(exc).__name__}: {exc}", "crash", 0.0)
        finally:
            with self.lock:
                self.running.discard(scan_id)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def start(
        self,
        apk: UploadFile,
        policy: UploadFile | None,
        policy_url: str | None,
        policy_text: str | None,
        category: str | None,
    ) -> int:
        """Save the upload, check it, claim the scan and start it; the scan's id. Bad input
        raises HTTPException(400) with one line."""
        category = (category or "").strip() or None
        try:
            from pica.audit import check_category

            category = check_category(category)
        except InputError as exc:
            raise HTTPException(400, str(exc)) from None
        given = [p for p in (policy and policy.filename, policy_url, policy_text) if p]
        if len(given) > 1:
            raise HTTPException(400, "give one policy: a file, a URL or pasted text")
        if policy_url:
            problem = url_problem(policy_url.strip())
            if problem:
                raise HTTPException(400, problem)
        folder = new_folder(self.uploads)
        try:
            apk_path, policy_source = _save_inputs(folder, apk, policy, policy_url, policy_text)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # a refused upload leaves nothing behind
            raise
        item = Input(str(apk_path), policy_source, category)
        scan_id, finished = claim(self.store, item)
        if finished:  # scanned before, from an earlier upload's files: keep no second copy
            shutil.rmtree(folder, ignore_errors=True)
        else:
            self.submit(scan_id, item)
        return scan_id


def _save_inputs(
    folder: Path,
    apk: UploadFile,
    policy: UploadFile | None,
    policy_url: str | None,
    policy_text: str | None,
) -> tuple[Path, str | None]:
    """Write the upload's files into ``folder`` under safe names and check the APK; the APK's
    path and the policy as ``audit`` takes it (a path or a URL). Bad input: HTTPException 400."""
    apk_path = save(apk.file, folder, safe_name(apk.filename, "app.apk"))
    problem = apk_problem(apk_path)
    if problem:
        raise HTTPException(400, problem)
    policy_source: str | None = None
    if policy is not None and policy.filename:
        name = safe_name(policy.filename, "policy.html")
        if not name.lower().endswith(POLICY_SUFFIXES):
            raise HTTPException(400, f"the policy must be one of {', '.join(POLICY_SUFFIXES)}")
        policy_source = str(save(policy.file, folder, f"policy-{name}"))
    elif policy_text and policy_text.strip():
        target = folder / "policy.txt"
        target.write_text(policy_text, encoding="utf-8")
        policy_source = str(target)
    elif policy_url:
        policy_source = policy_url.strip()
    return apk_path, policy_source
