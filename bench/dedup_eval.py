"""Evaluate deduplication against the labelled corpus of bench/dedup_corpus.py.

Run: python bench/dedup_eval.py [--seed N] [--update-floor] [--show-misses]
Prints pair precision, recall and F1, the adjusted Rand index of the clusters
against the labels, how many reported pairs fail an independent exact check
(must be 0), canonical accuracy, recall per kind of edit, merged negatives,
and the time taken. ``--update-floor`` writes the figures reached to
bench/quality_floors_dedup.json, which tests/test_dedup_quality.py holds the
code to.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from dedup_corpus import SEED, build, corpus_hash, similar_topic_pairs

from audit.config import DedupSettings
from audit.dedup.credits import credited_syndication
from audit.dedup.cross import DedupOutcome, deduplicate
from audit.dedup.prepare import prepare
from audit.dedup.templates import blank
from audit.dedup.verify import compare, profile
from audit.dedup.within import find_repeats
from audit.model import Chunk
from audit.parse import parse_records

FLOORS = Path(__file__).resolve().parent / "quality_floors_dedup.json"
EVAL_CREDITS = Path(__file__).resolve().parent / "data" / "credits_eval.toml"


def eval_settings() -> DedupSettings:
    """The default settings, plus the evaluation's credit file (it names ABC News)."""
    return DedupSettings(credit_files=(str(EVAL_CREDITS),))


def run_dedup(
    records: list[dict[str, Any]], settings: DedupSettings
) -> tuple[Chunk, DedupOutcome, list[str]]:
    """The per-chunk dedup stages and the global step, as the pipeline runs them."""
    inputs = [
        {k: r[k] for k in ("doc_id", "title", "text", "url", "domain", "published")}
        | {"source": "dedup_corpus.jsonl"}
        for r in records
    ]
    chunk = parse_records(inputs)
    find_repeats(chunk, settings)
    credited_syndication(chunk, settings)
    sig, texts = prepare(chunk, settings)
    docs = chunk.documents.copy()
    docs["published_date"] = docs["published"]
    return chunk, deduplicate(docs, sig, texts, settings), texts


def _comb2(n: np.ndarray | int) -> float:
    return float(np.sum(np.asarray(n, dtype=np.float64) * (np.asarray(n) - 1) / 2))


def pair_scores(truth: list[str], pred: list[str]) -> dict[str, float]:
    """Pair precision, recall, F1 and the adjusted Rand index of two labelings."""
    cells = Counter(zip(truth, pred, strict=True))
    tp = _comb2(np.array(list(cells.values())))
    true_pairs = _comb2(np.array(list(Counter(truth).values())))
    pred_pairs = _comb2(np.array(list(Counter(pred).values())))
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = _comb2(len(truth))
    expected = true_pairs * pred_pairs / total if total else 0.0
    max_index = (true_pairs + pred_pairs) / 2
    ari = (tp - expected) / (max_index - expected) if max_index != expected else 1.0
    return {"precision": precision, "recall": recall, "f1": f1, "ari": ari}


def evaluate(records: list[dict[str, Any]], settings: DedupSettings) -> dict[str, Any]:
    """Run dedup on the corpus and score it against the labels."""
    t0 = time.perf_counter()
    chunk, outcome, texts = run_dedup(records, settings)
    elapsed = time.perf_counter() - t0
    ids = [r["doc_id"] for r in records]
    row_of = {d: i for i, d in enumerate(ids)}
    cluster_of = {m: c.id for c in outcome.clusters for m in c.members}
    truth = [r["group"] for r in records]
    pred = [cluster_of.get(d, d) for d in ids]
    scores = pair_scores(truth, pred)
    # every reported pair, checked again from the body texts without the template paragraphs
    templates = set(outcome.templates)
    spans: dict[int, list[tuple[int, int]]] = {}
    par = chunk.paragraphs
    for d, idx, s, e in par[["doc_id", "idx", "start", "end"]].itertuples(index=False, name=None):
        if (d, idx) in templates:
            spans.setdefault(row_of[d], []).append((int(s), int(e)))
    texts = [blank(t, spans.get(i, [])) for i, t in enumerate(texts)]
    unverified = 0
    n_pairs = 0
    for c in outcome.clusters:
        for p in c.pairs:
            n_pairs += 1
            a = profile(texts[row_of[p.a]], settings.shingle_size)
            b = profile(texts[row_of[p.b]], settings.shingle_size)
            j, cont = compare(a, b)
            small = min(a.size, b.size)
            ok = j >= settings.min_jaccard or (
                cont >= settings.min_containment and small >= settings.min_containment_shingles
            )
            if not ok or abs(j - p.jaccard) > 1e-9:
                unverified += 1
    # canonical: the original (abc.net.au, no edits) of the cluster's group
    originals = {
        r["group"]: r["doc_id"] for r in records if r["domain"] == "abc.net.au" and not r["edits"]
    }
    right = sum(
        1
        for c in outcome.clusters
        if originals.get(records[row_of[c.canonical]]["group"]) == c.canonical
    )
    dated = [
        c
        for c in outcome.clusters
        if (o := originals.get(records[row_of[c.canonical]]["group"]))
        and records[row_of[o]]["published"]
    ]
    right_dated = sum(
        1 for c in dated if originals.get(records[row_of[c.canonical]]["group"]) == c.canonical
    )
    # recall per edit: a copy counts as found when it shares a cluster with its original
    per_edit: dict[str, list[int]] = {}
    for r in records:
        orig = originals.get(r["group"])
        if not r["edits"] or not orig or orig == r["doc_id"] or r["edits"] == ["template_outlet"]:
            continue
        found = int(cluster_of.get(r["doc_id"], "a") == cluster_of.get(orig, "b"))
        for e in r["edits"]:
            per_edit.setdefault(e, []).append(found)
    # negatives merged
    topic = similar_topic_pairs()
    group_doc = {r["group"]: r["doc_id"] for r in records if not r["edits"]}
    topic_merged = sum(
        1
        for i, j in topic
        if (a := group_doc.get(f"lee-{i:03d}"))
        and (b := group_doc.get(f"lee-{j:03d}"))
        and cluster_of.get(a, a) == cluster_of.get(b, b)
    )
    template_docs = [r["doc_id"] for r in records if "template_outlet" in r["edits"]]
    template_merged = len(template_docs) - len({cluster_of.get(d, d) for d in template_docs})
    junk = [r["doc_id"] for r in records if "junk" in r["edits"]]
    junk_merged = sum(1 for d in junk if d in cluster_of)
    kinds = Counter(c.kind for c in outcome.clusters)
    checks = Counter(f.check for f in outcome.findings)
    return {
        "corpus": corpus_hash(records),
        "documents": len(records),
        "groups": len(set(truth)),
        **{k: round(v, 4) for k, v in scores.items()},
        "pairs_reported": n_pairs,
        "unverified_pairs": unverified,
        "clusters": len(outcome.clusters),
        "cluster_kinds": dict(kinds),
        "findings": dict(checks),
        "canonical_accuracy": round(right / len(outcome.clusters), 4) if outcome.clusters else 1.0,
        "canonical_accuracy_dated": round(right_dated / len(dated), 4) if dated else 1.0,
        "recall_by_edit": {e: round(sum(v) / len(v), 3) for e, v in sorted(per_edit.items())},
        "copies_by_edit": {e: len(v) for e, v in sorted(per_edit.items())},
        "same_topic_pairs": len(topic),
        "same_topic_merged": topic_merged,
        "template_stories": len(template_docs),
        "template_stories_merged": template_merged,
        "template_paragraphs": len(outcome.templates),
        "junk_merged": junk_merged,
        "stats": outcome.stats,
        "seconds": round(elapsed, 2),
        "_cluster_of": cluster_of,
    }


def main() -> None:
    """Print the figures (and update the floor file when asked)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--update-floor", action="store_true")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    records = build(args.seed)
    result = evaluate(records, eval_settings())
    cluster_of = result.pop("_cluster_of")
    print(f"corpus {result['corpus']}: {result['documents']} documents, {result['groups']} groups")
    print(
        f"pairs: precision {result['precision']:.4f}  recall {result['recall']:.4f}  "
        f"F1 {result['f1']:.4f}   ARI {result['ari']:.4f}"
    )
    print(
        f"reported pairs {result['pairs_reported']}, unverified {result['unverified_pairs']}; "
        f"clusters {result['clusters']} {result['cluster_kinds']}; "
        f"canonical accuracy {result['canonical_accuracy']:.3f} "
        f"({result['canonical_accuracy_dated']:.3f} where the original is dated)"
    )
    print(
        "recall by edit: "
        + ", ".join(
            f"{e} {v:.3f} ({result['copies_by_edit'][e]})"
            for e, v in result["recall_by_edit"].items()
        )
    )
    print(
        f"negatives merged: same-topic pairs {result['same_topic_merged']}/"
        f"{result['same_topic_pairs']}, template-outlet stories "
        f"{result['template_stories_merged']}/{result['template_stories']}, junk pages "
        f"{result['junk_merged']}; template paragraphs found {result['template_paragraphs']}"
    )
    print(
        f"LSH b={result['stats']['lsh_bands']} r={result['stats']['lsh_rows']}; candidates "
        f"{result['stats']['candidates']}, verified {result['stats']['verified']}, rejected "
        f"{result['stats']['rejected']}; {result['seconds']:.2f} s"
    )
    if args.show_misses:
        _show_misses(records, cluster_of)
    if args.update_floor:
        floors = {
            "corpus": result["corpus"],
            "seed": args.seed,
            **{k: math.floor(result[k] * 1000) / 1000 for k in ("precision", "recall", "f1")},
            "ari": math.floor(result["ari"] * 1000) / 1000,
            "unverified_pairs": 0,
        }
        FLOORS.write_text(json.dumps(floors, indent=2) + "\n")
        print(f"wrote {FLOORS}")


def _show_misses(records: list[dict[str, Any]], cluster_of: dict[str, str]) -> None:
    by_group: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_group.setdefault(r["group"], []).append(r)
    for r in records:
        mates = [m for m in by_group[r["group"]] if m is not r]
        c = cluster_of.get(r["doc_id"])
        missed = [m["doc_id"] for m in mates if cluster_of.get(m["doc_id"]) != c or c is None]
        wrong = [
            d
            for d, cc in cluster_of.items()
            if c and cc == c and d not in {m["doc_id"] for m in by_group[r["group"]]}
        ]
        if missed and r["edits"] and r["edits"] != ["template_outlet"]:
            print(f"MISS {r['doc_id']} {r['edits']} not with {missed}")
        if wrong:
            print(f"WRONG {r['doc_id']} ({r['group']}) clustered with {wrong}")


if __name__ == "__main__":
    main()
