"""summary.md and $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audit.history import history_entry
from audit.report.summary import render_summary, write_summary


def results(passed: bool = False) -> dict[str, Any]:
    docs: list[dict[str, Any]] = [
        {
            "doc_id": f"ok-{i}.txt",
            "verdict": "accept",
            "findings": [],
        }
        for i in range(7)
    ]
    docs.append(
        {
            "doc_id": "warn|<script>.txt",
            "verdict": "warn",
            "findings": [
                {"check": "boilerplate", "severity": "warning", "message": "chrome", "evidence": {}}
            ],
        }
    )
    docs += [
        {
            "doc_id": f"bad-{i}.txt",
            "verdict": "quarantine",
            "findings": [
                {
                    "check": "exact_duplicate",
                    "severity": "error",
                    "message": f"copy of ok-{i}.txt\nline two",
                    "evidence": {},
                },
                {
                    "check": "syndicated_copy",
                    "severity": "info",
                    "message": "credits AP",
                    "evidence": {},
                },
            ],
        }
        for i in range(2)
    ]
    return {
        "run": {"id": "run-7", "duration_s": 1.25, "inputs": ["batch/"], "n_documents": 10},
        "gate": {
            "passed": passed,
            "fail_on": "error",
            "counts": {"error": 2, "warning": 1, "info": 2},
        },
        "documents": docs,
        "index": {"location": "corpus.db", "matches": 1, "admitted": None, "documents": 500},
    }


def test_summary_shows_verdicts_checks_and_quarantined_documents() -> None:
    text = render_summary(results())
    assert text.startswith("### audit: gate FAILED (fail-on error)")
    assert "| accepted | 7 |" in text and "| warned | 1 |" in text and "| quarantined | 2 |" in text
    assert "**2** error · **1** warning · **2** info" in text
    assert "| exact\\_duplicate | 2 | 0 | 0 |" in text
    assert "#### Quarantined (2)" in text
    assert "| bad-0.txt | exact\\_duplicate: copy of ok-0.txt line two |" in text  # info left out
    assert "Corpus index corpus.db: 1 documents duplicate admitted ones; nothing admitted" in text
    assert "; 500 in the index" in text


def test_cells_cannot_inject_markup() -> None:
    res = results()
    res["documents"][7]["verdict"] = "quarantine"
    text = render_summary(res)
    assert "warn\\|\\<script\\>.txt" in text and "<script>" not in text


def test_long_lists_are_cut() -> None:
    text = render_summary(results(), max_documents=1)
    assert "#### Quarantined (2, first 1)" in text and "bad-1.txt" not in text


def test_baseline_line_from_passing_history() -> None:
    good = results(passed=True)
    for doc in good["documents"]:
        doc["verdict"], doc["findings"] = "accept", []
    good["gate"]["counts"] = {"error": 0, "warning": 0, "info": 0}
    history = [history_entry(good), history_entry(results())]
    text = render_summary(results(), history)
    assert "last 1 passing runs: quarantined 20.0% (baseline 0.0%), errors 2 (baseline 0)" in text
    assert "baseline" not in render_summary(results(), [history_entry(results())])


def test_write_appends_to_github_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    path = write_summary(results(), tmp_path / "run" / "summary.md")
    assert path.read_text() == render_summary(results())
    assert step.read_text() == "earlier step\n" + render_summary(results()) + "\n"


def test_unwritable_step_summary_is_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "step.md"))
    write_summary(results(), tmp_path / "summary.md")
    assert (tmp_path / "summary.md").is_file()
    assert "GITHUB_STEP_SUMMARY" in caplog.text


def test_without_the_variable_nothing_else_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    write_summary(results(), tmp_path / "summary.md")
    assert [p.name for p in tmp_path.iterdir()] == ["summary.md"]
