"""bench/bench_dedup_step.py: a dump of the batch-wide step's inputs, timed and hashed."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from bench.bench_dedup_step import decisions, main

STORY = " ".join(f"word{i} of the story" for i in range(60))


def test_dump_then_time_reports_the_steps_decisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [
        {"doc_id": "a", "title": "One", "text": STORY, "published": "2024-01-01"},
        {"doc_id": "b", "title": "Two", "text": STORY + " More.", "published": "2024-01-02"},
        {"doc_id": "c", "title": "Three", "text": "Something else entirely, " * 20},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    dumped = tmp_path / "step.pkl"
    assert main(["dump", str(source), "--to", str(dumped), "--jobs", "1"]) == 0
    docs, sig, bodies, settings, paragraphs = pickle.loads(dumped.read_bytes())
    assert list(docs["doc_id"]) == ["a", "b", "c"] and sig.shape == (3, settings.num_perm)
    capsys.readouterr()
    assert main(["time", str(dumped)]) == 0
    printed = capsys.readouterr().out
    from audit.dedup.cross import deduplicate

    outcome = deduplicate(docs, sig, bodies, settings, paragraphs)
    assert [c.members for c in outcome.clusters] == [["a", "b"]]
    assert f"decisions: {decisions(outcome)}" in printed
    assert "documents: 3" in printed
    import audit.dedup

    assert audit.dedup.deduplicate is deduplicate  # the dump put the real step back
