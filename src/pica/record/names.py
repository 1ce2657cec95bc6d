"""The scenario names ``pica record --scenario`` takes (kept apart so the CLI can offer them
without loading the recorder)."""

from __future__ import annotations

from enum import StrEnum


class Scenario(StrEnum):
    first_run_agree = "first-run-agree"
    first_run_decline = "first-run-decline"
    decline_then_relaunch = "decline-then-relaunch"
    background = "background"
