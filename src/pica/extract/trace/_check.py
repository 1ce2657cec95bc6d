"""The trace schema's rules, checked by hand: one readable problem per rejected event.

``trace.schema.json`` is the format's definition; these checks say the same thing in code so the
reader needs no schema engine at run time and can name what is wrong in one short phrase.
``tests/test_trace.py`` holds the two to agreement on every fixture line and a set of bad lines.
"""

from __future__ import annotations

import json
import re
from typing import Any

FORMAT_VERSION = 1
KINDS = ("api", "consent", "permission", "lifecycle", "net", "ui")
EVENTS = {
    "consent": ("shown", "accepted", "declined", "withdrawn"),
    "permission": ("requested", "granted", "denied"),
    "lifecycle": ("launch", "background", "foreground", "kill", "update", "relaunch"),
}
MAX_T = 2**53 - 1
API_NAME = re.compile(r"^$|^[^\s.()]+(\.[^\s.()]+)+$")


def show(value: Any, limit: int = 40) -> str:
    """A value for a one-line message: a string in single quotes, anything else as JSON."""
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_int(value: Any) -> bool:
    """JSON Schema's integer: an int or an integral float, never a boolean."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _string(obj: dict, key: str, *, nonempty: bool = False) -> str | None:
    if key in obj and not isinstance(obj[key], str):
        return f"'{key}' must be a string (got {show(obj[key])})"
    if nonempty and key in obj and obj[key] == "":
        return f"'{key}' must not be empty"
    return None


def _bool(obj: dict, key: str) -> str | None:
    if key in obj and not isinstance(obj[key], bool):
        return f"'{key}' must be true or false (got {show(obj[key])})"
    return None


def _strings(obj: dict, key: str, *, min_items: int = 0) -> str | None:
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"'{key}' must be a list of strings (got {show(value)})"
    if len(value) < min_items:
        return f"'{key}' must not be empty"
    return None


def _event(obj: dict, kind: str) -> str | None:
    if "event" not in obj:
        return f"{kind} event needs 'event'"
    allowed = EVENTS[kind]
    if obj["event"] not in allowed or not isinstance(obj["event"], str):
        return f"unknown {kind} event {show(obj['event'])} (one of: {', '.join(allowed)})"
    return None


def _api(obj: dict) -> str | None:
    if "api" not in obj:
        return "api event needs 'api'"
    if not isinstance(obj["api"], str) or not API_NAME.search(obj["api"]):
        return f"'api' must be class.method or \"\" (got {show(obj['api'])})"
    if "pi_type" in obj and obj["pi_type"] is not None and not isinstance(obj["pi_type"], str):
        return f"'pi_type' must be a string or null (got {show(obj['pi_type'])})"
    return (
        _strings(obj, "stack")
        or _string(obj, "thread")
        or _bool(obj, "foreground")
        or _string(obj, "args")
        or _string(obj, "ret")
    )


def _consent(obj: dict) -> str | None:
    return _event(obj, "consent") or _string(obj, "text") or _bool(obj, "checkbox_prechecked")


def _permission(obj: dict) -> str | None:
    if problem := _event(obj, "permission"):
        return problem
    if "permissions" not in obj:
        return "permission event needs 'permissions'"
    value = obj["permissions"]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return f"'permissions' must be a list of permission names (got {show(value)})"
    if not value:
        return "'permissions' must not be empty"
    return None


def _headers(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(v, str) for v in value.values())
    if isinstance(value, list):
        return all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in value
        )
    return False


def _net(obj: dict) -> str | None:
    if "host" not in obj and "ip" not in obj:
        return "net event needs 'host' or 'ip'"
    problem = (
        _string(obj, "host", nonempty=True)
        or _string(obj, "ip", nonempty=True)
        or _string(obj, "method")
        or _string(obj, "url")
        or _string(obj, "sni")
    )
    if problem:
        return problem
    if "port" in obj and not (is_int(obj["port"]) and 0 <= obj["port"] <= 65535):
        return f"'port' must be an integer 0-65535 (got {show(obj['port'])})"
    if "headers" in obj and not _headers(obj["headers"]):
        return "'headers' must be an object of strings or a list of [name, value] pairs"
    if "body" in obj:
        body = obj["body"]
        if isinstance(body, dict):
            if not isinstance(body.get("base64"), str):
                return '\'body\' object must be {"base64": "…"}'
        elif not isinstance(body, str):
            return f"'body' must be a string or {{\"base64\": …}} (got {show(body)})"
    return None


def _ui(obj: dict) -> str | None:
    if "screen" not in obj:
        return "ui event needs 'screen'"
    return _string(obj, "screen", nonempty=True)


_BY_KIND = {
    "api": _api,
    "consent": _consent,
    "permission": _permission,
    "lifecycle": lambda obj: _event(obj, "lifecycle"),
    "net": _net,
    "ui": _ui,
}


def check_event(obj: Any) -> str | None:
    """What makes ``obj`` an invalid trace event (one short phrase), or None if it is valid.

    Accepts exactly what ``trace.schema.json`` accepts (a JSON value as ``json.loads`` gives it).
    """
    if not isinstance(obj, dict):
        return "not a JSON object"
    for key in ("v", "t", "kind"):
        if key not in obj:
            return f"missing '{key}'"
    v = obj["v"]
    if isinstance(v, bool) or v != FORMAT_VERSION:
        return f"unsupported version 'v': {show(v)} (this reader reads {FORMAT_VERSION})"
    t = obj["t"]
    if not is_int(t) or not 0 <= t <= MAX_T:
        return f"'t' must be an integer >= 0 (got {show(t)})"
    kind = obj["kind"]
    if not isinstance(kind, str) or kind not in _BY_KIND:
        if isinstance(kind, str):
            return f"unknown kind {show(kind)}"
        return f"'kind' must be a string (got {show(kind)})"
    return _BY_KIND[kind](obj)
