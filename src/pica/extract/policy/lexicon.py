"""Compiled patterns from knowledge/data/policy_lexicon.yaml and the PI taxonomy's synonyms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pica.knowledge import load_data

_FLAGS = re.IGNORECASE


def _rx(value: Any) -> re.Pattern[str]:
    if isinstance(value, list | tuple):
        value = "|".join(f"(?:{v})" for v in value)
    return re.compile(str(value), _FLAGS)


def _both(entry: dict[str, Any]) -> re.Pattern[str]:
    parts = list(entry.get("zh") or []) + list(entry.get("en") or [])
    return _rx(parts)


@dataclass(frozen=True)
class PiMatcher:
    """Finds PI terms in text and maps each to its taxonomy id (longest term wins).

    Literal terms, case-insensitive; an ASCII term must not touch ASCII letters on either side
    ("MAC" does not match inside "Macintosh"). A first-character class finds candidate
    positions, then the few terms starting with that character are tried longest first.
    """

    first: re.Pattern[str] | None
    by_first: dict[str, tuple[str, ...]]  # lower-case first char -> lower-case terms, longest first
    ids: dict[str, str]  # lower-cased term -> taxonomy id
    from_taxonomy: bool

    def find(self, text: str) -> list[tuple[str, int, int, str]]:
        """(pi_id, start, end, term) for every non-overlapping term in ``text``."""
        if self.first is None:
            return []
        low = text.lower()
        out = []
        pos = 0
        n = len(low)
        while True:
            m = self.first.search(low, pos)
            if m is None:
                break
            i = m.start()
            hit = None
            for term in self.by_first.get(low[i], ()):
                if low.startswith(term, i):
                    j = i + len(term)
                    if term[0].isascii() and term[0].isalnum() and i > 0 and _is_ascii_letter(low[i - 1]):
                        continue
                    if term[-1].isascii() and term[-1].isalnum() and j < n and _is_ascii_letter(low[j]):
                        continue
                    hit = term
                    break
            if hit is None:
                pos = i + 1
                continue
            out.append((self.ids[hit], i, i + len(hit), text[i : i + len(hit)]))
            pos = i + len(hit)
        return out

    def ids_in(self, text: str) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for pid, *_ in self.find(text):
            seen.setdefault(pid, None)
        return tuple(seen)


def _is_ascii_letter(c: str) -> bool:
    return c.isascii() and c.isalpha()


def build_pi_matcher(terms: dict[str, list[str]], from_taxonomy: bool) -> PiMatcher:
    ids: dict[str, str] = {}
    for pid, words in terms.items():
        for w in words:
            w = str(w or "").strip().lower()
            if not w or (len(w) < 2 and not w.isascii()) or (w.isascii() and len(w) < 2):
                continue
            ids.setdefault(w, pid)
    if not ids:
        return PiMatcher(None, {}, {}, from_taxonomy)
    by_first: dict[str, list[str]] = {}
    for t in ids:
        by_first.setdefault(t[0], []).append(t)
    frozen = {k: tuple(sorted(v, key=len, reverse=True)) for k, v in by_first.items()}
    first = re.compile("[" + "".join(re.escape(c) for c in sorted(frozen)) + "]")
    return PiMatcher(first, frozen, ids, from_taxonomy)


@cache
def pi_matcher() -> PiMatcher:
    """The PI matcher: the shared taxonomy's zh/en names and synonyms, else the lexicon fallback."""
    try:
        from pica.knowledge import taxonomy

        tax = taxonomy()
    except Exception:  # taxonomy file absent or malformed: use the reviewed fallback list
        tax = None
    if tax:
        terms = {
            pid: [t.name_zh, t.name_en, *t.synonyms_zh, *t.synonyms_en] for pid, t in tax.items()
        }
        # Merge the lexicon's fallback synonyms where the taxonomy has none for that id.
        for pid, words in lexicon_data()["pi_fallback"]["terms"].items():
            if pid in terms:
                terms[pid] = terms[pid] + [w for w in words]
        return build_pi_matcher(terms, True)
    return build_pi_matcher(dict(lexicon_data()["pi_fallback"]["terms"]), False)


@cache
def lexicon_data() -> dict[str, Any]:
    return load_data("policy_lexicon.yaml")


@dataclass(frozen=True)
class Lexicon:
    actions: dict[str, re.Pattern[str]]
    generic_pi: re.Pattern[str]
    purpose: re.Pattern[str]
    purpose_stop: re.Pattern[str]
    receivers: dict[str, re.Pattern[str]]
    conditions: dict[str, re.Pattern[str]]
    weak_purposes: re.Pattern[str]
    rights: dict[str, re.Pattern[str]]
    rights_enabler: re.Pattern[str]
    personalisation: re.Pattern[str]
    change: re.Pattern[str]
    notify: re.Pattern[str]
    notify_subject: re.Pattern[str]
    minors: re.Pattern[str]
    contact: dict[str, re.Pattern[str]]
    company: re.Pattern[str]
    company_hint: re.Pattern[str]
    controller_cue: re.Pattern[str]
    date_label: re.Pattern[str]
    date: re.Pattern[str]
    date_en: re.Pattern[str]
    limit_amount: re.Pattern[str]
    limit_verb: re.Pattern[str]
    limit_rights: re.Pattern[str]
    limit_complaint: re.Pattern[str]
    unreasonable_scope: re.Pattern[str]
    unreasonable: tuple[re.Pattern[str], ...]
    jargon: re.Pattern[str]
    thresholds: dict[str, float]


@cache
def lexicon() -> Lexicon:
    d = lexicon_data()
    rights = d["rights"]
    contact = d["contact"]
    rl = d["response_limit"]
    uc = d["unreasonable_conditions"]
    return Lexicon(
        actions={k: _both(v) for k, v in d["actions"].items()},
        generic_pi=_both(d["generic_pi"]),
        purpose=_both(d["purpose"]),
        purpose_stop=re.compile(d["purpose_stop"]),
        receivers={k: _rx(v) for k, v in d["receivers"].items() if k != "source"},
        conditions={k: _rx(v) for k, v in d["conditions"].items() if k != "source"},
        weak_purposes=_rx([d["weak_purposes"]["zh"], d["weak_purposes"]["en"]]),
        rights={
            k: _rx(v) for k, v in rights.items() if k not in ("source", "enabler")
        },
        rights_enabler=_rx(rights["enabler"]),
        personalisation=_rx(d["personalisation"]["pattern"]),
        change=_rx(d["change_notice"]["change"]),
        notify=_rx(d["change_notice"]["notify"]),
        notify_subject=_rx(d["change_notice"]["subject"]),
        minors=_rx(d["minors"]["pattern"]),
        contact={k: _rx(v) for k, v in contact.items() if k != "source"},
        company=_rx(d["controller"]["company"]),
        company_hint=_rx(r"公司|工作室|合伙企业|个体工商户|ltd|inc\.|llc|limited"),
        controller_cue=_rx(d["controller"]["cue"]),
        date_label=_rx(d["dates"]["label"]),
        date=_rx(d["dates"]["date"]),
        date_en=_rx(d["dates"]["date_en"]),
        limit_amount=_rx(rl["amount"]),
        limit_verb=_rx(rl["verb"]),
        limit_rights=_rx(rl["rights_scope"]),
        limit_complaint=_rx(rl["complaint_scope"]),
        unreasonable_scope=_rx(uc["scope"]),
        unreasonable=tuple(_rx(p) for p in uc["patterns"]),
        jargon=_rx(d["jargon"]["pattern"]),
        thresholds={k: float(v) for k, v in d["thresholds"].items()},
    )
