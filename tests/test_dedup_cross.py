"""Copies across documents: verified clusters, no chaining, canonical choice, evidence."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pandas as pd
import pytest

from audit.config import DedupSettings
from audit.dedup.cross import _EqualBytes, _ExactGroups, _fold, deduplicate
from audit.dedup.minhash import signatures, text_digests

rng = random.Random(5)
VOCAB = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "pe", "ro", "su", "ti") for b in range(40)]


def story(n: int) -> list[str]:
    """``n`` seeded words (a fresh story each call)."""
    return [rng.choice(VOCAB) for _ in range(n)]


def run(
    rows: list[dict[str, Any]], settings: DedupSettings | None = None
) -> tuple[Any, dict[str, Any]]:
    """Deduplicate documents given as dicts with ``doc_id``, ``text`` and optional metadata."""
    s = settings or DedupSettings()
    docs = pd.DataFrame(
        {
            "doc_id": [r["doc_id"] for r in rows],
            "source": [r.get("source", "batch.jsonl") for r in rows],
            "domain": [r.get("domain") for r in rows],
            "published_date": [r.get("date") for r in rows],
            "credited": [r.get("credited", []) for r in rows],
        }
    )
    if any("paragraphs" in r for r in rows):
        docs["body_paragraphs"] = [r.get("paragraphs", []) for r in rows]
    texts = [r["text"] for r in rows]
    out = deduplicate(docs, signatures(texts, s), texts, s)
    return out, {f.doc_id: f for f in out.findings}


def test_syndicated_copy_with_evidence() -> None:
    s = story(90)
    original = " ".join(s)
    copy = "Breaking news today: " + " ".join(s[:80]) + ". Follow us for more."
    out, findings = run(
        [
            {"doc_id": "copy", "text": copy, "domain": "b.example", "date": "2024-01-02"},
            {"doc_id": "orig", "text": original, "domain": "a.example", "date": "2024-01-01"},
            {"doc_id": "other", "text": " ".join(story(90)), "domain": "a.example"},
        ]
    )
    (cluster,) = out.clusters
    assert (cluster.kind, cluster.canonical, cluster.members) == (
        "syndicated",
        "orig",
        ["orig", "copy"],
    )
    f = findings["copy"]
    assert (f.check, f.severity) == ("syndicated_copy", "warning")
    ev = f.evidence
    assert ev["canonical"] == "orig" and ev["cluster"] == cluster.id
    assert ev["canonical_reason"] == "earliest published (2024-01-01)"
    assert 0.9 < ev["containment"] < 1.0 and 0.8 < ev["jaccard"] < 0.95
    assert abs(ev["jaccard_estimate"] - ev["jaccard"]) < 0.15
    (passage,) = ev["shared_passages"]
    ds, de = passage["doc"]
    cs, ce = passage["canonical"]
    assert copy[ds:de] == original[cs:ce] == " ".join(s[:80])
    (pair,) = cluster.pairs
    assert (pair.a, pair.b, round(pair.jaccard, 4)) == ("orig", "copy", ev["jaccard"])
    assert "orig" not in findings and "other" not in findings


def test_same_source_near_copy_and_exact_copy() -> None:
    s = story(80)
    text = " ".join(s)
    out, findings = run(
        [
            {"doc_id": "a", "text": text, "domain": "site.example", "date": "2024-01-01"},
            {
                "doc_id": "b",
                "text": " ".join(s[:-3]) + " updated",
                "domain": "site.example",
                "date": "2024-01-02",
            },
            {
                "doc_id": "c",
                "text": text.upper().replace(" ", "  "),
                "domain": "site.example",
                "date": "2024-01-03",
            },
        ]
    )
    (cluster,) = out.clusters
    assert cluster.kind == "near" and cluster.canonical == "a"
    assert (findings["b"].check, findings["b"].severity) == ("near_duplicate", "warning")
    assert (findings["c"].check, findings["c"].severity) == ("exact_duplicate", "error")
    assert findings["c"].evidence["jaccard"] == 1.0
    assert findings["c"].message == "exact copy of a"


def test_exact_cluster_kind() -> None:
    text = " ".join(story(50))
    out, _ = run([{"doc_id": f"d{i}", "text": text, "domain": f"s{i}.example"} for i in range(3)])
    (cluster,) = out.clusters
    assert cluster.kind == "exact" and cluster.members == ["d0", "d1", "d2"]


def test_a_third_left_joins_by_containment() -> None:
    s = story(150)
    out, findings = run(
        [
            {"doc_id": "full", "text": " ".join(s), "date": "2024-01-01"},
            {"doc_id": "trim", "text": " ".join(s[:35]), "date": "2024-01-02"},
        ]
    )
    ev = findings["trim"].evidence
    assert ev["jaccard"] < 0.3 and ev["containment"] == 1.0
    assert out.clusters[0].members == ["full", "trim"]


def test_no_chaining_members_verify_against_the_canonical() -> None:
    seg = [" ".join(story(40)) for _ in range(5)]
    out, findings = run(
        [
            {"doc_id": "A", "text": " ".join(seg[0:3]), "date": "2024-01-01"},
            {"doc_id": "B", "text": " ".join(seg[1:4]), "date": "2024-01-02"},
            {"doc_id": "C", "text": " ".join(seg[2:5]), "date": "2024-01-03"},
        ]
    )
    (cluster,) = out.clusters
    assert cluster.members == ["A", "B"]
    assert "C" not in findings
    # B and C are as alike as A and B: only the canonical decides who joins
    assert out.stats["verified"] == 1


def test_canonical_prefers_the_credited_source_then_the_uncrediting() -> None:
    s = story(100)
    out, findings = run(
        [
            {
                "doc_id": "wire",
                "text": " ".join(s[:90]),
                "domain": "kyodonews.net",
                "date": "2024-01-01",
            },
            {
                "doc_id": "paper",
                "text": " ".join(s),
                "domain": "paper.example",
                "date": "2024-01-01",
                "credited": ["Kyodo News"],
            },
        ]
    )
    assert out.clusters[0].canonical == "wire"
    assert findings["paper"].evidence["canonical_reason"].startswith("its origin is credited")
    t = story(100)
    out, findings = run(
        [
            {"doc_id": "p", "text": " ".join(t[:95]), "date": "2024-01-01"},
            {"doc_id": "q", "text": " ".join(t), "date": "2024-01-01", "credited": ["Reuters"]},
        ]
    )
    assert out.clusters[0].canonical == "p"
    assert findings["q"].evidence["canonical_reason"] == "credits no other origin"


def test_canonical_dated_before_undated_then_longest() -> None:
    s = story(100)
    out, findings = run(
        [
            {"doc_id": "undated", "text": " ".join(s)},
            {"doc_id": "dated", "text": " ".join(s[:95]), "date": "2024-03-01"},
            {"doc_id": "short", "text": " ".join(s[:90])},
        ]
    )
    assert out.clusters[0].canonical == "dated"
    out, findings = run(
        [{"doc_id": "x", "text": " ".join(s)}, {"doc_id": "y", "text": " ".join(s[:90])}]
    )
    assert out.clusters[0].canonical == "x"
    assert findings["y"].evidence["canonical_reason"] == "longest body (100 words)"


def test_empty_and_short_bodies_never_match() -> None:
    text = " ".join(story(60))
    out, findings = run(
        [
            {"doc_id": "e1", "text": ""},
            {"doc_id": "e2", "text": "   "},
            {"doc_id": "s1", "text": "Page not found"},
            {"doc_id": "s2", "text": "Page not found"},
            {"doc_id": "real", "text": text},
        ]
    )
    assert out.clusters == [] and findings == {}
    assert out.stats["compared"] == 1
    empty, _ = run([])
    assert empty.clusters == [] and empty.stats["documents"] == 0


def test_many_identical_documents_make_one_cluster() -> None:
    text = " ".join(story(60))
    n = 5000
    out, findings = run([{"doc_id": f"d{i:05d}", "text": text} for i in range(n)])
    (cluster,) = out.clusters
    assert cluster.kind == "exact" and len(cluster.members) == n
    assert cluster.canonical == "d00000"
    assert out.stats["candidates"] == 0 and out.stats["exact_groups"] == 1
    assert len(findings) == n - 1


def test_source_template_paragraphs_are_left_out() -> None:
    footer = (
        "Stay informed with the Example Times newsletter delivered to your inbox every "
        "morning with the stories that matter to our readers across the region today"
    )
    rows = []
    for i in range(3):
        body = " ".join(story(12))  # short stories: the footer dominates them
        text = body + "\n" + footer
        digests = text_digests([body, footer])
        rows.append(
            {
                "doc_id": f"t{i}",
                "text": text,
                "domain": "times.example",
                "paragraphs": [
                    (0, 0, len(body), int(digests[0])),
                    (1, len(body) + 1, len(text), int(digests[1])),
                ],
            }
        )
    out, _ = run(rows)
    assert out.clusters == []
    assert sorted(out.templates) == [("t0", 1), ("t1", 1), ("t2", 1)]
    assert out.stats["template_texts"] == 1
    rows_without = [{k: v for k, v in r.items() if k != "paragraphs"} for r in rows]
    assert run(rows_without)[0].clusters != []  # the footer alone makes them look alike


def test_shape_mismatch_is_refused() -> None:
    docs = pd.DataFrame({"doc_id": ["a"], "source": ["s"]})
    with pytest.raises(ValueError, match="signatures"):
        deduplicate(docs, np.zeros((2, 128), dtype=np.uint32), ["x"], DedupSettings())


def test_cluster_ids_are_stable() -> None:
    text = " ".join(story(50))
    rows = [{"doc_id": "a", "text": text}, {"doc_id": "b", "text": text}]
    assert run(rows)[0].clusters[0].id == run(list(reversed(rows)))[0].clusters[0].id
    d = run(rows)[0].clusters[0].to_dict()
    assert d["size"] == 2 and d["pairs"][0]["containment"] == 1.0


@pytest.mark.parametrize("width", [128, 12, 8])
def test_equal_bytes_counts_like_numpy(width: int) -> None:
    rng = np.random.default_rng(width)
    matrix = rng.integers(0, 3, size=(50, width), dtype=np.uint8)  # many equal bytes
    a, c = rng.integers(0, 50, 300), rng.integers(0, 50, 300)
    count = _EqualBytes(matrix, block=300)
    expected = np.count_nonzero(matrix[a] == matrix[c], axis=1)
    assert count(a, c).tolist() == expected.tolist()
    assert count(a[:7], c[:7]).tolist() == expected[:7].tolist()  # a shorter block


def test_folded_signatures_keep_every_equal_value() -> None:
    rng = np.random.default_rng(5)
    sig = rng.integers(0, 2**32, size=(40, 16), dtype=np.uint64).astype(np.uint32)
    sig[1::2] = np.where(rng.random((20, 16)) < 0.5, sig[::2], sig[1::2])
    folded = _fold(sig)
    assert (
        np.count_nonzero(folded[1::2] == folded[::2], axis=1)
        >= np.count_nonzero(sig[1::2] == sig[::2], axis=1)
    ).all()


def test_exact_groups_keep_the_canonical_order_and_first_rows_as_representatives() -> None:
    digests = np.array([7, 5, 7, 9, 5, 7], dtype=np.uint64)
    ordered = np.array([5, 1, 3, 0, 4], dtype=np.int64)  # canonical order; row 2 not eligible
    groups = _ExactGroups(ordered, digests)
    assert groups.reps.tolist() == [5, 1, 3]  # the first row of each group, in that order
    assert groups.members([5]) == [5, 0]
    assert groups.members([3, 1]) == [3, 1, 4]
    assert groups.shared == 2
    empty = _ExactGroups(np.zeros(0, dtype=np.int64), digests)
    assert empty.reps.tolist() == [] and empty.shared == 0
