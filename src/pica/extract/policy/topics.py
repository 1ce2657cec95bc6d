"""Data-practice topics of policy sentences: a linear model over hashed character n-grams.

The 11 topics are those of CAPP-130 (Zhu et al., NeurIPS 2023 Datasets and Benchmarks; CC BY 4.0),
on whose development policies the model in ``knowledge/data/policy_topics.npz`` was trained by
``tools/train_policy_topics.py``. A sentence may carry several topics, or none.

Features (the same code builds them for training and at run time): the character 1-, 2- and
3-grams of the sentence, and, hashed apart, those of its *context* (the heading or list lead-in
it sits under) and of the previous sentence. Text is NFKC-normalised, lower-cased, and every
digit is 0. Each n-gram is hashed (FNV-1a over code points, then a 64-bit mix, salted per part)
into a fixed number of features, and each part's n-grams weigh 1/sqrt(their number), so the
model is a weight matrix (features x topics), an intercept and a threshold per topic. Run time
needs numpy only; the model loads on first use.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

TOPICS: tuple[str, ...] = (
    "collection",
    "permission",
    "sharing",
    "usage",
    "retention",
    "security",
    "audiences",
    "management",
    "contact",
    "revisions",
    "cessation",
)
# CAPP-130's label names (label_explanation.json), in the order of TOPICS.
CAPP130_LABELS: tuple[str, ...] = (
    "数据收集",
    "权限获取",
    "共享、委托、转让、公开（披露）",
    "使用",
    "存储方式",
    "安全措施",
    "特殊人群",
    "数据、权限管理",
    "联系方式",
    "隐私政策的授权、修改与变更",
    "停止运营",
)

MODEL_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "policy_topics.npz"
N_FEATURES_DEFAULT = 1 << 18
NGRAMS = (1, 2, 3)
# Salts of the parts: sentence, context (heading / lead-in), previous sentence.
_SALTS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_DIGITS = str.maketrans("123456789", "000000000")
_MAX_CHARS = 2000  # a longer "sentence" is cut: the n-grams of its start decide


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text[:_MAX_CHARS]).lower().translate(_DIGITS)


class Features(NamedTuple):
    """A sparse batch: entry k adds ``values[k]`` to feature ``cols[k]`` of row ``rows[k]``."""

    rows: np.ndarray  # int64
    cols: np.ndarray  # int64
    values: np.ndarray  # float64
    n_rows: int


def _hash_part(texts: Sequence[str], salt: int, n_features: int):
    """(rows, cols, values) of the hashed n-grams of one part of every row."""
    joined = "\x00" + "\x00".join(normalise(t) for t in texts) + "\x00"
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    sep = codes == 0
    row_of = np.cumsum(sep) - 1  # row of position i (separators belong to the row after them)
    rows_out, cols_out = [], []
    n = len(codes)
    with np.errstate(over="ignore"):
        for k in NGRAMS:
            if n < k:
                continue
            m = n - k + 1
            ok = ~sep[:m]
            h = np.full(m, np.uint64(salt) ^ np.uint64(k), dtype=np.uint64)
            for j in range(k):
                if j:
                    ok &= ~sep[j : j + m]
                h = (h ^ codes[j : j + m]) * _FNV_PRIME
            h = h[ok]
            h ^= h >> np.uint64(33)
            h *= _MIX1
            h ^= h >> np.uint64(33)
            h *= _MIX2
            h ^= h >> np.uint64(33)
            cols_out.append((h % np.uint64(n_features)).astype(np.int64))
            rows_out.append(row_of[:m][ok].astype(np.int64))
    rows = np.concatenate(rows_out) if rows_out else np.zeros(0, np.int64)
    cols = np.concatenate(cols_out) if cols_out else np.zeros(0, np.int64)
    counts = np.bincount(rows, minlength=len(texts)).astype(np.float64)
    weight = np.zeros(len(texts), dtype=np.float64)
    np.divide(1.0, np.sqrt(counts), out=weight, where=counts > 0)
    return rows, cols, weight[rows]


def featurise(
    texts: Sequence[str],
    contexts: Sequence[str] | None = None,
    previous: Sequence[str] | None = None,
    n_features: int = N_FEATURES_DEFAULT,
    parts: tuple[bool, bool, bool] = (True, True, True),
) -> Features:
    """Hashed n-gram features of each sentence with its context and previous sentence."""
    n = len(texts)
    blank = [""] * n
    chunks = [
        _hash_part(p if p is not None else blank, salt, n_features)
        for p, salt, use in zip((texts, contexts, previous), _SALTS, parts, strict=True)
        if use
    ]
    rows = np.concatenate([c[0] for c in chunks])
    cols = np.concatenate([c[1] for c in chunks])
    values = np.concatenate([c[2] for c in chunks])
    return Features(rows, cols, values, n)


# A heading or a list lead-in: a short numbered line, or a line ending with a colon.
_NUMBERED = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百\d]+[章节条部分]|[一二三四五六七八九十]+[、.．]"
    r"|[(（][一二三四五六七八九十\d]+[)）]|\d+(?:[.．]\d+)*[、.．]?\s*\S|[【\[])"
)


def is_heading(text: str) -> bool:
    t = text.strip()
    if not t:
        return False
    if t[-1] in "：:":
        return len(t) <= 120
    return len(t) <= 30 and _NUMBERED.match(t) is not None and t[-1] not in "。；;"


def document_context(texts: Sequence[str]) -> tuple[list[str], list[str]]:
    """(context, previous) of each sentence of one document, given in document order: the
    nearest heading or lead-in line before it, and the sentence before it."""
    contexts, previous = [], []
    heading, prev = "", ""
    for t in texts:
        contexts.append(heading)
        previous.append(prev)
        if is_heading(t):
            heading = t.strip()
        prev = t
    return contexts, previous


class TopicModel(NamedTuple):
    weights: np.ndarray  # (topics, features) float32
    intercepts: np.ndarray  # (topics,) float64
    thresholds: np.ndarray  # (topics,) float64
    topics: tuple[str, ...]
    parts: tuple[bool, bool, bool]

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[1])

    def scores(self, feats: Features) -> np.ndarray:
        """(rows, topics) decision values."""
        out = np.empty((feats.n_rows, len(self.topics)), dtype=np.float64)
        for t in range(len(self.topics)):
            w = self.weights[t][feats.cols].astype(np.float64) * feats.values
            out[:, t] = np.bincount(feats.rows, weights=w, minlength=feats.n_rows)
        return out + self.intercepts

    def predict(
        self,
        texts: Sequence[str],
        contexts: Sequence[str] | None = None,
        previous: Sequence[str] | None = None,
    ) -> list[tuple[str, ...]]:
        if not texts:
            return []
        feats = featurise(texts, contexts, previous, self.n_features, self.parts)
        hits = self.scores(feats) >= self.thresholds
        return [tuple(t for t, h in zip(self.topics, row, strict=True) if h) for row in hits]


def save_model(path: Path, model: TopicModel) -> None:
    """Write the model as an .npz that is the same bytes for the same arrays (fixed zip dates)."""
    arrays = {
        "weights": np.ascontiguousarray(model.weights, dtype=np.float32),
        "intercepts": np.asarray(model.intercepts, dtype=np.float64),
        "thresholds": np.asarray(model.thresholds, dtype=np.float64),
        "topics": np.asarray(model.topics, dtype="<U16"),
        "parts": np.asarray(model.parts, dtype=np.bool_),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            with z.open(info, "w") as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)


def load_model(path: Path) -> TopicModel:
    with np.load(path, allow_pickle=False) as z:
        return TopicModel(
            weights=z["weights"],
            intercepts=z["intercepts"],
            thresholds=z["thresholds"],
            topics=tuple(str(t) for t in z["topics"]),
            parts=tuple(bool(p) for p in z["parts"]),  # type: ignore[arg-type]
        )


@cache
def model() -> TopicModel:
    """The shipped model, loaded on first use."""
    return load_model(MODEL_FILE)


def classify(
    texts: Sequence[str],
    contexts: Sequence[str] | None = None,
    previous: Sequence[str] | None = None,
) -> list[tuple[str, ...]]:
    """The topics of each sentence (one batch: pass a document's sentences together)."""
    return model().predict(texts, contexts, previous)


def classify_document(texts: Sequence[str]) -> list[tuple[str, ...]]:
    """The topics of a document's sentences given in order, each with its context found from
    the lines before it (``document_context``)."""
    contexts, previous = document_context(texts)
    return classify(texts, contexts, previous)
