"""Score the sentence-topic model (``pica.extract.policy.topics``) on CAPP-130's development policies.

    python -m pica.eval.capp130 [DIR] [--folds 5] [--seed 130] [--policies N]

DIR holds ``annotation/rw_N.jsonl`` (one policy per file, its sentences in document order, each
with the topic labels of legal annotators). Zhu et al., "CAPP-130: A Corpus of Chinese
Application Privacy Policy Summarization and Interpretation", NeurIPS 2023 Datasets and
Benchmarks, https://github.com/EnlightenedAI/CAPP-130 (data CC BY 4.0).

The split is by policy, never by sentence: the policies (sorted by file name) are shuffled with
a fixed seed and dealt into folds, and each fold's model is trained, thresholds included, on the
other folds' policies only (``fit``, the same function ``tools/train_policy_topics.py`` runs on
all of them). Per topic, precision/recall/F1 are counted over all folds' test sentences; the
macro-F1 is each fold's mean over the topics present in it (gold or predicted), averaged over
folds. Two populations: all sentences, and the sentences with at least one topic (the model
still sees their context and is not told that they have one).

Beside it, a keyword baseline: one regular expression per topic, written from the corpus's topic
names (``label_explanation.json``) before looking at any sentence, and never tuned.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pica.extract.policy.topics import (
    CAPP130_LABELS,
    N_FEATURES_DEFAULT,
    TOPICS,
    TopicModel,
    document_context,
    featurise,
)

DEFAULT_DIR = Path(__file__).resolve().parents[4] / "shared" / "data" / "policies" / "capp130-dev"
SEED = 130
_LABEL_INDEX = {name: i for i, name in enumerate(CAPP130_LABELS)}

# One pattern per topic, from the topic names only (not tuned on the sentences).
KEYWORDS: dict[str, str] = {
    "collection": r"收集|采集",
    "permission": r"权限",
    "sharing": r"共享|委托|转让|公开披露|披露|第三方",
    "usage": r"使用|用于",
    "retention": r"存储|保存|保留",
    "security": r"安全|加密|保护措施",
    "audiences": r"儿童|未成年|监护人",
    "management": r"访问|更正|删除|撤回|注销|管理",
    "contact": r"联系|邮箱|电话|客服",
    "revisions": r"修改|变更|更新|修订",
    "cessation": r"停止运营|终止运营",
}


@dataclass
class Policy:
    name: str
    texts: list[str]
    labels: np.ndarray  # (sentences, topics) bool
    contexts: list[str] = field(default_factory=list)
    previous: list[str] = field(default_factory=list)


def load_corpus(directory: Path) -> list[Policy]:
    """Every annotated policy, sorted by file name; labels that are not topic names (摘要, 潜在风险,
    sentence texts pasted by mistake) are dropped."""
    files = sorted((directory / "annotation").glob("*.jsonl"), key=lambda p: p.name)
    if not files:
        raise SystemExit(f"no annotation/*.jsonl under {directory}")
    out = []
    for path in files:
        texts, rows = [], []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            texts.append(str(d["text"]))
            row = np.zeros(len(TOPICS), dtype=bool)
            for lab in d.get("label") or ():
                i = _LABEL_INDEX.get(lab)
                if i is not None:
                    row[i] = True
            rows.append(row)
        contexts, previous = document_context(texts)
        labels = np.array(rows, dtype=bool).reshape(len(texts), len(TOPICS))
        out.append(Policy(path.stem, texts, labels, contexts, previous))
    return out


def folds(policies: Sequence[Policy], k: int, seed: int) -> list[int]:
    """The fold of each policy: shuffled with ``seed``, then dealt round-robin."""
    order = np.random.default_rng(seed).permutation(len(policies))
    fold = [0] * len(policies)
    for rank, i in enumerate(order):
        fold[int(i)] = rank % k
    return fold


@dataclass(frozen=True)
class Config:
    n_features: int = N_FEATURES_DEFAULT
    parts: tuple[bool, bool, bool] = (True, True, True)
    loss: str = "svm"  # svm (linear SVM) | lr (logistic regression)
    c: float = 0.3
    balanced: bool = False
    inner_folds: int = 3  # threshold tuning on the training policies; 0: thresholds at 0
    tune_on: str = "topical"  # topical | all: the sentences whose F1 the thresholds maximise
    seed: int = SEED
    jobs: int = 2


def _stack(policies: Sequence[Policy], cfg: Config):
    from scipy.sparse import csr_matrix

    texts = [t for p in policies for t in p.texts]
    ctx = [t for p in policies for t in p.contexts]
    prev = [t for p in policies for t in p.previous]
    f = featurise(texts, ctx, prev, cfg.n_features, cfg.parts)
    x = csr_matrix((f.values, (f.rows, f.cols)), shape=(f.n_rows, cfg.n_features))
    x.sum_duplicates()
    x.sort_indices()
    y = np.concatenate([p.labels for p in policies]) if policies else np.zeros((0, len(TOPICS)))
    return x, y


def _fit_linear(x, y: np.ndarray, cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """(weights (topics, features), intercepts) of one binary model per topic."""
    from joblib import Parallel, delayed
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    cw = "balanced" if cfg.balanced else None

    def one(yt: np.ndarray) -> tuple[np.ndarray, float]:
        if yt.all() or not yt.any():
            return np.zeros(x.shape[1]), (1.0 if yt.all() else -1.0)
        if cfg.loss == "svm":
            clf = LinearSVC(C=cfg.c, class_weight=cw, random_state=cfg.seed, max_iter=5000)
        else:
            clf = LogisticRegression(
                C=cfg.c, solver="liblinear", class_weight=cw, random_state=cfg.seed, max_iter=500
            )
        clf.fit(x, yt)
        return np.asarray(clf.coef_[0], dtype=np.float64), float(clf.intercept_[0])

    # topics are independent fits, run two at a time; each is deterministic (fixed seed)
    done = Parallel(n_jobs=cfg.jobs)(delayed(one)(y[:, t]) for t in range(y.shape[1]))
    weights = np.stack([w for w, _ in done])
    bias = np.array([b for _, b in done], dtype=np.float64)
    return weights, bias


def best_threshold(scores: np.ndarray, gold: np.ndarray) -> float:
    """The threshold on ``scores`` with the best F1 for ``gold`` (midway between two scores)."""
    if not gold.any():
        return float(scores.max() + 1.0) if len(scores) else 0.0
    order = np.argsort(-scores, kind="stable")
    s, g = scores[order], gold[order]
    tp = np.cumsum(g)
    predicted = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (predicted + g.sum())
    # only cut where the next score differs
    cut_ok = np.append(s[1:] < s[:-1], True)
    f1 = np.where(cut_ok, f1, -1.0)
    i = int(np.argmax(f1))
    return float((s[i] + s[i + 1]) / 2) if i + 1 < len(s) else float(s[i] - 1e-6)


def _weights32(w: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(w, dtype=np.float32)


def fit(policies: Sequence[Policy], cfg: Config) -> TopicModel:
    """Train on ``policies``; per-topic thresholds from an inner split of the same policies."""
    x, y = _stack(policies, cfg)
    weights, bias = _fit_linear(x, y, cfg)
    thresholds = np.zeros(len(TOPICS), dtype=np.float64)
    if cfg.inner_folds > 1:
        inner = folds(policies, cfg.inner_folds, cfg.seed + 1)
        sizes = [len(p.texts) for p in policies]
        row_fold = np.repeat(np.array(inner), sizes)
        oof = np.zeros(y.shape, dtype=np.float64)
        for k in range(cfg.inner_folds):
            tr, te = row_fold != k, row_fold == k
            w, b = _fit_linear(x[tr], y[tr], cfg)
            # decide with the float32 weights, as the shipped model will
            oof[te] = np.asarray(x[te] @ _weights32(w).astype(np.float64).T) + b
        rows = y.any(axis=1) if cfg.tune_on == "topical" else np.ones(len(y), dtype=bool)
        thresholds = np.array(
            [best_threshold(oof[rows, t], y[rows, t]) for t in range(len(TOPICS))]
        )
    return TopicModel(
        weights=_weights32(weights),
        intercepts=bias,
        thresholds=thresholds,
        topics=TOPICS,
        parts=cfg.parts,
    )


def predict_policy(model: TopicModel, p: Policy) -> np.ndarray:
    f = featurise(p.texts, p.contexts, p.previous, model.n_features, model.parts)
    return model.scores(f) >= model.thresholds


def keyword_predict(p: Policy) -> np.ndarray:
    pats = [re.compile(KEYWORDS[t]) for t in TOPICS]
    return np.array(
        [[pat.search(s) is not None for pat in pats] for s in p.texts], dtype=bool
    ).reshape(len(p.texts), len(TOPICS))


def counts(pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """(topics, 3): tp, fp, fn."""
    tp = (pred & gold).sum(0)
    fp = (pred & ~gold).sum(0)
    fn = (~pred & gold).sum(0)
    return np.stack([tp, fp, fn], axis=1)


def prf(c: np.ndarray) -> np.ndarray:
    tp, fp, fn = c[:, 0].astype(float), c[:, 1].astype(float), c[:, 2].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return np.stack([p, r, f], axis=1)


def macro(c: np.ndarray) -> float:
    present = (c[:, 0] + c[:, 1] + c[:, 2]) > 0
    return float(prf(c)[present, 2].mean()) if present.any() else 0.0


def evaluate(policies: Sequence[Policy], cfg: Config, k: int = 5, log=None) -> dict:
    """Cross-validated counts for the model and the baseline, both populations."""
    fold = folds(policies, k, cfg.seed)
    out = {
        name: {"all": [], "topical": []}
        for name in ("model", "keywords")  # per fold: counts (topics, 3)
    }
    for f in range(k):
        train = [p for p, g in zip(policies, fold, strict=True) if g != f]
        test = [p for p, g in zip(policies, fold, strict=True) if g == f]
        start = time.perf_counter()
        model = fit(train, cfg)
        gold = np.concatenate([p.labels for p in test])
        topical = gold.any(axis=1)
        for name, pred in (
            ("model", np.concatenate([predict_policy(model, p) for p in test])),
            ("keywords", np.concatenate([keyword_predict(p) for p in test])),
        ):
            out[name]["all"].append(counts(pred, gold))
            out[name]["topical"].append(counts(pred[topical], gold[topical]))
        if log:
            m = macro(out["model"]["all"][-1]), macro(out["model"]["topical"][-1])
            log(
                f"fold {f}: {len(test)} policies, {len(gold)} sentences, "
                f"macro-F1 all {m[0]:.3f} topical {m[1]:.3f} ({time.perf_counter() - start:.0f} s)"
            )
    out["folds"] = [
        [p.name for p, g in zip(policies, fold, strict=True) if g == f] for f in range(k)
    ]
    return out


def table(res: dict) -> str:
    lines = [
        "| topic | model P / R / F1, all | model P / R / F1, with a topic | keywords F1, all | keywords F1, with a topic |",
        "| --- | --- | --- | --- | --- |",
    ]
    pooled = {
        (n, pop): prf(np.sum(res[n][pop], axis=0))
        for n in ("model", "keywords")
        for pop in ("all", "topical")
    }
    for t, topic in enumerate(TOPICS):
        ma, mt = pooled["model", "all"][t], pooled["model", "topical"][t]
        lines.append(
            f"| {topic} | {ma[0]:.3f} / {ma[1]:.3f} / {ma[2]:.3f} | "
            f"{mt[0]:.3f} / {mt[1]:.3f} / {mt[2]:.3f} | "
            f"{pooled['keywords', 'all'][t][2]:.3f} | {pooled['keywords', 'topical'][t][2]:.3f} |"
        )

    def fold_macro(n, pop):
        vals = [macro(c) for c in res[n][pop]]
        return f"{np.mean(vals):.4f} (folds {min(vals):.3f}-{max(vals):.3f})"

    lines.append(
        f"| **macro-F1, mean of folds** | {fold_macro('model', 'all')} | "
        f"{fold_macro('model', 'topical')} | {fold_macro('keywords', 'all')} | "
        f"{fold_macro('keywords', 'topical')} |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m pica.eval.capp130", description=__doc__.split("\n")[0]
    )
    ap.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--policies", type=int, default=0, help="only the first N policies (0: all)")
    ap.add_argument("--loss", choices=("lr", "svm"), default=Config.loss)
    ap.add_argument("--c", type=float, default=Config.c)
    ap.add_argument("--balanced", action="store_true")
    ap.add_argument("--inner-folds", type=int, default=Config.inner_folds)
    ap.add_argument("--features", type=int, default=N_FEATURES_DEFAULT)
    ap.add_argument("--tune-on", choices=("all", "topical"), default=Config.tune_on)
    ap.add_argument(
        "--parts", default="scp", help="s: sentence, c: context (heading/lead-in), p: previous"
    )
    a = ap.parse_args(argv)
    policies = load_corpus(a.dir)
    if a.policies:
        policies = policies[: a.policies]
    cfg = Config(
        n_features=a.features,
        parts=("s" in a.parts, "c" in a.parts, "p" in a.parts),
        loss=a.loss,
        c=a.c,
        balanced=a.balanced,
        inner_folds=a.inner_folds,
        tune_on=a.tune_on,
        seed=a.seed,
    )
    n = sum(len(p.texts) for p in policies)
    topical = sum(int(p.labels.any(axis=1).sum()) for p in policies)
    print(
        f"{len(policies)} policies, {n} sentences ({topical} with a topic); {a.folds} folds by "
        f"policy, seed {a.seed}; {cfg}",
        file=sys.stderr,
    )
    res = evaluate(policies, cfg, a.folds, log=lambda m: print(m, file=sys.stderr))
    print(table(res))
    for f, names in enumerate(res["folds"]):
        print(f"fold {f}: {' '.join(names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
