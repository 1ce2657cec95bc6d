"""The items the privacy-policy text settles: one pure function per item.

Each takes the ``PolicyEvidence`` from ``pica.extract.policy`` and returns a ``Finding`` that
quotes the sentences it rests on (or says what was searched for and not found).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pica.evidence import PolicyEvidence, PolicyStatement
from pica.extract.policy.lexicon import lexicon
from pica.extract.policy.profile import PolicyProfile, TextRef
from pica.report import Cite, Finding, Verdict

MAX_CITES = 5


def _name(policy: PolicyEvidence) -> str:
    prof = policy.profile
    return getattr(prof, "name", None) or policy.location or "policy"


def _cite(policy: PolicyEvidence, ref: TextRef | PolicyStatement, note: str = "") -> Cite:
    name = _name(policy)
    text = ref.text if len(ref.text) <= 400 else ref.text[:397] + "…"
    return Cite(
        text=(note + text) if note else text,
        source=f"{name}: chars {ref.span.start}-{ref.span.end}",
        artifact=name,
        logical=ref.section,
    )


def _searched(policy: PolicyEvidence, what: str) -> Cite:
    name = _name(policy)
    return Cite(
        text=f"Searched the whole policy ({len(policy.text)} characters, {len(policy.statements)} sentences) for {what}: none found.",
        source=f"{name}: chars 0-{len(policy.text)}",
        artifact=name,
        logical="(whole policy)",
    )


def _cites(policy: PolicyEvidence, refs: Iterable[TextRef | PolicyStatement]) -> tuple[Cite, ...]:
    out: list[Cite] = []
    seen: set[tuple[int, int]] = set()
    for r in refs:
        key = (r.span.start, r.span.end)
        if key in seen:
            continue
        seen.add(key)
        out.append(_cite(policy, r))
        if len(out) >= MAX_CITES:
            break
    return tuple(out)


def _profile(policy: PolicyEvidence) -> PolicyProfile | None:
    p = policy.profile
    return p if isinstance(p, PolicyProfile) else None


def _finding(
    item: str, verdict: Verdict, reason: str, cites: Sequence[Cite], fix: str, **kw
) -> Finding:
    return Finding(
        item_id=item,
        verdict=verdict,
        reason=reason,
        cites=tuple(cites),
        fix=fix,
        evidence_kind="policy",
        **kw,
    )


def _no_profile(item: str) -> Finding:
    return _finding(
        item,
        Verdict.INCONCLUSIVE,
        "The policy was not analysed by pica's policy extractor, so the text cannot be judged.",
        (),
        "Pass the policy through pica.extract.policy.extract().",
        missing=("POLICY",),
    )


def _labelled(policy: PolicyEvidence, label: str) -> list[PolicyStatement]:
    prof = _profile(policy)
    if prof is None:
        return []
    return [
        s
        for s, labels in zip(policy.statements, prof.sentence_labels, strict=False)
        if label in labels
    ]


def _collect_statements(policy: PolicyEvidence) -> list[tuple[int, PolicyStatement]]:
    prof = _profile(policy)
    if prof is None:
        return []
    return [
        (i, s)
        for i, (s, labels) in enumerate(zip(policy.statements, prof.sentence_labels, strict=False))
        if "collect" in labels and not _DEFINITION.search(s.text[:40]) and "定义" not in s.section
    ]


_DEFINITION = re.compile(r"[:：]\s*(是)?指|是指|指的是|means\b|refers to")


# ---------------------------------------------------------------------------------------- 1.x


def judge_1_1(policy: PolicyEvidence) -> Finding:
    """1.1: the policy has rules on collecting and using PI."""
    prof = _profile(policy)
    if prof is None:
        return _no_profile("1.1")
    coll = _collect_statements(policy)
    typed = [s for _i, s in coll if s.pi_types]
    use = [s for s in policy.statements if "use" in s.actions and s.pi_types]
    fix = "Publish a privacy policy that lists, for each business function, the PI collected, why and how."
    if len(policy.text.strip()) < 50 or not coll:
        return _finding(
            "1.1",
            Verdict.VIOLATION,
            "The policy text has no statement about collecting personal information.",
            (
                _searched(
                    policy,
                    "sentences that say which personal information is collected (收集/获取/采集 + a PI type)",
                ),
            ),
            fix,
        )
    cites = _cites(policy, (typed or [s for _i, s in coll])[:3] + use[:2])
    return _finding(
        "1.1",
        Verdict.COMPLIANT,
        f"The policy states rules on collecting and using PI ({len(coll)} collection sentences, {len({p for s in typed for p in s.pi_types})} PI types named).",
        cites,
        fix,
    )


def judge_1_4(policy: PolicyEvidence) -> Finding:
    """1.4: readable: font size, contrast, Simplified Chinese."""
    prof = _profile(policy)
    if prof is None:
        return _no_profile("1.4")
    rd = prof.readability
    th = lexicon().thresholds
    name = _name(policy)
    whole = Cite(
        text=(
            f"Measured: body font {rd.body_font_px}px (smallest common size {rd.smallest_font_px}px), "
            f"text {rd.text_color} on {rd.background_color}, contrast {rd.contrast_ratio}:1, script {rd.script}."
            if rd.body_font_px is not None
            else f"Measured: script {rd.script}; {rd.format} input carries no CSS, so font size and colour were not measured."
        ),
        source=f"{name}: chars 0-{len(policy.text)}",
        artifact=name,
        logical="(page style)",
    )
    fix = (
        f"Publish a Simplified Chinese policy with body text at least {th['min_body_font_px']:.0f}px "
        f"and a text/background contrast of at least {th['min_contrast']}:1."
    )
    problems = []
    if not rd.has_simplified_chinese:
        what = {"traditional": "only Traditional Chinese", "english": "only English"}.get(
            rd.script, "no Chinese text"
        )
        problems.append(f"no Simplified Chinese version (the text is {what})")
    if rd.body_font_px is not None and rd.body_font_px < th["min_body_font_px"]:
        problems.append(f"body text is {rd.body_font_px}px, below {th['min_body_font_px']:.0f}px")
    if rd.contrast_ratio is not None and rd.contrast_ratio < th["min_contrast"]:
        problems.append(
            f"text {rd.text_color} on {rd.background_color} has contrast {rd.contrast_ratio}:1, below {th['min_contrast']}:1"
        )
    if problems:
        return _finding(
            "1.4",
            Verdict.VIOLATION,
            "The policy is hard to read: " + "; ".join(problems) + ".",
            (whole,),
            fix,
        )
    if rd.body_font_px is None:
        return _finding(
            "1.4",
            Verdict.INCONCLUSIVE,
            "The policy is in Simplified Chinese, but its font size and colours cannot be measured from this input.",
            (whole,),
            fix,
            missing=("POLICY page HTML with CSS", "UI"),
        )
    return _finding(
        "1.4",
        Verdict.COMPLIANT,
        f"Simplified Chinese, body text {rd.body_font_px}px (>= {th['min_body_font_px']:.0f}px), contrast {rd.contrast_ratio}:1 (>= {th['min_contrast']}:1).",
        (whole,),
        fix,
    )


# ---------------------------------------------------------------------------------------- 2.x

_CONTEXT_PURPOSE = re.compile(r"为了|以便|用于|目的|功能|服务|场景|当您|当你|在您|在你")


def judge_2_1(policy: PolicyEvidence, sdk_names: Sequence[str] = ()) -> Finding:
    """2.1: each PI type (and each embedded SDK) with purpose, means and scope."""
    prof = _profile(policy)
    if prof is None:
        return _no_profile("2.1")
    fix = (
        "For each business function list the PI it collects, why and how; name every embedded SDK "
        "with its vendor, purpose and the PI it collects (a third-party SDK list)."
    )
    coll = _collect_statements(policy)
    if not coll:
        return _finding(
            "2.1",
            Verdict.VIOLATION,
            "The policy lists no PI collection with its purpose, means and scope.",
            (_searched(policy, "collection statements naming PI types with a purpose"),),
            fix,
        )
    stmts = policy.statements
    # PI type -> has a purpose somewhere: in its sentence, the sentence before, or its heading.
    with_purpose: dict[str, bool] = {}
    bare: dict[str, PolicyStatement] = {}
    for i, s in coll:
        ctx_purpose = (
            bool(s.purposes)
            or (i > 0 and bool(stmts[i - 1].purposes) and stmts[i - 1].section == s.section)
            or bool(_CONTEXT_PURPOSE.search(s.section))
        )
        for p in s.pi_types:
            if ctx_purpose:
                with_purpose[p] = True
            else:
                with_purpose.setdefault(p, False)
                bare.setdefault(p, s)
    for row in prof.collection_rows + tuple(r for r in prof.sdk_rows):
        for p in row.pi_types:
            if row.purpose:
                with_purpose[p] = True
    missing_types = sorted(p for p, ok in with_purpose.items() if not ok)
    sdk_problems: list[str] = []
    sdk_cites: list[Cite] = []
    low_text = policy.text.lower()
    for sdk in sdk_names:
        key = sdk.strip()
        if not key:
            continue
        rows = [
            r
            for r in prof.sdk_rows
            if key.lower() in r.name.lower() or r.name.lower() in key.lower() and len(r.name) >= 2
        ]
        if rows:
            r = rows[0]
            if not (r.purpose and (r.pi_text or r.pi_types)):
                sdk_problems.append(
                    f"{key} is listed without {'purpose' if not r.purpose else 'the PI it collects'}"
                )
                sdk_cites.append(_cite(policy, r.ref))
            continue
        if key.lower() not in low_text:
            sdk_problems.append(f"{key} (detected in the APK) is not named in the policy")
            continue
        mention = [s for s in stmts if key.lower() in s.text.lower()]
        good = [s for s in mention if s.purposes and (s.pi_types or "collect" in s.actions)]
        if not good:
            sdk_problems.append(f"{key} is named without its purpose and the PI it collects")
            sdk_cites.extend(_cite(policy, s) for s in mention[:1])
    if missing_types or sdk_problems:
        parts = []
        if missing_types:
            parts.append("PI types named with no purpose: " + ", ".join(missing_types))
        parts.extend(sdk_problems)
        cites = list(_cites(policy, [bare[p] for p in missing_types][:3])) + sdk_cites[:2]
        if not cites:
            cites = [_searched(policy, "the detected SDKs' names, purposes and PI")]
        return _finding(
            "2.1",
            Verdict.VIOLATION,
            "Purpose, means or scope not stated one by one: " + "; ".join(parts) + ".",
            cites,
            fix,
        )
    good = [s for _i, s in coll if s.purposes and s.pi_types]
    return _finding(
        "2.1",
        Verdict.COMPLIANT,
        f"Every PI type the policy collects ({len(with_purpose)}) is stated with a purpose"
        + (
            f", and all {len(sdk_names)} detected SDKs are named with purpose and PI."
            if sdk_names
            else "; no SDK list was checked (no APK given)."
        ),
        _cites(policy, good[:4]),
        fix,
        confidence="medium",
    )


def judge_2_2(policy: PolicyEvidence) -> Finding:
    prof = _profile(policy)
    if prof is None:
        return _no_profile("2.2")
    fix = "Commit in the policy to notify users of changes (updated policy plus a pop-up, push or e-mail reminder)."
    if prof.change_notices:
        return _finding(
            "2.2",
            Verdict.COMPLIANT,
            "The policy commits to notify users when it changes.",
            _cites(policy, prof.change_notices[:3]),
            fix,
            manual_test="Check that the last policy update was actually announced in the app.",
        )
    return _finding(
        "2.2",
        Verdict.VIOLATION,
        "The policy makes no commitment to notify users when its purposes, means or scope change.",
        (
            _searched(
                policy,
                "a commitment to notify users of policy changes (变更/更新 + 通知/提醒/弹窗/推送)",
            ),
        ),
        fix,
    )


def judge_2_4(policy: PolicyEvidence) -> Finding:
    prof = _profile(policy)
    if prof is None:
        return _no_profile("2.4")
    rd = prof.readability
    th = lexicon().thresholds
    name = _name(policy)
    measures = (
        f"{rd.chars} characters (limit {th['max_total_chars']:.0f}), average sentence {rd.avg_sentence_chars} characters "
        f"(limit {th['max_avg_sentence_chars']:.0f}), {rd.jargon_per_1000_chars} technical terms per 1,000 characters "
        f"(limit {th['max_jargon_per_1000_chars']:.0f}; most frequent: {', '.join(rd.top_jargon[:5]) or 'none'})"
    )
    cite = Cite(
        text="Measured: " + measures + ".",
        source=f"{name}: chars 0-{len(policy.text)}",
        artifact=name,
        logical="(whole policy)",
    )
    over = []
    if rd.chars > th["max_total_chars"]:
        over.append("overlong")
    if rd.avg_sentence_chars > th["max_avg_sentence_chars"]:
        over.append("long-winded sentences")
    if rd.jargon_per_1000_chars > th["max_jargon_per_1000_chars"]:
        over.append("dense jargon")
    fix = "Shorten the policy, split long sentences, and explain or replace technical terms (SDK, IMEI, 去标识化…)."
    longest = sorted((s for s in policy.statements), key=lambda s: -len(s.text))[:2]
    if over:
        return _finding(
            "2.4",
            Verdict.VIOLATION,
            "The rules are hard to understand (" + ", ".join(over) + "): " + measures + ".",
            (cite, *_cites(policy, longest)),
            fix,
            confidence="medium",
        )
    return _finding(
        "2.4",
        Verdict.COMPLIANT,
        "Length, sentence length and jargon density are within limits: " + measures + ".",
        (cite,),
        fix,
        confidence="medium",
    )


# ---------------------------------------------------------------------------------------- 3.x


def judge_3_6(policy: PolicyEvidence) -> Finding:
    prof = _profile(policy)
    if prof is None:
        return _no_profile("3.6")
    fix = "Offer a non-targeted option (a switch to turn personalised recommendation/push off) and say where it is."
    mentions = _labelled(policy, "personalisation")
    optout = prof.rights_of("personalisation_off")
    if optout:
        return _finding(
            "3.6",
            Verdict.COMPLIANT,
            "The policy says how to turn personalised recommendation or targeted push off"
            + (
                f" (path: {next((r.path for r in optout if r.path), '')})."
                if any(r.path for r in optout)
                else "."
            ),
            _cites(policy, [r.ref for r in optout][:3]),
            fix,
            manual_test="Check that the switch exists at the stated path and works.",
        )
    if mentions:
        return _finding(
            "3.6",
            Verdict.VIOLATION,
            "The policy describes personalised recommendation or targeted push but gives no way to turn it off.",
            (
                *_cites(policy, mentions[:3]),
                _searched(
                    policy,
                    "a way to turn personalisation off (关闭个性化推荐/退出定向推送/非个性化)",
                ),
            ),
            fix,
        )
    return _finding(
        "3.6",
        Verdict.INCONCLUSIVE,
        "The policy mentions no personalised recommendation or targeted push; whether the app uses them needs the UI.",
        (
            _searched(
                policy, "personalised recommendation / targeted push (个性化推荐/定向推送/用户画像)"
            ),
        ),
        fix,
        missing=("UI", "MANUAL"),
    )


def judge_3_8(policy: PolicyEvidence) -> Finding:
    prof = _profile(policy)
    if prof is None:
        return _no_profile("3.8")
    fix = "State how users withdraw consent (system permission switches, in-app privacy settings, account cancellation) with the path."
    refs = prof.rights_of("withdraw_consent")
    if refs:
        return _finding(
            "3.8",
            Verdict.COMPLIANT,
            "The policy says how to withdraw consent.",
            _cites(policy, [r.ref for r in refs][:3]),
            fix,
            manual_test="Check that the withdrawal path works in the app.",
        )
    return _finding(
        "3.8",
        Verdict.VIOLATION,
        "The policy gives no way to withdraw consent to the collection of PI.",
        (_searched(policy, "a way to withdraw consent (撤回/撤销授权/关闭权限/取消授权)"),),
        fix,
    )


# ---------------------------------------------------------------------------------------- 4.5

_FORCED_NEAR = re.compile(
    r"必须|必需|强制|(不同意|拒绝|不提供|不授权).{0,30}(无法|不能|将不能|停止)(使用|注册|登录|提供)|即(表示|视为|代表)(您|你)?(已)?.{0,6}(同意|授权)|视为(您|你)?(同意|授权)"
)


def judge_4_5(policy: PolicyEvidence) -> Finding:
    prof = _profile(policy)
    if prof is None:
        return _no_profile("4.5")
    lex = lexicon()
    fix = "Make consent for service improvement, UX, targeted push or R&D optional and separate; never a condition of using the app."
    bad: list[PolicyStatement] = []
    weak: list[PolicyStatement] = []
    for s in policy.statements:
        if not lex.weak_purposes.search(s.text):
            continue
        if not (s.pi_types or "collect" in s.actions or "use" in s.actions):
            continue
        weak.append(s)
        if _FORCED_NEAR.search(s.text) and "optional" not in s.conditions:
            bad.append(s)
    if bad:
        return _finding(
            "4.5",
            Verdict.VIOLATION,
            "The policy makes consent a condition on grounds of service improvement, user experience, targeted push or R&D.",
            _cites(policy, bad[:3]),
            fix,
            confidence="medium",
        )
    if weak:
        return _finding(
            "4.5",
            Verdict.COMPLIANT,
            f"{len(weak)} sentence(s) use improvement/UX/targeting grounds, none makes consent to them mandatory.",
            _cites(policy, weak[:2]),
            fix,
            confidence="medium",
            manual_test="Refuse the optional collection in the app and check the service continues.",
        )
    return _finding(
        "4.5",
        Verdict.COMPLIANT,
        "The policy does not rely on service improvement, UX, targeted push or R&D as grounds for collection.",
        (
            _searched(
                policy, "collection justified only by 改善服务质量/提升用户体验/定向推送/研发新产品"
            ),
        ),
        fix,
        confidence="medium",
    )


# ---------------------------------------------------------------------------------------- 6.x


def judge_6_1(policy: PolicyEvidence) -> Finding:
    prof = _profile(policy)
    if prof is None:
        return _no_profile("6.1")
    fix = "Provide and describe in-app functions (with paths) to correct and delete PI and to cancel the account."
    labels = {
        "correct": "correction",
        "delete": "deletion",
        "cancel_account": "account cancellation",
    }
    found = {k: prof.rights_of(k) for k in labels}
    missing = [labels[k] for k, v in found.items() if not v]
    cites = _cites(policy, [v[0].ref for v in found.values() if v])
    if missing:
        return _finding(
            "6.1",
            Verdict.VIOLATION,
            "The policy offers no " + ", no ".join(missing) + " function.",
            (
                *cites,
                _searched(
                    policy,
                    "how to " + ", ".join(missing) + " (更正/删除/注销 with 您可以/通过/路径)",
                ),
            ),
            fix,
        )
    paths = [v[0].path for v in found.values() if v and v[0].path]
    return _finding(
        "6.1",
        Verdict.COMPLIANT,
        "The policy describes how to correct and delete PI and cancel the account"
        + (f" (e.g. {paths[0]})." if paths else "."),
        cites,
        fix,
        manual_test="Try correction, deletion and account cancellation in the app.",
    )


def judge_6_2(policy: PolicyEvidence) -> Finding:
    prof = _profile(policy)
    if prof is None:
        return _no_profile("6.2")
    fix = "Remove conditions beyond identity verification (hand-held ID photos, notarisation, offline visits, fees) from correction, deletion and cancellation."
    if prof.unreasonable_conditions:
        return _finding(
            "6.2",
            Verdict.VIOLATION,
            "The policy sets conditions on correction, deletion or account cancellation beyond what identity verification needs.",
            _cites(policy, prof.unreasonable_conditions[:3]),
            fix,
            confidence="medium",
        )
    rights = [r for r in prof.rights if r.kind in ("correct", "delete", "cancel_account")]
    if not rights:
        return _finding(
            "6.2",
            Verdict.INCONCLUSIVE,
            "The policy describes no correction, deletion or cancellation procedure whose conditions could be judged (see 6.1).",
            (_searched(policy, "correction/deletion/cancellation procedures"),),
            fix,
            missing=("MANUAL",),
        )
    return _finding(
        "6.2",
        Verdict.COMPLIANT,
        "No unreasonable condition (hand-held ID, notarisation, offline visit, fee, refusal) is attached to correction, deletion or cancellation.",
        _cites(policy, [r.ref for r in rights][:2]),
        fix,
        confidence="medium",
        manual_test="Cancel a test account and note every condition the app imposes.",
    )


def _limit_finding(
    item: str, policy: PolicyEvidence, scopes: tuple[str, ...], what: str, fix: str
) -> Finding | None:
    prof = _profile(policy)
    assert prof is not None
    limit = lexicon().thresholds["max_response_working_days"]
    lims = [lim for lim in prof.response_limits if lim.scope in scopes]
    over = [lim for lim in lims if lim.working_days > limit]
    if over:
        worst = max(over, key=lambda lim: lim.working_days)
        return _finding(
            item,
            Verdict.VIOLATION,
            f"The policy promises to handle {what} within {worst.amount} {worst.unit} (≈{worst.working_days} working days), over the {limit:.0f}-working-day limit.",
            _cites(policy, [lim.ref for lim in over]),
            fix,
        )
    return None


def judge_6_3(policy: PolicyEvidence) -> Finding:
    prof = _profile(policy)
    if prof is None:
        return _no_profile("6.3")
    fix = "Promise to complete correction, deletion and cancellation requests within 15 working days, and keep the promise."
    bad = _limit_finding(
        "6.3", policy, ("rights", "general"), "correction, deletion or cancellation requests", fix
    )
    if bad:
        return bad
    lims = [lim for lim in prof.response_limits if lim.scope in ("rights", "general")]
    if lims:
        best = max(lims, key=lambda lim: lim.working_days)
        return _finding(
            "6.3",
            Verdict.COMPLIANT,
            f"The policy promises to respond within {best.amount} {best.unit} (≈{best.working_days} working days), within the 15-working-day limit.",
            _cites(policy, [lim.ref for lim in lims][:3]),
            fix,
            manual_test="Submit a deletion or cancellation request and time the response.",
        )
    return _finding(
        "6.3",
        Verdict.COMPLIANT,
        "The policy promises no time limit, so the 15-working-day default applies; actual handling time needs a manual test.",
        (_searched(policy, "a committed response time (N个工作日/天/月内 + 回复/处理/完成)"),),
        fix,
        confidence="low",
        manual_test="Submit a deletion or cancellation request and check it is completed within 15 working days.",
    )


def judge_6_5(policy: PolicyEvidence) -> Finding:
    prof = _profile(policy)
    if prof is None:
        return _no_profile("6.5")
    fix = "Publish a PI-security complaint and report channel (e-mail, phone, postal address or online form) and promise to handle complaints within 15 working days."
    bad = _limit_finding("6.5", policy, ("complaint", "general"), "complaints", fix)
    if bad:
        return bad
    concrete = [c for c in prof.channels if c.kind in ("email", "phone", "address", "fax")]
    online = [c for c in prof.channels if c.kind == "online"]
    chans = concrete or online
    if not chans:
        return _finding(
            "6.5",
            Verdict.VIOLATION,
            "The policy publishes no complaint or report channel (no e-mail, phone, postal address or online form).",
            (
                _searched(
                    policy, "complaint/report channels (e-mail, phone, address, online form/客服)"
                ),
            ),
            fix,
        )
    kinds = sorted({c.kind for c in chans})
    return _finding(
        "6.5",
        Verdict.COMPLIANT,
        "The policy publishes contact channels for complaints: "
        + ", ".join(f"{c.kind} {c.value}" for c in chans[:4])
        + ".",
        _cites(policy, [c.ref for c in chans][:4]),
        fix,
        confidence="high" if concrete else "low",
        manual_test="Send a complaint through the channel and check it is handled within 15 working days."
        + (
            ""
            if concrete
            else f" Only in-app channels ({', '.join(kinds)}) are named, with no e-mail, phone or address."
        ),
    )


JUDGES = {
    "1.1": judge_1_1,
    "1.4": judge_1_4,
    "2.1": judge_2_1,
    "2.2": judge_2_2,
    "2.4": judge_2_4,
    "3.6": judge_3_6,
    "3.8": judge_3_8,
    "4.5": judge_4_5,
    "6.1": judge_6_1,
    "6.2": judge_6_2,
    "6.3": judge_6_3,
    "6.5": judge_6_5,
}
