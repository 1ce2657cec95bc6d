"""How many words jieba finds in a policy: the profile's word count, estimated from a sample.

jieba splits a text into runs of ``_RUN`` characters, which it segments with its dictionary, and
other characters, each a token of its own unless it is whitespace. The second part is counted
exactly; the runs are sampled (every k-th run, about ``SAMPLE_CHARS`` characters) and their
tokens per character scaled up. Within 2.5% (mean 1.1%) of the full count on the seven real
policies we have, each also doubled and tripled; exact when the runs fit the sample.

The sampled runs are counted by ``run_tokens``, which gives the number of tokens
``jieba.Tokenizer.lcut(run, HMM=False)`` returns, from the same dictionary, without building
the tokens: jieba builds a word graph (a list per character), scores it with a generator of
tuples and walks it into strings, which made the word count a third of a real policy's whole
analysis time. Written here rather than taken from a faster jieba port so that the count stays
jieba's own (tested against it on every run of the fixture policies).

Start-up: loading jieba's dictionary (a 500,000-entry dict, ~1 s) is most of a short command's
time, and the word count needs it for a few thousand characters. So the dictionary, with the PI
terms added, is kept in pica's user cache (``pica.cache``) as a trie in numpy arrays
(``FreqTable``), built from jieba's own tokenizer on first use and loaded in milliseconds after;
its key is pica's and jieba's versions and a hash of the data files the PI terms come from (and
of this module). The table answers what the dictionary does (a fragment's frequency, 0 for a
prefix of a word only, absent for neither), so the count is the same, token for token (tested
against jieba).
"""

from __future__ import annotations

import logging
import os
from math import log
from typing import NamedTuple

import numpy as np

from pica.extract.policy.lexicon import compile_cached

_RUN = compile_cached(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")  # jieba.re_han_default
_SINGLES = compile_cached(r"[^\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-\s]+")
_ENG = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")  # jieba.re_eng
SAMPLE_CHARS = 3_000


def word_count(text: str) -> int | None:
    """Words in ``text`` as jieba counts them (with the PI terms in its dictionary), estimated
    from sampled runs; None when jieba cannot be loaded."""
    try:
        table = freq_table()
    except Exception:  # jieba missing or broken: readability still works on characters
        return None
    singles = sum(map(len, _SINGLES.findall(text)))
    runs = _RUN.findall(text)
    run_chars = sum(map(len, runs))
    step = max(1, round(run_chars / SAMPLE_CHARS))
    sample = runs[step // 2 :: step] if step > 1 else runs
    sample_chars = sum(map(len, sample))
    if not sample_chars:
        return singles
    tokens = table.tokens(sample)
    return singles + round(tokens * run_chars / sample_chars)


def run_tokens(run: str, freq: dict[str, int], logtotal: float) -> int:
    """The number of tokens jieba's ``HMM=False`` cut makes of ``run`` (one ``_RUN`` match),
    with jieba's dictionary ``freq`` (``Tokenizer.FREQ``); ``FreqTable.tokens`` is the same
    from the cached table.

    jieba's word graph: from each position, the dictionary words starting there (with a
    frequency above 0), found by extending the fragment while the dictionary has it (a word,
    or a prefix of one, frequency 0)."""
    n = len(run)
    dag: list[list[tuple[int, int]]] = []
    for k in range(n):
        words = []
        i = k
        f = freq.get(run[k])
        while f is not None:
            if f:
                words.append((i + 1, f))
            i += 1
            if i >= n:
                break
            f = freq.get(run[k : i + 1])
        dag.append(words)
    return route_tokens(run, dag, logtotal)


def route_tokens(run: str, dag: list[list[tuple[int, int]]], logtotal: float) -> int:
    """The number of tokens of ``run`` given its word graph ``dag``: for each position the
    (end, frequency) of the dictionary words starting there, ends ascending.

    jieba's route: for each position, from the end back, the word starting there (a dictionary
    word, or the single character) that maximises log(freq) - log(total) plus the best score
    after it, ties to the longer word. Then it walks the route, joining consecutive
    one-character ASCII letters and digits into one token. Same arithmetic, same order, same
    ties, so the same route."""
    n = len(run)
    score = [0.0] * (n + 1)
    nxt = [0] * (n + 1)  # end (exclusive) of the best word starting at each position
    for k in range(n - 1, -1, -1):
        best = end = -1
        for e, f in dag[k]:
            s = log(f) - logtotal + score[e]
            if end < 0 or s >= best:  # ">=": a tie goes to the longer word, as max((s, x))
                best, end = s, e
        if end < 0:  # no word starts here: the character alone, log(1) - log(total)
            best, end = -logtotal + score[k + 1], k + 1
        score[k] = best
        nxt[k] = end
    tokens = 0
    in_eng = False  # inside a run of one-character ASCII letter/digit tokens (one token)
    x = 0
    while x < n:
        y = nxt[x]
        if y == x + 1 and run[x] in _ENG:
            if not in_eng:
                tokens += 1
                in_eng = True
        else:
            tokens += 1
            in_eng = False
        x = y
    return tokens


_SHIFT = 21  # bits of a code point in a trie edge key (parent node << _SHIFT | code point)


class FreqTable(NamedTuple):
    """jieba's dictionary as a trie in numpy arrays. Node 0 is the empty string, every other
    node a dictionary entry (or a prefix of one the dictionary lacks). Nodes are numbered
    breadth first, siblings by character, so that ``edges`` (``parent << 21 | code point``,
    one per node but the root, in node order) is sorted: the edge found at index i leads to
    node i + 1.

    ``edges``: uint64; ``freq``: per node, the frequency (0: a prefix of a word only; -1: not
    in the dictionary, as ``FREQ.get`` gives None); ``total``: jieba's ``Tokenizer.total``."""

    edges: np.ndarray
    freq: np.ndarray
    total: int

    @classmethod
    def from_freq(cls, freq: dict[str, int], total: int) -> FreqTable:
        """The table of jieba's ``FREQ`` and ``total`` (the first run: about a second)."""
        nodes = [w for w in freq if w]
        # prefixes the dictionary lacks on the way to one of its words (jieba's own
        # dictionaries hold them all, with frequency 0) become nodes too, frequency -1
        known = set(nodes)
        todo = [w[:-1] for w in nodes if len(w) > 1 and w[:-1] not in freq]
        while todo:
            w = todo.pop()
            if w not in known:
                known.add(w)
                nodes.append(w)
                if len(w) > 1:
                    todo.append(w[:-1])
        nodes.sort(key=len)  # breadth first; siblings are ordered below
        sizes = np.fromiter(map(len, nodes), np.intp, len(nodes))
        bounds = np.flatnonzero(np.diff(sizes)) + 1
        ident = {"": 0}
        keys, counts = [], [np.array([-1], dtype=np.int64)]
        for start, stop in zip([0, *bounds.tolist()], [*bounds.tolist(), len(nodes)], strict=True):
            level = nodes[start:stop]
            parent = np.fromiter((ident[w[:-1]] for w in level), np.uint64, len(level))
            code = np.fromiter((ord(w[-1]) for w in level), np.uint64, len(level))
            order = np.lexsort((code, parent))  # by parent, then by character
            level = [level[i] for i in order.tolist()]
            ident.update(zip(level, range(len(ident), len(ident) + len(level)), strict=True))
            keys.append(parent[order] << np.uint64(_SHIFT) | code[order])
            counts.append(np.fromiter((freq.get(w, -1) for w in level), np.int64, len(level)))
        counted = np.concatenate(counts)
        small = counted.max() < 2**31
        return cls(
            edges=np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64),
            freq=counted.astype(np.int32) if small else counted,
            total=int(total),
        )

    def tokens(self, runs: list[str]) -> int:
        """``sum(run_tokens(r, FREQ, log(total)) for r in runs)``, with the word graphs of all
        the runs found at once: one trie level (one more character) per numpy pass over the
        positions where the fragment so far is in the dictionary."""
        text = "".join(runs)
        n = len(text)
        if not n:
            return 0
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        codes = codes.astype(np.uint64)
        lengths = np.fromiter(map(len, runs), np.intp, len(runs))
        stops = np.cumsum(lengths)
        starts = stops - lengths
        stop_at = np.repeat(stops, lengths)  # where each position's run ends
        start_at = np.repeat(starts, lengths)
        at = np.arange(n)  # fragments being extended: their start…
        node = np.zeros(n, dtype=np.int64)  # …and the trie node of the fragment so far
        found_at, found_end, found_freq = [], [], []
        size = 0
        edges, freq = self.edges, self.freq
        while at.size and edges.size:
            keep = at + size < stop_at[at]  # the fragment can grow within its run
            at, node = at[keep], node[keep]
            key = node.astype(np.uint64) << np.uint64(_SHIFT) | codes[at + size]
            i = np.searchsorted(edges, key)
            i[i == edges.size] = 0
            hit = edges[i] == key
            at, node = at[hit], i[hit] + 1  # the edge at index i leads to node i + 1
            f = freq[node]
            at, node, f = at[f >= 0], node[f >= 0], f[f >= 0]  # -1: jieba's get is None
            size += 1
            word = f > 0
            found_at.append(at[word])
            found_end.append(at[word] + size - start_at[at[word]])  # end within the run
            found_freq.append(f[word])
        # one list of (end, frequency) per position, ends ascending (levels are in order)
        dag: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for a, e, f in zip(
            np.concatenate(found_at).tolist(),
            np.concatenate(found_end).tolist(),
            np.concatenate(found_freq).tolist(),
            strict=True,
        ):
            dag[a].append((e, f))
        logtotal = log(self.total)
        return sum(
            route_tokens(r, dag[s : s + len(r)], logtotal)
            for r, s in zip(runs, starts.tolist(), strict=True)
        )


_TOKENIZER = None


def tokenizer():
    """jieba's tokenizer with the PI taxonomy's Chinese terms added (made once per process)."""
    global _TOKENIZER
    if _TOKENIZER is None:
        import jieba

        from pica import cache
        from pica.extract.policy.lexicon import pi_matcher

        jieba.setLogLevel(logging.WARNING)
        tk = jieba.Tokenizer()
        # jieba keeps its own 9 MB dictionary cache in the system temp directory unless told:
        # it goes to pica's user cache instead (nothing is written outside the report and that
        # cache); without a writable cache jieba's failure to save is silenced, not printed.
        folder = cache.directory()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            writable = os.access(folder, os.W_OK)
        except OSError:
            writable = False
        tk.tmp_dir = str(folder)
        if not writable:
            jieba.setLogLevel(logging.CRITICAL + 1)
        for term in pi_matcher().ids:
            if not term.isascii():
                tk.add_word(term, freq=2000)
        tk.check_initialized()
        _TOKENIZER = tk
    return _TOKENIZER


_TABLE: list[FreqTable] = []
_TERM_FILES = ("pi_taxonomy.yaml", "policy_lexicon.yaml")  # where the added PI terms come from


def freq_table() -> FreqTable:
    """The ``FreqTable`` of ``tokenizer()``'s dictionary: from the user cache when it holds
    one for this pica, this jieba and these data files; else built (loading jieba) and cached."""
    if not _TABLE:
        from importlib.metadata import version

        from pica import cache

        try:
            data, code = cache.data_digest(_TERM_FILES), cache.file_digest(__file__)
            key = cache.key("words", version("jieba"), data, code)
        except Exception:  # no jieba metadata, sources not readable: built, not kept
            key = None
        table = None if key is None else _loaded(cache.load("words", key))
        if table is None:
            tk = tokenizer()
            table = FreqTable.from_freq(tk.FREQ, tk.total)
            if key is not None:
                arrays = {"edges": table.edges, "freq": table.freq}
                cache.save("words", key, arrays, {"total": table.total})
        _TABLE.append(table)
    return _TABLE[0]


def _loaded(got) -> FreqTable | None:
    """The table in a cache file's (arrays, meta), None if they are not one."""
    try:
        arrays, meta = got
        edges, freq = arrays["edges"], arrays["freq"]
        if edges.dtype != np.uint64 or freq.ndim != 1 or freq.size != edges.size + 1:
            return None
        return FreqTable(edges, freq, int(meta["total"]))
    except Exception:  # None, or not this layout
        return None
