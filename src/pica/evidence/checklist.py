"""Facts from a tester's checklist: one recorded answer per item."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChecklistAnswer:
    """A human tester's answer for one item: pass, fail or not_applicable, with a note."""

    item_id: str
    result: str
    note: str
    source: str
