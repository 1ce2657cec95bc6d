"""Facts derived by joining inputs (made in ``pica.analysis``), and what a search covered."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReachablePath:
    """A sensitive API or SDK initialisation reachable before any UI exists."""

    kind: str  # api | sdk_init
    target: str
    entry_point: str
    path: tuple[str, ...]
    confidence: str  # high | medium | low
    hop_kinds: tuple[str, ...]  # direct | virtual | async
    pi_type: str | None = None
    sdk: str | None = None
    gated_by: str | None = None  # the consent check seen on the path, if any
    source: str = ""


@dataclass(frozen=True)
class Searched:
    """What was looked for, and where, when a verdict rests on finding nothing.

    "The policy never mentions withdrawal" is only as good as the search behind it: a reviewer
    must see which terms or API list were tried over which part of which input.
    """

    what: str  # in words: "a way to withdraw consent"
    terms: tuple[str, ...]  # examples of what would have counted, in the input's words
    patterns: tuple[str, ...]  # what was actually applied: lexicon entries, API lists
    input: str  # apk | policy | trace | network
    scope: str  # where in that input: "whole policy (35,823 characters, 212 sentences)"
    source: str  # file name, with a character span or path where there is one
