"""The results documents kept as JSON lines read back as the dicts they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from audit.config import ReportSettings, Settings
from audit.pipeline import run_audit
from audit.report.documents import EncodedDocuments, with_key
from audit.report.files import dumps, dumps_line
from audit.report.junit import write_junit
from audit.report.summary import render_summary
from audit.report.view import build_view

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

DOCS: list[dict[str, Any]] = [
    {"doc_id": "a", "verdict": "accept", "findings": [], "signals": {"x": 0.5}},
    {
        "doc_id": "b",
        "verdict": "quarantine",
        "findings": [{"check": "c", "severity": "error", "message": "m", "evidence": {"n": 1}}],
        "signals": {"x": None},
    },
    {"doc_id": "odd \udc80 \u2028", "verdict": "warn", "findings": [], "big": 2**70},
]


def test_documents_read_back_equal_and_fresh() -> None:
    docs = EncodedDocuments(iter(DOCS))
    assert len(docs) == 3
    assert list(docs) == DOCS
    assert docs == DOCS
    assert docs[-1] == DOCS[2]
    assert docs[1:] == DOCS[1:]
    docs[0]["verdict"] = "changed"
    assert docs[0]["verdict"] == "accept"


def test_lines_are_the_written_json() -> None:
    docs = EncodedDocuments(DOCS)
    assert [docs.line(i) for i in range(3)] == [dumps_line(d) for d in DOCS]
    assert all("\n" not in docs.line(i) and "\u2028" not in docs.line(i) for i in range(3))


def test_wrap_applies_to_reads_by_position_only() -> None:
    docs = EncodedDocuments(DOCS[:2])
    docs.wrap(lambda doc, i: {**doc, "position": i})
    assert [d["position"] for d in docs] == [0, 1]
    assert "position" not in docs.decoded(1)


@pytest.mark.parametrize(
    ("line", "want"),
    [('{"a":1}', {"a": 1, "k": [2]}), ("{}", {"k": [2]}), ('{"a": 1} ', {"a": 1, "k": [2]})],
)
def test_with_key_adds_a_key_at_the_end(line: str, want: dict[str, Any]) -> None:
    out = with_key(line, "k", [2])
    assert json.loads(out) == want
    assert list(json.loads(out))[-1] == "k"


def test_dumps_writes_encoded_documents_as_a_list() -> None:
    encoded = {"run": {"id": "r"}, "documents": EncodedDocuments(DOCS)}
    listed = {"run": {"id": "r"}, "documents": DOCS}
    assert dumps(encoded) == dumps(listed)
    assert json.loads(dumps_line(encoded)) == json.loads(dumps_line(listed))


def test_every_writer_reads_encoded_documents_as_it_reads_a_list(tmp_path: Path) -> None:
    result = run_audit(Settings(paths=(str(SEEDS),)), write=False)
    encoded = result.results
    assert isinstance(encoded["documents"], EncodedDocuments)
    # the lines wait in an unnamed file, readable after the run's spool folder went
    from audit.report.documents import LineFile

    assert isinstance(encoded["documents"]._lines, LineFile)
    listed = {**encoded, "documents": list(encoded["documents"])}
    assert render_summary(encoded) == render_summary(listed)
    write_junit(encoded, tmp_path / "a.xml")
    write_junit(listed, tmp_path / "b.xml")
    assert (tmp_path / "a.xml").read_text() == (tmp_path / "b.xml").read_text()
    limits = ReportSettings()
    assert build_view(encoded, [], limits) == build_view(listed, [], limits)


def test_results_built_with_release_let_the_findings_go_and_say_the_same() -> None:
    from audit.model import Corpus, Finding, Severity
    from audit.report.results import build_results

    def corpus() -> Corpus:
        docs = pd.DataFrame({"doc_id": ["a", "b"], "source": ["x", "y"]})
        paras = pd.DataFrame({"doc_id": [], "idx": []})
        found = [
            Finding("b", "boilerplate", Severity.WARNING, "m", {"lines": [1]}),
            Finding("a", "truncated_text", Severity.ERROR, "t", {"end": "…"}),
            Finding("b", "garbled_text", Severity.ERROR, "g", {"spans": []}),
        ]
        return Corpus(documents=docs, paragraphs=paras, findings=found)

    verdicts = {"a": "quarantine", "b": "quarantine"}
    kept, released = corpus(), corpus()
    one = build_results(kept, verdicts, {}, {}, paragraphs=False)
    two = build_results(released, verdicts, {}, {}, paragraphs=False, release=True)
    assert len(kept.findings) == 3 and released.findings == []
    assert list(one["documents"]) == list(two["documents"])
    assert [f["check"] for f in two["documents"][1]["findings"]] == ["garbled_text", "boilerplate"]


def test_the_kept_listing_says_what_the_lines_say() -> None:
    from audit.cli import _listing
    from audit.report.summary import render_summary

    result = run_audit(Settings(paths=(str(SEEDS),), fail_on="warning"), write=False)
    results = result.results
    docs = results["documents"]
    assert isinstance(docs, EncodedDocuments) and docs.listing is not None
    kept, summary = list(_listing(docs)), render_summary(results)
    none_listed = render_summary(results, max_documents=-1)
    assert len(kept) == 4 and any(checks for _, _, checks in kept)
    docs.listing = None  # the same read from the lines instead
    assert kept == list(_listing(docs)) == list(_listing(list(docs)))
    assert summary == render_summary(results)
    assert none_listed == render_summary(results, max_documents=-1)
    assert "Quarantined (4)" in summary and "garbled\\_text: garble score" in summary


def test_listing_counts_and_lists_as_the_findings_say() -> None:
    from collections import Counter

    from audit.report.documents import Listing

    listing = Listing()
    for i in range(1000):
        found = [("boilerplate", "warning")] if i % 3 == 0 else []
        found += [("language", "info")] if i % 5 == 0 else []
        found += [("truncated_text", "error"), ("truncated_text", "error")] if i % 2 == 0 else []
        listing.add(f"d{i}", "quarantine" if i % 2 == 0 else "accept", found)
    assert len(listing) == 1000 and len(listing._kinds) == 8
    rows = list(listing)
    assert rows[0] == ("quarantine", "d0", "boilerplate, truncated_text")
    assert rows[5] == ("accept", "d5", "")  # an info finding is not listed
    verdicts, by_check = listing.tally()
    assert verdicts == Counter({"quarantine": 500, "accept": 500})
    assert by_check == {
        "boilerplate": Counter({"warning": 334}),
        "language": Counter({"info": 200}),
        "truncated_text": Counter({"error": 1000}),
    }
    assert list(listing.positions("accept"))[:3] == [1, 3, 5]


def test_line_file_reads_back_every_line_by_position_and_in_order(tmp_path: Path) -> None:
    from audit.report.documents import LineFile

    lines = [
        "",
        "plain",
        "é \u2028 \udc80 lone surrogate",
        "x" * 5000,
        *(f"n{i}" for i in range(50)),
    ]
    kept = LineFile(iter(lines), tmp_path)
    assert len(kept) == len(lines)
    assert [kept[i] for i in range(len(lines))] == lines
    assert kept[-1] == lines[-1] and kept[1:3] == lines[1:3]
    with pytest.raises(IndexError):
        kept[len(lines)]
    kept._BLOCK = 7  # blocks smaller than a line, and lines spanning blocks
    assert list(kept) == lines
    assert list(tmp_path.iterdir()) == []  # the file has no name


def test_documents_kept_in_a_line_file_equal_those_in_memory(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    folder.mkdir()
    lines = [dumps_line(d) for d in DOCS]
    in_memory = EncodedDocuments.of_lines(lines)
    on_disk = EncodedDocuments.of_lines(iter(lines), folder)
    folder.rmdir()  # the folder may go: the unnamed file stays readable
    assert on_disk == in_memory == DOCS
    assert list(on_disk.lines()) == lines
    assert [on_disk.line(i) for i in range(len(DOCS))] == lines
    assert dumps({"documents": on_disk}) == dumps({"documents": in_memory})
