"""Loading structured input (YAML, JSON) that may be hostile: one home for the rules.

Every checklist, device profile, HAR file and trace line goes through here, so that:

- YAML aliases are refused (an alias bomb — a 1 KB file whose anchors expand to 10^15 nodes —
  never reaches the constructor) and so are anchors, which only serve aliases;
- nesting deeper than ``Limits.max_depth`` is refused before any recursion can overflow;
- a value the loader cannot build (an impossible date, ``!!int 0xZZ``, a 5,000-digit integer,
  an unhashable key) is one line with the line number, never PyYAML's four-line message or a
  ``ValueError`` out of the constructor.

Everything raises ``InputError`` with one line that starts with ``what`` (e.g. "checklist
c.yaml").
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent

from pica import limits
from pica.errors import InputError


def _line(mark: Any) -> str:
    return f"line {mark.line + 1}: " if mark is not None else ""


def _first_line(text: object, width: int = 160) -> str:
    lines = str(text).strip().splitlines()
    return (lines[0] if lines else "").strip()[:width]


def _loader(what: str, max_depth: int) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        """SafeLoader without aliases, with a depth limit and one-line constructor errors."""

        depth = 0

        def compose_node(self, parent, index):  # noqa: ANN001
            event = self.peek_event()
            if isinstance(event, AliasEvent):
                raise InputError(
                    f"{what}: {_line(event.start_mark)}YAML aliases (*{event.anchor}) are not "
                    "accepted (an alias can expand a small file beyond memory)"
                )
            if getattr(event, "anchor", None) is not None:
                raise InputError(
                    f"{what}: {_line(event.start_mark)}YAML anchors and aliases "
                    f"(&{event.anchor}) are not accepted (an alias can expand a small file "
                    "beyond memory)"
                )
            nested = isinstance(event, CollectionStartEvent)
            if nested:
                self.depth += 1
                if self.depth > max_depth:
                    raise InputError(
                        f"{what}: {_line(event.start_mark)}nested more than {max_depth} levels "
                        f"deep ({limits.Limits.env_name('max_depth')})"
                    )
            try:
                return super().compose_node(parent, index)
            finally:
                if nested:
                    self.depth -= 1

        def construct_object(self, node, deep=False):  # noqa: ANN001
            try:
                value = super().construct_object(node, deep=deep)
            except (InputError, yaml.YAMLError):
                raise
            except Exception as exc:  # noqa: BLE001 - PyYAML's constructors raise anything
                # (ValueError for 0xZZ, IndexError for "!!float :an", OverflowError, …)
                raise InputError(
                    f"{what}: {_line(node.start_mark)}cannot build the value {node.tag!r} "
                    f"({_first_line(exc, 100)})"
                ) from None
            if isinstance(value, str) and not _is_text(value):
                # a "\udcff" escape is legal YAML but no Unicode text: a person's answer
                # cannot hold one, and a report could not quote it faithfully
                raise InputError(
                    f"{what}: {_line(node.start_mark)}a lone surrogate "
                    f"({_surrogates(value)}) is not Unicode text"
                )
            return value

    return Loader


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _surrogates(value: str) -> str:
    return ", ".join(sorted({f"\\u{ord(c):04x}" for c in value if 0xD800 <= ord(c) <= 0xDFFF}))


def load_yaml(text: str, what: str) -> Any:
    """Parse YAML (or JSON, a subset) from untrusted ``text``; InputError on anything unsafe."""
    lim = limits.current()
    if len(text) > lim.max_structured_bytes:
        raise InputError(f"{what} is over {lim.max_structured_bytes:,} characters")
    loader = None
    try:
        loader = _loader(what, lim.max_depth)(text)  # its reader already checks the characters
        return loader.get_single_data()
    except InputError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed"
        raise InputError(f"{what} is not valid YAML: {_line(mark)}{_first_line(problem)}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{what} is not valid YAML: {_first_line(exc)}") from None
    except RecursionError:
        raise InputError(f"{what} is nested too deeply") from None
    except (ValueError, OverflowError, TypeError) as exc:
        raise InputError(f"{what}: cannot build a value ({_first_line(exc, 100)})") from None
    finally:
        if loader is not None:
            loader.dispose()


def load_json(text: str, what: str, **kwargs: Any) -> Any:
    """Parse JSON from untrusted ``text``: one-line errors with the line, depth bounded."""
    lim = limits.current()
    try:
        data = json.loads(text, **kwargs)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"{what} is nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a 5,000-digit integer, a NaN refused by a hook
        raise InputError(f"{what} is not usable JSON: {_first_line(exc, 100)}") from None
    check_depth(data, what, lim.max_depth)
    return data


def check_depth(data: Any, what: str, max_depth: int | None = None) -> None:
    """Refuse a parsed document nested deeper than ``max_depth`` (iteratively: no recursion)."""
    limit = limits.current().max_depth if max_depth is None else max_depth
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        if depth + 1 > limit:
            raise InputError(
                f"{what} is nested more than {limit} levels deep "
                f"({limits.Limits.env_name('max_depth')})"
            )
        stack.extend((child, depth + 1) for child in children)
