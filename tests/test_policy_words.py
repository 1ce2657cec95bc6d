"""words: the count-only segmentation is jieba's, run by run; the sampled estimate is close; the
cached table counts what jieba's dictionary does."""

from __future__ import annotations

import os
import subprocess
import sys
from math import log
from pathlib import Path

import numpy as np
import pytest

from pica.extract.policy import extract, words

FIXTURES = Path(__file__).parent / "fixtures" / "policies" / "viodroid"


def _jieba_count(text: str) -> int:
    return sum(1 for w in words.tokenizer().lcut(text, HMM=False) if w.strip())


def _texts() -> list[str]:
    return [extract(f).text for f in sorted(FIXTURES.glob("*.txt"))]


def test_run_tokens_equals_jieba_on_every_run_of_the_fixture_policies() -> None:
    tk = words.tokenizer()
    freq, logtotal = tk.FREQ, log(tk.total)
    runs = {r for t in _texts() for r in words._RUN.findall(t)}
    # ASCII runs exercise the letter/digit joining; mixed runs the dictionary across scripts
    runs |= {
        "SDK",
        "a1b2",
        "iOS14系统",
        "v1.2.3",
        "100%好",
        "Wi-Fi",
        "个人信息保护法2021",
        "x",
        "中",
    }
    assert len(runs) > 500
    for r in sorted(runs):
        assert words.run_tokens(r, freq, logtotal) == len(tk.lcut(r, HMM=False)), r


def test_short_text_is_counted_in_full() -> None:
    text = "我们会收集您的手机号码和设备信息，用于账号注册。"
    assert words.word_count(text) == _jieba_count(text)


def test_long_policies_are_estimated_within_three_percent() -> None:
    for text in _texts():
        assert len(text) > 2 * words.SAMPLE_CHARS
        full = _jieba_count(text)
        assert abs(words.word_count(text) - full) <= 0.03 * full
        # the estimate scales with the text: twice the policy, about twice the words
        assert abs(words.word_count(text + "\n" + text) - 2 * full) <= 0.03 * 2 * full


def test_count_is_exact_when_every_run_is_sampled(monkeypatch) -> None:
    # the split into jieba's runs and single-character tokens loses nothing
    monkeypatch.setattr(words, "SAMPLE_CHARS", 10**9)
    for text in _texts():
        assert words.word_count(text) == _jieba_count(text)
    text = "Hello, world! 个人信息保护。SDK v1.2 —— 100%好，  \n  第三方（SDK）"
    assert words.word_count(text) == _jieba_count(text)


# The cached table (``FreqTable``): the same tokens as jieba's dictionary, from the cache or not.


def _fixture_runs() -> list[str]:
    runs = sorted({r for t in _texts() for r in words._RUN.findall(t)})
    return runs + ["SDK", "a1b2", "iOS14系统", "v1.2.3", "100%好", "Wi-Fi", "个人信息保护法2021"]


def test_table_counts_what_the_dictionary_does_on_every_run() -> None:
    tk = words.tokenizer()
    freq, logtotal = tk.FREQ, log(tk.total)
    table = words.freq_table()
    runs = _fixture_runs()
    for r in runs:
        assert table.tokens([r]) == words.run_tokens(r, freq, logtotal), r
    # all at once (one numpy pass over the joined runs), and with runs repeated
    assert table.tokens(runs + runs) == 2 * sum(words.run_tokens(r, freq, logtotal) for r in runs)
    assert table.tokens([]) == 0


def test_table_follows_gaps_in_the_dictionary() -> None:
    # a dictionary that lacks a prefix of its words ("ab" for "abc"), a word of frequency 0
    # and a character alone: the table answers "absent" where ``dict.get`` gives None
    freq = {"a": 5, "abc": 7, "abcd": 2, "b": 0, "bc": 9, "c": 1, "x": 3, "xyz": 4, "y": 1}
    table = words.FreqTable.from_freq(freq, 100)
    for run in ["abc", "abcd", "ab", "bcd", "xyzabc", "zzz", "abcab", "cba", "xy", "b"]:
        assert table.tokens([run]) == words.run_tokens(run, freq, log(100)), run


def test_table_from_the_cache_is_the_table_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PICA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(words, "_TABLE", [])
    built = words.freq_table()
    assert (tmp_path / "words.npz").exists()
    monkeypatch.setattr(words, "_TABLE", [])
    loaded = words.freq_table()
    assert loaded is not built
    assert loaded.total == built.total
    for a, b in ((loaded.edges, built.edges), (loaded.freq, built.freq)):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_table_rebuilt_for_another_jieba_or_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata
    from types import SimpleNamespace

    monkeypatch.setenv("PICA_CACHE_DIR", str(tmp_path))
    # a small dictionary stands in for jieba's: what is tested is when the table is rebuilt
    builds = []

    def tokenizer() -> SimpleNamespace:
        builds.append(1)
        return SimpleNamespace(FREQ={"个": 3, "个人": 5, "人": 2, "信息": 7, "信": 1}, total=50)

    monkeypatch.setattr(words, "tokenizer", tokenizer)

    def count() -> int | None:
        monkeypatch.setattr(words, "_TABLE", [])  # a new process
        return words.word_count("个人信息，个人。")

    expected = count()
    assert (len(builds), count()) == (1, expected)  # built, then loaded
    # another jieba version: another key, so the table is rebuilt
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda n: "0.0-other" if n == "jieba" else real(n)
    )
    assert (count(), len(builds)) == (expected, 2)
    assert (count(), len(builds)) == (expected, 2)
    # a damaged file: rebuilt, same count
    path = tmp_path / "words.npz"
    path.write_bytes(path.read_bytes()[:200])
    assert (count(), len(builds)) == (expected, 3)
    assert (count(), len(builds)) == (expected, 3)


def test_unwritable_cache_still_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("PICA_CACHE_DIR", str(tmp_path / "a-file" / "cache"))
    monkeypatch.setattr(words, "_TABLE", [])
    text = "我们会收集您的手机号码和设备信息，用于账号注册。"
    assert words.word_count(text) == _jieba_count(text)


def test_a_process_with_the_table_cached_does_not_load_jieba(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pica.extract.policy.words import word_count\n"
        "n = word_count('我们会收集您的手机号码和设备信息，用于账号注册。')\n"
        "print(n, 'jieba' in sys.modules)\n"
    )
    env = {**os.environ, "PICA_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0][1] == "True"  # the first process builds the table from jieba's dictionary
    assert runs[1] == [runs[0][0], "False"]  # the next one loads it: same count, no jieba
