"""Category 3: collection and use without consent (items 3.1–3.9)."""

from __future__ import annotations

import dataclasses

from pica import knowledge
from pica.evidence import Evidence, ReachablePath, Searched
from pica.report import Cite, Finding, Verdict
from pica.rules import rule
from pica.rules.common import (
    cite_call,
    cite_event,
    cite_fact,
    cite_match,
    fix_for,
    from_checklist,
    hidden_code,
    inconclusive,
    needs_person,
    needs_runtime,
    pi_label,
    unless_policy,
)
from pica.rules.policy_cites import (
    cite_text,
    cite_texts,
    english_absence,
    is_english,
    judgement_pattern,
    labelled,
    policy_finding,
    searched_policy,
)


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
    static = [
        p
        for p in evidence.reachable or ()
        if p.kind == "api" and p.pi_type and not p.gated_by and p.confidence in FIRM
    ]
    runtime, trace = evidence.runtime, evidence.trace
    if runtime is not None and trace is not None:
        boundary = runtime.first_accept
        calls = [c for c in runtime.api if c.phase == "before_consent" and c.event.pi_type]
        sent = [m for m in runtime.matches if m.phase == "before_consent"]
        asked = [
            e
            for e in trace.permissions
            if e.event == "requested" and (boundary is None or e.t < boundary)
        ]
        confirm = (
            f" This confirms the static finding ({len(static)} pre-UI path(s))."
            if static
            else " Static analysis had found no such path (reflection, native or downloaded "
            "code, or a path it could not resolve)."
        )
        if calls or sent or (asked and runtime.first_consent_shown is not None):
            kinds = sorted(
                {c.event.pi_type for c in calls if c.event.pi_type} | {m.pi_type for m in sent}
            )
            parts = []
            if calls:
                parts.append(f"{len(calls)} PI API call(s) ({', '.join(kinds)})")
            if sent:
                parts.append(f"{len(sent)} request(s) carrying seeded identifiers")
            if asked:
                parts.append(f"{len(asked)} permission request(s)")
            return Finding(
                item_id="3.1",
                verdict=Verdict.VIOLATION,
                reason="The recording shows "
                + ", ".join(parts)
                + " before the user consented."
                + confirm,
                cites=tuple(
                    [cite_call(c) for c in calls[:10]]
                    + [cite_match(m) for m in sent[:5]]
                    + [cite_event(e, "requests " + ", ".join(e.permissions)) for e in asked[:5]]
                ),
                fix=fix_for("3.1"),
                evidence_kind="trace",
                confidence="high",
            )
        if boundary is not None:
            refute = (
                f" The {len(static)} static pre-UI path(s) were not seen running before consent "
                "in this recording: the static finding is refuted for this run."
                if static
                else ""
            )
            return Finding(
                item_id="3.1",
                verdict=Verdict.COMPLIANT,
                reason=f"The recording shows no PI API call, identifier sent or permission request "
                f"before the user consented at {boundary} ms." + refute,
                cites=tuple(cite_event(e, f"consent {e.event}") for e in trace.consent[:3]),
                evidence_kind="trace",
                confidence="medium",
                manual_test="Repeat the first run on another device and with the app's other entry "
                "points (push, widgets); one recording shows one run.",
            )
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
    if hidden := hidden_code(
        "3.1", evidence, "No PI API is statically reachable from the pre-UI entry points"
    ):
        return hidden
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
    reason = "Collection after the user refuses can only be observed at run time."
    if settled := from_checklist(evidence, "3.2"):
        return settled
    runtime, trace = evidence.runtime, evidence.trace
    refusals = [e for e in trace.consent if e.event in ("declined", "withdrawn")] if trace else []
    denials = [e for e in trace.permissions if e.event == "denied"] if trace else []
    if runtime is None or trace is None or not (refusals or denials):
        return needs_runtime("3.2", evidence, reason)
    window = int(knowledge.runtime_thresholds()["re_ask"]["window_ms"])
    after = [
        c for c in runtime.api if c.phase in ("after_decline", "after_withdraw") and c.event.pi_type
    ]
    re_shown = [
        (r, e)
        for r in refusals
        for e in trace.consent
        if e.event == "shown" and r.t < e.t <= r.t + window
    ]
    re_asked = [
        (d, e)
        for d in denials
        for e in trace.permissions
        if e.event == "requested"
        and d.t < e.t <= d.t + window
        and set(d.permissions) & set(e.permissions)
    ]
    if after or re_shown or re_asked:
        parts = []
        if after:
            parts.append(f"{len(after)} PI API call(s) after the user declined or withdrew consent")
        if re_shown:
            parts.append("the consent dialog shown again within "
                         f"{window // 3_600_000} h of a refusal")  # fmt: skip
        if re_asked:
            parts.append("a denied permission requested again within "
                         f"{window // 3_600_000} h")  # fmt: skip
        cites = [cite_call(c) for c in after[:10]]
        for refusal, again in (re_shown + re_asked)[:5]:
            cites.append(cite_event(refusal, f"refused ({refusal.event})"))
            cites.append(cite_event(again, f"asked again ({again.event})"))
        return Finding(
            item_id="3.2",
            verdict=Verdict.VIOLATION,
            reason="The recording shows " + "; ".join(parts) + ".",
            cites=tuple(cites),
            fix=fix_for("3.2"),
            evidence_kind="trace",
            confidence="high",
        )
    return Finding(
        item_id="3.2",
        verdict=Verdict.COMPLIANT,
        reason=f"After {len(refusals) + len(denials)} refusal(s) the recording shows no PI "
        f"collected and no consent or permission asked again within {window // 3_600_000} h.",
        cites=tuple(cite_event(e, f"refused ({e.event})") for e in (refusals + denials)[:5]),
        evidence_kind="trace",
        confidence="medium",
        manual_test="Refuse, relaunch the app over the following days and watch for new prompts.",
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
        cites=[cite_fact(d.evidence[0]) for d in beyond[:10]],
        missing=("a runtime trace with consent events", "a network capture"),
        evidence_kind="static",
    )
    return dataclasses.replace(finding, searched=(consistency.searched,))


@rule("3.4")
def consent_by_default(evidence: Evidence) -> Finding:
    if settled := from_checklist(evidence, "3.4"):
        return settled
    trace = evidence.trace
    shown = [e for e in trace.consent if e.event == "shown"] if trace else []
    prechecked = [e for e in shown if e.checkbox_prechecked]
    screens = [u for u in trace.ui if u.checked_boxes] if trace else []
    if prechecked or screens:
        return Finding(
            item_id="3.4",
            verdict=Verdict.VIOLATION,
            reason="The consent screen comes with the agreement box already checked.",
            cites=tuple(
                [
                    cite_event(e, f"consent shown, box pre-checked: {e.text[:120]}")
                    for e in prechecked
                ]
                + [
                    Cite(
                        text=f"{u.t} ms: screen {u.screen}: checked on arrival: "
                        + ", ".join(u.checked_boxes[:3]),
                        source=u.source or f"line {u.line}",
                        artifact=u.screen,
                    )
                    for u in screens[:3]
                ]
            ),
            fix=fix_for("3.4"),
            evidence_kind="trace",
            confidence="high",
        )
    if any(e.checkbox_prechecked is False for e in shown):
        return Finding(
            item_id="3.4",
            verdict=Verdict.COMPLIANT,
            reason="The recorded consent screen's agreement box was not checked in advance.",
            cites=tuple(cite_event(e, "consent shown, box not pre-checked") for e in shown[:3]),
            evidence_kind="trace",
            confidence="medium",
        )
    return needs_person(
        "3.4", evidence, "A pre-checked 'I agree' box is seen on the consent screen by a tester."
    )


@rule("3.5")
def permission_settings_changed(evidence: Evidence) -> Finding:
    if settled := from_checklist(evidence, "3.5"):
        return settled
    trace = evidence.trace
    updates = [e for e in trace.lifecycle if e.event == "update"] if trace else []
    if trace is None or not updates:
        return needs_person(
            "3.5",
            evidence,
            "Permission settings reset after an update are checked by a tester across versions.",
        )
    update = updates[0]
    state: dict[str, str] = {}
    for e in trace.permissions:
        if e.t < update.t and e.event in ("granted", "denied"):
            state.update(dict.fromkeys(e.permissions, e.event))
    asked: set[str] = set()
    flipped = []
    for e in trace.permissions:
        if e.t < update.t:
            continue
        if e.event == "requested":
            asked.update(e.permissions)
        elif e.event == "granted":
            flipped += [
                (p, e) for p in e.permissions if state.get(p) == "denied" and p not in asked
            ]
    if flipped:
        return Finding(
            item_id="3.5",
            verdict=Verdict.VIOLATION,
            reason="After the update at "
            f"{update.t} ms, permission(s) the user had denied are granted without being asked: "
            + ", ".join(sorted({p for p, _e in flipped}))
            + ".",
            cites=(cite_event(update, "app updated"),)
            + tuple(cite_event(e, f"{p} granted, no request") for p, e in flipped[:5]),
            fix=fix_for("3.5"),
            evidence_kind="trace",
            confidence="high",
        )
    return Finding(
        item_id="3.5",
        verdict=Verdict.COMPLIANT,
        reason=f"Across the update at {update.t} ms no denied permission changed without a request.",
        cites=(cite_event(update, "app updated"),),
        evidence_kind="trace",
        confidence="medium",
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
    basis = judgement_pattern("targeting_basis")
    not_basis = judgement_pattern("targeting_not")
    based = [s for s in mentions if basis.search(s.text) and not not_basis.search(s.text)]
    # The opt-out named as the feature's own switch (「展示我可能感兴趣的内容」, 【智能推荐】…)
    switch = judgement_pattern("optout_anywhere")
    switches = [s for s in policy.statements if switch.search(s.text)]
    if mentions and switches:
        return policy_finding(
            "3.6",
            Verdict.COMPLIANT,
            "The policy names a switch or setting for personalised recommendation, ads or push: "
            f"「{switches[0].text[:100]}」.",
            cite_texts(policy, switches[:3]),
            fix,
            confidence="medium",
            manual_test="Check that the switch exists in the app and turns targeting off.",
        )
    if based and is_english(policy):
        return english_absence(
            "3.6",
            policy,
            "where pushes or recommendations are based on the user's PI and algorithms "
            f"(the policy: 「{based[0].text[:100]}」), an option without targeting",
            searched_policy(
                policy,
                "a way to turn personalisation off",
                ("opt out of personalised ads", "turn off personalised recommendations"),
                ("rights.personalisation_off", "rights.enabler", "judgement.optout_anywhere"),
            ),
            fix,
            cite_texts(policy, based[:3]),
        )
    if based:
        return policy_finding(
            "3.6",
            Verdict.VIOLATION,
            "Required: where pushes or recommendations are based on the user's PI and "
            "algorithms, an option without targeting. The policy says "
            + "; ".join(f"「{s.text[:100]}」" for s in based[:2])
            + " and gives no way to turn it off.",
            cite_texts(policy, based[:3]),
            fix,
            searched=(
                searched_policy(
                    policy,
                    "a way to turn personalisation off",
                    ("关闭个性化推荐", "退出定向推送", "非个性化", "展示我可能感兴趣的内容"),
                    ("rights.personalisation_off", "rights.enabler", "judgement.optout_anywhere"),
                ),
            ),
        )
    if mentions:
        return policy_finding(
            "3.6",
            Verdict.INCONCLUSIVE,
            "The policy mentions recommendations or pushes, but not clearly as based on the "
            f"user's PI and algorithms (「{mentions[0].text[:100]}」), and names no way to turn "
            "them off; whether the app targets needs the UI.",
            cite_texts(policy, mentions[:3]),
            fix,
            missing=("UI", "MANUAL"),
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
    searched = searched_policy(
        policy,
        "a way to withdraw consent",
        ("撤回", "撤销授权", "关闭权限", "取消授权", "withdraw your consent", "opt out"),
        ("rights.withdraw_consent", "rights.enabler"),
    )
    if is_english(policy):
        return english_absence("3.8", policy, "a way to withdraw consent", searched, fix)
    return policy_finding(
        "3.8",
        Verdict.VIOLATION,
        "The policy gives no way to withdraw consent to the collection of PI.",
        (),
        fix,
        searched=(searched,),
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
            cites += [cite_fact(f) for f in d.evidence[:2]]
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
            + [cite_fact(d.evidence[0]) for d in denied[:3]],
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
