"""The 31 rules, one per item of the 2019 identification method, and the runner.

A rule is a pure function ``(Evidence) -> Finding`` registered under its item id. The runner
guarantees a report always holds all 31 items, in the regulation's order.
"""

from __future__ import annotations

from collections.abc import Callable

from pica import knowledge
from pica.evidence import Evidence
from pica.report import Finding, Verdict

Rule = Callable[[Evidence], Finding]
RULES: dict[str, Rule] = {}


def rule(item_id: str) -> Callable[[Rule], Rule]:
    """Register a rule function under its item id ("3.1")."""

    def register(func: Rule) -> Rule:
        if item_id in RULES:
            raise ValueError(f"two rules for item {item_id}")
        RULES[item_id] = func
        return func

    return register


def load_rules() -> dict[str, Rule]:
    """Import the six category modules (for their @rule registrations); the registry."""
    from pica.rules import (  # noqa: F401
        r1_published,
        r2_purpose,
        r3_consent,
        r4_necessity,
        r5_sharing,
        r6_rights,
    )

    return RULES


def run_rules(evidence: Evidence) -> list[Finding]:
    """Judge every item. A rule that fails is reported as inconclusive, never dropped."""
    load_rules()
    findings = []
    for item_id in knowledge.rule_catalog():
        func = RULES.get(item_id)
        if func is None:
            raise RuntimeError(f"no rule registered for item {item_id}")
        try:
            finding = func(evidence)
        except Exception as exc:  # a rule bug must not hide the other 30 items
            finding = Finding(
                item_id=item_id,
                verdict=Verdict.INCONCLUSIVE,
                reason=f"The rule could not be evaluated ({type(exc).__name__}: {exc}).",
                missing=("a fix to pica's rule for this item",),
                evidence_kind="none",
            )
        if finding.item_id != item_id:
            raise RuntimeError(f"rule for {item_id} returned a finding for {finding.item_id}")
        findings.append(finding)
    return findings
