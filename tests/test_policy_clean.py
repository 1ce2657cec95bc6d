"""The fast HTML whitespace clean-up equals its regex definition."""

import random
import re
import sys

from pica.extract.policy.html import _CJK_GAP, _clean

# the regex _clean's str.split replaced
_WS = re.compile(r"[\s\u00a0\u3000\u200b]+")


def _reference(text: str) -> str:
    return _WS.sub(" ", _CJK_GAP.sub("", text)).strip()


def test_ws_class_is_isspace_plus_zero_width_space():
    extra = [
        c for c in range(sys.maxunicode + 1) if bool(_WS.fullmatch(chr(c))) != chr(c).isspace()
    ]
    assert extra == [0x200B]


def test_clean_equals_reference_on_random_strings():
    ws = [chr(c) for c in range(sys.maxunicode + 1) if _WS.fullmatch(chr(c))]
    alphabet = ws + list("中文。a b\n\r\t") + ["\u30ff", "\u3100", "\uff01", "\u4e00", "x"]
    rng = random.Random(7)
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _clean(text) == _reference(text), repr(text)
