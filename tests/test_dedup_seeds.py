"""The dedup stages on the four seeds: repeats in 000 and 003, a credit in 003, no copies."""

from __future__ import annotations

from audit.config import DedupSettings
from audit.dedup.credits import credited_syndication
from audit.dedup.cross import deduplicate
from audit.dedup.prepare import prepare
from audit.dedup.within import find_repeats
from audit.model import Chunk
from tests.conftest import S000, S001, S002, S003


def test_seeds(seed_chunk: Chunk) -> None:
    s = DedupSettings()
    find_repeats(seed_chunk, s)
    credited_syndication(seed_chunk, s)
    sig, texts = prepare(seed_chunk, s)
    outcome = deduplicate(seed_chunk.documents, sig, texts, s)
    assert outcome.clusters == [] and outcome.findings == []
    assert outcome.stats["compared"] == 4

    by_check = {(f.doc_id, f.check): f for f in seed_chunk.findings}
    repeats = by_check[(S000, "duplicate_paragraphs")]
    pairs = [(p["first_line"], p["repeat_line"]) for p in repeats.evidence["pairs"]]
    assert pairs == [(n, n + 7) for n in range(2, 9)]
    assert "lines 9-15 repeat lines 2-8" in repeats.message
    title = by_check[(S003, "duplicate_paragraphs")]
    assert [(p["first_line"], p["repeat_line"]) for p in title.evidence["pairs"]] == [(1, 3)]
    credit = by_check[(S003, "syndicated_copy")]
    assert credit.severity == "info"
    assert [c["agency"] for c in credit.evidence["credits"]] == ["Kyodo News", "OANA", "ANTARA"]
    assert not any(d in (S001, S002) for d, _ in by_check)

    docs = seed_chunk.documents.set_index("doc_id")
    assert docs.loc[S000, "dup_paragraph_fraction"] == 7 / 15
    assert docs.loc[S001, "dup_paragraph_fraction"] == 0.0
