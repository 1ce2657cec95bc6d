"""The sentence-topic model: featuriser, shipped model, reproducible training, run-time deps."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pica.extract.policy import topics as tp

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "policies" / "capp130-dev"


def test_features_are_deterministic_and_salted_by_part():
    a = tp.featurise(["我们收集您的位置信息。"], ["一、我们如何收集信息"], [""])
    b = tp.featurise(["我们收集您的位置信息。"], ["一、我们如何收集信息"], [""])
    assert np.array_equal(a.cols, b.cols) and np.array_equal(a.values, b.values)
    # 11 characters: 11 + 10 + 9 n-grams; context 10 characters: 10 + 9 + 8
    assert len(a.cols) == 30 + 27
    s_only = tp.featurise(["收集"], None, None)
    c_only = tp.featurise([""], ["收集"], None)
    assert set(s_only.cols.tolist()).isdisjoint(c_only.cols.tolist())
    assert (c_only.rows == 0).all()


def test_normalisation_folds_width_case_and_digits():
    assert tp.normalise("ＡＢｃ：１２3") == "abc:000"


def test_headings_and_lead_ins_become_context():
    texts = [
        "一、我们如何共享信息",
        "我们不会共享。",
        "以下情形除外：",
        "1）取得同意的。",
        "二、联系我们",
    ]
    ctx, prev = tp.document_context(texts)
    assert ctx == [
        "",
        "一、我们如何共享信息",
        "一、我们如何共享信息",
        "以下情形除外：",
        "以下情形除外：",
    ]
    assert prev == ["", *texts[:-1]]


def test_shipped_model_loads_fast_and_classifies():
    assert tp.MODEL_FILE.stat().st_size <= 20 * 1024 * 1024
    tp.model.cache_clear()
    start = time.perf_counter()
    m = tp.model()
    assert time.perf_counter() - start < 0.5  # 0.1 s on a quiet machine; CI is shared
    assert m.topics == tp.TOPICS
    got = tp.classify_document(
        [
            "一、我们如何收集和使用您的个人信息",
            "我们会收集您的手机号码、设备标识符和位置信息。",
            "二、我们如何共享您的个人信息",
            "我们会与第三方SDK共享您的设备信息。",
            "三、如何联系我们",
            "您可以通过邮箱privacy@example.com与我们联系。",
        ]
    )
    assert "collection" in got[1]
    assert "sharing" in got[3]
    assert "contact" in got[5]
    assert tp.classify([]) == []


def test_run_time_needs_no_scikit_learn():
    code = (
        "import sys; from pica.extract.policy.topics import classify; classify(['我们收集位置信息']);"
        "assert 'sklearn' not in sys.modules and 'scipy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/ must sit beside the repository")
def test_training_is_reproducible_bit_for_bit(tmp_path):
    pytest.importorskip("sklearn")
    tool = Path(__file__).resolve().parents[1] / "tools" / "train_policy_topics.py"
    outs = []
    for i in range(2):
        out = tmp_path / f"m{i}.npz"
        subprocess.run(
            [
                sys.executable,
                str(tool),
                str(CORPUS),
                "--policies",
                "6",
                "--features",
                "4096",
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        outs.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert outs[0] == outs[1]
    m = tp.load_model(tmp_path / "m0.npz")
    assert m.weights.shape == (len(tp.TOPICS), 4096)
    assert m.weights.dtype == np.float32


def test_policy_reader_fills_topics():
    from pica.extract.policy import extract_text

    ev = extract_text(
        "一、我们如何共享您的个人信息\n我们会与第三方SDK共享您的设备信息。\n"
        "二、如何联系我们\n您可以发送邮件至privacy@example.com与我们联系。\n",
        name="t.txt",
        html=False,
    )
    by_text = {s.text: s.topics for s in ev.statements}
    assert all(set(t) <= set(tp.TOPICS) for t in by_text.values())
    shared = [t for text, t in by_text.items() if "SDK" in text]
    assert shared and "sharing" in shared[0]
