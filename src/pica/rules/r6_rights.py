"""Category 6: no correction/deletion/cancellation, no complaint channel (items 6.1–6.5)."""

from __future__ import annotations

from pica.evidence import Evidence
from pica.report import Finding
from pica.rules import rule
from pica.rules.common import from_checklist, inconclusive, judged_by_policy, manual


def _policy_item(item_id: str, evidence: Evidence, what: str) -> Finding:
    if settled := from_checklist(evidence, item_id):
        return settled
    if judged := judged_by_policy(item_id, evidence):
        return judged
    return inconclusive(
        item_id, f"{what} is looked for in the policy text, which was not given.", evidence
    )


@rule("6.1")
def no_correction_deletion(evidence: Evidence) -> Finding:
    return _policy_item("6.1", evidence, "A way to correct, delete PI and cancel the account")


@rule("6.2")
def unreasonable_conditions(evidence: Evidence) -> Finding:
    return _policy_item("6.2", evidence, "Conditions on correction, deletion and cancellation")


@rule("6.3")
def late_response(evidence: Evidence) -> Finding:
    return _policy_item("6.3", evidence, "The committed response time")


@rule("6.4")
def backend_not_done(evidence: Evidence) -> Finding:
    if settled := from_checklist(evidence, "6.4"):
        return settled
    return manual(
        "6.4",
        "Whether the back-end really deletes or cancels is verified by a tester after the operation.",
    )


@rule("6.5")
def no_complaint_channel(evidence: Evidence) -> Finding:
    return _policy_item("6.5", evidence, "A complaint and report channel")
