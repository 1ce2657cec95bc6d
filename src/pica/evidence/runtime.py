"""Facts observed while the app runs (roadmap: trace importers fill these)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Collection:
    """Runtime: a PI-reaching API observed in a trace (roadmap: trace importers)."""

    pi_type: str
    api: str
    time_ms: int
    before_consent: bool | None
    stack: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class ConsentEvent:
    """Runtime: the user agreed to or refused the policy or a permission."""

    kind: str  # policy_shown | policy_accepted | policy_refused | permission_granted | permission_denied
    time_ms: int
    detail: str
    source: str
