"""Which PI mentions of a policy disclose that the user's PI is collected, used or shared.

A PI term is a disclosure only inside a statement about the user's data: not in a definition or
an example list of (sensitive) PI, the consent-exception boilerplate (生命健康, 公共卫生), a
message sent to the user (向您发送短信), a postal address for notices (邮寄至下列地址), a
definitions/contact/exceptions section, nor in a sentence with no collecting verb that is no item
of a list lead-in ("我们会收集以下信息："), nor in a sentence whose topics (the trained
classifier's) are all about something else: security, contact, revisions, cessation
(``policy_lexicon.yaml`` ``mention_topics``). The reviewed patterns are the lexicon's ``judgement``
section; general terms (设备信息, 设备标识符, device identifiers) disclose the types
``pi_generalisation.yaml`` says they cover.

This is decided once, here in the reader, so that the item rules and the policy-versus-behaviour
join read the same answer off each ``PolicyStatement`` (``collected``, ``not_collected``,
``lead_in``) instead of each keeping its own filter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from pica import knowledge
from pica.evidence import PolicyPi, PolicyProfile, PolicyStatement, TextRef

LEAD_IN_REACH = 40  # sentences back to look for a list's lead-in, within one section


@dataclass(frozen=True)
class Mention:
    """What one sentence's PI terms disclose (see the module docstring)."""

    collected: tuple[str, ...]  # PI types disclosed as collected, general terms expanded
    not_collected: str  # why the sentence's PI terms disclose nothing ("" when they do)
    lead_in: int | None  # index of the list lead-in sentence this one is an item of
    purpose_from: str = ""  # where its PI gets a purpose: sentence, heading, lead-in, … or ""
    purpose_at: int | None = None  # the sentence giving it (None: this one, or the heading)


@cache
def judgement(name: str) -> re.Pattern[str]:
    """A pattern of the lexicon's ``judgement`` section (case-sensitive)."""
    return re.compile(knowledge.policy_lexicon()["judgement"][name]["pattern"])


@cache
def _general_terms() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """(pattern of a generalisation rule's names, longest first; the types it covers)."""
    out = []
    for rule in knowledge.pi_generalisation():
        names = sorted(rule.names, key=len, reverse=True)
        out.append((re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE), rule.covers))
    return tuple(out)


def covered_types(text: str) -> dict[str, str]:
    """{PI type: the general term in ``text`` that discloses it} (设备信息 → imei, …)."""
    found: dict[str, str] = {}
    for pattern, covers in _general_terms():
        m = pattern.search(text)
        if m:
            for pi in covers:
                found.setdefault(pi, m.group(0))
    return found


def lead_ins(texts: Sequence[str], sections: Sequence[str]) -> list[int | None]:
    """For each sentence, the index of the nearest earlier sentence of the same section that
    ends as a list lead-in (…包括：, …如下：), within ``LEAD_IN_REACH``; else None."""
    lead = judgement("lead_in")
    out: list[int | None] = []
    last: int | None = None  # the latest lead-in of the current section
    for i, (text, section) in enumerate(zip(texts, sections, strict=True)):
        if i and sections[i - 1] != section:
            last = None
        out.append(last if last is not None and i - last < LEAD_IN_REACH else None)
        if lead.search(text):
            last = i
    return out


@cache
def _topics_without_collection() -> frozenset[str]:
    return frozenset(knowledge.policy_lexicon()["mention_topics"]["not_collection"])


def why_not_collected(
    text: str, section: str, has_lead_in: bool, topics: Sequence[str] = ()
) -> str:
    """Why a sentence's PI terms are no disclosure of collection ("" when they are one)."""
    if topics and set(topics) <= _topics_without_collection():
        return f"a sentence on {' and '.join(topics)}, not on collecting the user's data"
    if judgement("definition").search(text[:40]) or judgement("not_disclosure").search(text):
        return "a definition, an example list or boilerplate, not a collection"
    if judgement("not_disclosure_section").search(section):
        return f"in the section 「{section[:30]}」, which collects nothing"
    if not judgement("clear_collection").search(text) and not has_lead_in:
        return "no collecting verb in the sentence or its list lead-in"
    return ""


def purpose_source(
    i: int,
    texts: Sequence[str],
    sections: Sequence[str],
    has_purpose: Sequence[bool],
    leads: Sequence[int | None],
) -> tuple[str, int | None]:
    """Where sentence ``i``'s PI gets its purpose: ("sentence" | "heading" | "lead-in" |
    "sentence before" | "sentence after", index of that sentence) or ("", None). GB/T
    35273-2020 5.3 and the 2019 guide take the business function a PI serves as its purpose,
    so a purpose cue (为了…, 用于…, …功能, 当您…时) counts as well as a parsed purpose;
    ``has_purpose`` is the reader's own reading (a parsed purpose or a purpose class)."""
    cue = judgement("purpose_cue")
    text, section = texts[i], sections[i]
    if has_purpose[i] or cue.search(text):
        return "sentence", None
    if judgement("context_purpose").search(section) or cue.search(section):
        return "heading", None
    lead = leads[i]
    if lead is not None and (has_purpose[lead] or cue.search(texts[lead])):
        return "lead-in", lead
    # a short list item ("- 图片信息", "（5）权益/资产信息；") takes its purpose from further up
    back = 10 if len(text) <= 30 else 3
    for j in (i + 1, i + 2, i + 3, *range(i - 1, i - back - 1, -1)):
        if 0 <= j < len(texts) and sections[j] == section:
            if texts[j].strip() == section.strip():
                continue  # the heading itself: judged above by its wording
            if has_purpose[j] or cue.search(texts[j]):
                return ("sentence before" if j < i else "sentence after"), j
    return "", None


def mentions(
    texts: Sequence[str],
    sections: Sequence[str],
    pi_types: Sequence[tuple[str, ...]],
    topics: Sequence[tuple[str, ...]],
    has_purpose: Sequence[bool],
) -> list[Mention]:
    """The ``Mention`` of each sentence of one document, given in order, with the sentence
    topics of the trained classifier (``extract.policy.topics``) and whether the reader found
    a purpose in each sentence."""
    leads = lead_ins(texts, sections)
    out = []
    rows = zip(texts, sections, pi_types, topics, leads, strict=True)
    for i, (text, section, named, tops, lead) in enumerate(rows):
        why = why_not_collected(text, section, lead is not None, tops)
        if why:
            out.append(Mention((), why, lead))
            continue
        types = dict.fromkeys(named)
        types.update(dict.fromkeys(covered_types(text)))
        where, at = purpose_source(i, texts, sections, has_purpose, leads) if types else ("", None)
        out.append(Mention(tuple(types), "", lead, where, at))
    return out


def pi_table(
    statements: Sequence[PolicyStatement], profile: PolicyProfile | None
) -> tuple[PolicyPi, ...]:
    """Every PI type the policy discloses, one row per (type, party), with the first sentence or
    table row that discloses it and its purpose, preferring a row that has one: sentences (their
    ``collected`` types) and the collection table are the app's; the SDK table's rows are each
    SDK's."""
    best: dict[tuple[str, str], PolicyPi] = {}

    def keep(row: PolicyPi) -> None:
        old = best.get((row.pi_type, row.party))
        if old is None or (not old.purpose_from and row.purpose_from):
            best[(row.pi_type, row.party)] = row

    for s in statements:
        ref = TextRef(s.text, s.span, s.section)
        at = statements[s.purpose_at] if s.purpose_at is not None else None
        purpose = TextRef(at.text, at.span, at.section) if at is not None else None
        if s.purpose_from == "sentence":
            purpose = ref
        for pi in s.collected:
            keep(PolicyPi(pi, "app", ref, s.purpose_from, purpose))
    if profile is not None:
        for row in profile.collection_rows:
            for pi in row.pi_types or tuple(covered_types(row.ref.text)):
                keep(PolicyPi(pi, "app", row.ref, *_row_purpose(row.purpose, row.ref)))
        for sdk in profile.sdk_rows:
            for pi in sdk.pi_types or tuple(covered_types(sdk.ref.text)):
                party = sdk.name or "SDK"
                keep(PolicyPi(pi, party, sdk.ref, *_row_purpose(sdk.purpose, sdk.ref)))
    return tuple(sorted(best.values(), key=lambda r: (r.party != "app", r.party, r.pi_type)))


def _row_purpose(purpose: str, ref: TextRef) -> tuple[str, TextRef | None]:
    return ("table", ref) if purpose else ("", None)
