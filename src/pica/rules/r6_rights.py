"""Category 6: no correction/deletion/cancellation, no complaint channel (items 6.1–6.5)."""

from __future__ import annotations

from pica import knowledge
from pica.evidence import Evidence, PolicyProfile, PolicyStatement
from pica.evidence.policy import ResponseLimit
from pica.report import Finding, Verdict
from pica.rules import rule
from pica.rules.common import needs_person, unless_policy
from pica.rules.policy_cites import (
    cite_texts,
    english_absence,
    is_english,
    judgement_pattern,
    policy_finding,
    searched_policy,
)


def _limits(prof: PolicyProfile, scopes: tuple[str, ...]) -> tuple[list[ResponseLimit], float]:
    """The policy's promised response times in these scopes, and the working-day limit.

    Periods that are no response time (retention, release of storage: ``judgement.
    limit_not_response``) are left out; and where the policy makes a promise in the item's own
    scope (``scopes[0]``) within the limit, a general clause over it does not override that
    specific promise (issue 18: "15个工作日内答复您的请求" beside "三十天内作出答复")."""
    limit = knowledge.policy_thresholds()["max_response_working_days"]
    not_response = judgement_pattern("limit_not_response")
    lims = [
        lim
        for lim in prof.response_limits
        if lim.scope in scopes and not not_response.search(lim.ref.text)
    ]
    if any(lim.scope == scopes[0] and lim.working_days <= limit for lim in lims):
        lims = [lim for lim in lims if lim.scope == scopes[0] or lim.working_days <= limit]
    return lims, limit


@rule("6.1")
def no_correction_deletion(evidence: Evidence) -> Finding:
    if settled := unless_policy(
        "6.1",
        evidence,
        "A way to correct, delete PI and cancel the account is looked for in the policy text, which was not given.",
    ):
        return settled
    policy = evidence.policy
    assert policy is not None and policy.profile is not None
    fix = "Provide and describe in-app functions (with paths) to correct and delete PI and to cancel the account."
    labels = {
        "correct": "correction",
        "delete": "deletion",
        "cancel_account": "account cancellation",
    }
    found = {k: policy.profile.rights_of(k) for k in labels}
    cites = cite_texts(policy, [v[0].ref for v in found.values() if v])
    # Rights in wordings the reader does not know (删除账号, 注销渠道：…, a heading): with an
    # in-app path they are offered; named without one, whether they are is for a reader.
    ui = judgement_pattern("ui_path")
    named: dict[str, list[PolicyStatement]] = {}
    for k, v in found.items():
        if v:
            continue
        rx = judgement_pattern(f"right_mention_{k}")
        hits = [s for s in policy.statements if rx.search(s.text) or rx.search(s.section)]
        if hits:
            named[k] = hits
    with_path = {k for k, hits in named.items() if any(ui.search(s.text) for s in hits)}
    vague = {k for k in named if k not in with_path}
    missing = [labels[k] for k, v in found.items() if not v and k not in named]
    extra = [s for k in with_path for s in named[k] if ui.search(s.text)][:2]
    cites = cites + cite_texts(policy, extra)
    if not missing and vague:
        hits = [named[k][0] for k in vague]
        return policy_finding(
            "6.1",
            Verdict.INCONCLUSIVE,
            "The policy names "
            + ", ".join(labels[k] for k in vague)
            + " but gives no path or channel the reader recognises: "
            + "; ".join(f"「{s.text[:100]}」" for s in hits[:2])
            + ".",
            cites + cite_texts(policy, hits[:2]),
            fix,
            missing=("MANUAL",),
        )
    if missing:
        searched = searched_policy(
            policy,
            "how to " + ", ".join(missing),
            ("更正", "删除", "注销", "with 您可以/通过/路径", "delete your account", "rectify"),
            tuple(f"rights.{k}" for k, v in found.items() if not v) + ("rights.enabler",),
        )
        if is_english(policy):
            return english_absence(
                "6.1",
                policy,
                "a way to correct and delete PI and to cancel the account",
                searched,
                fix,
                cites,
            )
        return policy_finding(
            "6.1",
            Verdict.VIOLATION,
            "Required: a way to correct and delete PI and to cancel the account. The policy "
            "never names " + ", nor ".join(missing) + " (Searched below).",
            cites,
            fix,
            searched=(searched,),
        )
    paths = [v[0].path for v in found.values() if v and v[0].path]
    return policy_finding(
        "6.1",
        Verdict.COMPLIANT,
        "The policy describes how to correct and delete PI and cancel the account"
        + (f" (e.g. {paths[0]})." if paths else "."),
        cites,
        fix,
        manual_test="Try correction, deletion and account cancellation in the app.",
    )


@rule("6.2")
def unreasonable_conditions(evidence: Evidence) -> Finding:
    if settled := unless_policy(
        "6.2",
        evidence,
        "Conditions on correction, deletion and cancellation are looked for in the policy text, which was not given.",
    ):
        return settled
    policy = evidence.policy
    assert policy is not None and policy.profile is not None
    prof = policy.profile
    fix = "Remove conditions beyond identity verification (hand-held ID photos, notarisation, offline visits, fees) from correction, deletion and cancellation."
    alternative = judgement_pattern("condition_alternative")
    other_product = judgement_pattern("condition_other_product")
    sole, optional, product = [], [], []
    for ref in prof.unreasonable_conditions:
        if other_product.search(ref.text):
            product.append(ref)
        elif alternative.search(ref.text) or _online_nearby(policy, ref):
            optional.append(ref)
        else:
            sole.append(ref)
    if sole:
        return policy_finding(
            "6.2",
            Verdict.VIOLATION,
            "Required: correction, deletion and cancellation need no more than identity "
            "verification. The policy attaches a further condition, with no online or in-app "
            "alternative next to it: " + "; ".join(f"「{r.text[:120]}」" for r in sole[:2]) + ".",
            cite_texts(policy, sole[:3]),
            fix,
            confidence="medium",
        )
    if product:
        return policy_finding(
            "6.2",
            Verdict.INCONCLUSIVE,
            "The policy requires an offline visit or documents to close a telephone number or "
            "bank account (a carrier's or bank's own product): "
            + "; ".join(f"「{r.text[:120]}」" for r in product[:2])
            + "; whether the app account itself carries the condition needs a reader.",
            cite_texts(policy, product[:3]),
            fix,
            missing=("MANUAL",),
        )
    if optional:
        return policy_finding(
            "6.2",
            Verdict.COMPLIANT,
            "The offline or document route the policy names is one option beside an online or "
            "in-app one: " + "; ".join(f"「{r.text[:120]}」" for r in optional[:2]) + ".",
            cite_texts(policy, optional[:3]),
            fix,
            confidence="medium",
            manual_test="Cancel a test account in the app and note every condition it imposes.",
        )
    rights = [r for r in prof.rights if r.kind in ("correct", "delete", "cancel_account")]
    if not rights:
        return policy_finding(
            "6.2",
            Verdict.INCONCLUSIVE,
            "The policy describes no correction, deletion or cancellation procedure whose conditions could be judged (see 6.1).",
            (),
            fix,
            searched=(
                searched_policy(
                    policy,
                    "correction, deletion or cancellation procedures",
                    ("更正", "删除", "注销"),
                    ("rights.correct", "rights.delete", "rights.cancel_account"),
                ),
            ),
            missing=("MANUAL",),
        )
    return policy_finding(
        "6.2",
        Verdict.COMPLIANT,
        "No unreasonable condition (hand-held ID, notarisation, offline visit, fee, refusal) is attached to correction, deletion or cancellation.",
        cite_texts(policy, [r.ref for r in rights][:2]),
        fix,
        confidence="medium",
        manual_test="Cancel a test account and note every condition the app imposes.",
    )


@rule("6.3")
def late_response(evidence: Evidence) -> Finding:
    if settled := unless_policy(
        "6.3",
        evidence,
        "The committed response time is looked for in the policy text, which was not given.",
    ):
        return settled
    policy = evidence.policy
    assert policy is not None and policy.profile is not None
    fix = "Promise to complete correction, deletion and cancellation requests within 15 working days, and keep the promise."
    lims, limit = _limits(policy.profile, ("rights", "general"))
    over = [lim for lim in lims if lim.working_days > limit]
    if over:
        worst = max(over, key=lambda lim: lim.working_days)
        return policy_finding(
            "6.3",
            Verdict.VIOLATION,
            f"Required: correction, deletion and cancellation requests handled within {limit:.0f} "
            f"working days. The policy promises {worst.amount} {worst.unit} (≈{worst.working_days} "
            f"working days): 「{worst.ref.text[:100]}」.",
            cite_texts(policy, [lim.ref for lim in over]),
            fix,
        )
    if lims:
        best = max(lims, key=lambda lim: lim.working_days)
        return policy_finding(
            "6.3",
            Verdict.COMPLIANT,
            f"The policy promises to respond within {best.amount} {best.unit} (≈{best.working_days} working days), within the 15-working-day limit.",
            cite_texts(policy, [lim.ref for lim in lims][:3]),
            fix,
            manual_test="Submit a deletion or cancellation request and time the response.",
        )
    return policy_finding(
        "6.3",
        Verdict.COMPLIANT,
        "The policy promises no time limit, so the 15-working-day default applies; actual handling time needs a manual test.",
        (),
        fix,
        searched=(
            searched_policy(
                policy,
                "a committed response time",
                ("N个工作日/天/月内 + 回复/处理/完成",),
                ("response_limit.amount", "response_limit.verb", "response_limit.rights_scope"),
            ),
        ),
        confidence="low",
        manual_test="Submit a deletion or cancellation request and check it is completed within 15 working days.",
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
    if settled := unless_policy(
        "6.5",
        evidence,
        "A complaint and report channel is looked for in the policy text, which was not given.",
    ):
        return settled
    policy = evidence.policy
    assert policy is not None and policy.profile is not None
    prof = policy.profile
    fix = "Publish a PI-security complaint and report channel (e-mail, phone, postal address or online form) and promise to handle complaints within 15 working days."
    lims, limit = _limits(prof, ("complaint", "general"))
    about = judgement_pattern("complaint_context")
    over = [
        lim
        for lim in lims
        if lim.working_days > limit
        and (lim.scope == "complaint" or about.search(lim.ref.text + " " + lim.ref.section))
    ]
    if over:
        worst = max(over, key=lambda lim: lim.working_days)
        return policy_finding(
            "6.5",
            Verdict.VIOLATION,
            f"Required: complaints handled within {limit:.0f} working days. The policy promises "
            f"{worst.amount} {worst.unit} (≈{worst.working_days} working days): 「{worst.ref.text[:100]}」.",
            cite_texts(policy, [lim.ref for lim in over]),
            fix,
        )
    concrete = [c for c in prof.channels if c.kind in ("email", "phone", "address", "fax")]
    online = [c for c in prof.channels if c.kind == "online"]
    chans = concrete or online
    if not chans:
        entry = judgement_pattern("complaint_channel")
        entries = [s for s in policy.statements if entry.search(s.text)]
        if entries:
            return policy_finding(
                "6.5",
                Verdict.COMPLIANT,
                "The policy names an in-app feedback or customer-service entry for questions "
                f"and complaints: 「{entries[0].text[:100]}」.",
                cite_texts(policy, entries[:3]),
                fix,
                confidence="low",
                manual_test="Find the entry in the app, send a complaint and check it is handled "
                "within 15 working days.",
            )
        searched = searched_policy(
            policy,
            "complaint or report channels",
            ("e-mail", "phone", "postal address", "online form", "客服", "contact us at"),
            ("contact.email", "contact.phone", "contact.address", "contact.online"),
        )
        if is_english(policy):
            return english_absence(
                "6.5", policy, "a published complaint and report channel", searched, fix
            )
        return policy_finding(
            "6.5",
            Verdict.VIOLATION,
            "The policy publishes no complaint or report channel (no e-mail, phone, postal address or online form).",
            (),
            fix,
            searched=(searched,),
        )
    kinds = sorted({c.kind for c in chans})
    return policy_finding(
        "6.5",
        Verdict.COMPLIANT,
        "The policy publishes contact channels for complaints: "
        + ", ".join(f"{c.kind} {c.value}" for c in chans[:4])
        + ".",
        cite_texts(policy, [c.ref for c in chans][:4]),
        fix,
        confidence="high" if concrete else "low",
        manual_test="Send a complaint through the channel and check it is handled within 15 working days."
        + (
            ""
            if concrete
            else f" Only in-app channels ({', '.join(kinds)}) are named, with no e-mail, phone or address."
        ),
    )


def _online_nearby(policy, ref) -> bool:
    """An online or in-app route within three sentences of ``ref`` in its section (the offline
    route is then one item of a list of options: "1）通过登录APP…注销；2）携带身份证原件…")."""
    stmts = policy.statements
    at = next((i for i, s in enumerate(stmts) if s.span.start == ref.span.start), None)
    if at is None:
        return False
    alt = judgement_pattern("condition_alternative")
    return any(
        alt.search(stmts[j].text)
        for j in range(max(0, at - 3), min(len(stmts), at + 4))
        if j != at and stmts[j].section == ref.section
    )
