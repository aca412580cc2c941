"""Build the results.json document (contract schema_version 1) from a finished run."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.model import DOCUMENT_COLUMNS, SCHEMA_VERSION, Corpus, Finding
from audit.report.documents import EncodedDocuments, Listing, with_raw_key
from audit.report.files import dumps_line

# Signal columns that the contract requires in every document's `signals`.
REQUIRED_SIGNALS: dict[str, Any] = {
    "garble_score": 0.0,
    "boilerplate_ratio": 0.0,
    "dup_paragraph_fraction": 0.0,
    "language": None,
}
# Documents-table columns that are not signals (their values appear elsewhere).
NOT_SIGNALS = frozenset(DOCUMENT_COLUMNS) | {
    "evidence",
    "word_count",
    "published_date",
    "garble_spans",  # kept as the garbled_text finding's evidence
}
# Paragraph fields written into each document's `paragraphs`, in this order, when present.
PARAGRAPH_FIELDS = ("idx", "line", "role", "reason", "repeat_of", "start", "end", "text")


def build_results(
    corpus: Corpus,
    verdicts: dict[str, str],
    gate: dict[str, Any],
    run: dict[str, Any],
    paragraphs: bool = True,
    release: bool = False,
    spill: str | Path | None = None,
) -> dict[str, Any]:
    """The results document: run, gate, documents, clusters, expectations.

    With ``paragraphs=False`` the documents leave out their ``paragraphs`` (the
    streaming writer adds them from the spool as it writes results.json) and are kept
    as their JSON lines (:class:`audit.report.documents.EncodedDocuments`), a fraction
    of their size as dicts. With ``release`` the findings are taken out of ``corpus``
    and each document's are let go once its entry is built, so that the findings and
    the results are not both held whole. With ``spill`` (a folder) those lines go to
    an unnamed file there (:class:`audit.report.documents.LineFile`), not memory.
    """
    by_doc: dict[str, list[Finding]] = defaultdict(list)
    for f in corpus.findings:
        by_doc[f.doc_id].append(f)
    if release:
        corpus.findings = []
    take = by_doc.pop if release else by_doc.get
    paras = _paragraphs_by_doc(corpus.paragraphs) if paragraphs else {}
    docs = corpus.documents
    columns = list(docs.columns)

    def documents() -> Iterator[dict[str, Any]]:
        for values in _plain_rows(docs):
            row = dict(zip(columns, values, strict=True))
            doc_id = row["doc_id"]
            doc = _document(
                row, take(doc_id, []), paras.get(doc_id, []), verdicts.get(doc_id, "accept")
            )
            if paragraphs:
                doc["findings"] = [f.to_dict() for f in doc["findings"]]
            yield doc

    listing = Listing()

    def lines() -> Iterator[str]:
        """Each document as its line, the findings' evidence spliced in as kept."""
        for doc in documents():
            found = doc.pop("findings")
            del doc["paragraphs"]
            listed = "[" + ",".join(f.to_json() for f in found) + "]"
            listing.add(doc["doc_id"], doc["verdict"], [(f.check, f.severity.value) for f in found])
            yield with_raw_key(dumps_line(doc), "findings", listed)

    return {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "gate": gate,
        "documents": list(documents())
        if paragraphs
        else EncodedDocuments.of_lines(lines(), spill, listing),
        "clusters": [c.to_dict() for c in corpus.clusters],
        "expectations": [e.to_dict() for e in corpus.expectations],
    }


def _document(
    row: dict[str, Any], findings: list[Finding], paragraphs: list[dict[str, Any]], verdict: str
) -> dict[str, Any]:
    """One document's results entry from its row of plain values (:func:`_plain_rows`)."""
    signals = dict(REQUIRED_SIGNALS)
    for key, value in row.items():
        if key not in NOT_SIGNALS:
            signals[key] = value
    findings = sorted(findings, key=lambda f: (_ORDER[f.severity.value], f.check))
    return {
        "doc_id": row["doc_id"],
        "source": row["source"],
        "line": row.get("line"),
        "domain": row.get("domain"),
        "url": row.get("url"),
        "title": row.get("title"),
        "published": row.get("published_date"),
        "published_raw": row.get("published"),
        "word_count": int(row.get("word_count") or 0),
        "claimed_word_count": row.get("claimed_word_count"),
        "encoding": row.get("encoding"),
        "signals": signals,
        "verdict": verdict,
        "findings": findings,  # Finding objects: the caller writes them as dicts or JSON
        "paragraphs": paragraphs,
    }


_ORDER = {"error": 0, "warning": 1, "info": 2}
_BLOCK = 8192  # documents whose values are made plain at a time


def _plain_rows(docs: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """The table's rows as tuples of JSON-ready values (as :func:`_plain` makes them),
    converted a column and a block of rows at a time rather than value by value."""
    series = [docs.iloc[:, k] for k in range(docs.shape[1])]
    for start in range(0, len(docs), _BLOCK):
        yield from zip(
            *(_plain_values(s.iloc[start : start + _BLOCK]) for s in series), strict=True
        )


def _plain_values(column: pd.Series) -> list[Any]:
    """A column's values made JSON-ready, as :func:`_plain` makes each."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return column.tolist()  # Python ints and bools already
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [None if v != v else v for v in column.tolist()]  # NaN: None
    return [_plain(v) for v in column.tolist()]


def _paragraphs_by_doc(paragraphs: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    keep = [c for c in PARAGRAPH_FIELDS if c in paragraphs.columns]
    for values in paragraphs[["doc_id", *keep]].itertuples(index=False, name=None):
        out[values[0]].append({k: _plain(v) for k, v in zip(keep, values[1:], strict=True)})
    return out


def _plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars to Python, NaN to None."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value
