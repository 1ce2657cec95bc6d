"""Category 6: no correction/deletion/cancellation, no complaint channel (items 6.1–6.5)."""

from __future__ import annotations

from pica.evidence import Evidence
from pica.report import Finding
from pica.rules import rule
from pica.rules.common import (
    needs_person,
    policy_item,
)


@rule("6.1")
def no_correction_deletion(evidence: Evidence) -> Finding:
    return policy_item(
        "6.1",
        evidence,
        "A way to correct, delete PI and cancel the account is looked for in the policy text, which was not given.",
    )


@rule("6.2")
def unreasonable_conditions(evidence: Evidence) -> Finding:
    return policy_item(
        "6.2",
        evidence,
        "Conditions on correction, deletion and cancellation are looked for in the policy text, which was not given.",
    )


@rule("6.3")
def late_response(evidence: Evidence) -> Finding:
    return policy_item(
        "6.3",
        evidence,
        "The committed response time is looked for in the policy text, which was not given.",
    )


@rule("6.4")
def backend_not_done(evidence: Evidence) -> Finding:
    return needs_person(
        "6.4",
        evidence,
        "Whether the back-end really deletes or cancels is verified by a tester after the operation.",
    )


@rule("6.5")
def no_complaint_channel(evidence: Evidence) -> Finding:
    return policy_item(
        "6.5",
        evidence,
        "A complaint and report channel is looked for in the policy text, which was not given.",
    )
