"""Run history: atomic appends, tolerant reads, baselines from passing runs only."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from audit.history import HISTORY_FILE, append_history, baseline, history_entry, read_history


def results(
    run_id: str, passed: bool, n: int, quarantined: int, errors: int, fail_on: str = "error"
) -> dict:
    docs = [
        {
            "doc_id": f"d{i}",
            "verdict": "quarantine" if i < quarantined else "accept",
            "findings": [
                {"check": "garbled_text", "severity": "error", "message": "x", "evidence": {}}
            ]
            if i < quarantined
            else [],
        }
        for i in range(n)
    ]
    return {
        "run": {
            "id": run_id,
            "started_at": "2024-01-01T00:00:00Z",
            "duration_s": 1.0,
            "n_documents": n,
        },
        "gate": {
            "passed": passed,
            "fail_on": fail_on,
            "counts": {"error": errors, "warning": 0, "info": 0},
        },
        "documents": docs,
    }


def test_entry_summarises_a_run() -> None:
    entry = history_entry(results("r1", False, 10, 3, 3))
    assert entry["run_id"] == "r1" and entry["passed"] is False and entry["n_documents"] == 10
    assert entry["verdicts"] == {"accept": 7, "warn": 0, "quarantine": 3}
    assert entry["checks"] == {"garbled_text": 3}
    assert entry["counts"]["error"] == 3


def test_append_then_read_skips_bad_lines(tmp_path: Path) -> None:
    append_history(tmp_path, history_entry(results("r1", True, 10, 0, 0)))
    with (tmp_path / HISTORY_FILE).open("a") as fh:
        fh.write('not json\n[1, 2]\n{"run_id": "cut')  # a writer killed mid-line
    append_history(tmp_path, history_entry(results("r2", True, 10, 1, 0)))
    runs = read_history(tmp_path)
    assert [r["run_id"] for r in runs] == ["r1", "r2"]
    assert read_history(tmp_path / "nowhere") == []


def _append(args: tuple[str, int]) -> None:
    folder, k = args
    for i in range(25):
        append_history(folder, {"run_id": f"p{k}-{i}", "pad": "x" * 5000})


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.map(_append, [(str(tmp_path), k) for k in range(4)])
    lines = (tmp_path / HISTORY_FILE).read_text().splitlines()
    assert len(lines) == 100
    assert {json.loads(line)["run_id"] for line in lines} == {
        f"p{k}-{i}" for k in range(4) for i in range(25)
    }


def test_baseline_ignores_failed_runs() -> None:
    history = [
        history_entry(results("good1", True, 100, 2, 0)),
        history_entry(results("bad", False, 100, 60, 60)),
        history_entry(results("good2", True, 200, 2, 0)),
        history_entry(results("good3", True, 100, 4, 0)),
    ]
    base = baseline(history)
    assert base is not None
    assert base["runs"] == 3 and base["run_ids"] == ["good1", "good2", "good3"]
    assert base["quarantine_rate"] == 0.02
    assert base["n_documents"] == 100
    assert base["check_rates"] == {"garbled_text": 0.02}
    assert baseline(history, runs=1)["run_ids"] == ["good3"]  # type: ignore[index]


def test_never_runs_with_errors_do_not_shape_the_baseline() -> None:
    history = [
        history_entry(results("never-bad", True, 10, 5, 5, fail_on="never")),
        history_entry(results("never-clean", True, 10, 0, 0, fail_on="never")),
    ]
    base = baseline(history)
    assert base is not None and base["run_ids"] == ["never-clean"]


def test_no_passing_run_no_baseline() -> None:
    assert baseline([]) is None
    assert baseline([history_entry(results("bad", False, 10, 5, 5))]) is None
    assert baseline([{"passed": True, "n_documents": "many"}, {"garbage": 1}]) is None
