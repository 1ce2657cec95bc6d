"""The limits every reader works within, as one object a caller (the CLI, a future batch runner
or upload page) can set: hostile input meets a limit and becomes a one-line ``InputError``
instead of exhausting memory or hanging.

Defaults are below; each can be changed through an environment variable (``PICA_*``, read by
``Limits.from_env``) or by a caller that builds its own ``Limits`` and runs the audit inside
``using(limits)``. Readers ask ``current()``; they never read the environment themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields

KIB = 1024
MIB = 1024**2
GIB = 1024**3


@dataclass(frozen=True)
class Limits:
    """Bounds on what one app's inputs may cost. Sizes in bytes, times in seconds."""

    inflate_budget: int = 1 * GIB  # all bytes inflated from one APK (nested archives included)
    max_entry_bytes: int = 512 * MIB  # one inflated archive entry
    max_apk_bytes: int = 4 * GIB  # the APK file itself
    max_entries: int = 200_000  # entries in one archive
    max_declared_bytes: int = 8 * GIB  # all entries' declared sizes (most are never inflated)
    fetch_deadline: float = 30.0  # one policy URL: connect + headers + body, redirects included
    fetch_max_headers: int = 100  # response header lines
    fetch_max_header_bytes: int = 64 * KIB  # all response header lines together
    max_policy_bytes: int = 20 * MIB  # a policy file or fetched body
    max_structured_bytes: int = 16 * MIB  # a checklist, device profile, HAR or trace line
    max_depth: int = 64  # nesting of YAML/JSON/XML documents

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """Defaults overridden by ``PICA_<FIELD>`` (e.g. ``PICA_INFLATE_BUDGET=2147483648``,
        ``PICA_FETCH_DEADLINE=10``). A malformed value is a ValueError naming the variable."""
        env = os.environ if environ is None else environ
        values: dict[str, int | float] = {}
        for f in fields(cls):
            name = "PICA_" + f.name.upper()
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            kind = float if f.type in ("float", float) else int
            try:
                value = kind(raw.strip().replace("_", ""))
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a number") from None
            if value <= 0:
                raise ValueError(f"{name}={raw!r} must be positive")
            values[f.name] = value
        return cls(**values)  # type: ignore[arg-type]

    @staticmethod
    def env_name(field: str) -> str:
        """The environment variable that changes ``field`` (named in limit messages)."""
        return "PICA_" + field.upper()


_CURRENT: ContextVar[Limits] = ContextVar("pica_limits", default=Limits())  # noqa: B039


def current() -> Limits:
    """The limits in force for this audit."""
    return _CURRENT.get()


@contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Run the enclosed reads under ``limits`` (a batch runner sets one per app)."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)
