"""The whole-policy profile: dates, controller, rights, channels, limits, readability, tables.

Every item keeps the sentence it came from (``TextRef``: text, span, section) so a rule can
quote it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable

import numpy as np

from pica.evidence.policy import (
    Channel,
    CollectionRow,
    Controller,
    PolicyDate,
    PolicyProfile,
    Readability,
    ResponseLimit,
    Right,
    SdkRow,
    Section,
    Span,
    TextRef,
)
from pica.extract.policy.css import contrast_ratio, hex_colour
from pica.extract.policy.document import Document
from pica.extract.policy.lexicon import (
    Lexicon,
    PatternGroup,
    PiMatcher,
    compile_cached,
    gate,
    lexicon,
    pi_matcher,
    prefixes,
    register,
    searcher,
)
from pica.extract.policy.statements import SentenceFacts
from pica.extract.policy.structure import Sentence, Structure
from pica.extract.policy.words import word_count

_OFFICE_ADDRESS = re.compile(r"办公地址|公司地址")
register(_OFFICE_ADDRESS)  # a cue ``has`` is asked about (lexicon.register)
_CONTACT_SECTION = re.compile(r"联系|投诉|举报|客服|反馈|contact", re.I)


def ref(s: Sentence) -> TextRef:
    return TextRef(s.text, Span(s.start, s.end), s.section)


_PATH = compile_cached(
    r"(?:[【“\"「]?[\u4e00-\u9fffA-Za-z0-9≡/ ]{1,12}[】”\"」]?\s*(?:-{1,2}|—{1,2}|->|>|＞|→|/|＞)\s*){1,8}"
    r"[【“\"「]?[\u4e00-\u9fffA-Za-z0-9≡/ ]{1,12}[】”\"」]?"
)
_PATH_SEP = re.compile(r"-{1,2}|—{1,2}|->|>|＞|→")
_CN_NUM = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}


def cn_number(s: str) -> int | None:
    s = s.strip()
    if s.isdigit():
        return int(s)
    if not s or any(c not in _CN_NUM for c in s):
        return None
    if s == "十":
        return 10
    if "十" in s:
        a, _, b = s.partition("十")
        return (_CN_NUM.get(a, 1) if a else 1) * 10 + (_CN_NUM.get(b, 0) if b else 0)
    if len(s) == 1:
        return _CN_NUM[s]
    return None


def to_working_days(amount: int, unit: str) -> int | None:
    u = unit.lower()
    if "工作" in u or "business" in u or "working" in u:
        return amount
    if "小时" in u or "hour" in u:
        return max(1, math.ceil(amount / 24))
    if "月" in u or "month" in u:
        return amount * 22  # one month ≈ 22 working days
    if "周" in u or "星期" in u or "week" in u:
        return amount * 5
    if "天" in u or "日" in u or "day" in u:
        return math.ceil(amount * 5 / 7)  # calendar days
    return None


def ui_path(text: str) -> str | None:
    """The first UI path in ``text`` ("我的-设置-隐私"), or None."""
    if _PATH_SEP.search(text) is None:
        return None  # a path needs one of these separators (and _PATH is slow to fail)
    for m in _PATH.finditer(text):
        seg = m.group(0).strip()
        if len(_PATH_SEP.findall(seg)) >= 1 and re.search(r"[\u4e00-\u9fffA-Za-z]", seg):
            # avoid dates/phones such as 2022-01-01 or 400-123-4567
            if re.fullmatch(r"[\d\s\-—>/]+", seg):
                continue
            # nor a URL slug or link anchor ("#how-you-can-access-and-control-the-information")
            if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)+", seg):
                continue
            return seg
    return None


_TRAD_ONLY = set(
    "們個這為說於與對從時開發網際體處權護隱們資訊務項關條實應據與數僅裝機門書見問將並貝長東車們"
)
_SIMP_ONLY = set(
    "们个这为说于与对从时开发网际体处权护隐资讯务项关条实应据数仅装机门书见问将并贝长东车"
)


_SCRIPT_SAMPLE = 200_000  # characters ``script_of`` looks at

# The character classes ``script_of`` and the visible-character count use, as bits of one
# lookup table over UTF-16 code units, so that one numpy pass counts them all (instead of four
# regex passes and a substitution over the text). Every member is a BMP character: a
# non-BMP character becomes two surrogate code units, which are in no class, like itself.
_CJK, _LATIN, _TRAD, _SIMP, _SPACE = 1, 2, 4, 8, 16


def _class_table() -> np.ndarray:
    """Code unit -> class bits: CJK unified ideographs (U+4E00-U+9FFF), ASCII letters, the
    Traditional-only and Simplified-only characters, and whitespace (``str.isspace``; no such
    character is above U+3000). tests/test_policy_profile_counts.py checks each class against
    the regex it replaced, over every code point."""
    table = np.zeros(0x10000, dtype=np.uint8)
    table[0x4E00:0xA000] |= _CJK
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
        table[ord(c)] |= _LATIN
    for chars, bit in ((_TRAD_ONLY, _TRAD), (_SIMP_ONLY, _SIMP)):
        for c in chars:
            table[ord(c)] |= bit
    for c in map(chr, range(0x3001)):
        if c.isspace():
            table[ord(c)] |= _SPACE
    return table


_CLASSES = _class_table()
# class bit -> the table values that have it
_CODES_WITH = {
    bit: np.flatnonzero(np.arange(32) & bit) for bit in (_CJK, _LATIN, _TRAD, _SIMP, _SPACE)
}


def _class_counts(text: str) -> dict[int, int]:
    """Class bit -> how many characters of ``text`` have it."""
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    per_code = np.bincount(_CLASSES[units], minlength=32)
    return {bit: int(per_code[codes].sum()) for bit, codes in _CODES_WITH.items()}


def script_of(text: str) -> str:
    """simplified | traditional | english | other, from characters only one script uses."""
    return _script(_class_counts(text[:_SCRIPT_SAMPLE]))


def _script(counts: dict[int, int]) -> str:
    """``script_of`` from the sample's class counts."""
    cjk, letters = counts[_CJK], counts[_LATIN]
    if cjk < 20 or cjk < 0.05 * (cjk + letters):
        return "english" if letters > 20 else "other"
    if counts[_TRAD] > counts[_SIMP]:
        return "traditional"
    return "simplified"


class ProfileAccumulator:
    """The per-sentence part of the profile. ``add`` is called once per sentence with the
    sentence's ``has`` (lexicon.searcher), so the profile shares the sentence's prefilter with
    ``statements.analyse`` instead of building it a second time."""

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        self.dates: list[PolicyDate] = []
        self.names: list[str] = []
        self.address: str | None = None
        self.ctrl_refs: list[TextRef] = []
        self.rights: list[Right] = []
        self.channels: list[Channel] = []
        self.limits: list[ResponseLimit] = []
        self.change: list[TextRef] = []
        self.minors: list[TextRef] = []
        self.pers: list[TextRef] = []
        self.unreasonable: list[TextRef] = []
        self.forced: list[TextRef] = []
        self.seen_channels: set[tuple[str, str]] = set()
        self._section_memo: dict[tuple[str, str], bool] = {}
        # Every check made with ``has`` needs one of these to match first (see ``_add_cued``):
        # when none can, one mask test skips them all (most sentences).
        self._cues = PatternGroup(
            [
                ("date", lex.date_label),
                ("company", lex.company_hint),
                ("office", _OFFICE_ADDRESS),
                ("limit", lex.limit_amount),
                ("unreasonable", lex.unreasonable_scope),
                ("forced", lex.conditions["forced"]),
            ]
        )
        self._unreasonable = PatternGroup([(str(i), p) for i, p in enumerate(lex.unreasonable)])
        self._last: Sentence | None = None
        self._last_ref: TextRef | None = None

    def _ref(self, s: Sentence) -> TextRef:
        """``ref(s)``, made once per sentence and shared by everything taken from it."""
        if self._last is not s:
            self._last, self._last_ref = s, ref(s)
        return self._last_ref  # type: ignore[return-value]

    def _contact_section(self, section: str, top: str) -> bool:
        """Whether the section is about contact/complaints (memoised per document: all the
        sentences of a section share it)."""
        key = (section, top)
        hit = self._section_memo.get(key)
        if hit is None:
            hit = self._section_memo[key] = bool(_CONTACT_SECTION.search(section + top))
        return hit

    def add(self, s: Sentence, f: SentenceFacts, has) -> None:
        labels = f.labels
        controller = "controller_identity" in labels
        if has.maybe(self._cues):
            self._add_cued(s, has, controller)
        elif controller:
            self._add_controller(s)
        if "contact" in labels or self._contact_section(s.section, s.top):
            self._add_channels(s, labels, has)
        if labels or f.rights:
            self._add_labelled(s, f)

    def _add_cued(self, s: Sentence, has, controller: bool) -> None:
        """The checks that need a ``has`` hit on one of ``self._cues``."""
        t = s.text
        lex = self.lex
        cues = has.which(self._cues)  # the cues that match (``has`` of each), in one call
        if "date" in cues and len(t) <= 200 and (has(lex.date) or has(lex.date_en)):
            self._add_dates(s)
        if (
            controller
            or ("company" in cues and has(lex.controller_cue))
            or "office" in cues  # the controller's address for the profile, though CR4 not CR3
        ):
            self._add_controller(s)
        if "limit" in cues and has(lex.limit_verb):
            self._add_limits(s)
        if "unreasonable" in cues and has.which(self._unreasonable):
            self.unreasonable.append(self._ref(s))
        if "forced" in cues:
            self.forced.append(self._ref(s))

    def _add_dates(self, s: Sentence) -> None:
        t = s.text
        lex = self.lex
        for m in lex.date.finditer(t):
            iso = _iso(m.group(1), m.group(2), m.group(3))
            if iso:
                kind = _date_kind(t[: m.start()], t[m.end() :])
                self.dates.append(PolicyDate(kind, iso, self._ref(s)))
        for m in lex.date_en.finditer(t):
            iso = _iso_en(m.group(1), m.group(2), m.group(3))
            if iso:
                kind = _date_kind(t[: m.start()], t[m.end() :])
                self.dates.append(PolicyDate(kind, iso, self._ref(s)))

    def _add_controller(self, s: Sentence) -> None:
        t = s.text
        names = self.names
        for m in self.lex.company.finditer(t):
            nm = re.sub(
                r"^([\d一二三四五六七八九十]+[）)、.．]|[（(][\d一二三四五六七八九十]+[）)])+",
                "",
                m.group(0),
            )
            nm = re.sub(
                r"^(我们是|我们为|本公司|公司名称|运营者|运营主体|为|是|由|指|[:：、，,])+",
                "",
                nm,
            )
            nm = nm.strip("（）() ")
            if (
                4 <= len(nm) <= 40
                and nm not in names
                and not nm.startswith(("关联", "第三方", "合作"))
            ):
                names.append(nm)
                self.ctrl_refs.append(self._ref(s))
        am = re.search(r"(注册地址|公司地址|办公地址|地址)\s*(为|是|[:：])\s*([^，。；;]{6,80})", t)
        if am and self.address is None:
            self.address = am.group(3).strip()
            self.ctrl_refs.append(self._ref(s))

    def _add_channels(self, s: Sentence, labels: tuple[str, ...], has) -> None:
        lex = self.lex
        seen_channels = self.seen_channels
        complaint = has(lex.contact["complaint"]) or "投诉" in s.section or "举报" in s.section
        for kind in ("email", "phone", "address", "online", "fax"):
            if kind == "online" and "contact" not in labels:
                continue
            for m in lex.contact[kind].finditer(s.text):
                val = m.group(0).strip()
                if kind == "phone" and _looks_like_date(val):
                    continue
                key = (kind, val)
                if key in seen_channels:
                    continue
                seen_channels.add(key)
                self.channels.append(Channel(kind, val, complaint, self._ref(s)))

    def _add_labelled(self, s: Sentence, f: SentenceFacts) -> None:
        """What the sentence's labels and rights say (nothing for a sentence without any)."""
        t = s.text
        labels = f.labels
        rights = self.rights
        for kind in f.rights:
            rights.append(Right(kind, ui_path(t), self._ref(s)))
        if "withdraw_consent" in labels:
            rights.append(Right("withdraw_consent", ui_path(t), self._ref(s)))
        if "personalisation_optout" in labels:
            rights.append(Right("personalisation_off", ui_path(t), self._ref(s)))
        if "change_notice" in labels:
            self.change.append(self._ref(s))
        if "minors" in labels:
            self.minors.append(self._ref(s))
        if "personalisation" in labels or "personalisation_optout" in labels:
            self.pers.append(self._ref(s))

    def _add_limits(self, s: Sentence) -> None:
        t = s.text
        lex = self.lex
        for m in lex.limit_amount.finditer(t):
            amount = cn_number(m.group(1))
            unit = m.group(3)
            if amount is None or amount <= 0 or amount > 400:
                continue
            # skip "保存6个月" style retention periods and ages
            ctx = t[max(0, m.start() - 12) : m.end() + 12]
            if re.search(r"保存|保留|留存|存储|周岁|年龄|不少于|以上|提前|至少", ctx):
                continue
            wd = to_working_days(amount, unit)
            if wd is None:
                continue
            scope = "general"
            if lex.limit_complaint.search(t) or re.search(r"投诉|举报|联系", s.section):
                scope = "complaint"
            if lex.limit_rights.search(t):
                scope = "rights" if scope == "general" else "general"
            self.limits.append(ResponseLimit(scope, amount, unit, wd, self._ref(s)))


def build_profile(
    name: str,
    doc: Document,
    st: Structure,
    facts: list[SentenceFacts],
    lex: Lexicon | None = None,
    *,
    segment_words: bool = True,
    acc: ProfileAccumulator | None = None,
) -> PolicyProfile:
    """The profile. ``acc``: the per-sentence part already accumulated (one pass with
    ``statements``); without it the sentences are gone through here."""
    lex = lex or lexicon()
    if acc is None:
        acc = ProfileAccumulator(lex)
        for s, f in zip(st.sentences, facts, strict=True):
            acc.add(s, f, searcher(s.text))
    dates, names, address, ctrl_refs = acc.dates, acc.names, acc.address, acc.ctrl_refs
    rights, channels, limits, change = acc.rights, acc.channels, acc.limits, acc.change
    minors, pers, unreasonable, forced = acc.minors, acc.pers, acc.unreasonable, acc.forced

    sdk_rows, coll_rows = _tables(st, lex)
    sdk_rows += _sdk_lines(st)
    sdk_rows += _sdk_space_rows(st)
    readability = _readability(doc, st, lex, segment_words)
    sections = tuple(Section(h.text, h.level, Span(h.start, h.end)) for h in st.headings[:2000])
    return PolicyProfile(
        name=name,
        format=doc.fmt,
        title=doc.title,
        sections=sections,
        dates=tuple(dates),
        controller=Controller(tuple(names[:10]), address, tuple(ctrl_refs[:10])),
        rights=tuple(rights),
        channels=tuple(channels),
        response_limits=tuple(limits),
        change_notices=tuple(change),
        minors=tuple(minors),
        personalisation=tuple(pers),
        unreasonable_conditions=tuple(unreasonable),
        forced_consent=tuple(forced),
        readability=readability,
        sdk_rows=tuple(sdk_rows),
        collection_rows=tuple(coll_rows),
        sentence_labels=tuple(f.labels for f in facts),
    )


def _looks_like_date(v: str) -> bool:
    return bool(re.fullmatch(r"(19|20)\d{2}[\-/.]\d{1,2}[\-/.]\d{1,2}", v))


def _iso(y: str, m: str, d: str) -> str | None:
    try:
        yi, mi, di = int(y), int(m), int(d)
    except ValueError:
        return None
    if 1990 <= yi <= 2100 and 1 <= mi <= 12 and 1 <= di <= 31:
        return f"{yi:04d}-{mi:02d}-{di:02d}"
    return None


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


def _iso_en(mon: str, d: str, y: str) -> str | None:
    mi = _MONTHS.get(mon[:3].lower())
    return _iso(y, str(mi), d) if mi else None


def _date_kind(prefix: str, suffix: str = "") -> str:
    kind = _kind_of(prefix[-20:].lower())
    if kind == "unknown" and suffix:
        kind = _kind_of(suffix[:12].lower())
    return kind


def _kind_of(p: str) -> str:
    if re.search(r"生效|施行|实施|effective", p):
        return "effective"
    if re.search(r"更新|修订|修改|最新|上次|最近|updated|revised|modified", p):
        return "updated"
    if re.search(r"发布|颁布|公布|版本|published|release", p):
        return "published"
    return "unknown"


_COL = {
    "name": re.compile(r"SDK|名称|第三方|插件|产品|合作方名称|name", re.I),
    "vendor": re.compile(r"公司|主体|提供方|供应商|厂商|开发者|运营方|vendor|provider", re.I),
    "purpose": re.compile(r"目的|用途|功能|场景|purpose|use", re.I),
    "pi": re.compile(r"信息|字段|数据|类型|权限|收集|共享|personal|data", re.I),
    "url": re.compile(r"链接|隐私政策|政策|网址|url|link|privacy", re.I),
    "function": re.compile(r"业务功能|功能|场景|服务", re.I),
}


def _classify_header(cells: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, c in enumerate(cells):
        c = c.strip()
        if not c or len(c) > 30:
            continue
        for key in ("url", "vendor", "purpose", "name", "pi"):
            if key in cols:
                continue
            if _COL[key].search(c):
                if key == "name" and re.search(r"公司|主体|链接|政策", c):
                    continue
                if key == "pi" and re.search(r"链接|政策|目的", c):
                    continue
                cols[key] = i
                break
    return cols


def _tables(st: Structure, lex: Lexicon) -> tuple[list[SdkRow], list[CollectionRow]]:
    sdk: list[SdkRow] = []
    coll: list[CollectionRow] = []
    pm = pi_matcher()
    for tb in st.tables:
        if len(tb.rows) < 2:
            continue
        header = tb.rows[0]
        cols = _classify_header(header)
        head_text = " ".join(header) + " " + tb.section
        is_sdk = bool(re.search(r"SDK|第三方|插件|共享", head_text, re.I)) and "name" in cols
        is_coll = (
            (not is_sdk) and "pi" in cols and bool(re.search(r"收集|个人信息|功能|场景", head_text))
        )
        for row, (s, e) in zip(tb.rows[1:], tb.row_spans[1:], strict=False):

            def cell(key: str, row: list[str] = row, cols: dict = cols) -> str:
                i = cols.get(key)
                return row[i] if i is not None and i < len(row) else ""

            r = TextRef(" | ".join(row), Span(s, e), tb.section)
            if is_sdk and cell("name"):
                sdk.append(_sdk_row(cell, cell("url") or " ".join(row), r, pm))
            elif is_coll and cell("pi"):
                pi_text = cell("pi")
                coll.append(
                    CollectionRow(
                        cell("function") or row[0], pi_text, pm.ids_in(pi_text), cell("purpose"), r
                    )
                )
    return sdk, coll


_URL = re.compile(r"https?://[^\s，。；;)）\"'<>]+")


def _url(text: str) -> str:
    m = _URL.search(text)
    return m.group(0) if m else ""


def _sdk_row(field: Callable[[str], str], url_text: str, ref: TextRef, pm: PiMatcher) -> SdkRow:
    """One SDK-list row from its fields (name, vendor, purpose, pi), however they were laid out."""
    pi_text = field("pi")
    return SdkRow(
        field("name"),
        field("vendor"),
        field("purpose"),
        pi_text,
        pm.ids_in(pi_text),
        _url(url_text),
        ref,
    )


_SDK_FIELD = re.compile(
    r"(?P<key>SDK名称|第三方名称|插件名称|名称|所属公司|公司名称|第三方主体|提供方|使用目的|目的|用途|使用场景|"
    r"收集(的)?(个人)?信息(类型|字段)?|共享(的)?(个人)?信息|涉及(的)?个人信息|个人信息(类型|字段)|信息类型|"
    r"隐私政策(链接)?|官网链接|链接)\s*[:：]\s*(?P<val>[^\n]*)"
)


# The 1-2 character strings every match of _SDK_FIELD starts with (None: unknown).
_SDK_FIELD_STARTS = prefixes(_SDK_FIELD)


def _sdk_lines(st: Structure) -> list[SdkRow]:
    """SDK lists written as ``SDK名称：… 使用目的：… 收集信息：…`` lines (text and PDF policies)."""
    rows: list[SdkRow] = []
    pm = pi_matcher()
    current: dict[str, str] = {}
    start = end = 0
    section = ""

    def emit() -> None:
        if current.get("name") and re.search(
            r"SDK|sdk|插件|第三方", current.get("name", "") + section + current.get("_key", "")
        ):
            ref = TextRef(st.text[start:end], Span(start, end), section)
            rows.append(_sdk_row(lambda key: current.get(key, ""), current.get("url", ""), ref, pm))

    starts = _SDK_FIELD_STARTS
    for s in st.sentences:
        if s.in_table:
            continue
        t = s.text.lstrip("0123456789.、()（） ")
        if starts is not None and t[:2] not in starts and t[:1] not in starts:
            continue  # cannot match: most sentences, without trying the alternation
        m = _SDK_FIELD.match(t)
        if not m:
            continue
        key, val = m.group("key"), m.group("val").strip()
        field = (
            "name"
            if "名称" in key and "公司" not in key
            else "vendor"
            if re.search(r"公司|主体|提供方", key)
            else "purpose"
            if re.search(r"目的|用途|场景", key)
            else "url"
            if re.search(r"链接|政策", key)
            else "pi"
        )
        if field == "name":
            if current:
                emit()
            current = {"name": val, "_key": key}
            start, end, section = s.start, s.end, s.section
        elif current:
            current[field] = val
            end = s.end
    if current:
        emit()
    return rows


def _columns_by_position(header: str) -> dict[str, int]:
    """Column order of a header whose cells run together (``SDK名称场景共享个人信息字段…``)."""
    keys = {
        "name": r"名称",
        "purpose": r"场景|目的|用途|功能",
        "pi": r"信息|字段|数据|权限",
        "url": r"政策|链接|网址",
        "vendor": r"公司|主体|提供方",
    }
    found = []
    for k, rx in keys.items():
        m = re.search(rx, header)
        if m:
            found.append((m.start(), k))
    return {k: i for i, (_pos, k) in enumerate(sorted(found))}


_SDK_HEAD = re.compile(r"\s*(SDK|第三方|插件)(名称)?", re.I)  # starts a header line


def _continuation(name: str) -> bool:
    """Whether a space-separated line's first cell is the wrapped rest of the previous row's
    cells (a list of PI: "Mac地址、唯一设备识别码（IMEI/…", "设备信息【包括…") rather than an
    SDK's name: names hold no enumeration comma and are short."""
    return "、" in name or len(name) > 30


def _sdk_space_rows(st: Structure) -> list[SdkRow]:
    """SDK lists laid out as space-separated lines under a header line (``SDK名称 场景 …``)."""
    rows: list[SdkRow] = []
    pm = pi_matcher()
    sents = [s for s in st.sentences if not s.in_table]
    i = 0
    while i < len(sents):
        head = sents[i]
        if _SDK_HEAD.match(head.text) is None:  # most sentences: no split needed
            i += 1
            continue
        cells = head.text.split()
        if len(head.text) < 120 and (
            len(cells) >= 3
            or len(re.findall(r"名称|场景|目的|用途|信息|字段|政策|链接|公司|主体", head.text)) >= 3
        ):
            if len(cells) >= 3:
                cols = _classify_header(cells)
            else:
                cols = _columns_by_position(head.text)
                cells = [""] * (max(cols.values()) + 1 if cols else 1)
            cols.setdefault("name", 0)
            j = i + 1
            while j < len(sents) and j - i <= 300:
                s = sents[j]
                parts = s.text.split()
                if len(parts) < 2 or len(s.text) > 300 or s.text.rstrip()[-1:] in "。；":
                    break
                if len(parts) > len(cells):  # merge the overflow into the last cell
                    parts = parts[: len(cells) - 1] + [" ".join(parts[len(cells) - 1 :])]

                def cell(key: str, parts: list[str] = parts, cols: dict = cols) -> str:
                    k = cols.get(key)
                    return parts[k] if k is not None and k < len(parts) else ""

                row = _sdk_row(cell, s.text, ref(s), pm)
                if _continuation(cell("name")) and j > i + 1 and rows:
                    prev = rows[-1]  # the PI the wrapped line names are the previous SDK's
                    rows[-1] = dataclasses.replace(
                        prev,
                        pi_text=f"{prev.pi_text} {s.text}".strip(),
                        pi_types=tuple(dict.fromkeys(prev.pi_types + pm.ids_in(s.text))),
                    )
                else:
                    rows.append(row)
                j += 1
            i = j
        else:
            i += 1
    return rows


def _readability(doc: Document, st: Structure, lex: Lexicon, segment_words: bool) -> Readability:
    text = st.text
    body = [s for s in st.sentences if not s.in_table]
    lengths = [len(s.text) for s in body]
    counts = _class_counts(text)
    chars = len(text) - counts[_SPACE]
    jargon_hits: dict[str, int] = {}
    n_jargon = 0
    for m in gate(lex.jargon).fast.finditer(text):  # same matches, faster (lexicon.Gate)
        n_jargon += 1
        k = m.group(0)
        jargon_hits[k] = jargon_hits.get(k, 0) + 1
    top = tuple(k for k, _ in sorted(jargon_hits.items(), key=lambda kv: -kv[1])[:8])
    words = word_count(text) if segment_words else None
    sample = counts if len(text) <= _SCRIPT_SAMPLE else _class_counts(text[:_SCRIPT_SAMPLE])
    script = _script(sample)
    style = doc.style
    font = color = bg = None
    ratio = None
    share = 0.0
    smallest = None
    if style is not None and style.font_px is not None:
        font = round(style.font_px, 1)
        smallest = round(style.font_px_min, 1) if style.font_px_min else None
        color = hex_colour(style.color)
        bg = hex_colour(style.background)
        if style.color and style.background:
            ratio = round(contrast_ratio(style.color, style.background), 2)
        share = round(style.share, 3)
    return Readability(
        chars=chars,
        sentences=len(body),
        avg_sentence_chars=round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
        max_sentence_chars=max(lengths) if lengths else 0,
        words=words,
        jargon_terms=n_jargon,
        jargon_per_1000_chars=round(1000 * n_jargon / chars, 2) if chars else 0.0,
        top_jargon=top,
        script=script,
        has_simplified_chinese=script == "simplified",
        body_font_px=font,
        smallest_font_px=smallest,
        text_color=color,
        background_color=bg,
        contrast_ratio=ratio,
        style_share=share,
        format=doc.fmt,
    )
