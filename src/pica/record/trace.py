"""Writes a recording: ``trace.jsonl`` (one event a line, ``"v": 1``) and ``ui-NNN.xml`` dumps.

Every event gets ``t``, milliseconds since the writer was opened, on the host's monotonic clock,
at the moment it is written: the recorder writes a tap's event just before tapping, and an API
event when the hook's message arrives. So an API call the tap caused is always stamped after the
tap; a call made just before a tap may be stamped after it (never the other way round): measured
pre-consent collection can be missed by a few milliseconds, not invented. Lines are flushed as
they are written, so an interrupted recording leaves a readable trace. Thread-safe: Frida's
messages arrive on another thread.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pica.knowledge import taxonomy

TRACE_NAME = "trace.jsonl"
KINDS = ("api", "consent", "permission", "lifecycle", "ui")
_FOREGROUND = {"launch": True, "relaunch": True, "foreground": True, "background": False,
               "kill": False, "update": False}  # fmt: skip
_API = re.compile(r"^[\w$.<>]{1,300}$")
MAX_FRAMES = 64
MAX_FRAME = 300
MAX_TEXT = 600


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


class TraceWriter:
    """One recording folder's trace, written as events happen."""

    def __init__(self, folder: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = folder
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()
        self._file = (folder / TRACE_NAME).open("x", encoding="utf-8", newline="\n")
        self.foreground: bool | None = None
        self.screens = 0
        self.counts: Counter[str] = Counter()
        self.dropped = 0  # hook messages that were not a well-formed api event

    def now(self) -> int:
        return max(0, int(round((self._clock() - self._start) * 1000)))

    def write(self, event: dict[str, Any]) -> dict[str, Any]:
        """Stamp ``event`` (``kind`` plus fields) with ``v`` and ``t`` and append it."""
        kind = event["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown trace event kind {kind!r}")
        with self._lock:
            line = {"v": 1, "t": self.now(), **event}
            if kind == "api":  # read under the lock: a lifecycle event may be written meanwhile
                line["foreground"] = self.foreground
            if kind == "lifecycle" and event.get("event") in _FOREGROUND:
                self.foreground = _FOREGROUND[event["event"]]
            self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._file.flush()
            self.counts[kind] += 1
        return line

    def screen(self, xml: str | bytes) -> dict[str, Any]:
        """Save one uiautomator dump beside the trace and write its ``ui`` event."""
        with self._lock:
            self.screens += 1
            name = f"ui-{self.screens:03d}.xml"
        data = xml.encode("utf-8") if isinstance(xml, str) else xml
        (self.folder / name).write_bytes(data)
        return self.write({"kind": "ui", "screen": name})

    def api(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """A hook's ``pica:api`` message as an ``api`` event; None (and counted) if malformed."""
        api = payload.get("api")
        if not isinstance(api, str) or not _API.match(api):
            self.dropped += 1
            return None
        pi_type = payload.get("pi_type")
        if not isinstance(pi_type, str) or pi_type not in taxonomy():
            pi_type = None
        stack = payload.get("stack")
        frames = (
            [f[:MAX_FRAME] for f in stack if isinstance(f, str)] if isinstance(stack, list) else []
        )
        return self.write(
            {
                "kind": "api",
                "api": api,
                "pi_type": pi_type,
                "stack": frames[:MAX_FRAMES],
                "thread": _text(payload.get("thread"), 200),
                "foreground": None,  # set by write()
                "args": _text(payload.get("args"), MAX_TEXT),
                "ret": _text(payload.get("ret"), MAX_TEXT),
            }
        )

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()
