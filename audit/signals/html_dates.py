"""Do the dates an HTML page claims agree with each other?

A page can state its publication date in several places: the CMS's JSON-LD
``datePublished``, the OpenGraph ``article:published_time``, a ``<meta>`` date,
the date htmldate reads from the page, and the date in its URL. When they are
more than a tolerance apart, at least one is wrong (a re-published story, a
template date, a URL reused for a new article): ``date_inconsistent``. A
modification date before the publication date it belongs with is a
contradiction too.

The HTML reader leaves the dates, one per source, in ``meta["html_dates"]``
(``YYYY-MM-DD``) and the values as written in ``meta["html_dates_raw"]``.
"""

from __future__ import annotations

import datetime as dt
from itertools import combinations
from typing import Any

# Sources that each claim the publication date.
PUBLISHED_SOURCES: tuple[str, ...] = (
    "jsonld_published",
    "og_published",
    "meta_published",
    "htmldate_original",
    "url_date",
)
# (modified, published) pairs written by the same mechanism.
MODIFIED_PAIRS: tuple[tuple[str, str], ...] = (
    ("jsonld_modified", "jsonld_published"),
    ("og_modified", "og_published"),
    ("meta_modified", "meta_published"),
)
COLUMNS: tuple[str, ...] = (
    "html_dates_max_diff_days",
    "html_dates_agree",
    "html_dates_n_sources",
)
CHECK = "date_inconsistent"
EVIDENCE_KEY = "html_dates"


def html_date_signals(meta: dict[str, Any] | None, tolerance_days: float = 1.0) -> dict[str, Any]:
    """Compare the publication dates an HTML page claims.

    Args:
        meta: a document's ``meta`` (only ``html_dates`` and ``html_dates_raw`` are read;
            documents that were not HTML pages have neither).
        tolerance_days: dates at most this many days apart agree (time zones and
            late-night publishing make one day normal).

    Returns:
        ``html_dates_max_diff_days`` (float, the largest gap between two sources, or
        None with fewer than two), ``html_dates_agree`` (bool, or None when there is
        nothing to compare), ``html_dates_n_sources`` (int), and ``evidence``: an empty
        dict, or ``{"date_inconsistent": {"html_dates": {...}}}`` naming every source,
        its date, its raw value and each disagreeing pair.

    Example:
        >>> out = html_date_signals({"html_dates": {
        ...     "jsonld_published": "2024-03-01", "url_date": "2024-03-09"}})
        >>> out["html_dates_max_diff_days"], out["html_dates_agree"]
        (8.0, False)
        >>> out["evidence"]["date_inconsistent"]["html_dates"]["disagreements"][0]["sources"]
        ['jsonld_published', 'url_date']
    """
    dates = _dates((meta or {}).get("html_dates"))
    raw = (meta or {}).get("html_dates_raw")
    raw = raw if isinstance(raw, dict) else {}
    published = {s: dates[s] for s in PUBLISHED_SOURCES if s in dates}

    disagreements: list[dict[str, Any]] = []
    max_diff: float | None = None
    for a, b in combinations(published, 2):
        diff = float(abs((published[a] - published[b]).days))
        max_diff = diff if max_diff is None else max(max_diff, diff)
        if diff > tolerance_days:
            disagreements.append(
                {
                    "kind": "published_dates_differ",
                    "sources": [a, b],
                    "dates": [published[a].isoformat(), published[b].isoformat()],
                    "diff_days": diff,
                }
            )
    for modified, pub in MODIFIED_PAIRS:
        if modified in dates and pub in dates:
            gap = float((dates[pub] - dates[modified]).days)
            if gap > tolerance_days:
                disagreements.append(
                    {
                        "kind": "modified_before_published",
                        "sources": [modified, pub],
                        "dates": [dates[modified].isoformat(), dates[pub].isoformat()],
                        "diff_days": gap,
                    }
                )

    comparable = len(published) >= 2 or any(m in dates and p in dates for m, p in MODIFIED_PAIRS)
    agree = (not disagreements) if comparable else None
    out: dict[str, Any] = {
        "html_dates_max_diff_days": max_diff,
        "html_dates_agree": agree,
        "html_dates_n_sources": len(published),
        "evidence": {},
    }
    if disagreements:
        # under its own key: other date signals add to the same check's evidence
        out["evidence"][CHECK] = {
            EVIDENCE_KEY: {
                "sources": {s: d.isoformat() for s, d in dates.items()},
                "raw": {s: raw[s] for s in dates if isinstance(raw.get(s), str)},
                "tolerance_days": tolerance_days,
                "max_diff_days": max_diff,
                "disagreements": disagreements,
                "message": "; ".join(_describe(d) for d in disagreements),
            }
        }
    return out


def html_date_columns(
    metas: list[dict[str, Any] | None], tolerance_days: float = 1.0
) -> tuple[dict[str, list[Any]], list[dict[str, Any] | None]]:
    """:func:`html_date_signals` for a batch of documents, column-wise.

    Returns:
        The columns (name -> one value per document) and, per document, the
        ``date_inconsistent`` evidence (``{"html_dates": {...}}``) or None.

    Example:
        >>> cols, evidence = html_date_columns([{}, {"html_dates": {
        ...     "og_published": "2024-01-01", "url_date": "2024-01-01"}}])
        >>> cols["html_dates_agree"], evidence
        ([None, True], [None, None])
    """
    rows = [html_date_signals(m, tolerance_days) for m in metas]
    columns = {c: [r[c] for r in rows] for c in COLUMNS}
    return columns, [r["evidence"].get(CHECK) for r in rows]


def _dates(value: Any) -> dict[str, dt.date]:
    """The sources that hold a valid ``YYYY-MM-DD`` date."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, dt.date] = {}
    for source, day in value.items():
        if isinstance(day, str):
            try:
                out[str(source)] = dt.date.fromisoformat(day[:10])
            except ValueError:
                continue
    return out


def _describe(d: dict[str, Any]) -> str:
    a, b = d["sources"]
    da, db = d["dates"]
    if d["kind"] == "modified_before_published":
        return f"{a} {da} is {d['diff_days']:g} days before {b} {db}"
    return f"{a} {da} and {b} {db} are {d['diff_days']:g} days apart"
