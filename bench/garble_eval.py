"""Evaluate the shipped garbled-text detector.

    python bench/garble_eval.py [--json]

Prints, from the data files in the repository:
- ROC AUC on MLQE-PE dev.tsv (mean < 30 garbled vs mean >= 80 clean), overall, per
  language pair, and for each signal on its own;
- the false positive rate at the default threshold (Settings.signals.garble_threshold)
  on clean data: clean dev sentences, clean dev pseudo-documents, and clean news
  (out of fold, as measured by the training command);
- the seed documents' scores and their evidence spans;
- the quality floor from bench/quality_floors.json and whether the AUC holds it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.config import Settings
from audit.signals import garble
from bench import garble_data

FLOORS_PATH = Path(__file__).resolve().parent / "quality_floors.json"
PSEUDO_DOC_ROWS = 10
LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)  # score levels a suite may gate on


def dev_scores(det: garble.GarbleDetector, texts: list[str]) -> list[float]:
    """Document score of each dev sentence, scored as a one-paragraph document."""
    return [r.score for r in det.score_documents([[t] for t in texts])]


def signal_table(det: garble.GarbleDetector, dev: garble_data.Labelled) -> dict[str, float]:
    """AUC on dev of each signal on its own."""
    enc = garble.encode_batch(det.vocab, dev.texts, det.bits, det.orders)
    n = len(dev.texts)
    ntok = np.bincount(enc.sent, minlength=enc.n_sent).astype(np.float64)
    w = np.maximum(np.bincount(enc.sent_para, weights=ntok, minlength=n), 1.0)
    out: dict[str, float] = {}
    for j, name in enumerate(garble.DENSE_FEATURES):
        col = np.bincount(enc.sent_para, weights=ntok * enc.dense[:, j], minlength=n) / w
        out[f"feature {name}"] = garble_data.roc_auc(dev.labels, list(col))
    hashed = np.bincount(enc.hash_sent, weights=det.weights[enc.hashes], minlength=enc.n_sent)
    out["style n-grams alone"] = garble_data.roc_auc(
        dev.labels, list(np.bincount(enc.sent_para, weights=ntok * hashed, minlength=n) / w)
    )
    logits = det.sentence_logits(enc)
    out["sentence model (n-grams + features)"] = garble_data.roc_auc(
        dev.labels, list(np.bincount(enc.sent_para, weights=ntok * logits, minlength=n) / w)
    )
    results = det.score_documents([[t] for t in dev.texts])
    reasons = sorted({s["reason"] for r in results for s in r.spans})
    for reason in reasons:
        has = [float(any(s["reason"] == reason for s in r.spans)) for r in results]
        out[f"span {reason}"] = garble_data.roc_auc(dev.labels, has)
    evidence = [det.span_evidence(r.spans) for r in results]
    out["span evidence (all reasons)"] = garble_data.roc_auc(dev.labels, evidence)
    return out


def pseudo_documents(texts: list[str], rows: int = PSEUDO_DOC_ROWS) -> list[list[str]]:
    """Consecutive groups of ``rows`` sentences, one paragraph each."""
    return [texts[i : i + rows] for i in range(0, len(texts) - rows + 1, rows)]


def evaluate() -> dict[str, Any]:
    """Compute every figure the command prints."""
    det = garble.get_detector()
    threshold = Settings().signals.garble_threshold
    dev = garble_data.load_mlqe("dev")
    scores = dev_scores(det, dev.texts)
    y = np.asarray(dev.labels)
    s = np.asarray(scores)
    pairs = np.asarray(dev.pairs)
    per_pair = {
        p: garble_data.roc_auc(list(y[pairs == p]), list(s[pairs == p]))
        for p in sorted(set(dev.pairs))
    }
    clean = [t for t, lab in zip(dev.texts, dev.labels, strict=True) if lab == 0]
    garbled = [t for t, lab in zip(dev.texts, dev.labels, strict=True) if lab == 1]
    clean_docs = [r.score for r in det.score_documents(pseudo_documents(clean))]
    garbled_docs = [r.score for r in det.score_documents(pseudo_documents(garbled))]
    levels = {
        f"{t:g}": {
            "clean_news_oof": det.meta.get("training", {}).get("fpr_lee_oof_at", {}).get(f"{t:g}"),
            "dev_clean_pseudo_docs": float(np.mean(np.asarray(clean_docs) > t)),
            "dev_garbled_pseudo_docs": float(np.mean(np.asarray(garbled_docs) > t)),
        }
        for t in LEVELS
    }
    seeds = {}
    for key, body in garble_data.seed_bodies().items():
        r = det.score_paragraphs(body)
        seeds[key] = {
            "score": round(r.score, 4),
            "flagged": r.score > threshold,
            "spans": [(s["reason"], s["text"]) for s in r.spans],
        }
    lee = garble_data.load_lee()
    swaps = [
        [sp for sp in r.spans if sp["reason"] == "improbable_substitution"]
        for r in det.score_documents([[p for p in d.split("\n") if p.strip()] for d in lee])
    ]
    substitutions = {
        "clean_news_articles": len(lee),
        "with_a_span": sum(1 for found in swaps if found),
        "spans": sum(len(found) for found in swaps),
    }
    train = garble_data.load_mlqe("train")
    share: dict[str, list[int]] = {}
    for pair, lab in zip(train.pairs, train.labels, strict=True):
        share.setdefault(pair, []).append(lab)
    prior = {p: float(np.mean(v)) for p, v in share.items()}
    pair_prior_auc = garble_data.roc_auc(dev.labels, [prior[p] for p in dev.pairs])
    training = det.meta.get("training", {})
    floors = json.loads(FLOORS_PATH.read_text(encoding="utf-8")) if FLOORS_PATH.exists() else {}
    floor = floors.get("garble", {})
    auc = garble_data.roc_auc(dev.labels, scores)
    return {
        "dev_sha256": garble_data.sha256(garble_data.MLQE_DIR / "dev.tsv"),
        "dev_rows": {"garbled": int(y.sum()), "clean": int((1 - y).sum())},
        "auc": auc,
        "auc_per_pair": per_pair,
        "auc_within_pair_mean": float(np.mean(list(per_pair.values()))),
        "auc_pair_prior": pair_prior_auc,
        "signals": signal_table(det, dev),
        "threshold": threshold,
        "fpr_dev_sentences": float((s[y == 0] > threshold).mean()),
        "tpr_dev_sentences": float((s[y == 1] > threshold).mean()),
        "fpr_dev_pseudo_docs": float(np.mean(np.asarray(clean_docs) > threshold)),
        "tpr_dev_pseudo_docs": float(np.mean(np.asarray(garbled_docs) > threshold)),
        "pseudo_doc_counts": {"clean": len(clean_docs), "garbled": len(garbled_docs)},
        "levels": levels,
        "fpr_clean_news_oof": training.get("fpr_lee_oof"),
        "fpr_clean_news_oof_background": training.get("fpr_lee_background_oof"),
        "fpr_clean_news_oof_lee_cor": training.get("fpr_lee_cor_oof"),
        "substitutions_clean_news": substitutions,
        "seeds": seeds,
        "floor": floor,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the evaluation (exit 1 when the AUC is under the quality floor)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    ev = evaluate()
    if args.json:
        print(json.dumps(ev, indent=2))
    else:
        print(f"dev.tsv sha256 {ev['dev_sha256'][:16]}…, rows {ev['dev_rows']}")
        print(f"ROC AUC on dev.tsv: {ev['auc']:.4f}")
        pp = ", ".join(f"{k} {v:.3f}" for k, v in ev["auc_per_pair"].items())
        print(f"  per language pair: {pp} (mean {ev['auc_within_pair_mean']:.3f})")
        print(
            f"  reference: the source-language pair alone (train share garbled): "
            f"{ev['auc_pair_prior']:.3f}"
        )
        print("  each signal alone (AUC < 0.5: the signal points the other way):")
        for name, v in ev["signals"].items():
            print(f"    {name:<40} {v:.3f}")
        t = ev["threshold"]
        print(f"at the default threshold {t}:")
        print(
            f"  clean news articles (out of fold, training): FPR {ev['fpr_clean_news_oof']:.2%} "
            f"(Lee background {ev['fpr_clean_news_oof_background']:.2%}, "
            f"lee.cor {ev['fpr_clean_news_oof_lee_cor']:.2%})"
        )
        print(
            f"  dev pseudo-documents of {PSEUDO_DOC_ROWS} sentences: "
            f"FPR {ev['fpr_dev_pseudo_docs']:.2%}, TPR {ev['tpr_dev_pseudo_docs']:.2%} "
            f"{ev['pseudo_doc_counts']}"
        )
        print(
            f"  dev single sentences: FPR {ev['fpr_dev_sentences']:.2%}, "
            f"TPR {ev['tpr_dev_sentences']:.2%}"
        )
        print("share of documents over each score level (suites may gate on several):")
        print("    level  clean news (oof)  dev clean pseudo-docs  dev garbled pseudo-docs")
        for t, row in ev["levels"].items():
            news = row["clean_news_oof"]
            news_s = "?" if news is None else f"{news:.2%}"
            print(
                f"    {t:<5}  {news_s:>16}  {row['dev_clean_pseudo_docs']:>21.2%}  "
                f"{row['dev_garbled_pseudo_docs']:>23.2%}"
            )
        sub = ev["substitutions_clean_news"]
        print(
            f"improbable_substitution spans on clean news (Lee, weight 0): "
            f"{sub['with_a_span']} of {sub['clean_news_articles']} articles "
            f"({sub['with_a_span'] / sub['clean_news_articles']:.1%}), {sub['spans']} spans"
        )
        print("seeds:")
        for key, v in ev["seeds"].items():
            flag = "FLAGGED" if v["flagged"] else "ok"
            print(f"  {key}: {v['score']:.3f} {flag}")
            for reason, text in v["spans"]:
                print(f"      {reason}: {text!r}")
    floor = ev["floor"]
    if floor:
        same = floor.get("dev_sha256") == ev["dev_sha256"]
        ok = ev["auc"] >= floor["auc_floor"]
        if not args.json:
            print(
                f"quality floor: AUC {floor['auc_floor']} "
                f"({'held' if ok else 'BROKEN'}; dev.tsv {'matches' if same else 'DIFFERS'})"
            )
        if not ok or not same:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
