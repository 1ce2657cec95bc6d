"""Category 1: collection and use rules not published (items 1.1–1.4)."""

from __future__ import annotations

from pica.evidence import Evidence
from pica.report import Cite, Finding, Verdict
from pica.rules import rule
from pica.rules.common import (
    fix_for,
    from_checklist,
    inconclusive,
    judged_by_policy,
    needs_person,
    policy_item,
)


def _cite_embedded(evidence: Evidence) -> list[Cite]:
    return [
        Cite(
            text=f"{p.kind}: {p.excerpt}",
            source=p.source,
            artifact=p.location if p.kind == "file" else "resources.arsc",
            logical=p.location,
        )
        for p in evidence.embedded_policies[:10]
    ]


@rule("1.1")
def no_policy(evidence: Evidence) -> Finding:
    """No privacy policy in the app, or a policy without collection-and-use rules."""
    if settled := from_checklist(evidence, "1.1"):
        return settled
    if judged := judged_by_policy("1.1", evidence):
        return judged
    if not evidence.has_apk:
        return inconclusive("1.1", "Neither an APK nor a privacy policy was given.", evidence)
    kinds = {p.kind for p in evidence.embedded_policies}
    if "url" in kinds:
        return inconclusive(
            "1.1",
            "The APK links to what looks like a privacy policy, but its text was not given, "
            "so whether it holds collection-and-use rules is unknown.",
            evidence,
            cites=_cite_embedded(evidence),
            missing=("the privacy policy text (--policy FILE or URL)",),
            evidence_kind="static",
        )
    if "mention" in kinds:
        return inconclusive(
            "1.1",
            "The app's strings name a privacy policy, but the APK carries neither its text nor a "
            "link to it (it may be fetched from a server).",
            evidence,
            cites=_cite_embedded(evidence),
            missing=("the privacy policy text (--policy FILE or URL)", "screens of the app"),
            evidence_kind="static",
        )
    return Finding(
        item_id="1.1",
        verdict=Verdict.VIOLATION,
        reason=(
            "No privacy policy was given and the APK carries none: no bundled policy file, no "
            "policy link in code or resources, and no string naming a privacy policy."
        ),
        cites=(
            Cite(
                text="searched assets/, res/raw/, every DEX string and string resource for "
                "隐私政策/隐私协议/个人信息保护政策/privacy policy and policy URLs: none found",
                source=f"APK {evidence.app.file_name if evidence.app else ''}",
                artifact=evidence.app.file_name if evidence.app else "",
            ),
        ),
        fix=fix_for("1.1"),
        evidence_kind="static",
        confidence="medium",
    )


@rule("1.2")
def no_first_run_prompt(evidence: Evidence) -> Finding:
    """The user is not prompted to read the policy on first run."""
    if settled := from_checklist(evidence, "1.2"):
        return settled
    mentions = [p for p in evidence.embedded_policies if p.kind == "mention"]
    return inconclusive(
        "1.2",
        "Whether a policy prompt appears on first run can only be seen by running the app"
        + (
            f"; {len(mentions)} UI string(s) name the policy."
            if mentions
            else "; no UI string in the APK names a privacy policy."
        ),
        evidence,
        cites=_cite_embedded(evidence) if mentions else (),
        missing=("screens of the first run", "a runtime trace with consent events"),
    )


@rule("1.3")
def policy_hard_to_reach(evidence: Evidence) -> Finding:
    """The policy takes more than four taps to reach from the main screen."""
    return needs_person(
        "1.3", evidence, "Counting the taps from the main screen to the policy needs a person."
    )


@rule("1.4")
def policy_hard_to_read(evidence: Evidence) -> Finding:
    """Text too small, dense or pale, or no Simplified Chinese version."""
    return policy_item(
        "1.4", evidence, "Readability is judged on the policy text, which was not given."
    )
