"""Train pica's sentence-topic model on CAPP-130's development policies.

    pip install -e '.[train]'
    python tools/train_policy_topics.py [DIR] [--out FILE] [--policies N]

DIR defaults to shared/data/policies/capp130-dev beside the repository (``pica.eval.capp130``).
Writes src/pica/knowledge/data/policy_topics.npz: a linear SVM per topic over the hashed
character n-grams of ``pica.extract.policy.topics`` (the run-time code builds the same features),
trained on all the policies, with per-topic thresholds tuned on an inner 3-fold split by policy.
The configuration is ``pica.eval.capp130.Config()``, the one its cross-validation scores.

Deterministic: the same corpus, seed and library versions give the same bytes (the .npz has
fixed zip dates; see README "Sentence topics" for the sha256 of the committed file).

Training data: Zhu et al., "CAPP-130: A Corpus of Chinese Application Privacy Policy
Summarization and Interpretation", NeurIPS 2023 Datasets and Benchmarks,
https://github.com/EnlightenedAI/CAPP-130, CC BY 4.0.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

from pica.eval.capp130 import DEFAULT_DIR, Config, fit, load_corpus
from pica.extract.policy.topics import MODEL_FILE, save_model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--policies", type=int, default=0, help="only the first N policies (0: all)")
    ap.add_argument("--features", type=int, default=Config.n_features)
    a = ap.parse_args(argv)
    policies = load_corpus(a.dir)
    if a.policies:
        policies = policies[: a.policies]
    start = time.perf_counter()
    model = fit(policies, Config(n_features=a.features))
    save_model(a.out, model)
    digest = hashlib.sha256(a.out.read_bytes()).hexdigest()
    print(
        f"{a.out}: {len(policies)} policies, {a.out.stat().st_size} bytes, sha256 {digest} "
        f"({time.perf_counter() - start:.0f} s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
