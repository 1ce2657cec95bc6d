"""profile's one-pass character counts equal the regexes they stand for."""

from __future__ import annotations

import random
import re
from pathlib import Path

from pica.extract.policy import profile as P

# the regexes the table and the one-pass counts replaced
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_RUN = re.compile(r"[A-Za-z]+")
_TRAD_RX = re.compile("[" + "".join(sorted(P._TRAD_ONLY)) + "]")
_SIMP_RX = re.compile("[" + "".join(sorted(P._SIMP_ONLY)) + "]")
_SPACE_RX = re.compile(r"\s+")

FIXTURES = Path(__file__).parent / "fixtures" / "policies" / "viodroid"
CLASSES = {
    P._CJK: _CJK_RUN,
    P._LATIN: _LATIN_RUN,
    P._TRAD: _TRAD_RX,
    P._SIMP: _SIMP_RX,
    P._SPACE: _SPACE_RX,
}


def _by_regex(text: str) -> dict[int, int]:
    return {bit: sum(map(len, rx.findall(text))) for bit, rx in CLASSES.items()}


def test_table_is_exactly_the_regex_classes() -> None:
    bmp = [chr(c) for c in range(0x10000)]
    for bit, rx in CLASSES.items():
        in_table = {c for c in bmp if P._CLASSES[ord(c)] & bit}
        assert in_table == {c for c in bmp if rx.fullmatch(c)}, bit
    astral = "".join(map(chr, range(0x10000, 0x110000)))
    assert all(rx.search(astral) is None for rx in CLASSES.values())


def _script_by_regex(text: str) -> str:
    """``script_of`` as it was written with regex passes."""
    sample = text[:200_000]
    n = len(sample)
    cjk = sum(map(len, _CJK_RUN.findall(sample)))
    letters = sum(map(len, _LATIN_RUN.findall(sample)))
    if cjk < 20 or cjk < 0.05 * (cjk + letters):
        return "english" if letters > 20 else "other"
    trad = n - len(_TRAD_RX.sub("", sample))
    simp = n - len(_SIMP_RX.sub("", sample))
    return "traditional" if trad > simp else "simplified"


def _texts() -> list[str]:
    rng = random.Random(7)
    alphabet = "們个這为 \t\n\u3000\u00a0\u2028aZ9。😀\ud800" + "".join(sorted(P._TRAD_ONLY))
    texts = [f.read_text("utf-8") for f in sorted(FIXTURES.glob("*.txt"))]
    texts += ["", "😀" * 30 + "们" * 25, "abc " * 200 + "們" * 30]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(300))) for _ in range(200)]
    return texts


def test_counts_and_script_match_the_regexes() -> None:
    for text in _texts():
        assert P._class_counts(text) == _by_regex(text), repr(text[:80])
        assert P.script_of(text) == _script_by_regex(text), repr(text[:80])


def test_readability_samples_the_start_for_the_script() -> None:
    from pica.extract.policy import extract_text

    text = "們" * 100 + "1" * 199_850 + "们" * 1000 + "\u3000 x"
    ev = extract_text(text, name="long")
    assert len(ev.text) > 200_000
    r = ev.profile.readability
    assert _script_by_regex(ev.text) == r.script == "traditional"
    assert r.chars == len(ev.text) - sum(map(len, _SPACE_RX.findall(ev.text)))
