"""Blocks -> one text with offsets, sections (headings), sentences and tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from pica.extract.policy.document import Block, Document

MAX_SENTENCE_CHARS = 1200

_HEADING_NUM = re.compile(
    r"^\s*(?:"
    r"(?P<part>第[一二三四五六七八九十百零\d]+[部分章节篇条]|附[录件]\s*[一二三四五六七八九十\d]*)"
    r"|(?P<cn>[一二三四五六七八九十]+\s*[、.．])"
    r"|(?P<paren>[（(]\s*[一二三四五六七八九十]+\s*[)）])"
    r"|(?P<num>\d{1,2}(?:[.．]\d{1,2}){0,3}(?:\s*[、.．]|\s+))(?=\s*[\u4e00-\u9fffA-Za-z【「“《])"
    r"|(?P<en>(?:Article|Section|Part)\s+\d+|[IVX]+\.)"
    r")"
)
# One alphanumeric character (``str.isalnum``): ``re``'s Unicode \w is exactly isalnum plus "_".
_ALNUM = re.compile(r"[^\W_]")
# A sentence ends after one of these (only ``match.end()`` is used). Written as single-character
# branches so that ``re`` scans for them in C instead of trying every position.
_SENT_END = re.compile(r"。|！|？|!|\?|；|;|\.(?=\s+[A-Z\"“(])|\n")
_TOPIC = re.compile(
    r"我们如何|如何(收集|使用|共享|保护|存储|联系|管理|访问|处理)|(您|你)的权利|联系我们|未成年|儿童|"
    r"隐私政策|本政策|变更|更新|适用范围|定义|Cookie|第三方|SDK|权限|个人信息|目录|引言|"
    r"How we|Your rights|Contact us|Children|Changes",
    re.I,
)


@dataclass(frozen=True)
class Heading:
    text: str
    level: int
    start: int
    end: int


class Sentence(NamedTuple):
    """A sentence and where it sits (a named tuple: cheap to make, one per sentence)."""

    text: str
    start: int
    end: int
    section: str  # nearest heading
    top: str  # nearest heading of level <= 2 (the chapter)
    block: int  # index of the block it came from
    in_table: bool = False


@dataclass
class TableData:
    rows: list[list[str]]
    row_spans: list[tuple[int, int]]
    section: str
    start: int
    end: int


@dataclass
class Structure:
    text: str
    headings: list[Heading] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    tables: list[TableData] = field(default_factory=list)


def heading_level(text: str) -> int:
    """0 if ``text`` does not look like a heading line, else 1..5."""
    t = text.strip()
    if not t or len(t) > 60:
        return 0
    if t[-1] in "。；;，,：:" and not (t[-1] in "：:" and len(t) <= 20):
        return 0
    m = _HEADING_NUM.match(t)
    if m:
        if m.group("part"):
            return 1
        if m.group("cn") or m.group("en"):
            return 2
        if m.group("paren"):
            return 3
        num = m.group("num")
        if num:
            depth = num.count(".") + num.count("．")
            # "1." and "1、" alone are level 3, "1.1" level 4
            stripped = num.rstrip("、.． ")
            depth = stripped.count(".") + stripped.count("．")
            return min(3 + depth, 5)
    if len(t) <= 30 and not re.search(r"[，,:：|]|点击", t) and _TOPIC.search(t):
        return 2
    return 0


def build(doc: Document) -> Structure:
    parts: list[str] = []
    pos = 0
    st = Structure(text="")
    current = ""
    top = ""
    block_spans: list[tuple[int, int, int, str, str]] = []  # start, end, block idx, section, top
    for bi, block in enumerate(doc.blocks):
        if block.kind == "table" and block.rows:
            start = pos
            spans = []
            for row in block.rows:
                line = " | ".join(c for c in row)
                spans.append((pos, pos + len(line)))
                parts.append(line + "\n")
                pos += len(line) + 1
            st.tables.append(TableData(block.rows, spans, current, start, pos))
            for (s, e), row in zip(spans, block.rows, strict=True):
                block_spans.append((s, e, bi, current, top))
                del row
            continue
        text = block.text
        if not text:
            continue
        # a block may hold several lines (plain text / PDF): treat each line separately
        for line in text.split("\n"):
            raw = line
            line = line.strip()
            if not line:
                pos += len(raw) + 1
                parts.append(raw + "\n")
                continue
            lead = len(raw) - len(raw.lstrip())
            start = pos + lead
            end = start + len(line)
            level = block.level if block.kind == "heading" else heading_level(line)
            if level and len(line) <= 120:
                st.headings.append(Heading(line, level, start, end))
                current = line
                if level <= 2:
                    top = line
            block_spans.append((start, end, bi, current, top))
            parts.append(raw + "\n")
            pos += len(raw) + 1
    st.text = "".join(parts)
    table_ranges = [(t.start, t.end) for t in st.tables]
    ti = 0
    for start, end, bi, section, top_h in block_spans:
        while ti < len(table_ranges) and table_ranges[ti][1] <= start:
            ti += 1
        in_table = ti < len(table_ranges) and table_ranges[ti][0] <= start < table_ranges[ti][1]
        for s, e in split_sentences(st.text, start, end):
            st.sentences.append(Sentence(st.text[s:e], s, e, section, top_h, bi, in_table))
    return st


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end] (Chinese and English punctuation)."""
    out: list[tuple[int, int]] = []
    seg = text[start:end]
    prev = 0
    for m in _SENT_END.finditer(seg):
        cut = m.end()
        if cut <= prev:
            continue
        _add(out, seg, start, prev, cut)
        prev = cut
    if prev < len(seg):
        _add(out, seg, start, prev, len(seg))
    return out


def _add(out: list[tuple[int, int]], seg: str, base: int, a: int, b: int) -> None:
    piece = seg[a:b]
    stripped = piece.strip()
    if _ALNUM.search(stripped) is None:  # empty, or punctuation only
        return
    lead = len(piece) - len(piece.lstrip())
    a += lead
    b = a + len(stripped)
    while b - a > MAX_SENTENCE_CHARS:
        cut = seg.rfind("，", a, a + MAX_SENTENCE_CHARS)
        if cut <= a:
            cut = seg.rfind(",", a, a + MAX_SENTENCE_CHARS)
        if cut <= a:
            cut = a + MAX_SENTENCE_CHARS - 1
        out.append((base + a, base + cut + 1))
        a = cut + 1
    if b > a:
        out.append((base + a, base + b))


def text_blocks(text: str) -> list[Block]:
    """Plain text: one block per paragraph (blank-line separated); lines kept inside it."""
    blocks: list[Block] = []
    for para in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        if para.strip():
            blocks.append(Block("para", para))
    return blocks
