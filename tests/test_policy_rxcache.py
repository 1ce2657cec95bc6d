"""rxcache: a pattern made from kept code is the pattern ``re.compile`` makes; anything wrong
with the kept code falls back to ``re.compile``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pica.extract.policy import rxcache

PATTERNS = [
    ("(?P<key>SDK名称|名称)\\s*[:：]\\s*(?P<val>[^\\n]*)", 0),
    ("(?-i:[个您])(?<=(?=(?:个人信息|您的(?:设备|位置))).)", re.IGNORECASE),
    ("(?<![A-Za-z])imei(?![A-Za-z])|mac地址", re.IGNORECASE),
    ("^\\s*第[一二三四五六七八九十]+条", re.MULTILINE),
    ("(?=([您个].))", re.S),
    ("[\\u4E00-\\u9FD5a-zA-Z0-9+#&\\._%\\-]+", 0),
    ("(a)(b)?(?:c|(d))", 0),
]
TEXTS = [
    "SDK名称：友盟\n",
    "我们收集您的设备信息和个人信息",
    "IMEI、MAC地址",
    "第三条 适用范围",
    "abd ac",
]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PICA_CACHE_DIR", str(tmp_path))
    return tmp_path


def _same(a: re.Pattern[str], b: re.Pattern[str]) -> None:
    assert a == b  # same pattern, flags and code
    assert (a.flags, a.groups, a.groupindex) == (b.flags, b.groups, b.groupindex)
    for text in TEXTS:
        ma, mb = a.search(text), b.search(text)
        assert (ma and (ma.span(), ma.groups())) == (mb and (mb.span(), mb.groups()))
        assert a.findall(text) == b.findall(text)


@pytest.mark.skipif(not rxcache.engine(), reason="code is only kept on CPython")
def test_kept_code_makes_the_pattern_re_compile_makes(cache_dir: Path) -> None:
    store = rxcache.Store("rx", "k1")
    assert not store.loaded
    for pattern, flags in PATTERNS:
        _same(store.compile(pattern, flags), re.compile(pattern, flags))
    store.put("gate x", [["个", "您"], None, "y"])
    assert store.save()
    again = rxcache.Store("rx", "k1")
    assert again.loaded and again.get("gate x") == [["个", "您"], None, "y"]
    assert set(again.code) == {(p, f) for p, f in PATTERNS}
    for pattern, flags in PATTERNS:
        _same(again.compile(pattern, flags), re.compile(pattern, flags))
    assert not again.dirty  # nothing compiled the slow way
    assert not again.save()  # nothing new to write
    assert not rxcache.Store("rx", "k2").loaded  # another key: not this file


@pytest.mark.skipif(not rxcache.engine(), reason="code is only kept on CPython")
def test_invalid_kept_code_falls_back_to_re_compile(cache_dir: Path) -> None:
    store = rxcache.Store("rx", "k1")
    pattern, flags = PATTERNS[0]
    store.compile(pattern, flags)
    entry = store.code[pattern, flags]
    entry[1] = [1, 2, 3]  # not code the engine accepts
    _same(store.compile(pattern, flags), re.compile(pattern, flags))
    entry = store.code[pattern, flags]  # recorded again, from re's own compilation
    assert entry[1] != [1, 2, 3]


def test_without_the_engine_patterns_are_compiled_as_usual(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rxcache, "_ENGINE", "")
    store = rxcache.Store("rx", "k1")
    for pattern, flags in PATTERNS:
        _same(store.compile(pattern, flags), re.compile(pattern, flags))
    assert not store.code and not store.save()
    assert not list(cache_dir.iterdir())
