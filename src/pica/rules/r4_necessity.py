"""Category 4: necessity principle violated (items 4.1–4.6)."""

from __future__ import annotations

import dataclasses
import re

from pica import knowledge
from pica.evidence import CategoryProposal, Evidence, PolicyStatement, Searched
from pica.report import Cite, Finding, Verdict
from pica.rules import rule
from pica.rules.common import (
    cite_api,
    cite_change,
    cite_event,
    cite_permission,
    fix_for,
    from_checklist,
    hidden_code,
    inconclusive,
    manual,
    needs_person,
    needs_runtime,
    pi_label,
    unless_policy,
)
from pica.rules.policy_cites import cite_texts, judgement_pattern, policy_finding, searched_policy


def _type_name(type_id: str) -> str:
    c = knowledge.app_categories()[type_id]
    return f"{c.name_zh} ({c.name_en})"


def _signal_cites(proposal: CategoryProposal, limit: int = 8) -> list[Cite]:
    """The facts an app-type proposal rests on, one cite each (strongest first)."""
    return [
        Cite(text=f"app type signal: {s.text}", source=s.source, logical=proposal.category)
        for s in proposal.signals[:limit]
    ]


def _signals_text(proposal: CategoryProposal, limit: int = 4) -> str:
    shown = [s.text for s in proposal.signals[:limit]]
    more = len(proposal.signals) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _searched_types(evidence: Evidence) -> Searched:
    """What was looked at for an app type when nothing pointed to any."""
    where = ["label", "package name", "manifest components", "detected SDKs", "permissions"]
    if evidence.policy is not None:
        where.append("the policy's title and text")
    return Searched(
        what="signals of any of the 39 app types of the 2021 provisions",
        terms=("地图", "外卖", "bank", "android.view.InputMethod", "amap", "防沉迷"),
        patterns=("knowledge/data/app_type_signals.yaml",),
        input="apk",
        scope=", ".join(where),
        source=evidence.inputs.get("apk", ""),
    )


@rule("4.1")
def unrelated_pi(evidence: Evidence) -> Finding:
    """PI reached by permissions or APIs that the app's category does not need.

    The category is ``--category``; without it, the type proposed from the APK and policy
    (``evidence.category_proposal``) when its confidence clears the threshold, said so in the
    reason and cited, with the finding's confidence at most low."""
    if settled := from_checklist(evidence, "4.1"):
        return settled
    if not evidence.has_apk:
        return inconclusive(
            "4.1", "The PI an app reaches is read from the APK, which was not given.", evidence
        )
    proposal = evidence.category_proposal
    assumed: CategoryProposal | None = None
    if evidence.category:
        category_id = evidence.category
    elif proposal is not None and proposal.confident:
        category_id, assumed = proposal.category, proposal
    else:
        ask = (
            "give --category with one of the 39 types of the 2021 provisions (pica categories "
            "lists them)."
        )
        if proposal is None:
            finding = inconclusive(
                "4.1",
                "Necessity is judged against the app's type, and nothing in the APK or policy "
                f"points to any of the 39 types: {ask}",
                evidence,
                missing=("the app category (--category)",),
                evidence_kind="static",
            )
            return dataclasses.replace(finding, searched=(_searched_types(evidence),))
        runner_up = (
            f"; runner-up {_type_name(proposal.runner_up)} at {proposal.runner_up_confidence:.2f}"
            if proposal.runner_up
            else ""
        )
        return inconclusive(
            "4.1",
            f"Necessity is judged against the app's type. The best guess is "
            f"{_type_name(proposal.category)} with confidence {proposal.confidence:.2f}, below "
            f"the {proposal.threshold:.2f} needed to assume it (from: {_signals_text(proposal)}"
            f"{runner_up}): {ask}",
            evidence,
            cites=_signal_cites(proposal),
            missing=("the app category (--category)",),
            evidence_kind="static",
        )
    category = knowledge.app_categories()[category_id]
    needed = set(category.necessary_pi)
    reached: dict[str, list[Cite]] = {}
    for perm in evidence.permissions:
        if perm.is_runtime or perm.protection in ("special", "signature"):
            for pi in perm.pi_types:
                reached.setdefault(pi, []).append(cite_permission(perm))
    for use in evidence.api_uses:
        # The app's own code (and the open-source libraries acting for it) only: SDKs are
        # judged under 2.1 / 5.1. A call site counts only when an entry point of the app reaches
        # it; without reachability, bundled library code (androidx TelephonyManagerCompat…) is
        # left out, since nothing shows the app calls it.
        counts = use.reachable if use.reachable is not None else use.library is None
        if use.sdk is None and counts:
            reached.setdefault(use.pi_type, []).append(cite_api(use))
    extra = sorted(pi for pi in reached if pi not in needed)
    basis = Cite(
        text=f"{category.name_zh}: 必要个人信息为 {category.necessary_pi_text_zh or '无'}",
        source=category.source,
        logical=category.id,
    )
    cites = [basis]
    prefix, confidence = "", "medium"
    if assumed is not None:
        prefix = (
            f"Judged against the assumed type {_type_name(category.id)} (confidence "
            f"{assumed.confidence:.2f} ≥ {assumed.threshold:.2f}, from: {_signals_text(assumed)}); "
            "give --category to override. "
        )
        confidence = "low"  # the type itself is a guess from names, SDKs and permissions
        cites += _signal_cites(assumed)
    if not extra and (
        hidden := hidden_code(
            "4.1",
            evidence,
            f"No PI type outside the necessary PI of {category.name_zh} was found reached",
        )
    ):
        return hidden
    if not extra:
        return Finding(
            item_id="4.1",
            verdict=Verdict.COMPLIANT,
            reason=f"{prefix}Every PI type the app's permissions and code reach is within the "
            f"necessary PI of category {category.name_zh} ({category.name_en}).",
            cites=tuple(cites),
            evidence_kind="static",
            confidence=confidence,
        )
    for pi in extra:
        cites += [c for c in reached[pi][:3] if c not in cites]  # a permission reaches several
    return Finding(
        item_id="4.1",
        verdict=Verdict.VIOLATION,
        reason=f"{prefix}The app reaches {len(extra)} PI type(s) outside the necessary PI of "
        f"category {category.name_zh} ({category.name_en}): "
        + ", ".join(pi_label(p) for p in extra)
        + ".",
        cites=tuple(cites),
        fix=fix_for("4.1"),
        evidence_kind="static",
        confidence=confidence,
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
    diff = evidence.version_diff
    added = (diff.permissions[0] + diff.pi_types[0]) if diff else ()
    if diff is None or not added or from_checklist(evidence, "4.3"):
        return needs_person(
            "4.3",
            evidence,
            "New functions and withheld old ones are compared across versions by a tester.",
        )
    finding = manual(
        "4.3",
        f"Since {diff.old_name} this version asks for or reaches: "
        + ", ".join(c.key for c in added[:15])
        + ". A tester should check that the new functions ask for consent again, that refusing "
        "it leaves the old functions working, and that no old function was withdrawn to force it.",
    )
    return dataclasses.replace(
        finding,
        cites=tuple(cite_change(c) for c in added[:15]),
        evidence_kind="static",
    )


@rule("4.4")
def collection_too_frequent(evidence: Evidence) -> Finding:
    if settled := from_checklist(evidence, "4.4"):
        return settled
    runtime = evidence.runtime
    if runtime is None or not runtime.frequencies:
        return needs_runtime(
            "4.4", evidence, "Collection frequency is measured in a runtime trace."
        )
    limit = knowledge.runtime_thresholds()["frequency"]
    window, most = int(limit["window_ms"]), int(limit["max_calls"])
    over = [f for f in runtime.frequencies if f.max_in_window > most]
    if over:
        return Finding(
            item_id="4.4",
            verdict=Verdict.VIOLATION,
            reason="PI APIs are called more often than any function needs: "
            + "; ".join(
                f"{f.api} by {f.party} {f.max_in_window} times within {f.window_ms // 1000} s"
                for f in over[:5]
            )
            + f" (limit {most} per {window // 1000} s).",
            cites=tuple(
                Cite(
                    text=f"{f.api} by {f.party}: {f.max_in_window} calls within "
                    f"{f.window_ms // 1000} s, {f.count} in the whole recording",
                    source="trace lines " + ", ".join(map(str, f.lines[:20])),
                    artifact="trace",
                    logical=f.api,
                )
                for f in over[:10]
            ),
            fix=fix_for("4.4"),
            evidence_kind="trace",
            confidence="medium",
        )
    busiest = max(runtime.frequencies, key=lambda f: f.max_in_window)
    return Finding(
        item_id="4.4",
        verdict=Verdict.COMPLIANT,
        reason=f"No PI API is called more than {most} times within {window // 1000} s in the "
        f"recording (busiest: {busiest.api} by {busiest.party}, {busiest.max_in_window}).",
        evidence_kind="trace",
        confidence="low",
        manual_test="Record longer, in the background too: one recording shows one session.",
    )


def _weak_purposes() -> re.Pattern[str]:
    """The 4.5 grounds (service improvement, UX, targeted push, R&D), from the lexicon."""
    entry = knowledge.policy_lexicon()["weak_purposes"]
    return re.compile(f"(?:{entry['zh']})|(?:{entry['en']})", re.IGNORECASE)


@rule("4.5")
def forced_for_improvement(evidence: Evidence) -> Finding:
    if settled := unless_policy(
        "4.5", evidence, "Forced consent on improvement grounds is judged on the policy text."
    ):
        return settled
    policy = evidence.policy
    assert policy is not None
    weak_purposes = _weak_purposes()
    forced = judgement_pattern("forced_strict")
    core = judgement_pattern("core_purpose")
    optional = judgement_pattern("optional_marker")
    fix = "Make consent for service improvement, UX, targeted push or R&D optional and separate; never a condition of using the app."
    bad: list[PolicyStatement] = []
    mixed: list[PolicyStatement] = []
    weak: list[PolicyStatement] = []
    for s in policy.statements:
        if not weak_purposes.search(s.text):
            continue
        if not (s.pi_types or "collect" in s.actions or "use" in s.actions):
            continue
        weak.append(s)
        if not forced.search(s.text) or "optional" in s.conditions or optional.search(s.text):
            continue
        # Forced, on an improvement ground: a violation when that is the only ground given;
        # beside a core ground (account security, normal use…) which one the condition rests
        # on is for a reader to say.
        (mixed if core.search(s.text) else bad).append(s)
    if bad:
        return policy_finding(
            "4.5",
            Verdict.VIOLATION,
            "Required: consent to collection for service improvement, UX, targeted push or R&D "
            "is not made a condition of use. The policy makes it one on such a ground alone: "
            + "; ".join(f"「{s.text[:120]}」" for s in bad[:2])
            + ".",
            cite_texts(policy, bad[:3]),
            fix,
            confidence="medium",
        )
    if mixed:
        return policy_finding(
            "4.5",
            Verdict.INCONCLUSIVE,
            "The policy makes consent a condition of use in a sentence that gives an improvement "
            "or UX ground beside a core one; whether the condition rests on the improvement "
            "ground needs a reader: " + "; ".join(f"「{s.text[:120]}」" for s in mixed[:2]) + ".",
            cite_texts(policy, mixed[:3]),
            fix,
            manual_test="Refuse the optional collection in the app and check the service continues.",
        )
    if weak:
        return policy_finding(
            "4.5",
            Verdict.COMPLIANT,
            f"{len(weak)} sentence(s) use improvement/UX/targeting grounds, none makes consent to them mandatory.",
            cite_texts(policy, weak[:2]),
            fix,
            confidence="medium",
            manual_test="Refuse the optional collection in the app and check the service continues.",
        )
    return policy_finding(
        "4.5",
        Verdict.COMPLIANT,
        "The policy does not rely on service improvement, UX, targeted push or R&D as grounds for collection.",
        (),
        fix,
        searched=(
            searched_policy(
                policy,
                "collection justified only by service improvement, UX, targeted push or R&D",
                ("改善服务质量", "提升用户体验", "定向推送", "研发新产品"),
                ("weak_purposes",),
            ),
        ),
        confidence="medium",
    )


@rule("4.6")
def bundled_permissions(evidence: Evidence) -> Finding:
    reason = (
        "Whether several permissions are demanded at once, with no use otherwise, is seen at "
        "run time."
    )
    if settled := from_checklist(evidence, "4.6"):
        return settled
    trace = evidence.trace
    requests = [e for e in trace.permissions if e.event == "requested"] if trace else []
    if trace is None or not requests:
        return needs_runtime("4.6", evidence, reason)
    limit = knowledge.runtime_thresholds()["bundled_permissions"]
    launches = [e.t for e in trace.lifecycle if e.event in ("launch", "relaunch")] or [0]
    early = [
        e for e in requests if any(0 <= e.t - t <= int(limit["launch_window_ms"]) for t in launches)
    ]
    bundles: list[list] = []
    for e in early:
        if bundles and e.t - bundles[-1][0].t <= int(limit["at_once_window_ms"]):
            bundles[-1].append(e)
        else:
            bundles.append([e])
    worst = max(bundles, key=lambda b: len({p for e in b for p in e.permissions}), default=[])
    asked = sorted({p for e in worst for p in e.permissions})
    if len(asked) >= int(limit["min_permissions"]):
        return Finding(
            item_id="4.6",
            verdict=Verdict.VIOLATION,
            reason=f"{len(asked)} permissions are requested at once within "
            f"{int(limit['launch_window_ms']) // 1000} s of launch, before any function needs "
            "them: " + ", ".join(asked) + ".",
            cites=tuple(cite_event(e, "requests " + ", ".join(e.permissions)) for e in worst[:5]),
            fix=fix_for("4.6"),
            evidence_kind="trace",
            confidence="medium",
        )
    return Finding(
        item_id="4.6",
        verdict=Verdict.COMPLIANT,
        reason=f"The recording shows {len(requests)} permission request(s), none bundled at launch.",
        cites=tuple(cite_event(e, "requests " + ", ".join(e.permissions)) for e in requests[:3]),
        evidence_kind="trace",
        confidence="medium",
    )
