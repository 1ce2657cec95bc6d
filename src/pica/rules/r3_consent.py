"""Category 3: collection and use without consent (items 3.1–3.9)."""

from __future__ import annotations

import dataclasses

from pica import knowledge
from pica.evidence import ApiUse, Evidence, Permission, ReachablePath, Searched
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
    unless_policy,
)
from pica.rules.policy_cites import cite_text, cite_texts, labelled, policy_finding, searched_policy


def cite_path(path: ReachablePath) -> Cite:
    hops = ", ".join(sorted(set(path.hop_kinds))) or "direct"
    gate = f"; a consent check is read first ({path.gated_by})" if path.gated_by else ""
    subject = pi_label(path.pi_type) if path.pi_type else path.target
    return Cite(
        text=f"{path.target} reachable from {path.entry_point} before any UI → {subject} "
        f"(confidence {path.confidence}; hops: {hops}){gate}",
        source=path.source or path.entry_point,
        artifact=path.source.split(" ", 1)[0] if path.source else "",
        logical=path.path[-1] if path.path else path.target,
        path=path.path,
    )


CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}
# Paths strong enough for a violation: all hops direct, or one virtual/asynchronous hop.
# Longer chains of class-hierarchy guesses are reported, but only as inconclusive.
FIRM = ("high", "medium")


def _best_confidence(paths: list[ReachablePath]) -> str:
    order = {"high": 0, "medium": 1, "low": 2}
    best = min((order.get(p.confidence, 2) for p in paths), default=2)  # the strongest path
    return {0: "high", 1: "medium", 2: "low"}[best]


@rule("3.1")
def collected_before_consent(evidence: Evidence) -> Finding:
    """PI collected, or PI permissions requested, before consent."""
    if settled := from_checklist(evidence, "3.1"):
        return settled
    if evidence.reachable is None:
        return inconclusive(
            "3.1",
            "Collection before consent needs a runtime trace, or static reachability from the "
            "app's pre-UI entry points.",
            evidence,
        )
    api_paths = [p for p in evidence.reachable if p.kind == "api" and p.pi_type]
    api_paths.sort(key=lambda p: (CONFIDENCE_ORDER.get(p.confidence, 3), len(p.path)))
    ungated = [p for p in api_paths if not p.gated_by]
    firm = [p for p in ungated if p.confidence in FIRM]
    if firm:
        kinds = sorted({p.pi_type for p in firm if p.pi_type})
        return Finding(
            item_id="3.1",
            verdict=Verdict.VIOLATION,
            reason=(
                f"{len(firm)} call path(s) reach PI APIs ({', '.join(kinds)}) from entry points "
                "that run before any UI can ask for consent, with no consent check on the path."
            ),
            cites=tuple(cite_path(p) for p in firm[:25]),
            fix=fix_for("3.1"),
            evidence_kind="static",
            confidence=_best_confidence(firm),
        )
    if ungated:
        return inconclusive(
            "3.1",
            f"{len(ungated)} pre-UI path(s) may reach PI APIs, but only through two or more "
            "virtual or asynchronous hops resolved by class hierarchy, which static analysis "
            "over-approximates; a runtime trace decides.",
            evidence,
            cites=[cite_path(p) for p in ungated[:25]],
            missing=("a runtime trace with consent events",),
            evidence_kind="static",
        )
    if api_paths:
        return inconclusive(
            "3.1",
            f"{len(api_paths)} pre-UI path(s) reach PI APIs, but each reads a consent flag first; "
            "whether the flag really gates collection needs a runtime trace.",
            evidence,
            cites=[cite_path(p) for p in api_paths[:25]],
            missing=("a runtime trace with consent events",),
            evidence_kind="static",
        )
    finding = inconclusive(
        "3.1",
        "No PI API is statically reachable from the pre-UI entry points (Application, "
        "ContentProviders, boot receivers); reflection, native code or downloaded code can still "
        "collect, which only a runtime trace shows.",
        evidence,
        missing=("a runtime trace with consent events",),
        evidence_kind="static",
    )
    apis = knowledge.sensitive_apis()
    return dataclasses.replace(
        finding,
        searched=(
            Searched(
                what="a call path from a pre-UI entry point to a PI API",
                terms=tuple(sorted({p for a in apis for p in a.pi_types})),
                patterns=(f"sensitive_apis.yaml ({len(apis)} APIs)",),
                input="apk",
                scope=f"the call graph over {len(evidence.app.dex_files) if evidence.app else 0} "
                "DEX file(s) from the Application, ContentProviders, androidx.startup "
                "initializers and system-broadcast receivers",
                source=f"APK {evidence.app.file_name if evidence.app else ''}",
            ),
        ),
    )


@rule("3.2")
def collected_after_refusal(evidence: Evidence) -> Finding:
    return needs_runtime(
        "3.2", evidence, "Collection after the user refuses can only be observed at run time."
    )


@rule("3.3")
def beyond_authorised_scope(evidence: Evidence) -> Finding:
    reason = (
        "What is collected beyond the user's authorisation is observed at run time and compared "
        "with the consent given."
    )
    if settled := from_checklist(evidence, "3.3"):
        return settled
    consistency = evidence.consistency
    beyond = [d for d in consistency.pi if not d.disclosed] if consistency else []
    if not beyond:
        return needs_runtime("3.3", evidence, reason)
    names = {s.sdk_id: s.name for s in evidence.sdks}
    parts = ", ".join(
        f"{pi_label(d.pi_type)} ({'the app' if d.party == 'app' else names.get(d.party, d.party)})"
        for d in beyond
    )
    finding = inconclusive(
        "3.3",
        f"Static evidence only: the app's code or permissions reach PI the policy does not declare "
        f"for that party ({parts}); whether it is collected, and beyond what the user authorised, "
        "is seen at run time.",
        evidence,
        cites=[_fact_cite(d.evidence[0]) for d in beyond[:10]],
        missing=("a runtime trace with consent events", "a network capture"),
        evidence_kind="static",
    )
    return dataclasses.replace(finding, searched=(consistency.searched,))


@rule("3.4")
def consent_by_default(evidence: Evidence) -> Finding:
    return needs_person(
        "3.4", evidence, "A pre-checked 'I agree' box is seen on the consent screen by a tester."
    )


@rule("3.5")
def permission_settings_changed(evidence: Evidence) -> Finding:
    return needs_person(
        "3.5",
        evidence,
        "Permission settings reset after an update are checked by a tester across versions.",
    )


@rule("3.6")
def no_untargeted_option(evidence: Evidence) -> Finding:
    if settled := unless_policy(
        "3.6",
        evidence,
        "Targeted push and an opt-out are judged on the policy text and the app's settings.",
    ):
        return settled
    policy = evidence.policy
    assert policy is not None and policy.profile is not None
    fix = "Offer a non-targeted option (a switch to turn personalised recommendation/push off) and say where it is."
    mentions = labelled(policy, "personalisation")
    optout = policy.profile.rights_of("personalisation_off")
    if optout:
        path = next((r.path for r in optout if r.path), None)
        return policy_finding(
            "3.6",
            Verdict.COMPLIANT,
            "The policy says how to turn personalised recommendation or targeted push off"
            + (f" (path: {path})." if path else "."),
            cite_texts(policy, [r.ref for r in optout][:3]),
            fix,
            manual_test="Check that the switch exists at the stated path and works.",
        )
    if mentions:
        return policy_finding(
            "3.6",
            Verdict.VIOLATION,
            "The policy describes personalised recommendation or targeted push but gives no way to turn it off.",
            cite_texts(policy, mentions[:3]),
            fix,
            searched=(
                searched_policy(
                    policy,
                    "a way to turn personalisation off",
                    ("关闭个性化推荐", "退出定向推送", "非个性化"),
                    ("rights.personalisation_off", "rights.enabler"),
                ),
            ),
        )
    return policy_finding(
        "3.6",
        Verdict.INCONCLUSIVE,
        "The policy mentions no personalised recommendation or targeted push; whether the app uses them needs the UI.",
        (),
        fix,
        searched=(
            searched_policy(
                policy,
                "personalised recommendation or targeted push",
                ("个性化推荐", "定向推送", "用户画像"),
                ("personalisation.pattern",),
            ),
        ),
        missing=("UI", "MANUAL"),
    )


@rule("3.7")
def deceptive_consent(evidence: Evidence) -> Finding:
    return needs_person(
        "3.7",
        evidence,
        "Deception about the real purpose is judged by a person comparing claims and behaviour.",
    )


@rule("3.8")
def no_withdrawal(evidence: Evidence) -> Finding:
    if settled := unless_policy(
        "3.8", evidence, "A way to withdraw consent is looked for in the policy text."
    ):
        return settled
    policy = evidence.policy
    assert policy is not None and policy.profile is not None
    fix = "State how users withdraw consent (system permission switches, in-app privacy settings, account cancellation) with the path."
    refs = policy.profile.rights_of("withdraw_consent")
    if refs:
        return policy_finding(
            "3.8",
            Verdict.COMPLIANT,
            "The policy says how to withdraw consent.",
            cite_texts(policy, [r.ref for r in refs][:3]),
            fix,
            manual_test="Check that the withdrawal path works in the app.",
        )
    return policy_finding(
        "3.8",
        Verdict.VIOLATION,
        "The policy gives no way to withdraw consent to the collection of PI.",
        (),
        fix,
        searched=(
            searched_policy(
                policy,
                "a way to withdraw consent",
                ("撤回", "撤销授权", "关闭权限", "取消授权"),
                ("rights.withdraw_consent", "rights.enabler"),
            ),
        ),
    )


@rule("3.9")
def breach_of_own_rules(evidence: Evidence) -> Finding:
    reason = (
        "A breach of the app's own rules needs the policy compared with observed behaviour "
        "(trace or network capture)."
    )
    if settled := from_checklist(evidence, "3.9"):
        return settled
    consistency = evidence.consistency
    if consistency is None:
        return needs_runtime("3.9", evidence, reason)
    denied = [d for d in consistency.pi if d.denied_by is not None]
    reached = [d for d in denied if d.reach == "reachable"]
    policy = evidence.policy
    assert policy is not None
    if reached:
        cites: list[Cite] = []
        for d in reached[:5]:
            assert d.denied_by is not None
            cites.append(cite_text(policy, d.denied_by, note="The policy: "))
            cites += [_fact_cite(f) for f in d.evidence[:2]]
        return Finding(
            item_id="3.9",
            verdict=Verdict.VIOLATION,
            reason="The policy says it does not collect "
            + ", ".join(pi_label(d.pi_type) for d in reached)
            + ", yet code an entry point of the app reaches collects it.",
            cites=tuple(cites),
            fix=fix_for("3.9"),
            evidence_kind="static",
            confidence="medium",
        )
    if denied:
        return inconclusive(
            "3.9",
            "The policy says it does not collect "
            + ", ".join(pi_label(d.pi_type) for d in denied)
            + "; the app requests a permission that reaches it, but no reached call site shows "
            "the collection: a runtime trace decides.",
            evidence,
            cites=[cite_text(policy, d.denied_by) for d in denied[:3] if d.denied_by]
            + [_fact_cite(d.evidence[0]) for d in denied[:3]],
            missing=("a runtime trace", "a network capture"),
            evidence_kind="static",
        )
    finding = inconclusive(
        "3.9",
        "No sentence of the policy denies a PI type the app reaches; other breaches of the "
        "policy's own rules need observed behaviour (trace or network capture).",
        evidence,
        evidence_kind="static",
    )
    return dataclasses.replace(finding, searched=(consistency.searched,))


def _fact_cite(fact: ApiUse | Permission) -> Cite:
    return cite_api(fact) if isinstance(fact, ApiUse) else cite_permission(fact)
