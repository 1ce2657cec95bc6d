"""Trace reader: a JSON Lines trace (docs/trace-format.md) in, a typed ``Trace`` out.

One event per line, checked against ``trace.schema.json`` (by the hand-written checks of
``_check.py``, which the tests hold to the schema). A bad line is skipped with a warning naming
it; a file with nothing usable in it is an ``InputError``. ``ui`` events read the uiautomator
dump they name, from the trace's own folder and nowhere else.

Importers from other tools (``pica.extract.trace.camille``) produce plain event dicts and write
them with :func:`write_trace`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pica import knowledge
from pica.errors import InputError
from pica.evidence.network import NetRequest
from pica.evidence.runtime import (
    ApiEvent,
    ConsentEvent,
    LifecycleEvent,
    PermissionEvent,
    Trace,
    UiEvent,
)
from pica.extract.structured import check_depth
from pica.extract.trace._check import FORMAT_VERSION, KINDS, check_event
from pica.extract.trace.uiautomator import (
    MAX_DUMP_BYTES,
    parse_uiautomator_dump,
    read_uiautomator_dump,
)

__all__ = [
    "FORMAT_VERSION",
    "KINDS",
    "MAX_BYTES",
    "MAX_EVENTS",
    "MAX_DUMP_BYTES",
    "check_event",
    "derive_pi_type",
    "parse_uiautomator_dump",
    "read_trace",
    "read_uiautomator_dump",
    "schema",
    "write_trace",
]

MAX_BYTES = 64 * 1024 * 1024
MAX_EVENTS = 200_000
MAX_DUMPS_TOTAL = 64 * 1024 * 1024  # bytes of distinct uiautomator dumps one trace may read
MAX_TEXT = 4000  # characters kept of args, ret, a consent text
MAX_FRAMES = 256
MAX_FRAME = 512
MAX_BODY = 64 * 1024  # bytes kept of a net event's body
MAX_HEADERS = 200
MAX_WARNINGS = 200


@cache
def schema() -> dict[str, Any]:
    """The trace format's JSON Schema (draft 2020-12), as shipped in the package."""
    text = resources.files(__name__).joinpath("trace.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# ---------------------------------------------------------------- the API table


@cache
def _api_index() -> dict[tuple[str, str], tuple[knowledge.SensitiveApi, ...]]:
    index: dict[tuple[str, str], list[knowledge.SensitiveApi]] = {}
    for entry in knowledge.sensitive_apis():
        if entry.kind in ("method", "field"):
            index.setdefault((entry.class_name, entry.member), []).append(entry)
    return {key: tuple(value) for key, value in index.items()}


@cache
def _resolvers() -> frozenset[tuple[str, str]]:
    return frozenset((r.class_name, r.member) for r in knowledge.resolver_methods())


@cache
def _uris() -> tuple[knowledge.SensitiveApi, ...]:
    # longest prefix first, so content://com.android.contacts wins over content://contacts
    entries = [e for e in knowledge.sensitive_apis() if e.kind == "uri"]
    return tuple(sorted(entries, key=lambda e: -len(e.member)))


def derive_pi_type(api: str, args: str = "") -> str | None:
    """The PI type the sensitive-API table gives ``api`` (class.method), or None.

    The table's ``class`` + ``member`` must match exactly (declaring class, as in the table).
    An entry that needs a string argument (``Settings$Secure.getString`` reads the Android ID
    only with ``"android_id"``) matches only when ``args`` contains that string; a content
    resolver call (``ContentResolver.query``) takes its PI from the content URI in ``args``.
    When the table names several PI types for one API, the first is the event's type.
    """
    cls, _, member = api.rpartition(".")
    for entry in _api_index().get((cls, member), ()):
        if entry.requires_string and entry.requires_string not in args:
            continue
        return entry.pi_types[0] if entry.pi_types else None
    if (cls, member) in _resolvers():
        for entry in _uris():
            if entry.member in args:
                return entry.pi_types[0] if entry.pi_types else None
    return None


# ---------------------------------------------------------------- writing


def write_trace(events: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write events as a JSON Lines trace, ``v``, ``t`` and ``kind`` first on every line.

    Every event must be valid (:func:`check_event`); a bad one raises ``ValueError`` before
    anything is written. Returns the path written.
    """
    lines = []
    for i, event in enumerate(events, 1):
        event = dict(event)
        if problem := check_event(event):
            raise ValueError(f"event {i}: {problem}")
        ordered = {key: event.pop(key) for key in ("v", "t", "kind")}
        ordered.update(event)
        lines.append(json.dumps(ordered, ensure_ascii=False, separators=(",", ":")) + "\n")
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.writelines(lines)
    return path


# ---------------------------------------------------------------- reading


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    name = path.name or str(path)
    if path.is_dir():
        raise InputError(f"trace {name} is a directory, not a JSON Lines file")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"trace {name} is {size:,} bytes (limit {max_bytes:,})")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(f"trace {name} not found") from None
    except OSError as exc:
        raise InputError(f"cannot read trace {name}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"trace {name} is over {max_bytes:,} bytes")
    return data


def _decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise InputError(f"trace {name} is empty")
    if b"\x00" in data:
        raise InputError(f"trace {name} is a binary file, not JSON Lines text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"trace {name} is not UTF-8 text (bad byte at offset {exc.start})"
        ) from None
    return text.removeprefix("\ufeff")


def _outside(folder: Path, screen: str) -> Path | None:
    """The dump's path inside ``folder``, or None if ``screen`` points outside it."""
    for pure in (PurePosixPath(screen), PureWindowsPath(screen)):
        if pure.is_absolute() or pure.anchor or ".." in pure.parts:
            return None
    target = (folder / screen).resolve()
    try:
        target.relative_to(folder.resolve())
    except ValueError:
        return None
    return target


class _Reader:
    def __init__(self, path: Path, max_events: int) -> None:
        self.path = path
        self.name = path.name
        self.folder = path.parent
        self.max_events = max_events
        self.warnings: list[tuple[int, str]] = []  # (line, message)
        self.dropped_warnings = 0
        self.groups: dict[str, list[Any]] = {kind: [] for kind in KINDS}
        self.order: list[tuple[int, int]] = []  # (line, t) of every kept event, in file order
        self.dumps: dict[Path, tuple[tuple[str, ...], tuple[str, ...]] | InputError] = {}
        self.dump_bytes = 0

    def warn(self, line: int, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append((line, f"line {line}: {message}"))
        else:
            self.dropped_warnings += 1

    def read(self, text: str) -> None:
        kept = 0
        for number, raw in enumerate(text.split("\n"), 1):
            line = raw.strip()
            if not line:
                continue
            try:
                obj = json.loads(line, parse_constant=_no_constant)
            except json.JSONDecodeError as exc:
                self.warn(number, f"not valid JSON ({exc.msg} at column {exc.colno}), skipped")
                continue
            except (ValueError, RecursionError) as exc:
                reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                self.warn(number, f"not valid JSON ({reason.splitlines()[0][:80]}), skipped")
                continue
            try:
                check_depth(obj, f"line {number}")
            except InputError as exc:
                self.warn(number, f"{exc}, skipped")
                continue
            if problem := check_event(obj):
                self.warn(number, f"{problem}, skipped")
                continue
            event = getattr(self, "_" + obj["kind"])(obj, number, int(obj["t"]))
            if event is None:
                continue
            kept += 1
            if kept > self.max_events:
                raise InputError(f"trace {self.name} has more than {self.max_events:,} events")
            self.groups[obj["kind"]].append(event)
            self.order.append((number, event.t))

    def source(self, line: int) -> str:
        return f"{self.name}:{line}"

    # one builder per kind; each returns the typed event, or None after a warning

    def _api(self, obj: dict, line: int, t: int) -> ApiEvent:
        api = obj["api"]
        args = _cut(obj.get("args", ""))
        pi_type = obj.get("pi_type")
        if pi_type is not None and pi_type not in knowledge.taxonomy():
            self.warn(line, f"unknown pi_type {pi_type[:40]!r}, derived from the API table instead")
            pi_type = None
        if pi_type is None and api:
            pi_type = derive_pi_type(api, obj.get("args", ""))
        stack = tuple(f[:MAX_FRAME] for f in obj.get("stack", ())[:MAX_FRAMES])
        return ApiEvent(
            line=line,
            t=t,
            api=api,
            pi_type=pi_type,
            stack=stack,
            thread=obj.get("thread", "")[:200],
            foreground=obj.get("foreground"),
            args=args,
            ret=_cut(obj.get("ret", "")),
            source=self.source(line),
        )

    def _consent(self, obj: dict, line: int, t: int) -> ConsentEvent:
        return ConsentEvent(
            line=line,
            t=t,
            event=obj["event"],
            text=_cut(obj.get("text", "")),
            checkbox_prechecked=obj.get("checkbox_prechecked"),
            source=self.source(line),
        )

    def _permission(self, obj: dict, line: int, t: int) -> PermissionEvent:
        return PermissionEvent(
            line=line,
            t=t,
            event=obj["event"],
            permissions=tuple(p[:200] for p in obj["permissions"][:200]),
            source=self.source(line),
        )

    def _lifecycle(self, obj: dict, line: int, t: int) -> LifecycleEvent:
        return LifecycleEvent(line=line, t=t, event=obj["event"], source=self.source(line))

    def _net(self, obj: dict, line: int, t: int) -> NetRequest:
        headers = obj.get("headers", ())
        pairs = headers.items() if isinstance(headers, dict) else headers
        body = obj.get("body", "")
        if isinstance(body, dict):
            try:
                data = base64.b64decode(body["base64"], validate=True)
            except (binascii.Error, ValueError):
                self.warn(line, "'body' is not valid base64, body left out")
                data = b""
        else:
            data = body.encode("utf-8")
        port = obj.get("port")
        ip = obj.get("ip", "")
        return NetRequest(
            index=line,
            t=t,
            host=(obj.get("host") or ip).lower()[:253],
            ip=ip[:64],
            port=int(port) if port is not None else None,
            method=obj.get("method", "")[:20],
            url=obj.get("url", "")[:MAX_TEXT],
            headers=tuple((str(k)[:200], str(v)[:MAX_TEXT]) for k, v in list(pairs)[:MAX_HEADERS]),
            body=data[:MAX_BODY],
            sni=obj.get("sni", "")[:253],
            aligned=True,
            source=self.source(line),
        )

    def _ui(self, obj: dict, line: int, t: int) -> UiEvent | None:
        screen = obj["screen"]
        target = _outside(self.folder, screen)
        if target is None:
            self.warn(line, f"screen {screen[:80]!r} is outside the trace's folder, refused")
            return None
        result = self.dumps.get(target)
        if result is None:
            result = self._read_dump(target)
            self.dumps[target] = result
        if isinstance(result, InputError):
            self.warn(line, f"{result}, skipped")
            return None
        texts, checked = result
        return UiEvent(
            line=line,
            t=t,
            screen=screen,
            texts=texts,
            checked_boxes=checked,
            source=self.source(line),
        )

    def _read_dump(self, target: Path) -> tuple[tuple[str, ...], tuple[str, ...]] | InputError:
        try:
            size = target.stat().st_size if target.is_file() else 0
            if self.dump_bytes + size > MAX_DUMPS_TOTAL:
                return InputError(
                    f"uiautomator dumps of this trace are over {MAX_DUMPS_TOTAL:,} bytes in all"
                )
            self.dump_bytes += size
            return read_uiautomator_dump(target)
        except InputError as exc:
            return exc
        except OSError as exc:
            return InputError(f"uiautomator dump {target.name!r} cannot be read: {exc.strerror}")

    def trace(self) -> Trace:
        previous = None
        for line, t in self.order:
            if previous is not None and t < previous[1]:
                self.warnings.append(
                    (line, f"line {line}: t={t} is before the previous event's t={previous[1]} "
                     f"(line {previous[0]}); events sorted by t")
                )  # fmt: skip
                break
            previous = (line, t)
        warnings = [message for _, message in sorted(self.warnings, key=lambda w: w[0])]
        if self.dropped_warnings:
            warnings.append(f"… and {self.dropped_warnings:,} more warnings")
        g = {kind: tuple(sorted(events, key=lambda e: e.t)) for kind, events in self.groups.items()}
        return Trace(
            name=self.name,
            api=g["api"],
            consent=g["consent"],
            permissions=g["permission"],
            lifecycle=g["lifecycle"],
            ui=g["ui"],
            net=g["net"],
            warnings=tuple(warnings),
        )


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def read_trace(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, max_events: int = MAX_EVENTS
) -> Trace:
    """Read a JSON Lines trace into a ``Trace``: every valid event typed, in time order.

    Skipped with a warning in ``Trace.warnings`` (``"line 12: unknown kind 'foo', skipped"``):
    a line that is not JSON, not an object, or that the schema rejects; a ``ui`` event whose
    dump is outside the trace's folder, missing or unreadable. Events out of time order are
    sorted by ``t`` (stably), with one warning naming the first line out of order.
    ``InputError`` (one line): a directory, a missing file, a file over ``max_bytes``, an
    empty, binary or non-UTF-8 file, more than ``max_events`` events, no usable event at all.
    """
    path = Path(path)
    name = path.name or str(path)
    text = _decode(_read_bytes(path, max_bytes), name)
    reader = _Reader(path, max_events)
    reader.read(text)
    if not reader.order:
        first = f"; first: {min(reader.warnings)[1]}" if reader.warnings else ""
        raise InputError(f"trace {name} has no usable event{first}")
    return reader.trace()
