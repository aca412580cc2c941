"""What every signal function sees (a :class:`Batch`) and returns (an :class:`Output`).

A signal function is pure: it reads the chunk's columns (as Python lists, one item
per document) and the columns computed by earlier signals, and returns new
columns plus, per check name, the evidence a reviewer needs when that check fails.

Paragraphs are kept as columns too (``p_text``, ``p_role``, ...: one item per
paragraph row); each document knows the row numbers of its body paragraphs
(``body``) and of the others (``other``), so that a signal touches only the rows
it needs. :meth:`Batch.para` gives one row as a :class:`Para` for evidence.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from audit.config import SignalSettings

Evidence = dict[str, Any]


class Para(NamedTuple):
    """One paragraph (non-blank line) of a document, in the fields signals use."""

    idx: int
    line: int
    role: str
    reason: str
    text: str
    repeat_of: int | None


@dataclass(slots=True)
class Output:
    """New columns (name -> one value per document) and evidence (check -> per document)."""

    columns: dict[str, list[Any]]
    evidence: dict[str, list[Evidence | None]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Signal:
    """A registered signal function with the columns it provides and needs."""

    name: str
    func: Callable[[Batch, Mapping[str, list[Any]]], Output]
    provides: tuple[str, ...]
    needs: tuple[str, ...] = ()


@lru_cache(maxsize=4096)
def meta_key(key: str) -> str:
    """A metadata key as the parser writes it: lower case, `_` for spaces and dashes.

    Example:
        >>> meta_key("Last Read")
        'last_read'
    """
    return "_".join(key.strip().lower().replace("-", " ").split())


def present(value: Any) -> bool:
    """Whether a cell holds a value: not None, NaN, NA or blank."""
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float):
        return not math.isnan(value)
    if isinstance(value, str):
        return bool(value.strip())
    return True


class Batch:
    """The chunk's columns as lists, with each document's paragraph rows."""

    def __init__(
        self,
        documents: pd.DataFrame,
        paragraphs: pd.DataFrame,
        settings: SignalSettings,
        now: dt.date,
    ) -> None:
        self.settings = settings
        self.now = now
        self.documents = documents
        self.n = len(documents)

        def col(name: str) -> list[Any]:
            if name in documents.columns:
                return documents[name].tolist()
            return [None] * self.n

        self.doc_ids: list[str] = [str(d) for d in col("doc_id")]
        self.text: list[str] = [t if isinstance(t, str) else "" for t in col("text")]
        self.title: list[Any] = col("title")
        self.url: list[Any] = col("url")
        self.published: list[Any] = col("published")
        self.claimed: list[Any] = col("claimed_word_count")
        self.source: list[Any] = col("source")
        self.line: list[Any] = col("line")
        self.meta: list[dict[str, Any]] = [
            {meta_key(str(k)): v for k, v in m.items()} if isinstance(m, dict) and m else {}
            for m in col("meta")
        ]
        paragraphs = _in_document_order(paragraphs)
        m = len(paragraphs)

        def pcol(name: str, default: Any) -> list[Any]:
            if name in paragraphs.columns:
                return paragraphs[name].tolist()
            return [default] * m

        self.p_text: list[str] = [t if isinstance(t, str) else "" for t in pcol("text", "")]
        self.p_role: list[str] = pcol("role", "")
        self.p_reason: list[str] = [r if isinstance(r, str) else "" for r in pcol("reason", "")]
        self.p_line: list[int] = pcol("line", 0)
        self.p_idx: list[int] = pcol("idx", 0)
        self.has_repeat_of = "repeat_of" in paragraphs.columns
        self.p_repeat: list[int | None] = (
            [int(r) if present(r) else None for r in paragraphs["repeat_of"].tolist()]
            if self.has_repeat_of
            else [None] * m
        )
        starts, ends = _spans(self.doc_ids, pcol("doc_id", ""), self.p_idx)
        is_body = np.asarray(paragraphs["role"].to_numpy() == "body", dtype=bool) if m else None
        self.body: list[list[int]] = _rows_within(is_body, starts, ends)
        self.other: list[list[int]] = _rows_within(
            None if is_body is None else ~is_body, starts, ends
        )
        self._meta_lines: dict[int, dict[str, tuple[int, str]]] = {}

    def para(self, j: int) -> Para:
        """Paragraph row ``j`` as a :class:`Para`."""
        return Para(
            self.p_idx[j],
            self.p_line[j],
            self.p_role[j],
            self.p_reason[j],
            self.p_text[j],
            self.p_repeat[j],
        )

    def paras(self, i: int) -> list[Para]:
        """All paragraphs of document ``i``, in order."""
        return [self.para(j) for j in sorted(self.body[i] + self.other[i])]

    def column(self, name: str) -> list[Any] | None:
        """An existing documents column as a list (e.g. another stage's), or None."""
        if name in self.documents.columns:
            return self.documents[name].tolist()
        return None

    def meta_line(self, i: int, key: str) -> tuple[int, str] | None:
        """(line number, text) of the `Key: value` metadata line of document ``i`` that
        gave ``key``, or None."""
        found = self._meta_lines.get(i)
        if found is None:
            found = {}
            texts, roles = self.p_text, self.p_role
            for j in self.other[i]:
                if roles[j] == "metadata":
                    t = texts[j]
                    colon = t.find(":")
                    if 0 < colon <= 40:
                        found.setdefault(meta_key(t[:colon]), (self.p_line[j], t.strip()))
            self._meta_lines[i] = found
        return found.get(key)


def _in_document_order(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """The paragraphs with each document's rows together, in idx order."""
    if len(paragraphs) < 2 or "doc_id" not in paragraphs.columns:
        return paragraphs
    ids = paragraphs["doc_id"].tolist()
    idx = paragraphs["idx"].tolist() if "idx" in paragraphs.columns else None
    seen: set[Any] = set()
    prev = object()
    for k, d in enumerate(ids):
        if d != prev:
            if d in seen:
                break
            seen.add(d)
            prev = d
        elif idx is not None and idx[k] <= idx[k - 1]:
            break
    else:
        return paragraphs
    keys = ["doc_id", "idx"] if idx is not None else ["doc_id"]
    return paragraphs.sort_values(keys, kind="stable")


def _spans(doc_ids: list[str], p_doc: list[Any], p_idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """For each document, the first and past-the-last row of its paragraphs.

    A run of rows ends where the doc_id changes or idx starts again, so documents
    that share an id (a table with a repeated id) keep their own paragraphs; the
    k-th document with an id gets the k-th run of that id. A document without
    paragraphs gets an empty range.
    """
    m = len(p_doc)
    if m == 0:
        zeros = np.zeros(len(doc_ids), dtype=np.int64)
        return zeros, zeros
    docs = np.asarray([str(d) for d in p_doc], dtype=object)
    idx = np.asarray(p_idx, dtype=np.int64)
    breaks = np.flatnonzero((docs[1:] != docs[:-1]) | (idx[1:] <= idx[:-1])) + 1
    run_starts = np.concatenate(([0], breaks)).tolist()
    run_ends = np.concatenate((breaks, [m])).tolist()
    runs: dict[str, list[tuple[int, int]]] = {}
    for a, b in zip(run_starts, run_ends, strict=True):
        runs.setdefault(docs[a], []).append((a, b))
    taken: dict[str, int] = {}
    starts = np.zeros(len(doc_ids), dtype=np.int64)
    ends = np.zeros(len(doc_ids), dtype=np.int64)
    for i, d in enumerate(doc_ids):
        k = taken.get(d, 0)
        own = runs.get(d, ())
        if k < len(own):
            starts[i], ends[i] = own[k]
        taken[d] = k + 1
    return starts, ends


def _rows_within(mask: np.ndarray | None, starts: np.ndarray, ends: np.ndarray) -> list[list[int]]:
    """Per document, the rows in its range where ``mask`` holds."""
    if mask is None:
        return [[] for _ in range(len(starts))]
    rows = np.flatnonzero(mask)
    lo = np.searchsorted(rows, starts).tolist()
    hi = np.searchsorted(rows, ends).tolist()
    flat = rows.tolist()
    return [flat[a:b] for a, b in zip(lo, hi, strict=True)]
