"""Compiled patterns from knowledge/data/policy_lexicon.yaml and the PI taxonomy's synonyms.

Start-up: compiling the patterns and deriving their prefilters (``Gate``) from ``re``'s parse
trees took a quarter of a second in every process. Both are kept in pica's user cache
(``rxcache``, keyed by pica's version, the interpreter's, the data files and this module's
source), and the first search makes the gates of all the lexicon's patterns (and the ones other
modules ``register``) at once, so the index over them is built once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, reduce
from operator import or_
from typing import Any, NamedTuple

import numpy as np

from pica.extract.policy import rxcache
from pica.knowledge import policy_lexicon

_FLAGS = re.IGNORECASE
_DATA_FILES = ("policy_lexicon.yaml", "pi_taxonomy.yaml")  # what the patterns are made from
_STORE: list[rxcache.Store] = []


def _store() -> rxcache.Store:
    """The compiled code and prefilter data kept from an earlier process (``rxcache``)."""
    if not _STORE:
        from pica import cache

        try:  # what the kept data derives from: the data files, and the code that derives it
            code = cache.file_digest(__file__, rxcache.__file__)
            key = cache.key("lexicon", rxcache.engine(), cache.data_digest(_DATA_FILES), code)
        except Exception:  # sources not readable (a frozen install): compiled as usual
            key = None
        _STORE.append(rxcache.Store("lexicon", key))
    return _STORE[0]


def compile_cached(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile``, from the code kept in pica's cache when there is some (``rxcache``): for
    this module's patterns, and the slowest ones other modules compile on import."""
    return _store().compile(pattern, flags)


def _rx(value: Any) -> re.Pattern[str]:
    if isinstance(value, list | tuple):
        value = "|".join(f"(?:{v})" for v in value)
    return compile_cached(str(value), _FLAGS)


def _both(entry: dict[str, Any]) -> re.Pattern[str]:
    parts = list(entry.get("zh") or []) + list(entry.get("en") or [])
    return _rx(parts)


@dataclass(frozen=True)
class PiMatcher:
    """Finds PI terms in text and maps each to its taxonomy id (longest term wins).

    Literal terms, case-insensitive; an ASCII term must not touch ASCII letters on either side
    ("MAC" does not match inside "Macintosh"). All terms are one regex (``_trie_pattern``), so the
    scan runs in C: leftmost position first, at each position the longest term whose boundary
    conditions hold, then on after it (non-overlapping).
    """

    rx: re.Pattern[str] | None  # the terms as one trie-shaped alternation, on lower-cased text
    ids: dict[str, str]  # lower-cased term -> taxonomy id
    from_taxonomy: bool

    def find(self, text: str) -> list[tuple[str, int, int, str]]:
        """(pi_id, start, end, term) for every non-overlapping term in ``text``."""
        if self.rx is None:
            return []
        ids = self.ids
        # offsets are those of the lower-cased text, as the terms are matched there
        return [
            (ids[m.group()], m.start(), m.end(), text[m.start() : m.end()])
            for m in self.rx.finditer(text.translate(_FULLWIDTH).lower())
        ]

    def find_many(self, texts: Sequence[str]) -> list[list[tuple[str, int, int, str]]]:
        """``find`` for each of ``texts`` (the sentences of a document), faster: a term starts
        where its first two characters do, so one numpy pass over the texts lists the positions
        worth trying (a few per sentence, where ``find``'s scan tries every position holding
        a term's first character, a quarter of a policy's), and the pattern is matched there
        only, in order, as ``finditer`` would. Texts with a non-ASCII character that has a
        lower case go through ``find``: the pass lower-cases ASCII only."""
        if self.rx is None:
            return [[] for _ in texts]
        out: list[list[tuple[str, int, int, str]]] = []
        for c in range(0, len(texts), _FIND_CHUNK):
            out.extend(self._find_chunk(texts[c : c + _FIND_CHUNK]))
        return out

    @cached_property
    def _tables(self):
        """(pair tables of the terms' first two characters, ASCII upper case numbered as lower
        case; per code point, 1 if lower-casing it is not ASCII's), or None when a term's
        first two characters are not all in the Basic Multilingual Plane."""
        heads = sorted({t[:2] for t in self.ids})
        if any(ord(c) >= _ASTRAL for h in heads for c in h):
            return None
        firsts, seconds, columns, grid = _pair_grid(heads)
        for column in (firsts, seconds):
            for c in range(ord("a"), ord("z") + 1):
                column[c - 32] = column[c]
        cased = np.zeros(_ASTRAL + 1, dtype=np.uint8)
        cased[[ord(c) for c in _cased() if c >= "\x80" and c.lower() != c]] = 1
        cased[_ASTRAL] = 1  # outside the BMP: not looked at, so assumed
        cased[list(_FULLWIDTH_ALNUM)] = 1  # read as ASCII by ``find``: sent there
        return (firsts, seconds, columns, grid), cased

    def _find_chunk(self, texts: Sequence[str]) -> list[list[tuple[str, int, int, str]]]:
        tables = self._tables
        joined = _join(texts)
        if tables is None or joined.n < 2:
            return [self.find(t) for t in texts]
        pair_tables, cased = tables
        lengths, ends, starts = joined.lengths, joined.ends, joined.starts
        # a text is looked at here unless it holds a character ASCII lower-casing misses
        flags = _or_per_text(np.take(cased, joined.clipped), joined)
        other = (flags != 0) & (lengths > 0)
        pair = _pairs_within(joined, pair_tables)
        at = np.flatnonzero(pair)
        owner = np.searchsorted(ends, at, side="right")
        result: list[list[tuple[str, int, int, str]]] = [[] for _ in texts]
        for i in np.flatnonzero(other).tolist():
            result[i] = self.find(texts[i])
        skip = other.tolist()
        match, ids = self.rx.match, self.ids
        current, end = -1, 0
        text = lowered = ""
        found = result[0]
        for i, p in zip(owner.tolist(), (at - starts[owner]).tolist(), strict=True):
            if skip[i]:
                continue
            if i != current:
                current, end = i, 0
                text = texts[i]
                lowered = text.lower()
                found = result[i]
            if p < end:
                continue  # inside the previous term: matches do not overlap
            m = match(lowered, p)
            if m is not None:
                s, end = m.span()
                found.append((ids[m.group()], s, end, text[s:end]))
        return result

    def ids_in(self, text: str) -> tuple[str, ...]:
        if self.rx is None:
            return ()
        ids = self.ids
        # dict keys keep first-seen order: the ids in order of their first term
        return tuple(dict.fromkeys(ids[t] for t in self.rx.findall(text.lower())))


_LETTER = "[A-Za-z]"  # what counts as an ASCII letter next to an ASCII term
_FIND_CHUNK = 4096  # texts per numpy pass of ``PiMatcher.find_many`` (bounds its arrays)


def _ascii_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _trie_pattern(terms: list[str]) -> str:
    """One regex for ``terms`` (lower-case, >= 2 characters) with the matcher's semantics.

    A trie: at each node the longer continuations come before ending here, so at a position the
    regex takes the longest term whose boundary checks pass, backtracking to shorter ones when
    they fail. Each top-level branch starts with a literal character, so ``re`` scans for
    candidate positions with one character-set test; the "no ASCII letter before" check is the
    two-character lookbehind after that first character for the same reason.
    """
    trie: dict = {}
    for t in terms:
        node = trie
        for c in t:
            node = node.setdefault(c, {})
        node[""] = True  # a term ends here

    def alts(node: dict, last: str) -> str:
        out = [re.escape(c) + alts(child, c) for c, child in node.items() if c]
        if "" in node:  # end of a term: the "no ASCII letter after" check for an ASCII end
            out.append(f"(?!{_LETTER})" if _ascii_alnum(last) else "")
        if len(out) == 1:
            return out[0]
        return "(?:" + "|".join(out) + ")"

    top = []
    for c, child in trie.items():
        after = f"(?<!{_LETTER}.)" if _ascii_alnum(c) else ""
        top.append(re.escape(c) + after + alts(child, c))
    return "|".join(top)


_ASCII_THEN_CJK = re.compile(r"(?<=[a-z0-9])(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?=[a-z0-9])")
# Full-width ASCII (ＩＭＥＩ, ＩＰ地址) read as ASCII: one character for one, so offsets hold.
# Letters and digits only: full-width punctuation (（IMEI）) is left as written.
_FULLWIDTH_ALNUM = (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
_FULLWIDTH = {c: c - 0xFEE0 for c in _FULLWIDTH_ALNUM}


def build_pi_matcher(
    terms: dict[str, list[str]], from_taxonomy: bool, not_alone: frozenset[str] = frozenset()
) -> PiMatcher:
    """``not_alone``: terms that name no PI on their own (policy_lexicon.yaml ``pi_not_alone``);
    each term with Latin letters next to Chinese also matches with one space there ("IP 地址")."""
    ids: dict[str, str] = {}
    for pid, words in terms.items():
        for w in words:
            w = str(w or "").strip().lower()
            if not w or (len(w) < 2 and not w.isascii()) or (w.isascii() and len(w) < 2):
                continue
            if w in not_alone:
                continue
            ids.setdefault(w, pid)
            spaced = _ASCII_THEN_CJK.sub(" ", w)
            if spaced != w:
                ids.setdefault(spaced, pid)
    if not ids:
        return PiMatcher(None, {}, from_taxonomy)
    return PiMatcher(_trie(sorted(ids)), ids, from_taxonomy)


def _trie(terms: list[str]) -> re.Pattern[str]:
    """The compiled ``_trie_pattern`` of ``terms``; the pattern itself kept in the cache too
    (making it walks every term's characters)."""
    import hashlib

    store = _store()
    name = "trie " + hashlib.sha256("\n".join(terms).encode("utf-8")).hexdigest()
    pattern = store.get(name)
    if pattern is None:
        pattern = _trie_pattern(terms)
        store.put(name, pattern)
    return store.compile(pattern)


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
        return build_pi_matcher(terms, True, _not_alone())
    return build_pi_matcher(dict(lexicon_data()["pi_fallback"]["terms"]), False, _not_alone())


def _not_alone() -> frozenset[str]:
    return frozenset(
        str(t).lower() for t in lexicon_data().get("pi_not_alone", {}).get("terms", ())
    )


def lexicon_data() -> dict[str, Any]:
    return policy_lexicon()


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
    cls: dict[str, re.Pattern[str]]  # sentence-class patterns (policy_lexicon.yaml "classes")


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
        purpose_stop=compile_cached(d["purpose_stop"]),
        receivers={k: _rx(v) for k, v in d["receivers"].items() if k != "source"},
        conditions={k: _rx(v) for k, v in d["conditions"].items() if k != "source"},
        weak_purposes=_rx([d["weak_purposes"]["zh"], d["weak_purposes"]["en"]]),
        rights={k: _rx(v) for k, v in rights.items() if k not in ("source", "enabler")},
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
        cls={k: _rx(v) for k, v in d["classes"].items() if k != "source"},
    )


# ------------------------------------------------------------------------------------------
# Speed: a pattern can only match a sentence that contains one of the strings a match can start
# with. ``prefixes`` (below) computes them from the parsed pattern; ``Gate`` skips ``search``
# when the sentence has none of them.

try:  # Python >= 3.11
    from re import _constants as _sc  # type: ignore[attr-defined]
    from re import _parser as _sp  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as _sc  # type: ignore[no-redef]
    import sre_parse as _sp  # type: ignore[no-redef]

_DIGITS = frozenset("0123456789０１２３４５６７８９")
# What ``\s`` matches in a str pattern: the characters ``str.isspace`` accepts, none above U+3000.
_SPACES = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())


# Stronger than the first character: the first *two* characters. Most Chinese patterns start
# with a common character (您, 我, 个…) but a rare pair (您可, 个性…). ``prefixes`` computes the set
# of strings of length <= 2 every match starts with (None when unknown); ``grams`` gives a
# sentence's characters plus its character pairs, so one ``isdisjoint`` decides whether the
# regex can match at all.

_MAX_SET = 4000
_UNKNOWN = frozenset({("", False)})


def _p_seq(items, k: int) -> frozenset[tuple[str, bool]]:
    """(prefix, full) pairs: every match of ``items`` starts with one prefix; ``full`` says the
    prefix is the whole match (so what follows in the enclosing sequence may extend it)."""
    if not items or k <= 0:
        return frozenset({("", True)}) if not items else frozenset({("", False)})
    out: set[tuple[str, bool]] = set()
    head = _p_item(items[0][0], items[0][1], k)
    rest = items[1:]
    for s, full in head:
        if full and rest:
            if len(s) < k:
                for t, f2 in _p_seq(rest, k - len(s)):
                    out.add((s + t, f2))
            else:
                out.add((s, False))
        else:
            out.add((s, full))
        if len(out) > _MAX_SET:
            return _UNKNOWN
    return frozenset(out)


def _p_item(op, av, k: int) -> frozenset[tuple[str, bool]]:
    if op is _sc.LITERAL:
        return frozenset({(chr(av), True)})
    if op is _sc.IN:
        chars: set[str] = set()
        for iop, iav in av:
            if iop is _sc.LITERAL:
                chars.add(chr(iav))
            elif iop is _sc.RANGE:
                lo, hi = iav
                if hi - lo > 64:
                    return _UNKNOWN
                chars.update(chr(c) for c in range(lo, hi + 1))
            elif iop is _sc.CATEGORY and iav is _sc.CATEGORY_DIGIT:
                chars |= _DIGITS
            elif iop is _sc.CATEGORY and iav is _sc.CATEGORY_SPACE:
                chars |= _SPACES
            else:
                return _UNKNOWN
        return frozenset((c, True) for c in chars)
    if op is _sc.CATEGORY and av is _sc.CATEGORY_DIGIT:
        return frozenset((c, True) for c in _DIGITS)
    if op is _sc.CATEGORY and av is _sc.CATEGORY_SPACE:
        return frozenset((c, True) for c in _SPACES)
    if op is _sc.BRANCH:
        out: set[tuple[str, bool]] = set()
        for branch in av[1]:
            out |= _p_seq(list(branch), k)
            if len(out) > _MAX_SET:
                return _UNKNOWN
        return frozenset(out)
    if op is _sc.SUBPATTERN:
        return _p_seq(list(av[-1]), k)
    if op in (_sc.MAX_REPEAT, _sc.MIN_REPEAT, getattr(_sc, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        if hi == 0:
            return frozenset({("", True)})
        one = _p_seq(list(sub), k)
        out = {(s, full and hi == 1) for s, full in one}
        if lo == 0:
            out.add(("", True))
        return frozenset(out)
    if op is _sc.AT or op in (_sc.ASSERT, _sc.ASSERT_NOT):
        return frozenset({("", True)})  # zero-width: constrains nothing
    return _UNKNOWN


def _parse(rx: re.Pattern[str]):
    """``rx`` parsed by ``re``'s own parser (the tree ``prefixes``, ``required_chars`` and
    ``_scans_fast`` read), or None."""
    try:
        return _sp.parse(rx.pattern, rx.flags & ~re.UNICODE)
    except Exception:
        return None


def prefixes(rx: re.Pattern[str], parsed=None) -> frozenset[str] | None:
    """Strings (1 or 2 characters) one of which every match of ``rx`` starts with, else None.
    ``parsed``: ``_parse(rx)`` when the caller has it."""
    try:
        parsed = parsed if parsed is not None else _parse(rx)
        pairs = _p_seq(list(parsed), 2)
    except Exception:  # unknown construct: never gate
        return None
    out = {s for s, _full in pairs}
    if not out or "" in out:
        return None
    if rx.flags & re.IGNORECASE:
        wide: set[str] = set()
        for s in out:
            if len(s) == 1:
                wide |= _case_variants(s)
            else:
                wide.update(a + b for a in _case_variants(s[0]) for b in _case_variants(s[1]))
        out = wide
    return frozenset(out)


@cache
def _case_variants(c: str) -> frozenset[str]:
    """The characters a case-insensitive ``re`` pattern matches for the character ``c``: not
    only ``c.lower()`` and ``c.upper()`` but, say, "ſ" (long s) for "s" and the Kelvin sign for
    "k", so that a prefilter key misses no text ``re`` would match."""
    return frozenset(re.compile(re.escape(c), re.IGNORECASE).findall(_cased())) | {c}


def _r_seq(items) -> frozenset[str] | None:
    """Characters one of which every match of ``items`` contains (the smallest such set found),
    else None."""
    best = None
    for op, av in items:
        r = _r_item(op, av)
        if r is not None and (best is None or _r_cost(r) < _r_cost(best)):
            best = r
    return best


# Characters nearly every policy sentence has: a required set made of them rules out little, so
# another item of the sequence is preferred (a speed heuristic only; any choice is exact).
_COMMON = frozenset("的您你我们信息个人用使服务在和或及与为了提供会将是对等可以中其他该此如")


def _r_cost(r: frozenset[str]) -> int:
    return len(r) + 50 * len(r & _COMMON)


def _r_item(op, av) -> frozenset[str] | None:
    if op is _sc.LITERAL:
        return frozenset(chr(av))
    if op is _sc.IN:
        chars: set[str] = set()
        for iop, iav in av:
            if iop is _sc.LITERAL:
                chars.add(chr(iav))
            elif iop is _sc.RANGE and iav[1] - iav[0] <= 64:
                chars.update(chr(c) for c in range(iav[0], iav[1] + 1))
            else:
                return None
        return frozenset(chars)
    if op is _sc.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            r = _r_seq(list(branch))
            if r is None:
                return None
            out |= r
        return frozenset(out)
    if op is _sc.SUBPATTERN:
        return _r_seq(list(av[-1]))
    if op in (_sc.MAX_REPEAT, _sc.MIN_REPEAT, getattr(_sc, "POSSESSIVE_REPEAT", None)):
        lo, _hi, sub = av
        return _r_seq(list(sub)) if lo >= 1 else None
    return None


def required_chars(rx: re.Pattern[str], parsed=None) -> frozenset[str] | None:
    """Characters one of which every match of ``rx`` contains, else None (a necessary condition,
    like ``prefixes``, for patterns whose matches can start almost anywhere: ``^…``, ``.{0,n}…``)."""
    try:
        req = _r_seq(list(parsed if parsed is not None else _parse(rx)))
    except Exception:
        return None
    if not req:
        return None
    if rx.flags & re.IGNORECASE:
        req = frozenset(v for c in req for v in _case_variants(c))
    return req


def grams(text: str) -> set[str]:
    """The characters of ``text`` and its adjacent character pairs (the key set Gate tests)."""
    g = set(text)
    g.update(map(str.__add__, text, text[1:]))
    return g


class Gate:
    """``search`` that first checks the sentence has a 1-2 character string a match starts with.
    ``chars`` must be ``grams(text)``: a plain ``set(text)`` lacks the pairs."""

    __slots__ = ("rx", "first", "req", "test", "order", "_fast")

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.rx = rx
        store = _store()
        name = f"gate {rx.flags} {rx.pattern}"
        kept = store.get(name)
        if kept is not None:  # from the cache: the sets, and the existence form's pattern
            first, req, test = kept
            self.first = None if first is None else frozenset(first)
            self.req = None if req is None else frozenset(req)
            self.test = rx if test is None else store.compile(test, rx.flags)
        else:
            parsed = _parse(rx)
            self.first = prefixes(rx, parsed)
            req = required_chars(rx, parsed)
            # Only worth a test when it can rule out what the prefixes do not.
            self.req = req if req is not None and (self.first is None or len(req) < 40) else None
            self.test = _existence_form(rx, self.first, parsed)
            kept = [None if v is None else sorted(v) for v in (self.first, self.req)]
            store.put(name, [*kept, None if self.test is rx else self.test.pattern])
        self.order = -1
        self._fast: re.Pattern[str] | None = None

    @property
    def fast(self) -> re.Pattern[str]:
        """``rx`` with the same matches, found faster (for ``finditer``; compiled on first use,
        as only a few patterns are iterated)."""
        if self._fast is None:
            rx = self.rx
            # ``test`` is ``rx`` itself where re already scans fast (or nothing gates it)
            self._fast = rx if self.test is rx else _with_first_class(rx, self.first)
        return self._fast

    def search(self, text: str, chars: frozenset[str] | set[str]) -> bool:
        if self.first is not None and self.first.isdisjoint(chars):
            return False
        if self.req is not None and self.req.isdisjoint(chars):
            return False
        return self.test.search(text) is not None


def _class_body(chars) -> str:
    """The inside of a regex character class holding exactly ``chars``."""
    return "".join(re.escape(c) for c in sorted(chars))


def _with_first_class(rx: re.Pattern[str], first: frozenset[str] | None) -> re.Pattern[str]:
    """``rx`` behind a lookahead for the characters a match can start with. Same matches (every
    match starts with one of them), but ``re`` then rejects most positions with one class test
    instead of trying each branch of a long alternation (5-7x faster on the PI noun lists)."""
    if first is None:
        return rx
    cls = _class_body({s[0] for s in first})
    try:
        return compile_cached(f"(?=[{cls}])(?:{rx.pattern})", rx.flags)
    except re.error:  # e.g. global inline flags in the pattern: keep it as it is
        return rx


def _scans_fast(rx: re.Pattern[str], parsed=None) -> bool:
    """Whether ``re`` already skips ahead on its own when searching ``rx``: a pattern anchored
    at the start is tried at one position, and one with a literal or character-set prefix is
    located by a tight scan in C before any matching is tried (``re``'s own analysis, from its
    private compiler module; False when that is not available)."""
    try:
        from re import _compiler  # type: ignore[attr-defined]

        parsed = parsed if parsed is not None else _parse(rx)
        if parsed.data and parsed.data[0][0] is _sc.AT:
            if parsed.data[0][1] in (_sc.AT_BEGINNING, _sc.AT_BEGINNING_STRING):
                return True
        if _compiler._get_literal_prefix(parsed, rx.flags)[0]:
            return True
        return bool(_compiler._get_charset_prefix(parsed, rx.flags))
    except Exception:  # another Python's internals
        return False


@cache
def _cased() -> str:
    """The BMP characters with a case mapping: the only ones a case-insensitive class can match
    besides its own members (kept in the cache: 65,536 tests)."""
    store = _store()
    kept = store.get("cased")
    if kept is None:
        kept = "".join(c for c in map(chr, range(0x10000)) if c.lower() != c or c.upper() != c)
        store.put("cased", kept)
    return kept


def _existence_form(
    rx: re.Pattern[str], first: frozenset[str] | None, parsed=None
) -> re.Pattern[str]:
    """A pattern that matches a text exactly when ``rx`` matches somewhere in it, for ``has``
    (which needs no match object). ``(?-i:[F])(?<=(?=(?:rx)).)`` with F the characters a match
    of ``rx`` can start with: ``re`` finds the positions holding one of them with its C scan for
    a leading character set (the lookahead form ``fast`` makes it try ``rx`` at every
    position), and there checks that ``rx`` matches from that character on (the one-character
    lookbehind steps back onto it). The class is case-sensitive, so that ``re`` uses the scan,
    and closed under ``rx``'s case folding, so that it matches what ``rx`` would. 1.6x faster
    than ``fast`` over the fixture policies' sentences."""
    if first is None or _scans_fast(rx, parsed):
        return rx
    chars = {s[0] for s in first}
    if rx.flags & re.IGNORECASE:
        chars = {v for c in chars for v in _case_variants(c)}
    cls = _class_body(chars)
    try:
        return compile_cached(f"(?-i:[{cls}])(?<=(?=(?:{rx.pattern})).)", rx.flags)
    except re.error:  # e.g. global inline flags in the pattern: keep the lookahead form
        return _with_first_class(rx, first)


_GATES: dict[int, Gate] = {}
# Inverted index over the gates, so one sentence's candidate patterns come out of a few C-level
# operations instead of two ``isdisjoint`` tests per pattern per call: key (a character or a
# pair) -> bit mask of the patterns (bit = Gate.order) whose prefixes (resp. required
# characters) contain it.
_PREF_IDX: dict[str, int] = {}
_REQ_IDX: dict[str, int] = {}
_PREF_KEYS: set[str] = set()
_REQ_KEYS: set[str] = set()
_NO_FIRST = [0]  # mask of the patterns with no prefix set: always candidates on that test
_NO_REQ = [0]
_ORDER: dict[int, int] = {}  # id -> Gate.order
_SEARCH: list = []  # order -> the bound ``search`` of the gate's existence form (``test``)


def searcher(text: str):
    """``has(rx) -> bool`` for one sentence: the gated search, inlined (it runs ~50 times per
    sentence, so the saved calls matter). The sentence's keys (characters, and pairs some prefix
    starts with) select the candidate patterns from the inverted index as one bit mask
    (``candidate_mask``); ``has`` on any other known pattern is a dict lookup and a shift. For
    the sentences of a document, ``searchers`` is faster."""
    known = _current_index()
    return _has(text, candidate_mask(text), known)


def _current_index() -> int:
    """The number of gates, after bringing what the index derives from them up to date."""
    if not _PREPARED:
        _prepare()
    known = len(_GATES)
    if _PAIR_RX[1] != known:
        _pair_rx_update()
    return known


def candidate_mask(text: str) -> int:
    """Bit ``Gate.order`` set for each pattern that may match ``text``: its prefix test and its
    required-character test both pass (bits of gates made after this call are meaningless)."""
    _current_index()
    # The sentence's characters, and its pairs that start with a character some two-character
    # key starts with (``grams`` restricted to what the index can use).
    cs = set(text)
    cs.update(_PAIR_RX[0].findall(text))
    # both masks at once from the combined index: prefix bits low, required bits ``width`` up
    both, keys, always, width = _BOTH
    m = reduce(or_, map(both.__getitem__, cs & keys), always)
    return m & (m >> width)


def _has(text: str, possible: int, known: int):
    """The sentence's ``has`` (with ``which`` and ``maybe``) over its candidate mask."""
    srch = _SEARCH
    order = _ORDER

    def has(rx: re.Pattern[str]) -> bool:
        o = order.get(id(rx))
        if o is not None and o < known:
            if possible >> o & 1:
                return srch[o](text) is not None
            return False
        return gate(rx).search(text, grams(text))  # a pattern new since: full test

    def which(group: PatternGroup) -> list[str]:
        """The names of ``group`` whose pattern matches, in order (``has`` on each, without a
        call per pattern)."""
        if group.top >= known:
            return [k for k, rx in group.items if gate(rx).search(text, grams(text))]
        if not possible & group.mask:
            return []  # no pattern of the group can match
        return [k for k, o, search in group.entries if possible >> o & 1 and search(text)]

    def maybe(group: PatternGroup) -> bool:
        """False only if no pattern of ``group`` can match (then ``has`` is False for each of
        them): one mask test lets a caller skip a block of checks that would all fail."""
        return group.top >= known or possible & group.mask != 0

    # ``which`` and ``maybe`` do not refer to ``has``: no reference cycle, so a sentence's
    # closures are freed at once instead of by the cyclic garbage collector.
    has.which = which  # type: ignore[attr-defined]
    has.maybe = maybe  # type: ignore[attr-defined]
    return has


# Sentences whose candidate masks ``searchers`` computes in one numpy pass: enough to make the
# per-pass overhead negligible, few enough to bound the arrays (chunk chars x 32 bytes) and to
# let gates made while the chunk is analysed join the index for the next one.
_CHUNK_SENTENCES = 256


def searchers(text: str, spans: Sequence[tuple[int, int]]) -> Iterator:
    """``searcher(text[s:e])`` for each span, in order, with the candidate masks of a chunk of
    spans computed at once in numpy (the per-sentence set, pair scan and dictionary lookups are
    a sixth of the analysis time otherwise). The masks equal ``candidate_mask``'s, so the
    results are the same.

    Gates are made on first use, so while the caller's checks still make new ones (the first
    sentences a process analyses) each sentence gets ``searcher``'s mask over the index as it
    is then; a chunk's masks cover the gates that existed when it was computed, and a chunk is
    cut short when new gates appear."""
    i, n = 0, len(spans)
    learning = True
    while i < n:
        known = _current_index()
        tables = _TABLES[0]
        if learning or tables is None:  # (None: a key the tables cannot hold, non-BMP)
            s, e = spans[i]
            yield searcher(text[s:e])
            i += 1
            learning = len(_GATES) != known
            continue
        texts = [text[s:e] for s, e in spans[i : i + _CHUNK_SENTENCES]]
        for sentence, possible in zip(texts, _chunk_masks(texts, tables), strict=True):
            yield _has(sentence, possible, known)
            i += 1
            if len(_GATES) != known:
                learning = True
                break


_ASTRAL = 0x10000  # code points from here share the tables' last row (no key uses them)


def _chunk_masks(texts: Sequence[str], tables) -> list[int]:
    """``candidate_mask(t)`` for each of ``texts``, vectorised over their concatenation (only
    the sentences: the text between them, however long, costs nothing): each position's row is
    its character's index bits OR its pair's (the pair that starts there and ends in the same
    sentence); a sentence's mask is the OR of its rows."""
    ctab, firsts, seconds, columns, grid, ptab, always, width = tables
    joined = _join(texts)
    if joined.n == 0:
        return [always & (always >> width)] * len(texts)
    # (``np.take`` rather than fancy indexing: several times faster for these gathers)
    rows = np.take(ctab, joined.clipped, axis=0)
    if joined.n > 1:
        # the pair starting at each position: its row in ``ptab`` (0, all zero, for no key)
        pair = _pairs_within(joined, (firsts, seconds, columns, grid))
        rows[: joined.n - 1] |= np.take(ptab, pair, axis=0)
    red = np.ascontiguousarray(_or_per_text(rows, joined))
    buf = red.tobytes()
    step = red.shape[1] * 8
    out = []
    for i, size in enumerate(joined.lengths.tolist()):
        m = (int.from_bytes(buf[i * step : (i + 1) * step], "little") if size else 0) | always
        out.append(m & (m >> width))
    return out


# (character table, first-character numbers, second-character numbers, grid columns, pair grid
# (flat), pair table, always, width) for ``_chunk_masks``, or None when a key is outside the Basic Multilingual
# Plane; rebuilt with the index.
_TABLES: list = [None]


def _build_tables(both: dict[str, int], always: int, width: int) -> None:
    words = max(1, -(-2 * width // 64))

    def split(v: int) -> list[int]:
        return [(v >> (64 * j)) & 0xFFFF_FFFF_FFFF_FFFF for j in range(words)]

    singles = {k: v for k, v in both.items() if len(k) == 1}
    pairs = {k: v for k, v in both.items() if len(k) == 2}
    if any(ord(c) >= _ASTRAL for k in both for c in k) or len(singles) + len(pairs) != len(both):
        _TABLES[0] = None
        return
    ctab = np.zeros((_ASTRAL + 1, words), dtype=np.uint64)
    for k, v in singles.items():
        ctab[ord(k)] = split(v)
    order = sorted(pairs)
    firsts, seconds, columns, grid = _pair_grid(order)
    # the pairs' bits by grid cell value; row 0, all zero, for no pair
    ptab = np.array([split(0)] + [split(pairs[k]) for k in order], dtype=np.uint64)
    _TABLES[0] = (ctab, firsts, seconds, columns, grid, ptab.reshape(-1, words), always, width)


def _pair_grid(pairs: Sequence[str]):
    """Two-character keys as lookup tables: (firsts, seconds, columns, grid). ``firsts`` and
    ``seconds`` number the characters that start (resp. end) a key from 1, 0 for any other
    (indexed by code point, one extra row for everything from ``_ASTRAL``); the flat ``grid``
    cell ``firsts[a] * columns + seconds[b]`` holds the key's position in ``pairs`` + 1, or 0.
    Three table lookups per text position, no search."""
    firsts = np.zeros(_ASTRAL + 1, dtype=np.int32)
    seconds = np.zeros(_ASTRAL + 1, dtype=np.int32)
    for column, position in ((firsts, 0), (seconds, 1)):
        for i, c in enumerate(sorted({k[position] for k in pairs}), start=1):
            column[ord(c)] = i
    columns = int(seconds.max()) + 1
    grid = np.zeros((int(firsts.max()) + 1) * columns, dtype=np.int32)
    for row, k in enumerate(pairs, start=1):
        grid[firsts[ord(k[0])] * columns + seconds[ord(k[1])]] = row
    return firsts, seconds, columns, grid


class _Joined(NamedTuple):
    """Texts joined for a vectorised pass: their lengths, ends and starts in the join, the
    total ``n``, and ``clipped``: the join's code points capped at ``_ASTRAL`` plus one final
    ``_ASTRAL`` entry (no character), so that a text ending at the join's end is still a valid
    ``reduceat`` bound."""

    lengths: np.ndarray
    ends: np.ndarray
    starts: np.ndarray
    n: int
    clipped: np.ndarray


def _join(texts: Sequence[str]) -> _Joined:
    lengths = np.fromiter(map(len, texts), dtype=np.intp, count=len(texts))
    ends = np.cumsum(lengths)
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    clipped = np.append(np.minimum(codes, _ASTRAL), _ASTRAL)
    return _Joined(lengths, ends, ends - lengths, int(ends[-1]) if len(texts) else 0, clipped)


def _or_per_text(values: np.ndarray, joined: _Joined) -> np.ndarray:
    """The OR of ``values`` (one entry or row per position of ``joined.clipped``) over each
    text's positions; meaningless for an empty text, which the callers treat apart."""
    bounds = np.empty(2 * len(joined.lengths), dtype=np.intp)
    bounds[0::2] = joined.starts
    bounds[1::2] = joined.ends
    return np.bitwise_or.reduceat(values, bounds, axis=0)[0::2]


def _pairs_within(joined: _Joined, tables) -> np.ndarray:
    """For each position but the last of the join (n >= 2), the grid value of the pair
    starting there (0: not a key, or a pair that crosses from one text into the next)."""
    firsts, seconds, columns, grid = tables
    clipped, n, lengths = joined.clipped, joined.n, joined.lengths
    cell = np.take(firsts, clipped[:-2]) * columns + np.take(seconds, clipped[1:-1])
    pair = np.take(grid, cell)
    last = joined.ends[lengths > 0] - 1  # a pair starting on a text's last character
    pair[last[last < n - 1]] = 0
    return pair


class PatternGroup:
    """Named patterns checked together (``has.which(group)``): their gates, built once."""

    __slots__ = ("items", "entries", "top", "mask")

    def __init__(self, named: dict[str, re.Pattern[str]] | list[tuple[str, re.Pattern[str]]]):
        self.items = tuple(named.items() if isinstance(named, dict) else named)
        gates = [gate(rx) for _k, rx in self.items]
        self.entries = tuple(
            (k, g.order, g.test.search) for (k, _rx), g in zip(self.items, gates, strict=True)
        )
        self.top = max((g.order for g in gates), default=-1)
        self.mask = reduce(or_, (1 << g.order for g in gates), 0)


_PAIR_RX: list = [None, -1]  # (pairs regex, number of gates it was built for)
# The two indexes as one, for ``searcher``: (key -> prefix bits | required bits << width, the
# keys, the always-candidate bits in the same layout, width). One intersection and one reduce
# give both masks; ``m & (m >> width)`` is then their AND.
_BOTH: tuple[dict[str, int], frozenset[str], int, int] = ({}, frozenset(), 0, 0)


def _pair_rx_update() -> None:
    """Rebuild what ``searcher`` derives from the indexes (after new gates were made)."""
    global _BOTH
    firsts = {k[0] for k in _PREF_KEYS | _REQ_KEYS if len(k) == 2}
    cls = _class_body(firsts) or "^\\s\\S"
    # overlapping: the pair is captured inside a lookahead, so every position is tried
    _PAIR_RX[0] = compile_cached(f"(?=([{cls}].))", re.S)
    width = len(_GATES)
    # a key missing from one index stands for no bits there, except that a pattern with no
    # keys in that index is always a candidate on that test (the ``always`` part)
    both = {k: _PREF_IDX.get(k, 0) | _REQ_IDX.get(k, 0) << width for k in _PREF_KEYS | _REQ_KEYS}
    always = _NO_FIRST[0] | _NO_REQ[0] << width
    _BOTH = (both, frozenset(both), always, width)
    _build_tables(both, always, width)
    _PAIR_RX[1] = len(_GATES)


def _index_keys(
    keys: set[str] | frozenset[str] | None,
    bit: int,
    key_set: set[str],
    index: dict[str, int],
    always: list[int],
) -> None:
    """Record a pattern's bit under each key it needs; with no keys it is always a candidate."""
    if keys is None:
        always[0] |= bit
        return
    key_set.update(keys)
    for k in keys:
        index[k] = index.get(k, 0) | bit


def gate(rx: re.Pattern[str]) -> Gate:
    """The Gate of ``rx``, built once. Keyed by ``id``: hashing a compiled pattern hashes its
    whole code (~2 µs for the lexicon's big alternations), and this is called ~50 times per
    sentence. The Gate keeps ``rx`` alive, so its id cannot be reused."""
    i = id(rx)
    g = _GATES.get(i)
    if g is None:
        if not _PREPARED:
            _prepare()
            return gate(rx)
        g = Gate(rx)
        o = g.order = len(_GATES)
        bit = 1 << o
        _index_keys(g.first, bit, _PREF_KEYS, _PREF_IDX, _NO_FIRST)
        _index_keys(g.req, bit, _REQ_KEYS, _REQ_IDX, _NO_REQ)
        _SEARCH.append(g.test.search)
        _ORDER[i] = o
        _GATES[i] = g
    return g


# Patterns other modules will ask ``has`` about, gated with the lexicon's own (``_prepare``).
_REGISTERED: list[re.Pattern[str]] = []
_PREPARED: list[bool] = []  # [True] once ``_prepare`` ran


def register(*patterns: re.Pattern[str]) -> None:
    """Patterns a module will ask ``has`` about: gated with the lexicon's, so that the index is
    built once (a pattern ``has`` meets first later costs a rebuild of the index)."""
    _REGISTERED.extend(patterns)


def _lexicon_patterns(lex: Lexicon) -> Iterator[re.Pattern[str]]:
    for field in lex.__dataclass_fields__:
        value = getattr(lex, field)
        if isinstance(value, dict):
            value = tuple(value.values())
        if isinstance(value, tuple):
            yield from (v for v in value if isinstance(v, re.Pattern))
        elif isinstance(value, re.Pattern):
            yield value


def _prepare() -> None:
    """Before the first gate: the gates of all the lexicon's patterns and the registered ones,
    in a fixed order, and the index over them, built once. Keeps in the cache what it had to
    compile or derive (the first process; the next ones load it)."""
    _PREPARED.append(True)
    store = _store()
    lex = lexicon()
    pi_matcher()
    _cased()
    gates = [gate(rx) for rx in (*_lexicon_patterns(lex), *_REGISTERED)]
    if store.dirty:  # first run: keep the ``finditer`` forms too (only a few are used)
        for g in gates:
            g.fast  # noqa: B018
    _pair_rx_update()
    store.save()
