"""profile._word_count: exact on a short text, a close estimate from sampled runs on a long one."""

from __future__ import annotations

from pathlib import Path

from pica.extract.policy import extract, profile

FIXTURES = Path(__file__).parent / "fixtures" / "policies" / "viodroid"


def _full(text: str) -> int:
    return sum(1 for w in profile._jieba().lcut(text, HMM=False) if w.strip())


def test_short_text_is_counted_in_full() -> None:
    text = "我们会收集您的手机号码和设备信息，用于账号注册。"
    assert profile._word_count(text) == _full(text)


def test_long_policies_are_estimated_within_three_percent() -> None:
    for f in sorted(FIXTURES.glob("*.txt")):
        text = extract(f).text
        assert len(text) > 2 * profile.WORD_SAMPLE_CHARS
        full = _full(text)
        assert abs(profile._word_count(text) - full) <= 0.03 * full, f.name
        # the estimate scales with the text: twice the policy, about twice the words
        assert abs(profile._word_count(text + "\n" + text) - 2 * full) <= 0.03 * 2 * full, f.name


def test_count_is_exact_when_every_run_is_sampled(monkeypatch) -> None:
    # the split into jieba's runs and single-character tokens loses nothing
    monkeypatch.setattr(profile, "WORD_SAMPLE_CHARS", 10**9)
    for f in sorted(FIXTURES.glob("*.txt")):
        text = extract(f).text
        assert profile._word_count(text) == _full(text), f.name
    text = "Hello, world! 个人信息保护。SDK v1.2 —— 100%好，  \n  第三方（SDK）"
    assert profile._word_count(text) == _full(text)
