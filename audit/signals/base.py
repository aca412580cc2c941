"""What every signal function sees (a :class:`Batch`) and returns (an :class:`Output`).

A signal function is pure: it reads the chunk's columns (as Python lists, one item
per document) and the columns computed by earlier signals, and returns new
columns plus, per check name, the evidence a reviewer needs when that check fails.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import pandas as pd

from audit.config import SignalSettings

Evidence = dict[str, Any]

_META_KEY = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{0,30}?)\s*:\s*(.*?)\s*$")
_KEY_SEP = re.compile(r"[\s-]+")


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


def meta_key(key: str) -> str:
    """A metadata key as the parser writes it: lower case, `_` for spaces and dashes.

    Example:
        >>> meta_key("Last Read")
        'last_read'
    """
    return _KEY_SEP.sub("_", str(key).strip().lower())


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
    """The chunk's columns as lists, with paragraphs grouped per document.

    Derived views (``body``, ``meta_lines``) are computed once, on first use.
    """

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
        self.domain: list[Any] = col("domain")
        self.line: list[Any] = col("line")
        self.read_error: list[Any] = col("read_error")
        self.meta: list[dict[str, Any]] = [
            {meta_key(k): v for k, v in m.items()} if isinstance(m, dict) and m else {}
            for m in col("meta")
        ]
        self.paras: list[list[Para]] = _group_paragraphs(self.doc_ids, paragraphs)
        self.has_repeat_of = "repeat_of" in paragraphs.columns

    def column(self, name: str) -> list[Any] | None:
        """An existing documents column as a list (e.g. another stage's), or None."""
        if name in self.documents.columns:
            return self.documents[name].tolist()
        return None

    @cached_property
    def body(self) -> list[list[Para]]:
        """Body paragraphs of each document, in order."""
        return [[p for p in ps if p.role == "body"] for ps in self.paras]

    @cached_property
    def meta_lines(self) -> list[dict[str, Para]]:
        """For each document, metadata key -> the `Key: value` line it was read from."""
        out: list[dict[str, Para]] = []
        for ps in self.paras:
            found: dict[str, Para] = {}
            for p in ps:
                if p.role == "metadata":
                    m = _META_KEY.match(p.text)
                    if m and m.group(2):
                        found.setdefault(meta_key(m.group(1)), p)
            out.append(found)
        return out


def _group_paragraphs(doc_ids: list[str], paragraphs: pd.DataFrame) -> list[list[Para]]:
    """Paragraph rows grouped per document (in ``doc_ids`` order), sorted by idx."""
    groups: dict[str, list[Para]] = {d: [] for d in doc_ids}
    if len(paragraphs) == 0:
        return [groups[d] for d in doc_ids]
    n = len(paragraphs)
    raw = paragraphs["repeat_of"].tolist() if "repeat_of" in paragraphs.columns else [None] * n
    repeat = [int(r) if r is not None and present(r) else None for r in raw]
    rows = zip(
        paragraphs["doc_id"].astype(str).tolist(),
        paragraphs["idx"].tolist(),
        paragraphs["line"].tolist(),
        paragraphs["role"].tolist(),
        paragraphs["reason"].tolist(),
        paragraphs["text"].tolist(),
        repeat,
        strict=True,
    )
    unsorted = False
    for doc_id, idx, line, role, reason, text, rep in rows:
        group = groups.get(doc_id)
        if group is None:
            continue
        if group and group[-1].idx > idx:
            unsorted = True
        group.append(
            Para(
                int(idx),
                int(line),
                str(role),
                reason if isinstance(reason, str) else "",
                text if isinstance(text, str) else "",
                rep,
            )
        )
    if unsorted:
        for group in groups.values():
            group.sort(key=lambda p: p.idx)
    return [groups[d] for d in doc_ids]
