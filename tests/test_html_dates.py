"""Date consistency of HTML pages: CMS dates, htmldate and the URL against each other."""

from __future__ import annotations

import json

from audit.ingest.html import extract_page
from audit.signals.html_dates import CHECK, html_date_columns, html_date_signals


def signals(tolerance: float = 1.0, **dates: str) -> dict:
    """The signals for a page whose ``html_dates`` are ``dates``."""
    raw = {k: f"raw {v}" for k, v in dates.items()}
    return html_date_signals({"html_dates": dates, "html_dates_raw": raw}, tolerance)


def test_dates_within_the_tolerance_agree() -> None:
    out = signals(jsonld_published="2024-03-01", og_published="2024-03-02", url_date="2024-03-01")
    assert out["html_dates_max_diff_days"] == 1.0
    assert out["html_dates_agree"] is True
    assert out["html_dates_n_sources"] == 3
    assert out["evidence"] == {}


def test_a_url_date_far_from_the_cms_date_names_every_source() -> None:
    out = signals(
        jsonld_published="2024-03-01",
        htmldate_original="2024-03-01",
        url_date="2023-11-05",
        htmldate_updated="2024-03-04",
    )
    assert out["html_dates_agree"] is False and out["html_dates_max_diff_days"] == 117.0
    ev = out["evidence"][CHECK]["html_dates"]
    pairs = {tuple(d["sources"]) for d in ev["disagreements"]}
    assert pairs == {("jsonld_published", "url_date"), ("htmldate_original", "url_date")}
    assert ev["sources"]["url_date"] == "2023-11-05" and ev["raw"]["url_date"] == "raw 2023-11-05"
    assert ev["tolerance_days"] == 1.0
    assert "jsonld_published 2024-03-01 and url_date 2023-11-05 are 117 days apart" in ev["message"]


def test_the_tolerance_is_a_parameter() -> None:
    assert (
        signals(0.0, jsonld_published="2024-03-01", og_published="2024-03-02")["html_dates_agree"]
        is False
    )
    assert signals(7.0, jsonld_published="2024-03-01", url_date="2024-03-05")["html_dates_agree"]


def test_modified_before_published_is_a_contradiction() -> None:
    out = signals(jsonld_published="2024-03-10", jsonld_modified="2024-03-01")
    assert out["html_dates_agree"] is False
    (d,) = out["evidence"][CHECK]["html_dates"]["disagreements"]
    assert (d["kind"], d["sources"], d["diff_days"]) == (
        "modified_before_published",
        ["jsonld_modified", "jsonld_published"],
        9.0,
    )
    assert signals(jsonld_published="2024-03-01", jsonld_modified="2024-03-10")["html_dates_agree"]


def test_nothing_to_compare() -> None:
    for meta in (None, {}, {"html_dates": "2024-01-01"}, {"html_dates": {"url_date": "bad"}}):
        out = html_date_signals(meta)
        assert (out["html_dates_max_diff_days"], out["html_dates_agree"]) == (None, None)
        assert out["evidence"] == {}
    one = signals(url_date="2024-01-01")
    assert (one["html_dates_agree"], one["html_dates_n_sources"]) == (None, 1)


def test_from_a_page_whose_url_contradicts_its_jsonld() -> None:
    ld = {"@type": "NewsArticle", "headline": "Bridge", "datePublished": "2024-03-01T10:00:00Z"}
    words = "The council approved the new bridge after a long debate in the town hall. "
    html = (
        '<html><head><title>Bridge</title><link rel="canonical" '
        'href="https://ex.org/2023/11/05/bridge">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head><body><article>'
        f"<h1>Bridge</h1><p>{words * 3}</p><p>{words * 2}</p></article></body></html>"
    )
    meta = extract_page(html).meta()
    out = html_date_signals(meta)
    assert out["html_dates_agree"] is False
    ev = out["evidence"][CHECK]["html_dates"]
    assert ("jsonld_published", "url_date") in {tuple(d["sources"]) for d in ev["disagreements"]}
    assert ev["raw"]["jsonld_published"] == "2024-03-01T10:00:00Z"


def test_columns_for_a_batch() -> None:
    metas = [
        None,
        {"html_dates": {"og_published": "2024-01-01", "url_date": "2024-01-09"}},
        {"html_dates": {"og_published": "2024-01-01", "url_date": "2024-01-01"}},
    ]
    cols, evidence = html_date_columns(metas, tolerance_days=1.0)
    assert cols["html_dates_agree"] == [None, False, True]
    assert cols["html_dates_max_diff_days"] == [None, 8.0, 0.0]
    assert cols["html_dates_n_sources"] == [0, 2, 2]
    assert evidence[0] is None and evidence[2] is None
    assert evidence[1] is not None and evidence[1]["html_dates"]["max_diff_days"] == 8.0
