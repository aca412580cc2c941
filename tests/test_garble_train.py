"""The training command end to end on a small slice of the data (bench/garble_train.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audit.signals import garble
from bench import garble_data, garble_train


def test_training_writes_a_model_the_detector_loads(tmp_path: Path) -> None:
    out = tmp_path / "model.npz"
    code = garble_train.main(["--limit", "400", "--folds", "2", "--bits", "14", "--out", str(out)])
    assert code == 0
    det = garble.GarbleDetector(out)
    assert det.bits == 14 and len(det.weights) == 2**14
    training = det.meta["training"]
    assert training["train_sha256"] == garble_data.sha256(garble_data.MLQE_DIR / "train.tsv")
    assert 0.0 <= training["fpr_lee_oof"] <= 0.05
    cal = det.meta["calibration"]
    assert cal["beta"] > 0
    assert cal["span_weights"]["broken_sentence_boundary"] >= 2.0  # the floor
    assert cal["span_weights"]["improbable_word_sequence"] == 0.0
    body = garble_data.seed_bodies()
    assert det.score_paragraphs(body["002"]).score > 0.5
    assert det.score_paragraphs(body["003"]).score < 0.5


def test_shipped_vocabulary_is_what_training_builds() -> None:
    with np.load(garble.MODEL_PATH, allow_pickle=False) as npz:
        shipped = bytes(npz["vocab"]).decode("utf-8").split("\n")
    assert shipped == garble_train.build_vocab()


def test_threshold_for_fpr_flags_the_target_share() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=1000)
    no_spans = np.full(1000, -50.0)
    thr = garble_train._threshold_for_fpr(a, no_spans, 2.0, 0.01)
    assert int((2.0 * (a - thr) > 0).sum()) == 10
    spans = no_spans.copy()
    spans[:5] = 1.0  # five documents flagged by their spans alone
    thr = garble_train._threshold_for_fpr(a, spans, 2.0, 0.01)
    flagged = np.logaddexp(2.0 * (a - thr), spans) > 0
    assert int(flagged.sum()) == 10
