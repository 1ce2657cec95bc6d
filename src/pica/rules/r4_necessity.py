"""Category 4: necessity principle violated (items 4.1–4.6)."""

from __future__ import annotations

from pica import knowledge
from pica.evidence import Evidence
from pica.report import Cite, Finding, Verdict
from pica.rules import rule
from pica.rules.common import (
    cite_api,
    cite_permission,
    fix_for,
    from_checklist,
    inconclusive,
    needs_person,
    needs_runtime,
    pi_label,
    policy_item,
)


@rule("4.1")
def unrelated_pi(evidence: Evidence) -> Finding:
    """PI reached by permissions or APIs that the app's category does not need."""
    if settled := from_checklist(evidence, "4.1"):
        return settled
    if not evidence.has_apk:
        return inconclusive(
            "4.1", "The PI an app reaches is read from the APK, which was not given.", evidence
        )
    if not evidence.category:
        return inconclusive(
            "4.1",
            "Necessity is judged against the app's category: give --category with one of the 39 "
            "types of the 2021 provisions (pica categories lists them).",
            evidence,
            missing=("the app category (--category)",),
            evidence_kind="static",
        )
    category = knowledge.app_categories()[evidence.category]
    needed = set(category.necessary_pi)
    reached: dict[str, list[Cite]] = {}
    for perm in evidence.permissions:
        if perm.is_runtime or perm.protection in ("special", "signature"):
            for pi in perm.pi_types:
                reached.setdefault(pi, []).append(cite_permission(perm))
    for use in evidence.api_uses:
        # The app's own code only: SDKs are judged under 2.1 / 5.1, and a wrapper in a bundled
        # library (androidx TelephonyManagerCompat…) says nothing about what the app uses.
        if use.sdk is None and use.library is None:
            reached.setdefault(use.pi_type, []).append(cite_api(use))
    extra = sorted(pi for pi in reached if pi not in needed)
    basis = Cite(
        text=f"{category.name_zh}: 必要个人信息为 {category.necessary_pi_text_zh or '无'}",
        source=category.source,
        logical=category.id,
    )
    if not extra:
        return Finding(
            item_id="4.1",
            verdict=Verdict.COMPLIANT,
            reason=f"Every PI type the app's permissions and code reach is within the necessary PI "
            f"of category {category.name_zh} ({category.name_en}).",
            cites=(basis,),
            evidence_kind="static",
            confidence="medium",
        )
    cites = [basis]
    for pi in extra:
        cites += reached[pi][:3]
    return Finding(
        item_id="4.1",
        verdict=Verdict.VIOLATION,
        reason=f"The app reaches {len(extra)} PI type(s) outside the necessary PI of category "
        f"{category.name_zh} ({category.name_en}): " + ", ".join(pi_label(p) for p in extra) + ".",
        cites=tuple(cites),
        fix=fix_for("4.1"),
        evidence_kind="static",
        confidence="medium",
    )


@rule("4.2")
def refused_service(evidence: Evidence) -> Finding:
    return needs_person(
        "4.2",
        evidence,
        "Refusing non-essential PI and checking the basic functions still work needs a tester.",
    )


@rule("4.3")
def new_function_beyond_consent(evidence: Evidence) -> Finding:
    return needs_person(
        "4.3",
        evidence,
        "New functions and withheld old ones are compared across versions by a tester.",
    )


@rule("4.4")
def collection_too_frequent(evidence: Evidence) -> Finding:
    return needs_runtime("4.4", evidence, "Collection frequency is measured in a runtime trace.")


@rule("4.5")
def forced_for_improvement(evidence: Evidence) -> Finding:
    return policy_item(
        "4.5", evidence, "Forced consent on improvement grounds is judged on the policy text."
    )


@rule("4.6")
def bundled_permissions(evidence: Evidence) -> Finding:
    return needs_runtime(
        "4.6",
        evidence,
        "Whether several permissions are demanded at once, with no use otherwise, is seen at run time.",
    )
