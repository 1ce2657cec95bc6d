"""Category 1: collection and use rules not published (items 1.1–1.4)."""

from __future__ import annotations

from pica import knowledge
from pica.evidence import Evidence, Searched
from pica.report import Cite, Finding, Verdict
from pica.rules import rule
from pica.rules.common import (
    cite_call,
    cite_event,
    fix_for,
    from_checklist,
    hidden_code,
    inconclusive,
    needs_person,
    unless_policy,
)
from pica.rules.policy_cites import (
    cite_texts,
    collect_statements,
    english_absence,
    is_english,
    policy_finding,
    policy_name,
    searched_policy,
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
    policy = evidence.policy
    if policy is not None and policy.profile is not None:
        coll = collect_statements(policy)
        typed = [s for _i, s in coll if s.pi_types]
        use = [s for s in policy.statements if "use" in s.actions and s.pi_types]
        fix = "Publish a privacy policy that lists, for each business function, the PI collected, why and how."
        if len(policy.text.strip()) < 50 or not coll:
            searched = searched_policy(
                policy,
                "sentences that say which personal information is collected",
                ("收集", "获取", "采集", "we collect", "+ a PI type"),
                ("actions.collect", "pi_taxonomy.yaml names and synonyms"),
            )
            if len(policy.text.strip()) >= 50 and is_english(policy):
                return english_absence(
                    "1.1", policy, "rules on collecting and using PI", searched, fix
                )
            return policy_finding(
                "1.1",
                Verdict.VIOLATION,
                "The policy text has no statement about collecting personal information.",
                (),
                fix,
                searched=(searched,),
            )
        return policy_finding(
            "1.1",
            Verdict.COMPLIANT,
            f"The policy states rules on collecting and using PI ({len(coll)} collection "
            f"sentences, {len({p for s in typed for p in s.pi_types})} PI types named).",
            cite_texts(policy, (typed or [s for _i, s in coll])[:3] + use[:2]),
            fix,
        )
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
    if hidden := hidden_code(
        "1.1", evidence, "No privacy policy was given and none was found in the APK's readable code"
    ):
        return hidden
    return Finding(
        item_id="1.1",
        verdict=Verdict.VIOLATION,
        reason=(
            "No privacy policy was given and the APK carries none: no bundled policy file, no "
            "policy link in code or resources, and no string naming a privacy policy."
        ),
        searched=(
            Searched(
                what="a privacy policy: a bundled policy file, a policy link, or a UI string "
                "naming one",
                terms=("隐私政策", "隐私协议", "个人信息保护政策", "privacy policy", "policy URLs"),
                patterns=("pica.extract.apk.embedded_policy",),
                input="apk",
                scope="assets/, res/raw/, every DEX string and string resource",
                source=f"APK {evidence.app.file_name if evidence.app else ''}",
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
    runtime, trace = evidence.runtime, evidence.trace
    if runtime is not None and trace is not None:
        collected = [c for c in runtime.api if c.event.pi_type]
        prompts = [e for e in trace.consent if e.event in ("shown", "accepted", "declined")]
        first = collected[0] if collected else None
        prompt = prompts[0] if prompts else None
        if first is not None and (prompt is None or prompt.t > first.event.t):
            return Finding(
                item_id="1.2",
                verdict=Verdict.VIOLATION,
                reason=f"The recording shows PI collected at {first.event.t} ms"
                + (
                    f", before any privacy-policy prompt (the first at {prompt.t} ms)."
                    if prompt
                    else " and no privacy-policy prompt at all."
                ),
                cites=(cite_call(first),)
                + ((cite_event(prompt, f"consent {prompt.event}"),) if prompt else ()),
                fix=fix_for("1.2"),
                evidence_kind="trace",
                confidence="high",
            )
        if prompt is not None:
            return Finding(
                item_id="1.2",
                verdict=Verdict.COMPLIANT,
                reason=f"The recording shows the privacy-policy prompt at {prompt.t} ms, before any "
                "PI was collected.",
                cites=(cite_event(prompt, f"consent {prompt.event}: {prompt.text[:120]}"),),
                evidence_kind="trace",
                confidence="medium",
            )
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
    if settled := unless_policy(
        "1.4", evidence, "Readability is judged on the policy text, which was not given."
    ):
        return settled
    policy = evidence.policy
    assert policy is not None and policy.profile is not None
    rd = policy.profile.readability
    th = knowledge.policy_thresholds()
    name = policy_name(policy)
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
        return policy_finding(
            "1.4",
            Verdict.VIOLATION,
            "The policy is hard to read: " + "; ".join(problems) + ".",
            (whole,),
            fix,
        )
    if rd.body_font_px is None:
        return policy_finding(
            "1.4",
            Verdict.INCONCLUSIVE,
            "The policy is in Simplified Chinese, but its font size and colours cannot be measured from this input.",
            (whole,),
            fix,
            missing=("POLICY page HTML with CSS", "UI"),
        )
    return policy_finding(
        "1.4",
        Verdict.COMPLIANT,
        f"Simplified Chinese, body text {rd.body_font_px}px (>= {th['min_body_font_px']:.0f}px), contrast {rd.contrast_ratio}:1 (>= {th['min_contrast']}:1).",
        (whole,),
        fix,
    )
