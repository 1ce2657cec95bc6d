"""Data-practice topics of English policy sentences, from reviewed patterns.

The trained model (``topics.py``) reads Chinese character n-grams and was fitted on Chinese
policies only; no permissively licensed English corpus with these labels is available, so an
English sentence gets the same 11 topic ids from the patterns of ``policy_lexicon.yaml``
``topics_en``: every topic whose pattern matches the sentence, or, if none does, those its
context (section heading or list lead-in) matches.

Language is decided **per document** (in ``pica policy`` the document's script,
``profile.script_of``; in ``pica classify`` ``is_english_document``), so that an English line inside a Chinese
policy (an SDK name, a URL, a quoted clause) keeps the trained model and its context; a sentence
given alone (``pica classify`` without ``doc``) is its own document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from pica import knowledge
from pica.extract.policy.topics import TOPICS

_CJK = re.compile("[\u4e00-\u9fff]")
_LATIN = re.compile("[A-Za-z]")


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    entry = knowledge.policy_lexicon()["topics_en"]
    return tuple((t, re.compile(entry[t], re.I)) for t in TOPICS)


def is_english_document(texts: Sequence[str]) -> bool:
    """Whether a document (its sentences in order) is English rather than Chinese: CJK
    characters are under 5% of its CJK characters and ASCII letters (first 200,000 characters).
    A share, not ``profile.script_of``'s count of 20, so that one short Chinese sentence naming
    an SDK ("我们使用SDK收集IMEI") stays Chinese when ``pica classify`` reads it alone;
    ``pica policy`` goes by the document's ``script`` itself."""
    cjk = letters = seen = 0
    for t in texts:
        t = t[: 200_000 - seen]
        cjk += len(_CJK.findall(t))
        letters += len(_LATIN.findall(t))
        seen += len(t)
        if seen >= 200_000:
            break
    return letters > 0 and cjk < 0.05 * (cjk + letters)


def _match(text: str) -> tuple[str, ...]:
    return tuple(t for t, rx in _patterns() if rx.search(text))


def classify_english(
    texts: Sequence[str], contexts: Sequence[str] | None = None
) -> list[tuple[str, ...]]:
    """The topics of each English sentence (its context used only where the sentence alone
    matches no topic)."""
    out = []
    for i, text in enumerate(texts):
        tops = _match(text)
        if not tops and contexts is not None and contexts[i]:
            tops = _match(contexts[i])
        out.append(tops)
    return out
