"""Shared fixtures: the seeds folder, a parsed chunk of them, and a checked ``audit run``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from audit.config import InputSettings
from audit.ingest import read_chunks
from audit.model import Chunk
from audit.parse import parse_records

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
S000 = "000_47d7c464364b9f17.txt"
S001 = "001_b23b02f86b4cdb33.txt"
S002 = "002_907f819419d8924e.txt"
S003 = "003_f03b14ade0a012dc.txt"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The seeds folder of the repository."""
    return SEEDS


@pytest.fixture()
def seed_chunk() -> Chunk:
    """The four seeds, read and parsed."""
    records = next(read_chunks([str(SEEDS)], InputSettings()))
    return parse_records(records)


CONTROL_TEXT = (
    "Council approves new library\n\n"
    "The city council approved the plans for a new public library on Tuesday evening, "
    "after a debate that lasted more than three hours.\n\n"
    "Construction is expected to start next spring and to take about two years, "
    "according to the head of the planning department.\n"
)


@dataclass
class Audited:
    """One ``audit run`` over a batch, read back from stdout and the run folder."""

    code: int
    results: dict[str, Any]
    docs: dict[str, dict[str, Any]]
    accepted: list[dict[str, Any]]
    quarantined: list[dict[str, Any]]
    run_dir: Path
    stderr: str

    def checks(self, doc_id: str) -> set[str]:
        """The checks of a document's findings."""
        return {f["check"] for f in self.docs[doc_id]["findings"]}

    def finding(self, doc_id: str, check: str) -> dict[str, Any]:
        """The first finding of ``check`` on a document."""
        return next(f for f in self.docs[doc_id]["findings"] if f["check"] == check)


def audit_run(*args: str, out: Path, n_inputs: int | None = None) -> Audited:
    """``audit run ARGS --out OUT --format json`` in-process, with the invariants every run
    must keep: exit 0 or 1 (bad input is never exit 2), every document in exactly one of
    accepted.jsonl and quarantined.jsonl, ``n_inputs`` documents when given, and every
    quarantined document with an error finding that says why."""
    from typer.testing import CliRunner

    from audit.cli import app

    result = CliRunner().invoke(app, ["run", *args, "--out", str(out), "--format", "json", "-q"])
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-2000:])
    results = json.loads(result.stdout)
    run_dir = out / results["run"]["id"]
    accepted, quarantined = (
        [json.loads(x) for x in (run_dir / name).read_text().split("\n") if x]
        for name in ("accepted.jsonl", "quarantined.jsonl")
    )
    ids = [d["doc_id"] for d in results["documents"]]
    assert len(ids) == len(set(ids)) == results["run"]["n_documents"]
    assert sorted(r["doc_id"] for r in accepted + quarantined) == sorted(ids)
    if n_inputs is not None:
        assert len(accepted) + len(quarantined) == n_inputs
    docs = {d["doc_id"]: d for d in results["documents"]}
    for row in quarantined:
        assert docs[row["doc_id"]]["verdict"] == "quarantine"
        assert any(f["severity"] == "error" for f in row["findings"]), row["doc_id"]
    for row in accepted:
        assert docs[row["doc_id"]]["verdict"] != "quarantine"
    return Audited(
        result.exit_code, results, docs, accepted, quarantined, run_dir, result.stderr or ""
    )


def assert_control_audited(run: Audited, doc_id: str = "control.txt") -> None:
    """The ordinary document of a hostile batch was read and parsed like any other (its
    verdict is the checks' business: a copy of it elsewhere in the batch is a duplicate)."""
    doc = run.docs[doc_id]
    assert not run.checks(doc_id) & {"unreadable_input", "resource_limit", "mojibake"}
    assert [p["role"] for p in doc["paragraphs"]].count("body") == 2


def assert_read(run: Audited, doc_id: str) -> None:
    """A document was read and parsed (whatever the checks then found in it)."""
    assert not run.checks(doc_id) & {"unreadable_input", "resource_limit"}, doc_id
    assert run.docs[doc_id]["paragraphs"], doc_id
