"""Vega-Lite charts for the report, built with Altair and drawn by an inlined Vega bundle.

The specs carry only the aggregated figures from :func:`audit.report.view.build_view`
(histogram bins, counts per run or source), never per-document data, so a chart
costs a few kilobytes whatever the size of the run. The Vega, Vega-Lite and
vega-embed JavaScript comes from the installed ``vl-convert-python`` package and
is inlined into the page, so charts draw offline. Without that package the page
shows each chart's figures as a table instead.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SEVERITY_COLORS = {"error": "#c62828", "warning": "#e69500", "info": "#3f7cc4"}
_CONFIG: dict[str, Any] = {
    "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "gridColor": "#eceff3"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11},
    "view": {"stroke": None},
}


def _severity_scale() -> Any:
    import altair as alt

    return alt.Scale(domain=list(SEVERITY_COLORS), range=list(SEVERITY_COLORS.values()))


def trend_chart(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Findings per severity for earlier runs and this one; None for a first run."""
    if len({p["order"] for p in points}) < 2:
        return None
    import altair as alt

    base = alt.Chart(alt.Data(values=points)).encode(
        x=alt.X(
            "run:O",
            sort=alt.SortField("order"),
            title=None,
            axis=alt.Axis(labelAngle=-30, labelOverlap="greedy"),
        ),
        y=alt.Y("count:Q", title="findings"),
        color=alt.Color(
            "severity:N", scale=_severity_scale(), legend=alt.Legend(title=None, orient="top")
        ),
        tooltip=[
            alt.Tooltip("run_id:N", title="run"),
            alt.Tooltip("passed:N", title="gate"),
            alt.Tooltip("severity:N"),
            alt.Tooltip("count:Q"),
        ],
    )
    chart = alt.layer(base.mark_line(), base.mark_point(filled=True, size=60)).properties(
        width=480, height=180
    )
    return _spec(chart)


def garble_chart(figure: Mapping[str, Any]) -> dict[str, Any] | None:
    """Histogram of documents' garble scores with the flagging threshold marked."""
    bins = figure.get("bins") or []
    if not bins:
        return None
    import altair as alt

    threshold = figure.get("threshold")
    rows = [
        {
            **b,
            "side": "at or above threshold"
            if threshold is not None and b["end"] > threshold
            else "below threshold",
        }
        for b in bins
    ]
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(binSpacing=1)
        .encode(
            x=alt.X(
                "start:Q",
                bin="binned",
                title="garble score (0 clean, 1 garbled)",
                scale=alt.Scale(domain=[0, 1]),
            ),
            x2="end:Q",
            y=alt.Y("count:Q", title="documents", scale=alt.Scale(type="symlog")),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(
                    domain=["below threshold", "at or above threshold"],
                    range=["#8aa9c9", "#c62828"],
                ),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("start:Q", title="from"),
                alt.Tooltip("end:Q", title="to"),
                alt.Tooltip("count:Q", title="documents"),
            ],
        )
    )
    layers: list[Any] = [bars]
    if threshold is not None:
        layers.append(_rule(threshold, f"threshold {threshold:g}"))
    return _spec(alt.layer(*layers).properties(width=520, height=200))


def similarity_chart(figure: Mapping[str, Any]) -> dict[str, Any] | None:
    """Histograms of verified pairs' Jaccard and containment, thresholds marked."""
    bins = figure.get("bins") or []
    if not bins:
        return None
    import altair as alt

    thresholds = {t["measure"]: t["value"] for t in figure.get("thresholds") or []}
    panels = []
    for measure, color in (("Jaccard", "#5b8def"), ("containment", "#2e9e6b")):
        rows = [b for b in bins if b["measure"] == measure]
        bars = (
            alt.Chart(alt.Data(values=rows))
            .mark_bar(binSpacing=1, color=color)
            .encode(
                x=alt.X("start:Q", bin="binned", title=measure, scale=alt.Scale(domain=[0, 1])),
                x2="end:Q",
                y=alt.Y("count:Q", title="pairs"),
                tooltip=[
                    alt.Tooltip("start:Q", title="from"),
                    alt.Tooltip("end:Q", title="to"),
                    alt.Tooltip("count:Q", title="pairs"),
                ],
            )
        )
        layers: list[Any] = [bars]
        if measure in thresholds:
            layers.append(_rule(thresholds[measure], f"min {thresholds[measure]:g}"))
        panels.append(alt.layer(*layers).properties(width=250, height=170))
    return _spec(alt.hconcat(*panels))


def sources_chart(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Findings per source, stacked by severity, sources with most findings first."""
    if not rows:
        return None
    import altair as alt

    n_sources = len({r["rank"] for r in rows})
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y(
                "source:N", sort=alt.SortField("rank"), title=None, axis=alt.Axis(labelLimit=260)
            ),
            x=alt.X("sum(count):Q", title="findings"),
            color=alt.Color(
                "severity:N", scale=_severity_scale(), legend=alt.Legend(title=None, orient="top")
            ),
            order=alt.Order("severity:N", sort="ascending"),
            tooltip=[
                alt.Tooltip("source:N"),
                alt.Tooltip("severity:N"),
                alt.Tooltip("count:Q", title="findings"),
            ],
        )
        .properties(width=420, height=max(60, 22 * n_sources))
    )
    return _spec(chart)


def _rule(value: float, label: str) -> Any:
    import altair as alt

    data = alt.Data(values=[{"value": value, "label": label}])
    rule = alt.Chart(data).mark_rule(color="#222", strokeDash=[4, 3], strokeWidth=1.5)
    text = alt.Chart(data).mark_text(align="left", dx=4, dy=-4, fontSize=11, color="#222")
    return alt.layer(
        rule.encode(x="value:Q"),
        text.encode(x="value:Q", y=alt.value(0), text="label:N"),
    )


def _spec(chart: Any) -> dict[str, Any]:
    spec: dict[str, Any] = chart.configure(**_CONFIG).to_dict()
    return spec


def prefetch_bundle() -> threading.Thread:
    """Start getting the Vega bundle in a background thread, so a run that renders its
    report later does not wait for it (vl-convert releases the GIL while it bundles).

    Example:
        >>> thread = prefetch_bundle()  # at the start of a run; rendering waits for it
    """
    thread = threading.Thread(target=vega_bundle, name="vega-bundle", daemon=True)
    thread.start()
    return thread


_BUNDLE_LOCK = threading.Lock()


def vega_bundle() -> str | None:
    """The vega-embed + Vega-Lite + Vega JavaScript bundle from vl-convert, or None.

    Safe to call from several threads; the bundle is built at most once per process.
    """
    with _BUNDLE_LOCK:
        return _vega_bundle()


@functools.cache
def _vega_bundle() -> str | None:
    """The bundle, from the disk cache or built by vl-convert.

    Building the bundle takes vl-convert a few seconds, so it is kept in a cache
    folder (``$AUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/audit``, else
    ``~/.cache/audit``) under a name carrying the versions; without a writable
    cache folder it is built once per process.
    """
    try:
        import altair as alt
        import vl_convert
    except ImportError:
        return None
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    version = wanted if wanted in vl_convert.get_vegalite_versions() else None
    name = "vega-bundle-{}-{}-{}.js".format(
        getattr(vl_convert, "__version__", "x"), version or "default", vl_convert.get_vega_version()
    )
    cached = _cache_dir() / name
    try:
        text = cached.read_text(encoding="utf-8")
        if _BUNDLE_MARK in text:
            return text
    except OSError:
        pass
    # The stub wants a snippet; without one the bundle exposes window.vegaEmbed.
    bundle: str = vl_convert.javascript_bundle(vl_version=version)  # type: ignore[call-arg]
    _write_cache(cached, bundle)
    return bundle


_BUNDLE_MARK = "window.vegaEmbed="


def _cache_dir() -> Path:
    if os.environ.get("AUDIT_CACHE_DIR"):
        return Path(os.environ["AUDIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "audit"


def _write_cache(path: Path, text: str) -> None:
    """Write atomically; a cache that cannot be written is simply not kept."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".vega.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
