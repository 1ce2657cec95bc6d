"""The PI term matcher (one trie-shaped regex) against a plain reference scan."""

from __future__ import annotations

from pathlib import Path

from pica.extract.policy.lexicon import build_pi_matcher, pi_matcher

FIXTURES = Path(__file__).parent / "fixtures" / "policies" / "viodroid"


def _letter(c: str) -> bool:
    return c.isascii() and c.isalpha()


def reference_find(ids: dict[str, str], text: str) -> list[tuple[str, int, int, str]]:
    """Leftmost position first; there, the longest term whose ASCII boundaries hold."""
    low = text.lower()
    terms = sorted(ids, key=len, reverse=True)
    out, i = [], 0
    while i < len(low):
        for t in terms:
            j = i + len(t)
            if not low.startswith(t, i):
                continue
            if t[0].isascii() and t[0].isalnum() and i > 0 and _letter(low[i - 1]):
                continue
            if t[-1].isascii() and t[-1].isalnum() and j < len(low) and _letter(low[j]):
                continue
            out.append((ids[t], i, j, text[i:j]))
            i = j
            break
        else:
            i += 1
    return out


def test_small_term_set_boundaries_and_longest_first() -> None:
    pm = build_pi_matcher(
        {"mac": ["MAC", "mac地址", "Wifi MAC"], "ph": ["手机", "手机号码"]}, False
    )
    for text in [
        "Macintosh 的 MAC地址 和 wifi mac、xMAC、MACx、手机号码、手机号",
        "mac",
        "MAC1",
        "1mac",
        "wifi macs",
        "wifi mac地址",
    ]:
        assert pm.find(text) == reference_find(pm.ids, text), text


def test_taxonomy_matcher_on_fixture_policies() -> None:
    pm = pi_matcher()
    for p in sorted(FIXTURES.glob("*.txt")):
        for line in p.read_text(encoding="utf-8").splitlines():
            assert pm.find(line) == reference_find(pm.ids, line)
