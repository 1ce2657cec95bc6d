"""The lexicon's speed machinery must never change an answer: the candidate masks (per sentence
and per document), and the existence form of each pattern, against plain ``re.search``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from pica.extract.policy import extract
from pica.extract.policy.document import Document
from pica.extract.policy.structure import build, text_blocks

# the module, not the ``lexicon()`` function the package exports under the same name
lx = importlib.import_module("pica.extract.policy.lexicon")

FIXTURES = Path(__file__).parent / "fixtures" / "policies" / "viodroid"

# Sentences that stress the edges: ASCII case, full-width digits, characters outside the BMP,
# a two-character key split across a sentence end, very short and empty-looking sentences.
EDGE = [
    "我们使用第三方SDK（如 Umeng）收集设备信息。",
    "We share data with THIRD parties and Partners.",
    "联系电话：４００-８８８-８８８８，邮箱 privacy@example.com。",
    "😀个人信息😀保护政策更新于2024年1月1日。",
    "个",
    "人信息",
    "您可以在“我的-设置-隐私”中撤回授权。",
    "𠀀𠀁 注册地址：北京市海淀区。",
]


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    out: list[str] = []
    for f in sorted(FIXTURES.glob("*.txt")):
        out += [s.text for s in extract(f).statements]  # also makes the lexicon's gates
    return out + EDGE


def _gates() -> list[lx.Gate]:
    return sorted(lx._GATES.values(), key=lambda g: g.order)


def test_candidate_mask_never_hides_a_match(sentences: list[str]) -> None:
    gates = _gates()
    assert len(gates) > 50
    for text in sentences:
        mask = lx.candidate_mask(text)
        for g in gates:
            if g.rx.search(text) is not None:
                assert mask >> g.order & 1, (g.rx.pattern[:60], text)


def test_existence_form_agrees_with_search(sentences: list[str]) -> None:
    for g in _gates():
        for text in sentences:
            assert (g.test.search(text) is None) == (g.rx.search(text) is None), (
                g.rx.pattern[:60],
                text,
            )


def test_existence_form_uses_the_leading_class_and_case_folding() -> None:
    rx = re.compile(r"(?:kelvin|开尔文)\s*单位", re.I)
    form = lx._existence_form(rx, lx.prefixes(rx))
    assert form is not rx and form.pattern.startswith("(?-i:[")
    # U+212A KELVIN SIGN matches "k" under re.IGNORECASE: the case-sensitive class must hold it
    for text in ("开尔文单位", "KELVIN 单位", "\u212aelvin单位", "kelvin", "单位"):
        assert (form.search(text) is None) == (rx.search(text) is None), text
    # a pattern re already scans fast (a literal prefix, an anchor) is kept as it is
    for plain in (re.compile("注册地|运营者"), re.compile(r"^\d+[.、]")):
        assert lx._existence_form(plain, lx.prefixes(plain)) is plain


def test_document_masks_equal_sentence_masks(sentences: list[str]) -> None:
    text = "\n".join(f.read_text(encoding="utf-8") for f in sorted(FIXTURES.glob("*.txt")))
    text += "\n\n" + "。".join(EDGE)
    st = build(Document(blocks=text_blocks(text)))
    spans = [(s.start, s.end) for s in st.sentences]
    # gaps between spans, a span ending inside a two-character key ("个" | "人信息"), one
    # reaching the end of the text
    spans += [(0, 1), (3, 9)]
    text2 = "个人信息😀个人"
    spans2 = [(0, 1), (1, 4), (4, 6), (6, 7)]
    lx.candidate_mask("")  # the index and tables up to date
    tables = lx._TABLES[0]
    assert tables is not None
    for t, sp in ((st.text, spans), (text2, spans2)):
        for c in range(0, len(sp), 97):  # chunks of several sizes, unordered spans included
            chunk = sp[c : c + 97]
            if any(b[0] < a[1] for a, b in zip(chunk, chunk[1:], strict=False)):
                continue  # chunks hold spans in text order, as searchers gives them
            got = lx._chunk_masks(t, chunk, tables)
            assert got == [lx.candidate_mask(t[s:e]) for s, e in chunk]


def test_searchers_answer_as_searcher(sentences: list[str]) -> None:
    text = "\n".join(sentences)
    spans, pos = [], 0
    for s in sentences:
        spans.append((pos, pos + len(s)))
        pos += len(s) + 1
    gates = _gates()
    for (s, e), has in zip(spans, lx.searchers(text, spans), strict=True):
        one = lx.searcher(text[s:e])
        for g in gates:
            assert has(g.rx) == one(g.rx) == (g.rx.search(text[s:e]) is not None)
