"""Train the garbled-text detector and write ``audit/data/garble_model.npz``.

    python -m bench.garble_train [--out PATH] [--target-fpr 0.01]

Inputs: MLQE-PE ``train.tsv`` (mean < 30 garbled, >= 80 clean; ``dev.tsv`` is
never read here) and the Lee corpus of ABC news articles (clean news), both in
``bench/data/``, and the English word list that ships with the wordfreq package
(vocabulary and frequency bands; see audit/data/NOTICE-garble.md).

Steps:
1. the sentence model: L2 logistic regression over hashed style n-grams and
   dense rarity features, on MLQE train sentences plus Lee sentences (clean);
2. out-of-fold scores (5 folds) for every training row and Lee article, so that
   calibration never sees a text the model was fitted on;
3. span weights: log-likelihood ratio of a span reason occurring in a garbled
   vs a clean text, with a floor from ``garble_rules.toml`` where the sentence
   data cannot measure it;
4. the calibration: slope of the model evidence fitted on out-of-fold
   pseudo-documents, then the bias that makes the default threshold (0.5) flag
   ``--target-fpr`` of clean news articles.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from audit.signals import garble
from bench import garble_data

N_VOCAB = 60_000  # words kept from wordfreq's list (zipf >= ~2.3)
N_STYLE = 2_000  # most frequent words that keep their identity in the n-grams
BITS = 18  # hashed n-gram buckets: 2**BITS
ORDERS = (1, 2)  # n-gram orders (trigrams measured: no gain)
L2 = 3.0  # ridge penalty (chosen on out-of-fold AUC of train)
FOLDS = 5
SEED = 1
PSEUDO_DOC_ROWS = 10  # MLQE rows per pseudo-document when fitting the slope
SCORE_LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)  # levels at which the clean-news FPR is recorded
PARAGRAPH_SENTENCES = 3  # sentences per pseudo-paragraph of a Lee article


@dataclass
class SentenceModel:
    """Fitted weights of the sentence model."""

    weights: npt.NDArray[np.float64]
    dense_mean: npt.NDArray[np.float64]
    dense_std: npt.NDArray[np.float64]
    dense_weights: npt.NDArray[np.float64]
    bias: float

    def logits(self, enc: garble.Encoded) -> npt.NDArray[np.float64]:
        """Log-odds per sentence."""
        s = np.bincount(enc.hash_sent, weights=self.weights[enc.hashes], minlength=enc.n_sent)
        out: npt.NDArray[np.float64] = s.astype(np.float64) + self.bias
        out += ((enc.dense - self.dense_mean) / self.dense_std) @ self.dense_weights
        return out


def build_vocab() -> list[str]:
    """wordfreq's most frequent English words that are letters (and apostrophes) only."""
    import wordfreq

    words = wordfreq.top_n_list("en", int(N_VOCAB * 1.2))
    return [w for w in words if w.replace("'", "").isalpha()][:N_VOCAB]


def fit(
    encs: Sequence[garble.Encoded], labels: Sequence[npt.NDArray[np.float64]], bits: int = BITS
) -> SentenceModel:
    """L2 logistic regression on the sentences of encoded batches (one label per sentence)."""
    from scipy.optimize import minimize
    from scipy.sparse import csr_matrix, hstack

    size = 2**bits
    mats = [
        csr_matrix((np.ones(len(e.hashes)), (e.hash_sent, e.hashes)), shape=(e.n_sent, size))
        for e in encs
    ]
    from scipy.sparse import vstack

    x_hash = vstack(mats).tocsr()
    dense = np.vstack([e.dense for e in encs])
    mean = dense.mean(axis=0)
    std = dense.std(axis=0) + 1e-9
    x = hstack([x_hash, csr_matrix((dense - mean) / std)]).tocsr()
    y = np.concatenate(labels)
    n_feat = x.shape[1]

    def loss(w: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        z = x @ w[:-1] + w[-1]
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-12
        ll = -(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)).sum()
        ll += L2 * float((w[:-1] ** 2).sum())
        g = x.T @ (p - y)
        return float(ll), np.r_[g + 2 * L2 * w[:-1], (p - y).sum()]

    res = minimize(
        loss, np.zeros(n_feat + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    w = res.x
    return SentenceModel(
        weights=w[:size],
        dense_mean=mean,
        dense_std=std,
        dense_weights=w[size:n_feat],
        bias=float(w[-1]),
    )


def logit_sums(
    enc: garble.Encoded, logits: npt.NDArray[np.float64], n_paragraphs: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Token-weighted sum of sentence logits, and token count, per paragraph."""
    ntok = np.bincount(enc.sent, minlength=enc.n_sent).astype(np.float64)
    num = np.bincount(enc.sent_para, weights=ntok * logits, minlength=n_paragraphs)
    den = np.bincount(enc.sent_para, weights=ntok, minlength=n_paragraphs)
    return num.astype(np.float64), den.astype(np.float64)


def pseudo_paragraphs(
    enc: garble.Encoded, logits: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Token-weighted logit sums and token counts of consecutive sentence groups.

    The Lee articles have no paragraph breaks; groups of PARAGRAPH_SENTENCES
    sentences stand in for news paragraphs when calibrating paragraph scores.
    """
    ntok = np.bincount(enc.sent, minlength=enc.n_sent).astype(np.float64)
    first = np.searchsorted(enc.sent_para, enc.sent_para)  # first sentence of its article
    group = (np.arange(enc.n_sent) - first) // PARAGRAPH_SENTENCES
    _, key = np.unique(np.column_stack([enc.sent_para, group]), axis=0, return_inverse=True)
    key = key.ravel()
    sums = np.bincount(key, weights=ntok * logits)
    toks = np.bincount(key, weights=ntok)
    return sums.astype(np.float64), toks.astype(np.float64)


def fit_logistic_1d(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Slope and intercept of a one-feature logistic regression (Newton's method)."""
    a, b = 0.0, 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        w = p * (1 - p)
        g = np.array([((p - y) * x).sum(), (p - y).sum()])
        h = np.array([[(w * x * x).sum(), (w * x).sum()], [(w * x).sum(), w.sum()]])
        h += np.eye(2) * 1e-6
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


def quantize(w: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.int8], float]:
    """int8 weights and their scale."""
    scale = float(np.abs(w).max()) / 127.0 or 1.0
    return np.round(w / scale).astype(np.int8), scale


def span_incidence(det: garble.GarbleDetector, texts: list[str]) -> tuple[dict[str, int], int]:
    """How many texts have at least one span of each reason, and how many texts."""
    hits: dict[str, int] = {}
    for t in texts:
        res = det.score_paragraphs([t])
        for reason in {s["reason"] for s in res.spans}:
            hits[reason] = hits.get(reason, 0) + 1
    return hits, len(texts)


def main(argv: list[str] | None = None) -> int:
    """Train, calibrate and write the model file."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=garble.MODEL_PATH)
    ap.add_argument("--target-fpr", type=float, default=0.01)
    ap.add_argument("--dump", type=Path, help="also save the out-of-fold scores here (.npz)")
    ap.add_argument("--folds", type=int, default=FOLDS, help="cross-fitting folds")
    ap.add_argument("--bits", type=int, default=BITS, help="hashed n-gram buckets: 2**bits")
    ap.add_argument(
        "--limit", type=int, default=0, help="train on this many rows only (a quick check)"
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)

    words = build_vocab()
    rules_raw = tomllib.loads(garble.RULES_PATH.read_text(encoding="utf-8"))
    extra_style = tuple(rules_raw["broken_sentence_boundary"]["abbreviations"])
    vocab = garble.Vocabulary(words, N_STYLE, extra_style)
    train = garble_data.load_mlqe("train")
    lee = garble_data.load_lee()
    n_background = len(garble_data.load_lee(garble_data.LEE_TRAIN))
    if args.limit:
        keep = np.sort(rng.permutation(len(train.texts))[: args.limit])
        train = garble_data.Labelled(
            [train.texts[i] for i in keep],
            [train.labels[i] for i in keep],
            [train.pairs[i] for i in keep],
            [train.means[i] for i in keep],
        )
        step = max(1, len(lee) * 10 // max(args.limit, 1))
        n_background = len(range(0, n_background, step))
        lee = lee[::step]
    y_rows = np.asarray(train.labels, dtype=np.float64)
    print(f"train rows {len(train.texts)} (garbled {int(y_rows.sum())}), lee articles {len(lee)}")

    folds = max(2, args.folds)
    bits = args.bits
    row_fold = rng.integers(0, folds, len(train.texts))
    lee_fold = rng.integers(0, folds, len(lee))
    oof_rows = np.zeros(len(train.texts))
    oof_lee = np.zeros(len(lee))
    tok_rows = np.zeros(len(train.texts))
    tok_lee = np.zeros(len(lee))
    oof_para: list[float] = []  # Lee pseudo-paragraphs (PARAGRAPH_SENTENCES sentences each)
    for k in range(folds):
        tr_idx = np.flatnonzero(row_fold != k)
        te_idx = np.flatnonzero(row_fold == k)
        lee_tr = [lee[i] for i in np.flatnonzero(lee_fold != k)]
        lee_te_idx = np.flatnonzero(lee_fold == k)
        e_rows = garble.encode_batch(vocab, [train.texts[i] for i in tr_idx], bits, ORDERS)
        e_lee = garble.encode_batch(vocab, lee_tr, bits, ORDERS)
        model = fit(
            [e_rows, e_lee],
            [y_rows[tr_idx][e_rows.sent_para], np.zeros(e_lee.n_sent)],
            bits,
        )
        e_te = garble.encode_batch(vocab, [train.texts[i] for i in te_idx], bits, ORDERS)
        oof_rows[te_idx], tok_rows[te_idx] = logit_sums(e_te, model.logits(e_te), len(te_idx))
        e_lte = garble.encode_batch(vocab, [lee[i] for i in lee_te_idx], bits, ORDERS)
        lee_logits = model.logits(e_lte)
        oof_lee[lee_te_idx], tok_lee[lee_te_idx] = logit_sums(e_lte, lee_logits, len(lee_te_idx))
        para_sums, para_toks = pseudo_paragraphs(e_lte, lee_logits)
        oof_para.extend(para_sums / np.maximum(para_toks, 1.0))
        print(f"  fold {k}: done ({time.perf_counter() - t0:.0f} s)")
    oof_auc = garble_data.roc_auc(train.labels, list(oof_rows / np.maximum(tok_rows, 1)))
    print(f"out-of-fold sentence-model AUC on train: {oof_auc:.4f}")
    if args.dump:
        np.savez(args.dump, oof_rows=oof_rows, oof_lee=oof_lee, tok_rows=tok_rows, tok_lee=tok_lee)

    e_all = garble.encode_batch(vocab, train.texts, bits, ORDERS)
    e_lee = garble.encode_batch(vocab, lee, bits, ORDERS)
    final = fit([e_all, e_lee], [y_rows[e_all.sent_para], np.zeros(e_lee.n_sent)], bits)
    q, scale = quantize(final.weights)

    meta: dict[str, Any] = {
        "version": 1,
        "n_style": N_STYLE,
        "extra_style": list(extra_style),
        "bits": bits,
        "orders": list(ORDERS),
        "weight_scale": scale,
        "dense_features": list(garble.DENSE_FEATURES),
        "dense_mean": final.dense_mean.tolist(),
        "dense_std": final.dense_std.tolist(),
        "dense_weights": final.dense_weights.tolist(),
        "bias": final.bias,
        "calibration": {
            "a_thr": 0.0,
            "a_thr_paragraph": 0.0,
            "beta": 1.0,
            "span_threshold": float(rules_raw["calibration"]["span_threshold"]),
            "span_weights": {},
            "span_cap": int(rules_raw["calibration"]["span_cap"]),
        },
    }
    _write(args.out, words, meta, q)

    # span weights: incidence in garbled vs clean texts (MLQE rows; Lee sentences)
    det = garble.GarbleDetector(args.out)
    garbled = [t for t, y in zip(train.texts, train.labels, strict=True) if y == 1]
    clean = [t for t, y in zip(train.texts, train.labels, strict=True) if y == 0]
    lee_sents = [s for d in lee for s in _sentences(d)]
    hits_g, n_g = span_incidence(det, garbled)
    hits_c, n_c = span_incidence(det, clean + lee_sents)
    floors: dict[str, float] = rules_raw.get("span_weight_floor", {})
    span_weights: dict[str, float] = {}
    span_stats: dict[str, Any] = {}
    for reason in garble.REASONS:
        kg, kc = hits_g.get(reason, 0), hits_c.get(reason, 0)
        llr = math.log((kg + 0.5) / (n_g + 1)) - math.log((kc + 0.5) / (n_c + 1))
        w = max(llr, float(floors.get(reason, 0.0)))
        if reason == "improbable_word_sequence":
            w = 0.0  # the model evidence already counts it
        if reason == "improbable_substitution":
            w = 0.0  # narrow by design (docs/garble.md): it explains, it does not decide
        span_weights[reason] = round(w, 3)
        span_stats[reason] = {"garbled": kg, "clean": kc, "llr": round(llr, 3)}
        print(f"  span {reason}: garbled {kg}/{n_g}, clean {kc}/{n_c}, llr {llr:.2f} -> {w:.2f}")
    meta["calibration"]["span_weights"] = span_weights
    _write(args.out, words, meta, q)
    det = garble.GarbleDetector(args.out)

    def mean_logit(sums: npt.NDArray[np.float64], toks: npt.NDArray[np.float64]) -> Any:
        return sums / np.maximum(toks, 1.0)

    # slope of the model odds: out-of-fold pseudo-documents of MLQE rows and Lee articles
    xs: list[float] = []
    ys: list[float] = []
    for label in (0, 1):
        idx = np.flatnonzero(y_rows == label)
        rng.shuffle(idx)
        for start in range(0, len(idx) - PSEUDO_DOC_ROWS + 1, PSEUDO_DOC_ROWS):
            rows = idx[start : start + PSEUDO_DOC_ROWS]
            xs.append(float(mean_logit(oof_rows[rows].sum(), tok_rows[rows].sum())))
            ys.append(float(label))
    a_lee = mean_logit(oof_lee, tok_lee)
    xs.extend(float(a) for a in a_lee)
    ys.extend(0.0 for _ in a_lee)
    beta, _ = fit_logistic_1d(np.asarray(xs), np.asarray(ys))
    meta["calibration"]["beta"] = round(beta, 4)

    # threshold of the model odds: the default threshold (0.5) flags target_fpr of the
    # clean news articles, counting their spans too (out-of-fold model scores)
    s_lee = np.array([det.span_evidence(det.score_paragraphs([d]).spans) for d in lee])
    z_spans = s_lee - meta["calibration"]["span_threshold"]
    a_thr = _threshold_for_fpr(a_lee, z_spans, beta, args.target_fpr)
    meta["calibration"]["a_thr"] = a_thr
    z_lee = np.logaddexp(beta * (a_lee - a_thr), z_spans)
    flagged = z_lee > 0
    p_lee = 1.0 / (1.0 + np.exp(-z_lee))
    fpr_at = {f"{t:g}": round(float((p_lee > t).mean()), 4) for t in SCORE_LEVELS}
    fpr_bg = float(flagged[:n_background].mean())
    fpr_cor = float(flagged[n_background:].mean())
    print(f"  clean-news FPR (out of fold): background {fpr_bg:.2%}, lee.cor {fpr_cor:.2%}")
    pseudo = np.asarray(xs[: len(xs) - len(a_lee)])
    pseudo_y = np.asarray(ys[: len(ys) - len(a_lee)])
    tpr = float((beta * (pseudo[pseudo_y == 1] - a_thr) > 0).mean())
    print(f"  garbled pseudo-documents over threshold by the model alone: {tpr:.2%}")
    fpr = float(flagged.mean())
    # paragraphs: the same target on pseudo-paragraphs of the Lee articles (model only)
    a_para = np.asarray(oof_para)
    a_thr_para = _threshold_for_fpr(a_para, np.full(len(a_para), -50.0), beta, args.target_fpr)
    meta["calibration"]["a_thr_paragraph"] = a_thr_para
    print(
        f"  paragraph threshold {a_thr_para:.3f} over {len(a_para)} pseudo-paragraphs "
        f"(documents: {a_thr:.3f})"
    )
    meta["training"] = {
        "train_sha256": garble_data.sha256(garble_data.MLQE_DIR / "train.tsv"),
        "oof_auc_train": round(oof_auc, 4),
        "target_fpr": args.target_fpr,
        "fpr_lee_oof": round(fpr, 4),
        "fpr_lee_background_oof": round(fpr_bg, 4),
        "fpr_lee_cor_oof": round(fpr_cor, 4),
        "fpr_lee_oof_at": fpr_at,
        "model_tpr_pseudo_docs_oof": round(tpr, 4),
        "lee_articles": len(lee),
        "span_stats": span_stats,
        "vocabulary": f"wordfreq {_wordfreq_version()} top {N_VOCAB}",
    }
    _write(args.out, words, meta, q)
    print(
        f"calibration: beta {beta:.3f}, a_thr {a_thr:.3f} (clean-news FPR {fpr:.3%}); "
        f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB) "
        f"in {time.perf_counter() - t0:.0f} s"
    )
    return 0


def _threshold_for_fpr(
    a: npt.NDArray[np.float64], z_spans: npt.NDArray[np.float64], beta: float, fpr: float
) -> float:
    """Model threshold at which at most ``fpr`` of the texts score over 0.5.

    A text is flagged when its span odds alone pass (``z_spans >= 0``) or when
    ``beta * (a - thr) > log(1 - exp(z_spans))``, that is when ``thr < cut``.
    The threshold falls midway between the last cut allowed and the next one.
    """
    flagged_by_spans = z_spans >= 0
    span_odds = np.exp(np.minimum(z_spans, 0.0))
    need = np.log1p(-np.minimum(span_odds, 1 - 1e-12))
    cut = np.sort((a - need / beta)[~flagged_by_spans])[::-1]
    allowed = math.floor(fpr * len(a)) - int(flagged_by_spans.sum())
    if not len(cut):
        return 0.0
    if allowed <= 0:
        return float(cut[0]) + 1e-6
    if allowed >= len(cut):
        return float(cut[-1]) - 1e-6
    return float(cut[allowed - 1] + cut[allowed]) / 2.0


def _sentences(text: str) -> list[str]:
    """Split a text into sentences the way the detector does."""
    import re

    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", text) if s.strip()]


def _wordfreq_version() -> str:
    from importlib.metadata import version

    return version("wordfreq")


def _write(path: Path, words: list[str], meta: dict[str, Any], q: npt.NDArray[np.int8]) -> None:
    """Write the model file (compressed npz, no pickles)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(
            fh,
            vocab=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
            meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8),
            weights=q,
        )


if __name__ == "__main__":
    sys.exit(main())
