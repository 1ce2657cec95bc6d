"""The lexicon's speed machinery must never change an answer: the candidate masks (per sentence
and per document), and the existence form of each pattern, against plain ``re.search``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from pica.extract.policy import extract

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
    # characters a case-insensitive pattern matches beyond lower()/upper(): long s, Kelvin sign
    "我们接入了ſdk，并与第三方ſhare您的信息。",
    "We ſhare data with partners via the Kochava ſDK and affiliates.",
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
    lx.candidate_mask("")  # the index and tables up to date
    tables = lx._TABLES[0]
    assert tables is not None
    # pieces of a two-character key split between sentences ("个" | "人信息"), characters outside
    # the BMP, empty sentences, chunks of several sizes
    cases = [sentences, ["个", "人信息", "😀个人", "", "人", "信息"], [""], ["个人"]]
    for texts in cases:
        for size in (1, 7, 256):
            for c in range(0, len(texts), size):
                chunk = texts[c : c + size]
                assert lx._chunk_masks(chunk, tables) == [lx.candidate_mask(t) for t in chunk]


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


def test_find_many_finds_what_find_does(sentences: list[str]) -> None:
    pm = lx.pi_matcher()
    # ASCII case (IMEI, Android ID), a term split across texts (设备|信息), lower-casing that is
    # not ASCII's (Kelvin sign, dotted capital I, full-width and Greek capitals), astral
    # characters, empty texts, overlapping candidates (手机号码 inside 手机号码信息)
    edge = [
        "",
        "IMEI号码和MAC地址",
        "K\u212aey",
        "İMEI 设备",
        "设备",
        "信息",
        "备信息",
        "😀设备信息",
        "a",
        "Android ID与IDFA",
        "用户ID",
        "ＩＭＥＩ",
        "ΣIMEI",
        "手机号码信息",
    ]
    cases = [sentences, edge, edge[::-1], [""], ["设"], sentences[:3] + edge + sentences[3:9]]
    for texts in cases:
        assert pm.find_many(texts) == [pm.find(t) for t in texts]
    assert sum(map(len, pm.find_many(sentences))) > 200  # the fixtures do name PI


def test_which_and_maybe_answer_as_re(sentences: list[str]) -> None:
    statements = importlib.import_module("pica.extract.policy.statements")
    groups = statements._groups(lx.lexicon())
    spans, pos = [], 0
    for s in sentences:
        spans.append((pos, pos + len(s)))
        pos += len(s) + 1
    text = "\n".join(sentences)
    for (s, e), has in zip(spans, lx.searchers(text, spans), strict=True):
        for group in groups:
            expected = [k for k, rx in group.items if rx.search(text[s:e])]
            assert has.which(group) == expected
            assert has.maybe(group) or not expected


# Start-up: gates and compiled patterns kept in pica's cache (rxcache) must answer as the ones
# computed; every pattern ``has`` is asked about is known before the first sentence.

_LOADED_PROCESS = """
import importlib, json, sys
from pathlib import Path
lx = importlib.import_module("pica.extract.policy.lexicon")
from pica.extract.policy import extract
lx._current_index()  # the gates made before the first sentence
prepared = len(lx._GATES)
texts = [s.text for f in sorted(Path(sys.argv[1]).glob("*.txt")) for s in extract(f).statements]
texts += json.loads(sys.argv[2])
wrong = []
for g in lx._GATES.values():
    for t in texts:
        found = g.rx.search(t) is not None
        if (found and not lx.candidate_mask(t) >> g.order & 1) or (
            (g.test.search(t) is not None) != found
        ):
            wrong.append([g.rx.pattern[:60], t])
print(json.dumps({"loaded": lx._store().loaded, "prepared": prepared,
                  "gates": len(lx._GATES), "wrong": wrong[:5]}))
"""


def test_gates_loaded_from_the_cache_answer_as_re(sentences: list[str]) -> None:
    import json
    import os
    import subprocess
    import sys

    # (the ``sentences`` fixture made the gates in this process, which filled the cache)
    done = subprocess.run(
        [sys.executable, "-c", _LOADED_PROCESS, str(FIXTURES), json.dumps(EDGE)],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["loaded"]  # its prefilters and code came from the cache
    assert result["wrong"] == []
    # every pattern statements and profile ask ``has`` about was registered: no gate was made
    # after the first sentence (each one would rebuild the index)
    assert result["gates"] == result["prepared"] > 100


def test_kept_prefilters_are_the_ones_computed(sentences: list[str]) -> None:
    rxcache = importlib.import_module("pica.extract.policy.rxcache")
    kept = rxcache.Store("lexicon", lx._store().key)  # the cache file, read afresh
    assert kept.loaded
    gates = {k: v for k, v in kept.values.items() if k.startswith("gate ")}
    assert len(gates) > 100
    for name, (first, req, test) in gates.items():
        _gate, flags, pattern = name.split(" ", 2)
        rx = re.compile(pattern, int(flags))
        parsed = lx._parse(rx)
        want_first = lx.prefixes(rx, parsed)
        want_req = lx.required_chars(rx, parsed)
        if want_req is not None and want_first is not None and len(want_req) >= 40:
            want_req = None
        want_test = lx._existence_form(rx, want_first, parsed)
        assert first == (None if want_first is None else sorted(want_first)), pattern[:60]
        assert req == (None if want_req is None else sorted(want_req)), pattern[:60]
        assert test == (None if want_test is rx else want_test.pattern), pattern[:60]
