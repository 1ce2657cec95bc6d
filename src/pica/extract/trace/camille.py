"""camille's Excel output (github.com/zhengjim/camille) imported as trace events.

camille hooks privacy APIs with Frida and, with ``-f FILE``, writes one row per hooked call to
the sheet ``App_privacy_compliance_testing`` (``utlis/__init__.py``, ``write_xlsx``). Row 1 is
the header; the columns, in camille's order, are

    隐私政策状态 | 时间点 | 行为主体 | 操作行为 | 行为描述 | 传入参数 | 调用堆栈

(privacy-policy state 同意隐私政策前/后; time; actor, "APP本身" or an SDK's name; action
group; behaviour label; arguments ``参数0：…\\r\\n参数1：…``; the Java stack, one
``   class.method(File.java:12)`` frame a line, the hooked method first as ``(Native Method)``).
Older camille versions wrote five columns (时间点, 操作行为, 行为描述, 传入参数, 调用堆栈) and a
fork adds 返回值; columns are found by their header, so all three read. 时间点 is script.js's
``YYYY-M-D H:M:S`` with JavaScript's zero-based month and no padding (``2024-4-7 9:5:3`` is
7 May 2024, 09:05:03).

camille writes that sheet with xlwt, i.e. as an Excel 97-2003 ``.xls`` (its docs use
``-f demo01.xls``); that is read with xlrd, and an ``.xlsx`` (the same sheet saved by Excel or
LibreOffice) with openpyxl. Both give the same rows.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl

from pica import knowledge
from pica.errors import InputError
from pica.extract.trace import write_trace
from pica.extract.trace._check import API_NAME, FORMAT_VERSION

MAX_BYTES = 32 * 1024 * 1024
MAX_UNZIPPED = 256 * 1024 * 1024  # declared size of all parts of the workbook
MAX_PARTS = 2000
MAX_ROWS = 100_000
MAX_COLUMNS = 30
MAX_CELL = 100_000  # characters kept of one cell
SHEET = "App_privacy_compliance_testing"
COLUMNS = {
    "隐私政策状态": "state",
    "时间点": "time",
    "行为主体": "subject",
    "操作行为": "action",
    "行为描述": "description",
    "传入参数": "args",
    "返回值": "ret",
    "调用堆栈": "stack",
}
BEFORE, AFTER = "同意隐私政策前", "同意隐私政策后"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TIME = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{1,2}):(\d{1,2})\s*$")
_FRAME = re.compile(r"^(?:at\s+)?([^\s()]+)\s*(\((.*)\))?$")
_ARG = re.compile(r"^参数(\d+)：(.*)$")


@cache
def _labels() -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """camille's behaviour labels (knowledge/data/camille_labels.yaml): (exact, prefix)."""
    labels = knowledge.load_data("camille_labels.yaml")["labels"]
    exact = tuple(e for e in labels if e.get("match", "exact") == "exact")
    prefix = tuple(e for e in labels if e.get("match") == "prefix")
    return exact, prefix


def label_for(description: str) -> dict[str, Any] | None:
    """The label entry camille's 行为描述 text matches, or None."""
    exact, prefix = _labels()
    for entry in exact:
        if description == entry["text"]:
            return entry
    for entry in prefix:
        if description.startswith(entry["text"]):
            return entry
    return None


# ---------------------------------------------------------------- the workbook


def _load(path: Path, max_bytes: int) -> bytes:
    name = path.name
    if path.is_dir():
        raise InputError(f"camille file {name} is a directory")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"camille file {name} is {size:,} bytes (limit {max_bytes:,})")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"camille file {name} not found") from None
    except OSError as exc:
        raise InputError(f"cannot read camille file {name}: {exc.strerror or exc}") from None
    if not data.startswith((b"PK\x03\x04", _OLE2)):
        raise InputError(f"{name} is not an Excel workbook (.xls or .xlsx)")
    return data


def _xls_rows(data: bytes, name: str) -> list[tuple[int, dict[str, Any]]]:
    """The rows of camille's own .xls (Excel 97-2003, as xlwt writes it)."""
    import xlrd  # only for .xls input

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:  # xlrd raises many types for a broken workbook
        raise InputError(f"{name} is not a readable .xls workbook ({_why(exc)})") from None
    try:
        names = book.sheet_names()
        order = [SHEET] if SHEET in names else []
        order += [n for n in names if n != SHEET]
        for sheet in order:
            rows = _sheet_rows(_XlsSheet(book.sheet_by_name(sheet)), name)
            if rows is not None:
                return rows
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{name} is not a readable .xls workbook ({_why(exc)})") from None
    finally:
        book.release_resources()
    listed = ", ".join(repr(n[:40]) for n in names[:5])
    raise InputError(
        f"{name} has no camille sheet (a header row with 时间点 and 行为描述; sheets: {listed})"
    )


class _XlsSheet:
    """An xlrd sheet with the ``iter_rows(values_only=True, max_col=…)`` openpyxl offers."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet

    def iter_rows(self, values_only: bool, max_col: int):
        for r in range(min(self.sheet.nrows, MAX_ROWS + 2)):
            yield tuple(None if v == "" else v for v in self.sheet.row_values(r, 0, max_col))


def _check_zip(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{name} is not a readable .xlsx workbook ({exc})") from None
    if len(parts) > MAX_PARTS:
        raise InputError(f"{name} has {len(parts):,} parts (limit {MAX_PARTS:,})")
    total = sum(p.file_size for p in parts)
    if total > MAX_UNZIPPED:
        raise InputError(f"{name} unpacks to {total:,} bytes (limit {MAX_UNZIPPED:,})")


def _rows(data: bytes, name: str) -> list[tuple[int, dict[str, Any]]]:
    """(Excel row number, {column key: value}) of every non-empty row under camille's header."""
    if data.startswith(_OLE2):
        return _xls_rows(data, name)
    _check_zip(data, name)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise InputError(f"{name} is not a readable .xlsx workbook ({_why(exc)})") from None
    try:
        names = list(workbook.sheetnames)
        order = [SHEET] if SHEET in names else []
        order += [n for n in names if n != SHEET]
        for sheet in order:
            rows = _sheet_rows(workbook[sheet], name)
            if rows is not None:
                return rows
    except InputError:
        raise
    except Exception as exc:  # a part that fails while the rows are streamed
        raise InputError(f"{name} is not a readable .xlsx workbook ({_why(exc)})") from None
    finally:
        workbook.close()
    listed = ", ".join(repr(n[:40]) for n in names[:5])
    raise InputError(
        f"{name} has no camille sheet (a header row with 时间点 and 行为描述; sheets: {listed})"
    )


def _why(exc: Exception) -> str:
    text = str(exc).splitlines()[0][:100] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _sheet_rows(sheet: Any, name: str) -> list[tuple[int, dict[str, Any]]] | None:
    it = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    header = next(it, None)
    if not header:
        return None
    columns = {
        i: COLUMNS[str(v).strip()]
        for i, v in enumerate(header)
        if v is not None and str(v).strip() in COLUMNS
    }
    keys = set(columns.values())
    if "time" not in keys or not keys & {"description", "action"}:
        return None
    rows = []
    for number, values in enumerate(it, 2):
        row = {key: values[i] for i, key in columns.items() if i < len(values)}
        if all(v is None or str(v).strip() == "" for v in row.values()):
            continue
        if len(rows) >= MAX_ROWS:
            raise InputError(f"{name} has more than {MAX_ROWS:,} rows")
        rows.append((number, row))
    return rows


# ---------------------------------------------------------------- rows to events


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()[:MAX_CELL]


def _times(rows: list[tuple[int, dict[str, Any]]], name: str) -> list[datetime]:
    """Each row's time. camille's strings carry a zero-based month; if a sheet's strings are
    not valid dates that way, they are read as written (a camille fork may have fixed it)."""
    for month_shift in (1, 0):
        out = []
        for number, row in rows:
            value = row.get("time")
            if isinstance(value, datetime):
                out.append(value.replace(tzinfo=None))
                continue
            m = _TIME.match(str(value or ""))
            if not m:
                raise InputError(
                    f"{name} row {number}: 时间点 {_text(value)[:40]!r} is not a time "
                    "(camille writes YYYY-M-D H:M:S)"
                )
            y, mo, d, h, mi, s = (int(x) for x in m.groups())
            try:
                out.append(datetime(y, mo + month_shift, d, h, mi, s))
            except ValueError:
                break
        else:
            return out
    raise InputError(f"{name}: 时间点 holds dates that do not exist (row {number})")


def _frames(stack: str) -> tuple[list[str], bool]:
    """(class.method frames, innermost first; whether the first is the hooked native method)."""
    frames: list[str] = []
    native_top = False
    for line in stack.split("\n"):
        m = _FRAME.match(line.strip())
        if not m or "." not in m.group(1):
            continue
        if not frames:
            native_top = (m.group(3) or "") == "Native Method"
        frames.append(m.group(1))
        if len(frames) >= 256:
            break
    return frames, native_top


def _permissions(args: str, index: int) -> list[str]:
    """The permission names camille logged as argument ``index`` (a JSON array), or []."""
    for line in args.split("\n"):
        m = _ARG.match(line.strip())
        if m and int(m.group(1)) == index:
            try:
                value = json.loads(m.group(2))
            except ValueError:
                return []
            if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
                return value
    return []


def import_camille(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> list[dict]:
    """camille's .xlsx as trace events (dicts in docs/trace-format.md's format), in row order.

    Each row is an ``api`` event, ``t`` in ms from the earliest row. The API is the stack's
    innermost frame when camille marks it as the hooked (native) method, else the one method
    camille hooks under the row's label (knowledge/data/camille_labels.yaml), else ``""`` with
    操作行为：行为描述 kept in ``args``. ``pi_type`` comes from the label where it is reliable
    (else the trace reader derives it). A permission request row also gives a ``permission
    requested`` event. Where 隐私政策状态 first turns from 同意隐私政策前 to 同意隐私政策后, a
    ``consent accepted`` event comes first, at that row's time. Every event keeps camille's own
    columns under ``"camille"``. ``InputError`` for an .xls, a corrupt or oversized workbook, a
    workbook with no camille sheet or no rows, and a row whose time cannot be read.
    """
    path = Path(path)
    name = path.name
    rows = _rows(_load(path, max_bytes), name)
    if not rows:
        raise InputError(f"{name}: the camille sheet has a header but no rows")
    times = _times(rows, name)
    start = min(times)
    events: list[dict] = []
    seen_before = consented = False
    for (number, row), when in zip(rows, times, strict=True):
        t = int((when - start).total_seconds() * 1000)
        state = _text(row.get("state"))
        description = _text(row.get("description"))
        action = _text(row.get("action"))
        args = _text(row.get("args"))
        frames, native_top = _frames(_text(row.get("stack")))
        label = label_for(description)

        if "前" in state:
            seen_before = True
        elif "后" in state and seen_before and not consented:
            consented = True
            events.append(
                {"v": FORMAT_VERSION, "t": t, "kind": "consent", "event": "accepted",
                 "camille": {"row": number, "from": f"隐私政策状态 {BEFORE} → {AFTER}"}}
            )  # fmt: skip

        api = ""
        if frames and native_top and API_NAME.search(frames[0]):
            api = frames[0]
        elif label and len(label["apis"]) == 1:
            api = label["apis"][0]
        if not api:
            seen = "：".join(x for x in (action, description) if x)
            args = seen + ("\n" + args if args else "")
        event: dict[str, Any] = {"v": FORMAT_VERSION, "t": t, "kind": "api", "api": api}
        if label and label.get("pi"):
            event["pi_type"] = label["pi"]
        if frames:
            event["stack"] = frames
        if args:
            event["args"] = args
        if ret := _text(row.get("ret")):
            event["ret"] = ret
        event["camille"] = {
            "row": number,
            "state": state,
            "time": _text(row.get("time")),
            "subject": _text(row.get("subject")),
            "action": action,
            "description": description,
        }
        events.append(event)

        if label and label.get("permissions_arg") is not None:
            names = _permissions(_text(row.get("args")), int(label["permissions_arg"]))
            if names:
                events.append(
                    {"v": FORMAT_VERSION, "t": t, "kind": "permission", "event": "requested",
                     "permissions": names, "camille": {"row": number}}
                )  # fmt: skip
    return events


def convert_camille(
    path: str | os.PathLike[str], out: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES
) -> Path:
    """Import camille's .xlsx and write it as a trace (JSON Lines) at ``out``; returns ``out``."""
    return write_trace(import_camille(path, max_bytes=max_bytes), out)
