"""Tests for audit.report.charts: Vega-Lite specs from aggregated figures, offline bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audit.config import ReportSettings
from audit.report import charts
from audit.report.view import build_view
from bench.sample_results import build_history, build_results


def figures(n: int = 80, history: int = 3) -> dict[str, Any]:
    results = build_results(n, seed=7)
    view = build_view(results, build_history(history), ReportSettings())
    out: dict[str, Any] = view["figures"]
    return out


def layers_with(spec: dict[str, Any], mark: str) -> list[list[dict[str, Any]]]:
    """The data rows of every unit spec in a (nested) layer/concat whose mark is ``mark``."""
    found = []
    stack: list[tuple[dict[str, Any], Any]] = [(spec, None)]
    while stack:
        node, inherited = stack.pop()
        data = node.get("data", inherited)
        m = node.get("mark")
        if (m if isinstance(m, str) else (m or {}).get("type")) == mark:
            rows = data.get("values") or spec["datasets"][data["name"]]
            found.append(rows)
        for key in ("layer", "hconcat", "vconcat"):
            stack.extend((child, data) for child in node.get(key, []))
    return found


def test_garble_chart_marks_the_threshold() -> None:
    fig = figures()
    spec = charts.garble_chart(fig["garble"])
    assert spec is not None
    rules = layers_with(spec, "rule")
    assert rules and rules[0][0]["value"] == 0.5
    bars = layers_with(spec, "bar")[0]
    assert sum(b["count"] for b in bars) == 80
    assert {b["side"] for b in bars if b["start"] >= 0.5} == {"at or above threshold"}


def test_similarity_chart_has_both_measures_and_thresholds() -> None:
    spec = charts.similarity_chart(figures()["similarity"])
    assert spec is not None and len(spec["hconcat"]) == 2
    assert sorted(rows[0]["value"] for rows in layers_with(spec, "rule")) == [0.5, 0.7]


def test_trend_needs_two_runs_and_sources_chart_stacks_severities() -> None:
    assert charts.trend_chart(figures(history=0)["trend"]) is None
    trend = charts.trend_chart(figures(history=4)["trend"])
    assert trend is not None
    assert len({p["run"] for p in layers_with(trend, "line")[0]}) == 5
    sources = charts.sources_chart(figures()["sources"])
    assert sources is not None
    assert sources["encoding"]["color"]["field"] == "severity"


def test_empty_figures_give_no_chart() -> None:
    empty = build_view({}, None, ReportSettings())["figures"]
    assert charts.garble_chart(empty["garble"]) is None
    assert charts.similarity_chart(empty["similarity"]) is None
    assert charts.sources_chart(empty["sources"]) is None


def test_specs_are_small_whatever_the_run_size() -> None:
    fig = figures(n=3000)
    for spec in (
        charts.garble_chart(fig["garble"]),
        charts.similarity_chart(fig["similarity"]),
        charts.sources_chart(fig["sources"]),
    ):
        assert spec is not None and len(json.dumps(spec)) < 20_000


def test_vega_bundle_is_offline() -> None:
    bundle = charts.vega_bundle()
    assert bundle is not None
    assert "window.vegaEmbed=" in bundle
    assert "</script" not in bundle.lower()


def test_vega_bundle_is_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path))
    charts._vega_bundle.cache_clear()
    try:
        bundle = charts.vega_bundle()
        files = list(tmp_path.glob("vega-bundle-*.js"))
        assert len(files) == 1 and files[0].read_text(encoding="utf-8") == bundle
        files[0].write_text("window.vegaEmbed=function(){};", encoding="utf-8")
        charts._vega_bundle.cache_clear()
        assert charts.vega_bundle() == "window.vegaEmbed=function(){};"
        files[0].write_text("truncated", encoding="utf-8")  # not a bundle: rebuilt
        charts._vega_bundle.cache_clear()
        assert charts.vega_bundle() == bundle
    finally:
        charts._vega_bundle.cache_clear()


def test_prefetch_builds_the_bundle_in_the_background() -> None:
    thread = charts.prefetch_bundle()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert charts.vega_bundle() is not None
