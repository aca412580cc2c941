"""Tests for audit.report.html and audit.report.view: content, escaping, caps, robustness."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from audit.config import ReportSettings
from audit.report.html import read_history, render_report, write_report
from audit.report.view import build_view, limits_from
from bench.sample_results import HOSTILE, build_history, build_results


def page_data(html: str) -> dict[str, Any]:
    """The JSON the page script reads."""
    match = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S
    )
    assert match, "no embedded data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def body_text(detail: dict[str, Any]) -> str:
    return "\n".join(p[5] for p in detail["paragraphs"] if p[2] == "body")


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return build_results(120, seed=3)


@pytest.fixture(scope="module")
def sample_html(sample: dict[str, Any]) -> str:
    return render_report(sample, build_history(5, seed=3))


def test_page_has_every_section_and_the_verdict(sample: dict[str, Any], sample_html: str) -> None:
    assert sample_html.startswith("<!DOCTYPE html>")
    for section in ("summary", "checks", "documents", "duplicates", "charts"):
        assert f'<section id="{section}">' in sample_html
    assert "gate failed" in sample_html
    errors = sample["gate"]["counts"]["error"]
    assert re.search(rf'card-label">errors</div>\s*<div class="card-value">{errors}<', sample_html)
    n_quarantined = sum(d["verdict"] == "quarantine" for d in sample["documents"])
    assert f"{n_quarantined} quarantined" in sample_html


def test_checks_list_every_detector_with_rationale_and_failing_documents(
    sample: dict[str, Any], sample_html: str
) -> None:
    for name in ("duplicate_paragraphs", "garbled_text", "index_duplicate", "unreadable_input"):
        assert f"<td><b>{name}</b></td>" in sample_html
    assert "Navigation, widgets, share and print buttons" in sample_html  # checks.toml rationale
    garbled = [
        d["doc_id"]
        for d in sample["documents"]
        if any(f["check"] == "garbled_text" for f in d["findings"])
    ]
    assert garbled
    assert f'href="#doc={quote(garbled[0], safe="")}"' in sample_html
    assert "Garbled machine translations teach models broken language." in sample_html


def test_table_rows_are_ordered_most_severe_first(sample: dict[str, Any], sample_html: str) -> None:
    data = page_data(sample_html)
    assert len(data["rows"]) == len(sample["documents"])
    verdict_order = [row[3] for row in data["rows"]]
    assert verdict_order == sorted(verdict_order)
    assert data["verdicts"][data["rows"][0][3]] == "quarantine"


def test_garbled_spans_are_marked_at_their_offsets(
    sample: dict[str, Any], sample_html: str
) -> None:
    data = page_data(sample_html)
    checked = substitutions = 0
    for doc in sample["documents"]:
        for finding in doc["findings"]:
            if finding["check"] != "garbled_text":
                continue
            detail = data["details"][doc["doc_id"]]
            texts = {p[0]: p[5] for p in detail["paragraphs"]}
            for span in finding["evidence"]["spans"]:
                marks = detail["marks"][str(span["paragraph"])]
                mark = next(m for m in marks if m[0] == span["start"])
                assert mark[2] == "garble"
                assert mark[3].startswith(span["reason"])
                if span.get("stands_for"):  # the reviewer sees what the word replaced
                    assert mark[3] == f"{span['reason']} (for “{span['stands_for']}”)"
                    substitutions += 1
                assert texts[span["paragraph"]][mark[0] : mark[1]] == span["text"]
                checked += 1
    assert checked


def test_repeated_paragraphs_and_chrome_are_flagged(
    sample: dict[str, Any], sample_html: str
) -> None:
    data = page_data(sample_html)
    doc = next(
        d
        for d in sample["documents"]
        if any(f["check"] == "duplicate_paragraphs" for f in d["findings"])
    )
    flags = data["details"][doc["doc_id"]]["flags"]
    pair = next(f for f in doc["findings"] if f["check"] == "duplicate_paragraphs")["evidence"][
        "pairs"
    ][0]
    line_a = doc["paragraphs"][pair["a"]]["line"]
    assert ["repeat", f"repeats line {line_a}"] in flags[str(pair["b"])]
    chrome = next(
        d for d in sample["documents"] if any(f["check"] == "boilerplate" for f in d["findings"])
    )
    idx = next(f for f in chrome["findings"] if f["check"] == "boilerplate")["evidence"][
        "paragraphs"
    ][0]
    assert ["chrome", "boilerplate"] in data["details"][chrome["doc_id"]]["flags"][str(idx)]


def test_pair_views_carry_shared_offsets_into_both_body_texts(sample_html: str) -> None:
    data = page_data(sample_html)
    assert data["pairs"]
    for pair in data["pairs"]:
        a, b = body_text(data["details"][pair["a"]]), body_text(data["details"][pair["b"]])
        assert pair["shared"]
        for a0, a1, b0, b1 in pair["shared"]:
            assert a[a0:a1] == b[b0:b1] != ""


def test_date_evidence_is_placed_and_tabled() -> None:
    doc = {
        "doc_id": "d.txt",
        "verdict": "quarantine",
        "paragraphs": [
            {"idx": 0, "line": 1, "text": "Title", "role": "title", "reason": "first_line_title"},
            {
                "idx": 1,
                "line": 3,
                "text": "Tokyo, Oct. 5, 2021 –",
                "role": "dateline",
                "reason": "x",
            },
        ],
        "findings": [
            {
                "check": "date_inconsistent",
                "severity": "error",
                "message": "dates disagree",
                "evidence": {
                    "dates": [
                        {"source": "metadata", "value": "2022-10-05"},
                        {
                            "source": "text",
                            "value": "2021-10-05",
                            "line": 3,
                            "text": "Oct. 5, 2021",
                        },
                    ]
                },
            }
        ],
    }
    data = page_data(render_report({"documents": [doc]}))
    detail = data["details"]["d.txt"]
    assert detail["marks"]["1"] == [[7, 19, "date", "text"]]
    assert detail["findings"][0]["dates"] == [
        {"source": "metadata", "value": "2022-10-05"},
        {"source": "text", "value": "2021-10-05", "line": "3", "text": "Oct. 5, 2021"},
    ]


def test_hostile_text_is_escaped_everywhere() -> None:
    results = build_results(40, seed=5, hostile=True)
    results["run"]["id"] = "<script>window.__xss='run'</script>"
    results["expectations"][0]["rationale"] = "<img src=x onerror=alert(1)>"
    html = render_report(results)
    for payload in HOSTILE[:5]:
        assert payload not in html
    assert "<img src=x" not in html
    assert not re.search(r"href=\"\s*javascript:", html, re.I)
    assert "&lt;script&gt;window.__xss=&#39;run&#39;&lt;/script&gt;" in html
    # Only the page's own scripts; the data block survives </script> in the text.
    assert len(re.findall(r"<script\b", html)) == 3
    data = page_data(html)
    titles = {row[1] for row in data["rows"]}
    assert any("</script><script>" in t for t in titles)
    assert any(
        d["url"].startswith("javascript:") and d["href"] == "" for d in data["details"].values()
    )


def test_csp_allows_exactly_the_inlined_scripts(sample_html: str) -> None:
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', sample_html)
    assert csp
    policy = csp.group(1).replace("&#39;", "'")
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    scripts = re.findall(r"<script>(.*?)</script>", sample_html, re.S)
    assert len(scripts) == 2  # vega bundle, page script
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "window.vegaEmbed=" in scripts[0]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", sample_html)


def test_large_run_is_capped_with_notes() -> None:
    results = build_results(1500, seed=2)
    limits = ReportSettings(
        max_table_rows=400, max_detail_documents=60, max_pairs=5, max_clusters=4, max_links=3
    )
    html = render_report(results, limits=limits)
    data = page_data(html)
    assert len(data["rows"]) == 400 and data["n_documents"] == 1500
    assert len(data["details"]) <= 60
    assert len(data["pairs"]) <= 5
    assert "the 400 most severe of 1,500 documents" in html
    assert "Full detail (text and evidence) is embedded for" in html
    assert "4 of " in html and "clusters are listed" in html
    # Pair documents are embedded; the rest of the detail goes to the most severe documents.
    for pair in data["pairs"]:
        assert pair["a"] in data["details"] and pair["b"] in data["details"]
    quarantined = [r[0] for r in data["rows"] if data["verdicts"][r[3]] == "quarantine"]
    assert all(q in data["details"] for q in quarantined[: 60 - 2 * len(data["pairs"])])


def test_detail_budget_and_document_cut() -> None:
    results = build_results(200, seed=4)
    limits = ReportSettings(max_detail_chars=20_000, max_document_chars=500, max_pairs=0)
    data = page_data(render_report(results, limits=limits))
    assert 1 < len(data["details"]) < 200
    for detail in data["details"].values():
        assert sum(len(p[5]) for p in detail["paragraphs"]) <= 500
    assert any(d["truncated"] for d in data["details"].values())


def test_limits_are_read_from_run_settings() -> None:
    results = {"run": {"settings": {"report": {"max_table_rows": 7, "bogus": 1, "max_pairs": -3}}}}
    limits = limits_from(results, None)
    assert limits.max_table_rows == 7
    assert limits.max_pairs == ReportSettings().max_pairs
    assert limits_from(results, ReportSettings(max_table_rows=9)).max_table_rows == 9


@pytest.mark.parametrize(
    "results",
    [
        {},
        {"documents": None, "clusters": "x", "expectations": [1, None]},
        {"run": [], "gate": "passed", "documents": [None, 3, "x", {}]},
        {
            "documents": [
                {
                    "doc_id": 17,
                    "verdict": "maybe",
                    "title": ["not", "text"],
                    "signals": {"garble_score": math.nan, "x": {"nested": 1}},
                    "findings": [
                        "oops",
                        {"check": None, "severity": "fatal", "evidence": [1, 2]},
                        {
                            "check": "garbled_text",
                            "severity": "warning",
                            "evidence": {
                                "spans": [
                                    {"paragraph": 0, "start": 50, "end": 10},
                                    {"paragraph": 9, "start": 0, "end": 1},
                                    {"paragraph": "0", "start": 0, "end": 1},
                                    {"paragraph": 0, "start": 999, "end": 1000, "text": "bad"},
                                ],
                                "pairs": [{"a": "x"}, None],
                                "lines": ["a", {"line": 1}],
                                "dates": "2020",
                            },
                        },
                    ],
                    "paragraphs": [{"idx": 0, "text": "a bad line"}, "junk", {"text": None}],
                }
            ],
            "clusters": [
                {"pairs": [{"a": "17", "b": "missing", "shared": [{"a_start": "x"}]}, {"a": 1}]},
                None,
            ],
        },
    ],
)
def test_odd_results_render_without_error(results: dict[str, Any]) -> None:
    html = render_report(results)
    assert html.startswith("<!DOCTYPE html>")
    page_data(html)


def test_misplaced_span_falls_back_to_its_quoted_text() -> None:
    doc = {
        "doc_id": "a",
        "paragraphs": [{"idx": 0, "line": 1, "text": "one two three", "role": "body"}],
        "findings": [
            {
                "check": "garbled_text",
                "severity": "warning",
                "message": "m",
                "evidence": {"spans": [{"paragraph": 0, "start": 40, "end": 45, "text": "two"}]},
            }
        ],
    }
    detail = page_data(render_report({"documents": [doc]}))["details"]["a"]
    assert detail["marks"]["0"] == [[4, 7, "garble", "garbled_text"]]


def test_text_without_paragraphs_is_shown_line_by_line() -> None:
    doc = {"doc_id": "t", "text": "Title\n\nFirst line.\nSecond line.\n"}
    detail = page_data(render_report({"documents": [doc]}))["details"]["t"]
    assert [(p[0], p[1], p[5]) for p in detail["paragraphs"]] == [
        (0, 1, "Title"),
        (1, 3, "First line."),
        (2, 4, "Second line."),
    ]


def test_empty_run_has_no_chart_script() -> None:
    html = render_report({"schema_version": 1, "documents": []})
    assert "window.vegaEmbed=" not in html
    assert len(html) < 100_000
    assert "No data for this chart in this run." in html


def test_trend_uses_history_then_this_run() -> None:
    results = build_results(10, seed=1, run_id="now")
    history = [*build_history(3), {"run_id": "now", "counts": {"error": 999}}]
    view = build_view(results, history, ReportSettings(history_runs=2))
    trend = view["figures"]["trend"]
    runs = [p["run_id"] for p in trend if p["severity"] == "error"]
    assert runs == [history[1]["run_id"], history[2]["run_id"], "now"]
    assert trend[-3]["count"] == results["gate"]["counts"]["error"]


def test_write_report_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    results = build_results(5, seed=1)
    write_report(results, target)
    assert target.read_text(encoding="utf-8") == render_report(results)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        write_report(results, tmp_path / "file" / "report.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "report.html"]


def test_read_history_skips_bad_lines(tmp_path: Path) -> None:
    assert read_history(tmp_path) == []
    good = {"run_id": "r1", "started_at": "2025-01-01", "passed": True, "counts": {"error": 0}}
    lines = [
        json.dumps(good),
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"started_at": "no id"}),
        json.dumps({"run_id": "r2", "counts": "bad"}),
        '{"run_id": "r3", "counts": {"error": 1}',  # cut off by a crash mid-write
    ]
    (tmp_path / "history.jsonl").write_bytes(("\n".join(lines) + "\n\xff\n").encode("latin-1"))
    history = read_history(tmp_path)
    assert [h["run_id"] for h in history] == ["r1", "r2"]
    assert history[1]["counts"] == {}


def test_render_is_deterministic(sample: dict[str, Any], sample_html: str) -> None:
    assert render_report(sample, build_history(5, seed=3)) == sample_html


def test_lone_surrogates_are_replaced(tmp_path: Path) -> None:
    doc = {
        "doc_id": "s\ud800.txt",
        "title": "bad \udcff title",
        "text": "line \ud83d here",
        "findings": [{"check": "mojibake\udc80", "severity": "error", "message": "\udc80"}],
    }
    target = tmp_path / "report.html"
    write_report({"documents": [doc]}, target)
    data = page_data(target.read_text(encoding="utf-8"))
    assert data["rows"][0][0] == "s?.txt"
    assert data["details"]["s?.txt"]["paragraphs"][0][5] == "line ? here"
    assert 'href="#doc=s%3F.txt"' in target.read_text(encoding="utf-8")


def test_a_substitution_says_what_the_word_stands_for(tmp_path: Path) -> None:
    from audit.config import Settings
    from audit.pipeline import run_audit

    root = Path(__file__).resolve().parent.parent
    result = run_audit(Settings(paths=(str(root / "seeds"),), out=str(tmp_path)))
    data = page_data((Path(str(result.run_dir)) / "report.html").read_text(encoding="utf-8"))
    [doc_id] = [d for d in data["details"] if d.startswith("002")]
    labels = [m[3] for marks in data["details"][doc_id]["marks"].values() for m in marks]
    assert labels.count("improbable_substitution (for “missile”)") == 2
