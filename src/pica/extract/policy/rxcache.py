"""Regular expressions compiled once per install instead of once per process: the lexicon's
patterns, the PI term trie and the prefilter forms ``lexicon`` derives from them (~300 patterns,
0.15-0.2 s of ``re.compile`` in every process otherwise), with the prefilter data of each gated
pattern, kept in pica's user cache (``pica.cache``).

``re.compile`` parses a pattern and generates the code its C engine runs, both in pure Python,
then hands the code to ``_sre.compile``. ``Store.compile`` keeps that code (a list of integers)
and, in the next process, hands it to ``_sre.compile`` directly: the pattern object is the one
``re.compile`` makes (pattern objects compare equal when their pattern, flags and code are
equal, which is checked before any code is kept). Safe to load: the C engine validates the code
it is given (``invalid SRE code``, then the pattern is compiled as usual), the zip CRC catches a
damaged file, and the key holds the interpreter's exact version and the engine's ``MAGIC``, so
code is only ever used by the Python that made it. Where the internals are not CPython's, every
pattern is compiled as usual.

Also kept: JSON-able values the caller derives from its patterns (``get``/``put``), by name; the
caller's key must cover what they depend on (its data files and its own source).
"""

from __future__ import annotations

import re
import sys
from typing import Any

try:  # CPython's engine and compiler internals (what ``re.compile`` itself calls)
    import _sre
    from re import _compiler, _parser  # type: ignore[attr-defined]

    _ENGINE = f"{sys.version}|{_sre.MAGIC}|{_sre.CODESIZE}"
except (ImportError, AttributeError):  # pragma: no cover - another Python
    _sre = None
    _ENGINE = ""


def engine() -> str:
    """What cached code is valid for (part of a cache key); empty where code is not kept."""
    return _ENGINE


def _code(pattern: str, flags: int) -> list | None:
    """[flags, code, groups, groupindex, indexgroup] of ``pattern``: the arguments
    ``re._compiler.compile`` passes to ``_sre.compile`` (its own steps), or None."""
    try:
        p = _parser.parse(pattern, flags)
        code = _compiler._code(p, flags)
        groupindex = dict(p.state.groupdict)
        indexgroup = [None] * p.state.groups
        for k, i in groupindex.items():
            indexgroup[i] = k
        return [flags | p.state.flags, list(code), p.state.groups - 1, groupindex, indexgroup]
    except Exception:  # another Python's internals
        return None


def _make(pattern: str, entry: list) -> re.Pattern[str]:
    flags, code, groups, groupindex, indexgroup = entry
    if not isinstance(code, list):
        code = code.tolist()  # a slice of the loaded array
    return _sre.compile(pattern, flags, code, groups, groupindex, tuple(indexgroup))


class Store:
    """Compiled code by (pattern, flags) and derived values by name, loaded from the cache file
    ``name`` for ``key`` (None: nothing is loaded or saved); ``dirty`` when something was added
    since."""

    def __init__(self, name: str, key: str | None) -> None:
        self.name, self.key = name, key
        self.code: dict[tuple[str, int], list] = {}
        self.values: dict[str, Any] = {}
        self.dirty = False
        self.loaded = False
        if _ENGINE and key is not None:
            self._load()

    def _load(self) -> None:
        from pica import cache

        got = cache.load(self.name, self.key)
        if got is None:
            return
        arrays, meta = got
        try:
            flat = arrays["code"]
            at = arrays["code_at"].tolist()
            code = {}
            for (pattern, flags, out_flags, groups, groupindex, indexgroup), a, b in zip(
                meta["patterns"], at[:-1], at[1:], strict=True
            ):
                # the code as a slice of the array: made a list when the pattern is compiled
                code[pattern, flags] = [out_flags, flat[a:b], groups, groupindex, indexgroup]
            values = dict(meta["values"])
        except Exception:  # not our layout: rebuilt
            return
        self.code, self.values, self.loaded = code, values, True

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern[str]:
        """``re.compile(pattern, flags)``, from the kept code when there is some."""
        flags = int(flags)
        entry = self.code.get((pattern, flags))
        if entry is not None:
            try:
                return _make(pattern, entry)
            except Exception:  # invalid code (the engine refused it): compile as usual
                del self.code[pattern, flags]
        rx = re.compile(pattern, flags)
        if _ENGINE:
            entry = _code(pattern, flags)
            try:
                same = entry is not None and _make(pattern, entry) == rx
            except Exception:
                same = False
            if same:
                self.code[pattern, flags] = entry
                self.dirty = True
        return rx

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def put(self, name: str, value: Any) -> None:
        """Keep a JSON-able ``value`` (lists, not tuples or sets: it comes back as JSON)."""
        self.values[name] = value
        self.dirty = True

    def save(self) -> bool:
        """Write what is kept to the cache (when something was added); False if not written."""
        if not (self.dirty and _ENGINE and self.key is not None):
            return False
        import numpy as np

        from pica import cache

        patterns, flat, at = [], [], [0]
        for (pattern, flags), (out_flags, code, groups, groupindex, indexgroup) in sorted(
            self.code.items()
        ):
            patterns.append([pattern, flags, out_flags, groups, groupindex, indexgroup])
            flat.extend(code if isinstance(code, list) else code.tolist())
            at.append(len(flat))
        arrays = {
            "code": np.array(flat, dtype=np.uint32),
            "code_at": np.array(at, dtype=np.int64),
        }
        written = cache.save(
            self.name, self.key, arrays, {"patterns": patterns, "values": self.values}
        )
        self.dirty = False
        return written
