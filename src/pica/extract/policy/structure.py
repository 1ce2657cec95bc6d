"""Blocks -> one text with offsets, sections (headings), sentences and tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from pica.extract.policy.document import Block, Document
from pica.extract.policy.lexicon import compile_cached

MAX_SENTENCE_CHARS = 1200

_HEADING_NUM = compile_cached(
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
# A sentence ends after one of these single characters (_spans relies on that). Written as
# single-character branches so that ``re`` scans for them in C instead of trying every position.
_SENT_END = re.compile(r"。|！|？|!|\?|；|;|\.(?=\s+[A-Z\"“(])|\n")
_TOPIC = re.compile(
    r"我们如何|如何(收集|使用|共享|保护|存储|联系|管理|访问|处理)|(您|你)的权利|联系我们|未成年|儿童|"
    r"隐私政策|本政策|变更|更新|适用范围|定义|Cookie|第三方|SDK|权限|个人信息|目录|引言|"
    r"How we|Your rights|Contact us|Children|Changes",
    re.I,
)

# A short line with a topic word is no heading if it holds one of these.
_NOT_TOPIC = re.compile(r"[，,:：|]|点击")
_PARA_GAP = re.compile(r"\n\s*\n")  # blank line between paragraphs of plain text


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
    if len(t) <= 30 and not _NOT_TOPIC.search(t) and _TOPIC.search(t):
        return 2
    return 0


def build(doc: Document) -> Structure:
    parts: list[str] = []
    pos = 0
    st = Structure(text="")
    current = ""
    top = ""
    # per line with text, in order: its end in st.text, block index, section, chapter, in a table
    lines: list[tuple[int, int, str, str, bool]] = []
    for bi, block in enumerate(doc.blocks):
        if block.kind == "table" and block.rows:
            start = pos
            spans = []
            for row in block.rows:
                line = " | ".join(c for c in row)
                spans.append((pos, pos + len(line)))
                lines.append((pos + len(line), bi, current, top, True))
                parts.append(line + "\n")
                pos += len(line) + 1
            st.tables.append(TableData(block.rows, spans, current, start, pos))
            continue
        text = block.text
        if not text:
            continue
        # a block may hold several lines (plain text / PDF): treat each line separately
        for raw in text.split("\n"):
            line = raw.strip()
            if line:
                start = pos + len(raw) - len(raw.lstrip())
                level = block.level if block.kind == "heading" else heading_level(line)
                if level and len(line) <= 120:
                    st.headings.append(Heading(line, level, start, start + len(line)))
                    current = line
                    if level <= 2:
                        top = line
                lines.append((start + len(line), bi, current, top, False))
            parts.append(raw + "\n")
            pos += len(raw) + 1
    st.text = text = "".join(parts)
    _add_sentences(st.sentences, text, lines)
    return st


def _add_sentences(
    out: list[Sentence], text: str, lines: list[tuple[int, int, str, str, bool]]
) -> None:
    """Cut the whole text into sentences at once and give each the place of its line.

    Every line ends in a line feed, itself a sentence end, so no sentence spans two lines, and
    the cuts inside a line are those of the line alone: a "." whose lookahead reaches into the
    next line ends the line's last sentence there either way.
    """
    j = 0
    for s, e in _spans(text):
        while lines[j][0] <= s:
            j += 1
        _, bi, section, top, in_table = lines[j]
        out.append(Sentence._make((text[s:e], s, e, section, top, bi, in_table)))


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end] (Chinese and English punctuation)."""
    return [(start + s, start + e) for s, e in _spans(text[start:end])]


def _spans(seg: str) -> list[tuple[int, int]]:
    """Sentence spans inside ``seg``, relative to it.

    Every _SENT_END match is one character, so ``split`` gives the pieces between cuts and each
    cut is the character after its piece. A piece is a sentence if it holds an alphanumeric
    character; it is stripped of whitespace, and its end mark kept unless that is a line feed.
    """
    out: list[tuple[int, int]] = []
    pieces = _SENT_END.split(seg)
    last = len(pieces) - 1
    a = 0
    for i, piece in enumerate(pieces):
        n = len(piece)
        if _ALNUM.search(piece) is not None:  # else empty, or punctuation only
            s = a + n - len(piece.lstrip()) if piece[0].isspace() else a
            if i < last and seg[a + n] != "\n":
                e = a + n + 1
            else:
                e = a + len(piece.rstrip())
            if e - s > MAX_SENTENCE_CHARS:
                _add_long(out, seg, s, e)
            else:
                out.append((s, e))
        a += n + 1
    return out


def _add_long(out: list[tuple[int, int]], seg: str, a: int, b: int) -> None:
    """Cut an over-long sentence seg[a:b] at a comma, else at the length limit."""
    while b - a > MAX_SENTENCE_CHARS:
        cut = seg.rfind("，", a, a + MAX_SENTENCE_CHARS)
        if cut <= a:
            cut = seg.rfind(",", a, a + MAX_SENTENCE_CHARS)
        if cut <= a:
            cut = a + MAX_SENTENCE_CHARS - 1
        out.append((a, cut + 1))
        a = cut + 1
    if b > a:
        out.append((a, b))


def text_blocks(text: str) -> list[Block]:
    """Plain text: one block per paragraph (blank-line separated); lines kept inside it, except
    that in an English text a hard-wrapped prose line is joined to the next (``_unwrap``)."""
    blocks: list[Block] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    english = _mostly_latin(text)
    for para in _PARA_GAP.split(text):
        if para.strip():
            blocks.append(Block("para", _unwrap(para) if english else para))
    return blocks


_CJK_CHAR = re.compile("[\u4e00-\u9fff]")
# A line feed inside a paragraph that wraps prose: the line before ends mid-sentence (a letter,
# digit, comma…) and the next line goes on with a lower-case word, or the line before is a long
# one (a wrapped line, not a heading) and the next is no list item, heading or underline.
_WRAP = re.compile(
    r"(?<=[A-Za-z0-9,;'\"`)])\n(?=[ \t]*[a-z(])"
    r"|(?<=[^\n]{60}[A-Za-z0-9,;'\"`)])\n(?=[ \t]*[A-Za-z][^\n])"
)


def _mostly_latin(text: str) -> bool:
    """Whether the text is English, not Chinese: fewer than 20 CJK characters in its first
    200,000 (the rule of ``profile.script_of``, which needs the whole text's counts)."""
    n = 0
    for _ in _CJK_CHAR.finditer(text, 0, 200_000):
        n += 1
        if n >= 20:
            return False
    return True


def _unwrap(para: str) -> str:
    """An English paragraph with its wrapping line feeds made spaces (same length, so character
    spans still point into the original text). Chinese text is never unwrapped: its line ends
    are read as sentence ends, as the precision review on Chinese policies was made."""
    return _WRAP.sub(" ", para)
