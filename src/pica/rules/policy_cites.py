"""How the rules quote a privacy policy: sentences as cites, absences as ``Searched`` facts.

Helpers only: each takes the policy evidence and returns cites, facts or sentence lists. No item
is decided here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache

from pica import knowledge
from pica.evidence import PolicyEvidence, PolicyStatement, Searched, TextRef
from pica.report import Cite, Finding, Verdict

MAX_CITES = 5
LEXICON = "policy_lexicon.yaml"


@cache
def judgement_pattern(name: str) -> re.Pattern[str]:
    """A pattern of the lexicon's ``judgement`` section (case-sensitive)."""
    return re.compile(knowledge.policy_lexicon()["judgement"][name]["pattern"])


def policy_name(policy: PolicyEvidence) -> str:
    prof = policy.profile
    return (prof.name if prof is not None else None) or policy.location or "policy"


def cite_text(policy: PolicyEvidence, ref: TextRef | PolicyStatement, note: str = "") -> Cite:
    """One sentence of the policy, with its character span and section."""
    name = policy_name(policy)
    text = ref.text if len(ref.text) <= 400 else ref.text[:397] + "…"
    return Cite(
        text=(note + text) if note else text,
        source=f"{name}: chars {ref.span.start}-{ref.span.end}",
        artifact=name,
        logical=ref.section,
    )


def cite_texts(
    policy: PolicyEvidence, refs: Iterable[TextRef | PolicyStatement]
) -> tuple[Cite, ...]:
    """Up to ``MAX_CITES`` distinct sentences, in the order given."""
    out: list[Cite] = []
    seen: set[tuple[int, int]] = set()
    for r in refs:
        key = (r.span.start, r.span.end)
        if key in seen:
            continue
        seen.add(key)
        out.append(cite_text(policy, r))
        if len(out) >= MAX_CITES:
            break
    return tuple(out)


def searched_policy(
    policy: PolicyEvidence, what: str, terms: Sequence[str], patterns: Sequence[str]
) -> Searched:
    """The whole policy was searched for ``what`` (example ``terms``; the lexicon ``patterns``
    actually applied) and nothing was found."""
    name = policy_name(policy)
    return Searched(
        what=what,
        terms=tuple(terms),
        patterns=tuple(f"{LEXICON} {p}" for p in patterns),
        input="policy",
        scope=f"whole policy ({len(policy.text)} characters, {len(policy.statements)} sentences)",
        source=f"{name}: chars 0-{len(policy.text)}",
    )


def policy_finding(
    item: str,
    verdict: Verdict,
    reason: str,
    cites: Sequence[Cite],
    fix: str,
    searched: Sequence[Searched] = (),
    **kw: str | tuple[str, ...],
) -> Finding:
    return Finding(
        item_id=item,
        verdict=verdict,
        reason=reason,
        cites=tuple(cites),
        searched=tuple(searched),
        fix=fix,
        evidence_kind="policy",
        **kw,  # type: ignore[arg-type]
    )


def labelled(policy: PolicyEvidence, label: str) -> list[PolicyStatement]:
    """The sentences the reader gave ``label`` (collect, share, personalisation…)."""
    prof = policy.profile
    if prof is None:
        return []
    return [
        s
        for s, labels in zip(policy.statements, prof.sentence_labels, strict=False)
        if label in labels
    ]


def collect_statements(policy: PolicyEvidence) -> list[tuple[int, PolicyStatement]]:
    """(index, sentence) of each sentence stating a collection, definitions left out."""
    prof = policy.profile
    if prof is None:
        return []
    definition = judgement_pattern("definition")
    return [
        (i, s)
        for i, (s, labels) in enumerate(zip(policy.statements, prof.sentence_labels, strict=False))
        if "collect" in labels and not definition.search(s.text[:40]) and "定义" not in s.section
    ]


def not_disclosure(policy: PolicyEvidence, i: int) -> str:
    """Why sentence ``i``'s PI terms are no disclosure that the user's PI is collected ("" when
    they are one); decided by the reader (``extract.policy.mentions``)."""
    return policy.statements[i].not_collected


def purpose_context(policy: PolicyEvidence, i: int) -> str:
    """Where sentence ``i``'s PI gets its purpose ("" when nowhere near): the sentence, its
    heading, its list lead-in, the sentence before or after; read by the reader
    (``extract.policy.mentions.purpose_source``)."""
    return policy.statements[i].purpose_from


def sdk_list_statements(policy: PolicyEvidence) -> list[PolicyStatement]:
    """The sentences of the policy's third-party SDK list: SDK table rows, and SDK-list lines
    (``judgement.sdk_list_line``) under an SDK-list heading (``judgement.sdk_list_section``)."""
    prof = policy.profile
    rows = {r.ref.span.start for r in prof.sdk_rows} if prof is not None else set()
    sec, line = judgement_pattern("sdk_list_section"), judgement_pattern("sdk_list_line")
    return [
        s
        for s in policy.statements
        if s.span.start in rows or (sec.search(s.section) and line.search(s.text))
    ]


def disclosed_pi(policy: PolicyEvidence, i: int) -> tuple[str, ...]:
    """The PI types sentence ``i`` discloses as collected (none when it is no disclosure), with
    the types its general terms cover (设备信息 → IMEI, Android ID, OAID…): read by the reader."""
    return policy.statements[i].collected


def is_english(policy: PolicyEvidence) -> bool:
    """Whether the policy is read in English (its script, ``profile.script_of``): pica's English
    reading is reviewed patterns only, with no trained model behind them, so finding nothing in an
    English policy is no evidence of absence."""
    prof = policy.profile
    return prof is not None and prof.readability.script == "english"


def english_absence(
    item: str,
    policy: PolicyEvidence,
    required: str,
    searched: Searched,
    fix: str,
    cites: Sequence[Cite] = (),
) -> Finding:
    """Inconclusive instead of a violation that would rest only on finding nothing in an English
    policy: the reason names what was required and quotes the ``Searched`` fact. (That the
    policy has no Simplified Chinese version is item 1.4's finding, stated there once.)"""
    return policy_finding(
        item,
        Verdict.INCONCLUSIVE,
        f"Required: {required}. The policy is in English, and pica's English reading found "
        f"nothing for it (searched for {searched.what}, in the {searched.scope}, with "
        + ", ".join(searched.patterns)
        + "); that is no proof of absence in an English text, so a reader decides.",
        cites,
        fix,
        searched=(searched,),
        missing=("MANUAL",),
    )
