"""The labelled dedup evaluation holds its floor (bench/quality_floors_dedup.json)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def evaluation() -> tuple[dict, dict]:
    sys.path.insert(0, str(BENCH))
    try:
        import dedup_corpus
        import dedup_eval
    finally:
        sys.path.remove(str(BENCH))
    floors = json.loads((BENCH / "quality_floors_dedup.json").read_text())
    records = dedup_corpus.build(floors["seed"])
    assert dedup_corpus.corpus_hash(records) == floors["corpus"], (
        "the evaluation corpus changed: run python bench/dedup_eval.py --update-floor"
    )
    return dedup_eval.evaluate(records, dedup_eval.eval_settings()), floors


@pytest.mark.parametrize("figure", ["precision", "recall", "f1", "ari"])
def test_figures_hold_the_floor(evaluation: tuple[dict, dict], figure: str) -> None:
    result, floors = evaluation
    assert result[figure] >= floors[figure]


def test_no_unverified_pair_and_no_merged_negative(evaluation: tuple[dict, dict]) -> None:
    result, _ = evaluation
    assert result["pairs_reported"] > 400
    assert result["unverified_pairs"] == 0
    assert result["same_topic_merged"] == 0
    assert result["template_stories_merged"] == 0
    assert result["junk_merged"] == 0
