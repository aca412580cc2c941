"""The one place where signals are registered, and :func:`compute_signals` that runs them.

To add a signal: write a pure function ``f(batch, columns) -> Output`` (see
:mod:`audit.signals.base`), add it to :data:`SIGNALS` after the signals whose
columns it needs, give each new column a kind in :data:`SIGNAL_TYPES` so the
expectations stage can validate it, and reference it from a suite.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Mapping
from typing import Any

import pandas as pd

from audit.config import Settings
from audit.model import Chunk
from audit.signals import dates, language, text
from audit.signals.base import Batch, Evidence, Output, Signal
from audit.signals.html_dates import html_date_columns


def html_dates(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Whether the publication dates a saved HTML page states agree with each other."""
    metas: list[dict[str, Any] | None] = list(b.meta)
    columns, evidence = html_date_columns(metas, b.settings.html_date_tolerance_days)
    return Output(columns, {"date_inconsistent": evidence})


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "record_dates",
        dates.record_dates,
        provides=(
            "published_date",
            "published_source",
            "url_date",
            "created_date",
            "updated_date",
            "last_read_date",
        ),
    ),
    Signal(
        "chrome_dates", dates.chrome_dates, provides=("chrome_date", "_chrome_weekday_mismatches")
    ),
    Signal(
        "text_dates",
        dates.text_dates,
        provides=("text_dates", "text_weekdays", "text_date_lead_days", "weekday_mismatches"),
        needs=("published_date", "_chrome_weekday_mismatches"),
    ),
    Signal(
        "date_gaps",
        dates.date_gaps,
        provides=("url_published_delta_days", "update_lag_days", "future_days"),
        needs=(
            "published_date",
            "published_source",
            "url_date",
            "created_date",
            "updated_date",
            "last_read_date",
        ),
    ),
    Signal(
        "html_dates",
        html_dates,
        provides=("html_dates_max_diff_days", "html_dates_agree", "html_dates_n_sources"),
    ),
    Signal(
        "word_counts",
        text.word_counts,
        provides=(
            "word_count",
            "word_count_dedup",
            "claimed_word_count",
            "word_count_ratio",
            "repeated_paragraphs",
            "_dup_paragraph_fraction",
        ),
    ),
    Signal("boilerplate", text.boilerplate, provides=("boilerplate_lines", "boilerplate_ratio")),
    Signal("truncation", text.truncation, provides=("body_truncated", "summary_truncated")),
    Signal("mojibake", text.mojibake, provides=("mojibake",)),
    Signal("language", language.language, provides=("language", "language_confidence")),
    Signal(
        "presence",
        text.presence,
        provides=("has_title", "has_url", "has_source", "has_date", "record_id"),
        needs=("published_date",),
    ),
)

# Every scalar signal column and its kind; the expectations stage validates these
# (dates as datetimes, numbers as floats); "list" columns are not validated.
SIGNAL_TYPES: dict[str, str] = {
    "published_date": "date",
    "published_source": "str",
    "url_date": "date",
    "created_date": "date",
    "updated_date": "date",
    "last_read_date": "date",
    "chrome_date": "date",
    "text_dates": "list",
    "text_weekdays": "list",
    "text_date_lead_days": "number",
    "weekday_mismatches": "number",
    "url_published_delta_days": "number",
    "html_dates_max_diff_days": "number",
    "html_dates_agree": "bool",
    "html_dates_n_sources": "number",
    "update_lag_days": "number",
    "future_days": "number",
    "word_count": "number",
    "word_count_dedup": "number",
    "claimed_word_count": "number",
    "word_count_ratio": "number",
    "repeated_paragraphs": "number",
    "dup_paragraph_fraction": "number",
    "boilerplate_lines": "number",
    "boilerplate_ratio": "number",
    "body_truncated": "bool",
    "summary_truncated": "bool",
    "mojibake": "bool",
    "language": "str",
    "language_confidence": "number",
    "has_title": "bool",
    "has_url": "bool",
    "has_source": "bool",
    "has_date": "bool",
    "record_id": "str",
    "garble_score": "number",
    "doc_id": "str",
    "url": "str",
    "domain": "str",
    "source": "str",
}


def compute_signals(chunk: Chunk, settings: Settings, now: dt.date) -> None:
    """Add the signal columns and the ``evidence`` column to ``chunk.documents``.

    Columns of other stages are consumed when present and defaulted when not:
    ``repeat_of`` on paragraphs (else exact repeats are found here),
    ``dup_paragraph_fraction`` (else computed from those repeats) and
    ``garble_score`` (else 0.0). An existing ``evidence`` column is merged into.

    Args:
        chunk: the parsed chunk (documents and paragraphs tables).
        settings: the run's settings (``settings.signals`` is read).
        now: the run's date; dates after it lie in the future.

    Example:
        >>> from audit.model import Chunk
        >>> c = Chunk.from_records([{"doc_id": "a", "text": "x", "published": "Oct. 5, 2022"}])
        >>> compute_signals(c, Settings(), dt.date(2025, 1, 1))
        >>> c.documents.loc[0, "published_date"]
        '2022-10-05'
    """
    was_enabled = gc.isenabled()
    gc.disable()  # many small dicts and lists, no cycles: full collections only cost time
    try:
        _compute(chunk, settings, now)
    finally:
        if was_enabled:
            gc.enable()


def _compute(chunk: Chunk, settings: Settings, now: dt.date) -> None:
    docs = chunk.documents
    batch = Batch(docs, chunk.paragraphs, settings.signals, now)
    columns: dict[str, list[Any]] = {}
    evidence: list[dict[str, Evidence]] = [{} for _ in range(batch.n)]
    for sig in SIGNALS:
        out = sig.func(batch, columns)
        columns.update(out.columns)
        for check, per_doc in out.evidence.items():
            for i, ev in enumerate(per_doc):
                if ev:
                    evidence[i].setdefault(check, {}).update(ev)
    if "dup_paragraph_fraction" not in docs.columns:
        columns["dup_paragraph_fraction"] = columns["_dup_paragraph_fraction"]
    garble = batch.column("garble_score")
    if garble is None:
        columns["garble_score"] = [0.0] * batch.n
    else:
        spans = batch.column("garble_spans")
        for i, score in enumerate(garble):
            item: Evidence = {"garble_score": score}
            if spans is not None and isinstance(spans[i], list) and spans[i]:
                item["spans"] = spans[i]
            evidence[i].setdefault("garbled_text", {}).update(item)
    if "evidence" in docs.columns:
        for i, old in enumerate(docs["evidence"].tolist()):
            if isinstance(old, dict):
                for check, earlier in old.items():
                    if isinstance(earlier, dict):
                        evidence[i].setdefault(check, {}).update(earlier)
    index = docs.index
    for name, values in columns.items():
        if not name.startswith("_"):
            docs[name] = pd.Series(values, index=index, dtype=object)
    docs["evidence"] = pd.Series(evidence, index=index, dtype=object)


def check_registry() -> list[str]:
    """Problems with :data:`SIGNALS`: a column needed before it is provided, or twice provided."""
    problems: list[str] = []
    seen: set[str] = set()
    for sig in SIGNALS:
        problems += [
            f"{sig.name} needs {c} before it is provided" for c in sig.needs if c not in seen
        ]
        problems += [f"{sig.name} provides {c} again" for c in sig.provides if c in seen]
        seen.update(sig.provides)
    problems += [
        f"{c} has no entry in SIGNAL_TYPES"
        for c in sorted(seen)
        if not c.startswith("_") and c not in SIGNAL_TYPES
    ]
    return problems
