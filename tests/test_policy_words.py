"""words: the count-only segmentation is jieba's, run by run; the sampled estimate is close."""

from __future__ import annotations

from math import log
from pathlib import Path

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
