"""The thin device layer: uiautomator2 drives the screen, Frida hooks the app, the trace is written.

Both libraries are the ``device`` extra and are imported only here, only when a recording
starts (``load_backends``), so pica without the extra imports and runs everything else. The
decisions are ``scenario.step``'s; this module only performs them:

- ``u2.connect(serial)``, ``d.dump_hierarchy()``, ``d.click(x, y)``, ``d.press("back"|"home")``,
  ``d.app_clear(package)`` (a first run starts from cleared data), ``d.app_stop``, ``d.app_start``;
- ``frida.get_device(serial)``, ``device.spawn(package)``, ``device.attach(pid)``,
  ``session.create_script(source)``, ``script.on("message", …)``, ``script.load()``,
  ``script.post(config)``, ``device.resume(pid)``: the app starts with the hooks already in.

Frida 17 no longer builds its Java bridge into scripts loaded through the API; frida-tools
ships it (``frida_tools/bridges/java.js``, what its REPL loads), so for Frida 17 and later the
bridge is put in front of the generated script. Older Frida has ``Java`` built in.

Output folder: ``trace.jsonl``, ``ui-NNN.xml`` (every screen the scenario read), ``hooks.js``
(the generated script, without the bridge) and ``recording.json`` (package, serial, scenario,
versions, the hooks' install report, what the recorder could not do). The hash salt is never
written.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from pica import __version__
from pica.record.hooks import hook_script
from pica.record.scenario import (
    Action,
    Limits,
    Scenario,
    initial_state,
    needs_screen,
    remember_requested,
    requested_event,
    step,
)
from pica.record.trace import TRACE_NAME, TraceWriter

DEVICE_EXTRA = "pica record needs the device extra: pip install 'pica[device]'"


class RecordError(Exception):
    """A recording could not start or go on; the message is one line for the user."""


class MissingExtra(RecordError):
    pass


@dataclass(frozen=True)
class Backends:
    u2: ModuleType
    frida: ModuleType


def load_backends() -> Backends:
    """Import uiautomator2 and frida, or raise MissingExtra with the install line."""
    try:
        import frida
        import uiautomator2
    except ImportError as e:  # also a sys.modules entry set to None
        raise MissingExtra(DEVICE_EXTRA) from e
    return Backends(u2=uiautomator2, frida=frida)


def java_bridge_prelude(frida: ModuleType) -> str:
    """What goes before the hook script so that ``Java`` exists: nothing before Frida 17, the
    bridge frida-tools ships from Frida 17 on."""
    try:
        major = int(str(getattr(frida, "__version__", "0")).split(".")[0])
    except ValueError:
        major = 0
    if major < 17:
        return ""
    try:
        import frida_tools
    except ImportError as e:
        raise MissingExtra(DEVICE_EXTRA) from e
    bridge = Path(frida_tools.__file__).parent / "bridges" / "java.js"
    if not bridge.is_file():
        raise RecordError(f"frida-tools has no Java bridge at {bridge}; reinstall pica[device]")
    source = bridge.read_text(encoding="utf-8")
    return (
        "(function () {\n"
        + source
        + "\nObject.defineProperty(globalThis, 'Java', { value: bridge });\n})();\n"
    )


@dataclass
class RecordResult:
    folder: Path
    events: dict[str, int]
    screens: int
    hooks: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)


def _version(module: ModuleType, distribution: str) -> str:
    version = getattr(module, "__version__", None)
    if version:
        return str(version)
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first}"[:300] if first else type(error).__name__


def _stderr(line: str) -> None:
    print(f"pica record: {line}", file=sys.stderr, flush=True)


class Recorder:
    """One recording: a scenario on one app on one device, written into ``output``."""

    def __init__(
        self,
        serial: str,
        package: str,
        scenario: Scenario,
        output: Path,
        *,
        limits: Limits | None = None,
        settle_seconds: float = 1.5,
        launch_seconds: float = 5.0,
        backends: Backends | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] = _stderr,
    ) -> None:
        self.serial = serial
        self.package = package
        self.scenario = Scenario(scenario)
        self.output = output
        self.limits = limits or Limits()
        self.settle_seconds = settle_seconds
        self.launch_seconds = launch_seconds
        self.backends = backends
        self.sleep = sleep
        self.clock = clock
        self.log = log
        self.hooks: dict[str, Any] | None = None
        self.notes: list[str] = []
        self.suppressed: dict[str, int] = {}  # api -> reports the script's rate limit dropped
        self._requested: list[list[str]] = []
        self._lock = threading.Lock()
        self._session: Any = None
        self._script: Any = None
        self._salt = secrets.token_hex(16)
        self._writer: TraceWriter | None = None
        self.state = initial_state(package)

    # -- Frida -----------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        with self._lock:
            if text not in self.notes:
                self.notes.append(text)
        self.log(text)

    def _on_message(self, message: dict[str, Any], data: Any) -> None:
        writer = self._writer
        if writer is None:
            return
        if message.get("type") == "error":
            self._note(f"hook script error: {str(message.get('description', ''))[:300]}")
            return
        payload = message.get("payload")
        if message.get("type") != "send" or not isinstance(payload, dict):
            return
        kind = payload.get("type")
        if kind == "pica:api":
            writer.api(payload)
        elif kind == "pica:permission":
            raw = payload.get("permissions")
            names = [str(p)[:200] for p in raw[:64]] if isinstance(raw, list) else []
            writer.write(requested_event(names))
            with self._lock:
                self._requested.append(names)
        elif kind == "pica:suppressed":
            api, count = payload.get("api"), payload.get("count")
            if isinstance(api, str) and isinstance(count, int) and count > 0:
                with self._lock:
                    self.suppressed[api[:300]] = self.suppressed.get(api[:300], 0) + count
        elif kind == "pica:hooks":
            self.hooks = {
                "hooked": payload.get("hooked"),
                "missing": payload.get("missing"),
                "failed": payload.get("failed"),
            }
            missing = payload.get("missing") or []
            self.log(
                f"hooks in: {payload.get('hooked')} overloads, {len(missing)} absent on device"
            )

    def _on_detached(self, reason: Any, *rest: Any) -> None:
        self._note(f"Frida session ended: {reason}")

    def _detach(self) -> None:
        session, self._session, self._script = self._session, None, None
        if session is not None:
            try:
                session.detach()
            except Exception:  # the process may already be gone
                pass

    def _spawn(self, fdev: Any, source: str) -> None:
        self._detach()
        pid = fdev.spawn(self.package)
        session = fdev.attach(pid)
        session.on("detached", self._on_detached)
        script = session.create_script(source)
        script.on("message", self._on_message)
        script.load()
        script.post({"type": "pica:config", "salt": self._salt})
        self._session, self._script = session, script
        fdev.resume(pid)

    # -- the loop --------------------------------------------------------------------------

    def _perform(self, action: Action, d: Any, fdev: Any, source: str) -> None:
        kind = action.kind
        if kind == "launch":
            if action.clear_data:
                d.app_clear(self.package)
            self._spawn(fdev, source)
            self.sleep(self.launch_seconds)
        elif kind == "foreground":
            d.app_start(self.package)
            self.sleep(self.settle_seconds)
        elif kind == "stop":
            self._detach()
            d.app_stop(self.package)
            self.sleep(self.settle_seconds)
        elif kind in ("home", "back"):
            d.press(kind)
            self.sleep(self.settle_seconds)
        elif kind == "tap":
            d.click(action.x, action.y)
            self.sleep(self.settle_seconds)
        elif kind == "wait":
            self.sleep(action.seconds)

    def _connect(self, backends: Backends) -> tuple[Any, Any]:
        try:
            d = backends.u2.connect(self.serial)
        except Exception as e:
            raise RecordError(
                f"uiautomator2 cannot reach device {self.serial}: {_one_line(e)}"
            ) from e
        try:
            fdev = backends.frida.get_device(self.serial, timeout=10)
        except Exception as e:
            raise RecordError(f"Frida cannot reach device {self.serial}: {_one_line(e)}") from e
        return d, fdev

    def _loop(self, d: Any, fdev: Any, source: str, writer: TraceWriter) -> None:
        """Dump, decide, write, act, until the scenario is done. ``self.state`` is always the
        latest state, so the notes survive an interruption."""
        while True:
            with self._lock:
                requested, self._requested = self._requested, []
            state = self.state
            for names in requested:
                state = remember_requested(state, names)
            xml = d.dump_hierarchy() if needs_screen(self.scenario, state) else ""
            if xml:
                writer.screen(xml)
            action, self.state, events = step(self.scenario, state, xml, self.limits)
            for event in events:
                writer.write(event)
            if action.kind != "wait":
                self.log(f"{action.kind} {action.label}".strip())
            if action.kind == "done":
                return
            self._perform(action, d, fdev, source)

    def run(self) -> RecordResult:
        if (self.output / TRACE_NAME).exists():
            raise RecordError(f"{self.output} already holds a {TRACE_NAME}; choose another folder")
        backends = self.backends or load_backends()
        self.backends = backends
        prelude = java_bridge_prelude(backends.frida)
        d, fdev = self._connect(backends)
        self.output.mkdir(parents=True, exist_ok=True)
        script = hook_script()
        (self.output / "hooks.js").write_text(script, encoding="utf-8")
        started = datetime.now(UTC).isoformat(timespec="seconds")
        writer = self._writer = TraceWriter(self.output, clock=self.clock)
        self.state = initial_state(self.package)
        try:
            self._loop(d, fdev, prelude + script, writer)
        except RecordError:
            raise
        except Exception as e:  # the device, adb or Frida gave up: keep what was recorded
            raise RecordError(
                f"recording stopped ({_one_line(e)}); the trace so far is in {self.output}"
            ) from e
        finally:
            self._detach()
            writer.close()
            self._writer = None
            for note in self.state.notes:
                if note not in self.notes:
                    self.notes.append(note)
            meta = {
                "package": self.package,
                "serial": self.serial,
                "scenario": self.scenario.value,
                "started": started,
                "pica": __version__,
                "frida": _version(backends.frida, "frida"),
                "uiautomator2": _version(backends.u2, "uiautomator2"),
                "hooks": self.hooks,
                "events": dict(sorted(writer.counts.items())),
                "dropped_hook_messages": writer.dropped,
                "suppressed_api_events": dict(sorted(self.suppressed.items())),
                "notes": self.notes,
            }
            (self.output / "recording.json").write_text(
                json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        return RecordResult(
            folder=self.output,
            events=dict(writer.counts),
            screens=writer.screens,
            hooks=self.hooks,
            notes=list(self.notes),
        )


def record(
    serial: str,
    package: str,
    scenario: Scenario | str,
    output: Path,
    **options: Any,
) -> RecordResult:
    """Record ``scenario`` on ``package`` on the device ``serial`` into ``output``."""
    return Recorder(serial, package, Scenario(scenario), output, **options).run()
