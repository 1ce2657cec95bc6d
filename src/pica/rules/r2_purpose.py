"""Category 2: purpose, means and scope not stated (items 2.1–2.4)."""

from __future__ import annotations

import re

from pica import knowledge
from pica.evidence import (
    Change,
    Consistency,
    Evidence,
    PolicyStatement,
)
from pica.report import Cite, Finding, Verdict
from pica.rules import rule
from pica.rules.common import (
    cite_change,
    cite_fact,
    cite_permission,
    fix_for,
    from_checklist,
    hidden_code,
    inconclusive,
    pi_label,
    unless_policy,
)
from pica.rules.policy_cites import (
    cite_text,
    cite_texts,
    collect_statements,
    english_absence,
    is_english,
    judgement_pattern,
    not_disclosure,
    policy_finding,
    policy_name,
    purpose_context,
    sdk_list_statements,
    searched_policy,
)

_SPACE = re.compile(r"\s")

PURPOSE_HINTS = (
    "需要",
    "用于",
    "以便",
    "为了",
    "授权",
    "权限",
    "need",
    "to ",
    "so that",
    "allow",
    "permission",
)


def _sdk_cites(evidence: Evidence) -> list[Cite]:
    reached: dict[str, set[str]] = {}
    for use in evidence.api_uses:
        if use.sdk:
            reached.setdefault(use.sdk, set()).add(use.pi_type)
    return [
        Cite(
            text=f"SDK {s.name}{' / ' + s.name_zh if s.name_zh else ''} ({s.vendor}) embedded; "
            f"its code reaches {', '.join(sorted(reached.get(s.sdk_id, ()))) or 'no sensitive API found'}",
            source="; ".join(s.signals[:3]),
            logical=s.sdk_id,
        )
        for s in evidence.sdks
    ]


@rule("2.1")
def purpose_not_listed(evidence: Evidence) -> Finding:
    """Purpose, means and scope not listed one by one, including embedded SDKs."""
    if settled := from_checklist(evidence, "2.1"):
        return settled
    policy = evidence.policy
    if policy is None or policy.profile is None:
        return inconclusive(
            "2.1",
            f"The APK embeds {len(evidence.sdks)} third-party SDK(s); whether the policy lists each "
            "one's purpose, means and scope needs the policy text.",
            evidence,
            cites=_sdk_cites(evidence),
            missing=("the privacy policy text (--policy FILE or URL)",),
        )
    prof = policy.profile
    fix = (
        "For each business function list the PI it collects, why and how; name every embedded SDK "
        "with its vendor, purpose and the PI it collects (a third-party SDK list)."
    )
    coll = collect_statements(policy)
    english = is_english(policy)
    if not coll:
        searched = searched_policy(
            policy,
            "collection statements naming PI types with a purpose",
            ("收集", "获取", "采集", "we collect", "+ a PI type"),
            ("actions.collect", "purpose", "pi_taxonomy.yaml names and synonyms"),
        )
        if english:
            return english_absence(
                "2.1", policy, "each PI collected listed with its purpose", searched, fix
            )
        return policy_finding(
            "2.1",
            Verdict.VIOLATION,
            "The policy lists no PI collection with its purpose, means and scope.",
            (),
            fix,
            searched=(searched,),
        )
    stmts = policy.statements
    # PI type -> a purpose is stated for it somewhere: in a sentence naming it (its own, its
    # heading, its list lead-in, the sentence before or after) or a table row. A PI term that
    # is no disclosure of collection (a definition, an exception clause, a contact channel…)
    # is not counted at all.
    with_purpose: dict[str, bool] = {}
    bare: dict[str, PolicyStatement] = {}
    for i, s in coll:
        if not s.pi_types or not_disclosure(policy, i):
            continue
        ctx_purpose = bool(purpose_context(policy, i))
        for p in s.pi_types:
            if ctx_purpose:
                with_purpose[p] = True
            else:
                with_purpose.setdefault(p, False)
                bare.setdefault(p, s)
    for s in stmts:
        if s.purposes and any(a in s.actions for a in ("collect", "use")):
            for p in s.pi_types:
                if p in with_purpose:
                    with_purpose[p] = True
    for row in prof.collection_rows + tuple(r for r in prof.sdk_rows):
        for p in row.pi_types:
            if row.purpose:
                with_purpose[p] = True
    missing_types = sorted(p for p, ok in with_purpose.items() if not ok)
    # The policy says SDKs are embedded but names none (no SDK table, no named SDK, no pointer
    # to a separate SDK list).
    sdk_said = [s for s in stmts if judgement_pattern("sdk_used").search(s.text)]
    sdk_unnamed = (
        bool(sdk_said)
        and not prof.sdk_rows
        and not any(judgement_pattern("sdk_named").search(s.text) for s in stmts)
    )
    sdk_problems: list[str] = []
    sdk_cites: list[Cite] = []
    pi_problems: list[str] = []
    pi_cites: list[Cite] = []
    consistency = evidence.consistency
    for sdk in consistency.sdks if consistency else ():
        if not sdk.disclosed:
            pre_ui = " and runs before any UI" if sdk.pre_ui else ""
            sdk_problems.append(
                f"{sdk.name} (detected in the APK{pre_ui}) is not named in the policy"
            )
        elif not (sdk.purpose_stated and sdk.pi_listed):
            sdk_problems.append(
                f"{sdk.name} is listed without "
                f"{'purpose' if not sdk.purpose_stated else 'the PI it collects'}"
            )
            if sdk.policy_ref is not None:
                sdk_cites.append(cite_text(policy, sdk.policy_ref))
    names = {s.sdk_id: s.name for s in evidence.sdks}
    undisclosed = [d for d in consistency.pi if not d.disclosed] if consistency else []
    if undisclosed:
        parts = [
            f"{pi_label(d.pi_type)} ({'the app' if d.party == 'app' else names.get(d.party, d.party)}"
            f"{', by permission only' if d.reach == 'permission' else ''})"
            for d in undisclosed
        ]
        pi_problems.append("PI the app reaches but the policy never discloses: " + ", ".join(parts))
        for d in undisclosed[:3]:
            pi_cites.append(cite_fact(d.evidence[0]))
    if sdk_unnamed and consistency is None and not (missing_types or sdk_problems or pi_problems):
        # A policy text often points to an SDK list that is a separate page (a link lost in a
        # text copy): the absence in the text alone is not proof.
        return policy_finding(
            "2.1",
            Verdict.INCONCLUSIVE,
            "Every PI type the policy collects is stated with a purpose, but the policy says "
            f"third-party SDKs are embedded (「{sdk_said[0].text[:80]}」) and its text names none "
            "(no SDK table, no named SDK, no pointer to a separate list): check whether the app "
            "shows an SDK list, or give the APK.",
            cite_texts(policy, sdk_said[:3]),
            fix,
            searched=(
                searched_policy(
                    policy,
                    "a named third-party SDK or a pointer to an SDK list",
                    ("极光推送SDK", "《第三方SDK目录》", "SDK名称："),
                    ("judgement.sdk_named", "SDK tables (profile.sdk_rows)"),
                ),
            ),
        )
    if missing_types or sdk_problems or pi_problems:
        parts = []
        if missing_types:
            parts.append(
                "the policy collects "
                + ", ".join(f"{pi_label(p)} (「{bare[p].text[:60]}」)" for p in missing_types[:4])
                + (
                    f" and {len(missing_types) - 4} more PI type(s)"
                    if len(missing_types) > 4
                    else ""
                )
                + " with no purpose in the sentence, its heading, its list lead-in or the "
                "sentences around it, nor for the same PI anywhere else in the policy"
            )
        parts.extend(sdk_problems)
        parts.extend(pi_problems)
        cites = (
            list(cite_texts(policy, [bare[p] for p in missing_types][:3]))
            + sdk_cites[:2]
            + pi_cites
        )
        searched = ()
        if consistency is not None and (
            pi_problems or any(not s.disclosed for s in consistency.sdks)
        ):
            searched = (consistency.searched,)
        if english:
            # Each part rests on not finding a purpose or a name in the English text.
            return english_absence(
                "2.1",
                policy,
                "each PI collected and each embedded SDK listed with its purpose ("
                + "; ".join(parts)
                + ")",
                searched[0]
                if searched
                else searched_policy(
                    policy,
                    "a purpose for these PI types",
                    ("to provide", "in order to", "we use X to"),
                    ("purpose", "judgement.purpose_cue", "judgement.context_purpose"),
                ),
                fix,
                cites,
            )
        return policy_finding(
            "2.1",
            Verdict.VIOLATION,
            "Purpose, means or scope not stated one by one: " + "; ".join(parts) + ".",
            cites,
            fix,
            searched=searched,
        )
    good = [s for _i, s in coll if s.purposes and s.pi_types]
    if english and not with_purpose:
        return english_absence(
            "2.1",
            policy,
            "each PI collected listed with its purpose",
            searched_policy(
                policy,
                "a PI type named in the policy's collection statements",
                ("email address", "IP address", "device identifier", "location"),
                ("pi_taxonomy.yaml names and synonyms", "generic_pi"),
            ),
            fix,
            cite_texts(policy, [s for _i, s in coll][:3]),
        )
    if consistency is not None and (
        hidden := hidden_code(
            "2.1",
            evidence,
            "Every PI type and SDK found in the app's readable code is disclosed with a purpose",
        )
    ):
        return hidden
    return policy_finding(
        "2.1",
        Verdict.COMPLIANT,
        f"Every PI type the policy collects ({len(with_purpose)}) is stated with a purpose"
        + (
            f", every PI type the app reaches is disclosed, and all {len(consistency.sdks)} "
            "detected SDKs are named with purpose and PI."
            if consistency is not None
            else "; no SDK list or reached PI was checked (no APK given)."
        ),
        cite_texts(policy, good[:4]),
        fix,
        confidence="medium",
    )


def _growth_disclosed(change: Change, consistency: Consistency | None) -> bool:
    """Whether the (new) policy discloses a PI type or SDK the new version added."""
    if consistency is None:
        return False
    if " @ " in change.key:
        pi, party = change.key.split(" @ ", 1)
        return any(d.disclosed for d in consistency.pi if d.pi_type == pi and d.party == party)
    return any(s.disclosed for s in consistency.sdks if s.sdk_id == change.key)


@rule("2.2")
def change_not_notified(evidence: Evidence) -> Finding:
    """Changes of purpose, means or scope not notified."""
    if settled := from_checklist(evidence, "2.2"):
        return settled
    diff = evidence.version_diff
    grown = (diff.pi_types[0] + diff.sdks[0]) if diff else ()
    if diff is not None and grown:
        what = ", ".join(c.key for c in grown[:12])
        cites = [cite_change(c) for c in grown[:10]]
        if evidence.policy is None:
            return inconclusive(
                "2.2",
                f"This version reaches PI or carries SDKs that {diff.old_name} did not ({what}); "
                "whether users were told needs the policies of both versions.",
                evidence,
                cites=cites,
                missing=("the privacy policy of each version (--old-policy, --new-policy)",),
                evidence_kind="static",
            )
        unmentioned = [c for c in grown if not _growth_disclosed(c, evidence.consistency)]
        if is_english(evidence.policy):
            unmentioned = []  # the English reading's silence is no evidence (is_english)
        if diff.policy_changed is False or unmentioned:
            why = (
                "the policy did not change between the versions"
                if diff.policy_changed is False
                else "the policy does not mention " + ", ".join(c.key for c in unmentioned[:12])
            )
            return Finding(
                item_id="2.2",
                verdict=Verdict.VIOLATION,
                reason=f"The scope of collection grew since {diff.old_name} ({what}) and {why}.",
                cites=tuple(cites),
                searched=(evidence.consistency.searched,) if evidence.consistency else (),
                fix=fix_for("2.2"),
                evidence_kind="static",
                confidence="medium",
            )
    if settled := unless_policy(
        "2.2", evidence, "A change-notification commitment is judged on the policy text."
    ):
        return settled
    policy = evidence.policy
    assert policy is not None and policy.profile is not None
    fix = "Commit in the policy to notify users of changes (updated policy plus a pop-up, push or e-mail reminder)."
    if policy.profile.change_notices:
        return policy_finding(
            "2.2",
            Verdict.COMPLIANT,
            "The policy commits to notify users when it changes.",
            cite_texts(policy, policy.profile.change_notices[:3]),
            fix,
            manual_test="Check that the last policy update was actually announced in the app.",
        )
    searched = searched_policy(
        policy,
        "a commitment to notify users of policy changes",
        ("变更/更新 + 通知/提醒/弹窗/推送", "we will notify you of changes"),
        ("change_notice.change", "change_notice.notify", "change_notice.subject"),
    )
    if is_english(policy):
        return english_absence(
            "2.2", policy, "a commitment to notify users of changes", searched, fix
        )
    return policy_finding(
        "2.2",
        Verdict.VIOLATION,
        "The policy makes no commitment to notify users when its purposes, means or scope change.",
        (),
        fix,
        searched=(searched,),
    )


@rule("2.3")
def permission_purpose_not_told(evidence: Evidence) -> Finding:
    """No purpose told when a PI-collecting permission or sensitive PI is requested."""
    if settled := from_checklist(evidence, "2.3"):
        return settled
    runtime = [p for p in evidence.permissions if p.is_runtime and p.pi_types]
    if not evidence.has_apk:
        return inconclusive(
            "2.3", "Permission requests are read from the APK, which was not given.", evidence
        )
    cites = []
    for perm in runtime:
        texts = _purpose_texts(evidence, perm.pi_types)
        state = f"{len(texts)} candidate purpose string(s)" if texts else "no purpose string found"
        cites.append(
            Cite(
                text=f"{cite_permission(perm).text}; {state}"
                + (f": “{texts[0].value[:80]}”" if texts else ""),
                source=texts[0].source if texts else perm.source,
                artifact="resources.arsc" if texts else "AndroidManifest.xml",
                logical=perm.name,
            )
        )
    return inconclusive(
        "2.3",
        f"The app requests {len(runtime)} PI-reaching runtime permission(s); whether a purpose is "
        "shown at the moment of each request can only be seen on screen (strings may also come "
        "from a server, so a missing string does not prove a missing purpose).",
        evidence,
        cites=cites,
        missing=("screens of each permission request", "a runtime trace with permission events"),
        evidence_kind="static",
    )


def _purpose_texts(evidence: Evidence, pi_types: tuple[str, ...]):
    terms = []
    for pi in pi_types:
        entry = knowledge.taxonomy().get(pi)
        if entry:
            terms += [entry.name_zh, entry.name_en.lower(), *entry.synonyms_zh]
    terms = [t for t in terms if len(t) >= 2]
    hits = []
    for res in evidence.resource_strings:
        value = res.value
        lower = value.lower()
        if len(value) < 8:
            continue
        if any(t in value or t.lower() in lower for t in terms) and any(
            h in lower for h in PURPOSE_HINTS
        ):
            hits.append(res)
    return hits


@rule("2.4")
def rules_obscure(evidence: Evidence) -> Finding:
    """Rules obscure, long-winded or full of jargon."""
    if settled := unless_policy(
        "2.4", evidence, "Obscurity and length are measured on the policy text."
    ):
        return settled
    policy = evidence.policy
    assert policy is not None and policy.profile is not None
    rd = policy.profile.readability
    th = knowledge.policy_thresholds()
    name = policy_name(policy)
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
    # Jargon outside the third-party SDK list: the identifiers that list must name (item 2.1)
    # do not make the policy obscure.
    sdk_list = {s.span.start for s in sdk_list_statements(policy)}
    jargon = re.compile(knowledge.policy_lexicon()["jargon"]["pattern"])
    rest = [s for s in policy.statements if s.span.start not in sdk_list]
    rest_chars = sum(len(_SPACE.sub("", s.text)) for s in rest)
    rest_jargon = sum(len(jargon.findall(s.text)) for s in rest)
    density = round(1000 * rest_jargon / rest_chars, 2) if rest_chars else 0.0
    if sdk_list:
        measures += (
            f"; {density} technical terms per 1,000 characters outside the third-party SDK list "
            f"({len(sdk_list)} sentences), which must name identifiers"
        )
        cite = Cite(
            text="Measured: " + measures + ".",
            source=cite.source,
            artifact=cite.artifact,
            logical=cite.logical,
        )
    over = []
    if rd.chars > th["max_total_chars"]:
        over.append("overlong")
    if rd.avg_sentence_chars > th["max_avg_sentence_chars"]:
        over.append("long-winded sentences")
    if min(rd.jargon_per_1000_chars, density) > th["max_jargon_per_1000_chars"]:
        over.append("dense jargon")
    fix = "Shorten the policy, split long sentences, and explain or replace technical terms (SDK, IMEI, 去标识化…)."
    longest = sorted((s for s in policy.statements), key=lambda s: -len(s.text))[:2]
    if over and is_english(policy):
        # The limits count Chinese characters (knowledge/data/policy_lexicon.yaml thresholds);
        # an English sentence of the same content is several times longer in characters.
        return policy_finding(
            "2.4",
            Verdict.INCONCLUSIVE,
            "The policy is in English; pica's length, sentence-length and jargon limits count "
            "Chinese characters and do not apply to English text, so whether it is obscure "
            "needs a reader: " + measures + ".",
            (cite, *cite_texts(policy, longest)),
            fix,
            missing=("MANUAL",),
        )
    if over:
        return policy_finding(
            "2.4",
            Verdict.VIOLATION,
            "The rules are hard to understand (" + ", ".join(over) + "): " + measures + ".",
            (cite, *cite_texts(policy, longest)),
            fix,
            confidence="medium",
        )
    return policy_finding(
        "2.4",
        Verdict.COMPLIANT,
        "Length, sentence length and jargon density are within limits: " + measures + ".",
        (cite,),
        fix,
        confidence="medium",
    )
