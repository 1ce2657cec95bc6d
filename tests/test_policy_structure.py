"""build cuts the whole text into sentences at once; that equals cutting each line alone."""

import random

from pica.extract.policy.document import Block, Document
from pica.extract.policy.structure import build, split_sentences

_FRAGMENTS = [
    "abc.", "Xyz", " ", "\n", "\n\n", "中文。", "第一章 定义", "1. 我们如何", "(a)", "“Q", ".",
    "\r", "\t", "x" * 700, "，", "A", "hi. There", "\u3000", "！", "；", "隐私政策",
]  # fmt: skip


def _text(rng: random.Random, k: int) -> str:
    return "".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, k)))


def _document(rng: random.Random) -> Document:
    blocks = []
    for _ in range(rng.randint(0, 8)):
        r = rng.random()
        if r < 0.2:
            rows = [[_text(rng, 3) for _ in range(rng.randint(0, 3))] for _ in range(3)]
            blocks.append(Block("table", "", 0, rows))
        elif r < 0.4:
            blocks.append(Block("heading", _text(rng, 3), rng.randint(1, 6)))
        else:
            blocks.append(Block("para", _text(rng, 12)))
    return Document(blocks=blocks)


def _per_line(st) -> list[tuple[int, int, bool]]:
    """Sentence spans found line by line, as build did before it cut the whole text at once."""
    tables = [(t.start, t.end) for t in st.tables]
    out = []
    pos = 0
    for raw in st.text.split("\n")[:-1]:
        line = raw.strip()
        if line:
            start = pos + len(raw) - len(raw.lstrip())
            in_table = any(a <= start < b for a, b in tables)
            for s, e in split_sentences(st.text, start, start + len(line)):
                out.append((s, e, in_table))
        pos += len(raw) + 1
    return out


def test_whole_text_cuts_equal_line_cuts():
    rng = random.Random(3)
    for _ in range(3000):
        st = build(_document(rng))
        got = [(s.start, s.end, s.in_table) for s in st.sentences]
        assert got == _per_line(st)
        assert all(s.text == st.text[s.start : s.end] for s in st.sentences)
