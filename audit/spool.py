"""Streaming: keep compact per-document data in memory, spill the heavy columns to disk.

After the per-chunk stages, a chunk's document texts, original records, metadata
dicts and paragraph texts are only needed again to write the outputs (and, for a
few documents, by a global stage that shows evidence). :func:`pack` splits a
processed chunk where it was processed (in a worker): the compact tables stay
tables, the heavy columns become one pickled blob. :class:`Spool` writes the blobs
to a temporary folder in input order and streams them back when the run folder is
written, so the driver's memory grows with the number of documents only through
the compact tables.

Example:
    >>> import tempfile
    >>> from audit.model import Chunk
from audit.progress import take_chunk_times, timed
from audit.report.results import PARAGRAPH_FIELDS, _plain
    >>> chunk = Chunk.from_records([{"doc_id": "a", "text": "Hello."}])
    >>> with Spool(tempfile.mkdtemp()) as spool:
    ...     compact = spool.add(pack(chunk))
    ...     [d["text"] for d in spool.documents()]
    ['Hello.']
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from audit.model import Chunk
from audit.progress import take_chunk_times, timed
from audit.report.results import PARAGRAPH_FIELDS, _plain

# Columns of the documents table that only the outputs need; spilled to disk.
HEAVY_DOCUMENT_COLUMNS: tuple[str, ...] = ("text", "record", "meta")
# Columns of the paragraphs table spilled to disk (the rest stays in memory).
HEAVY_PARAGRAPH_COLUMNS: tuple[str, ...] = ("text",)


@dataclass(slots=True)
class Packed:
    """A processed chunk split for the trip back to the driver."""

    chunk: Chunk  # compact tables and the findings
    heavy: bytes  # the spilled columns, pickled
    n_documents: int
    times: dict[str, float] = field(default_factory=dict)  # per-chunk stage -> seconds


def pack(chunk: Chunk) -> Packed:
    """Split ``chunk`` into its compact tables and a blob of its heavy columns."""
    docs = chunk.documents
    paras = chunk.paragraphs
    heavy = {
        "doc_id": list(docs["doc_id"]),
        "documents": {c: list(docs[c]) for c in HEAVY_DOCUMENT_COLUMNS if c in docs.columns},
        "para_doc_id": list(paras["doc_id"]),
        "paragraphs": {c: list(paras[c]) for c in HEAVY_PARAGRAPH_COLUMNS if c in paras.columns},
    }
    compact = Chunk(
        documents=docs.drop(columns=[c for c in HEAVY_DOCUMENT_COLUMNS if c in docs.columns]),
        paragraphs=paras.drop(columns=[c for c in HEAVY_PARAGRAPH_COLUMNS if c in paras.columns]),
        findings=chunk.findings,
    )
    blob = pickle.dumps(heavy, protocol=pickle.HIGHEST_PROTOCOL)
    return Packed(compact, blob, len(docs))


def process_packed(item: Any, ctx: tuple[Callable[[Any, Any], Chunk], Any]) -> Packed:
    """Run the per-chunk function ``ctx[0]`` on ``item`` with settings ``ctx[1]``, then pack.

    This is what an engine maps, so that the split happens in the worker.
    """
    fn, settings = ctx
    take_chunk_times()
    chunk = fn(item, settings)
    with timed("pack"):
        packed = pack(chunk)
    packed.times = take_chunk_times()
    return packed


class Spool:
    """The heavy columns of every chunk, on disk, in input order.

    Args:
        folder: an empty folder the spool owns; it is deleted by :meth:`close`.
    """

    @classmethod
    def create(cls, out: str | Path | None) -> Spool:
        """A spool in a new hidden folder under ``out`` (the output folder, on the disk the
        run writes to anyway), or under the system temp folder when ``out`` is None."""
        if out is not None:
            Path(out).mkdir(parents=True, exist_ok=True)
        folder = tempfile.mkdtemp(prefix=".audit-spool-", dir=out)
        spool = cls(folder)
        weakref.finalize(spool, shutil.rmtree, folder, True)
        return spool

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._files: list[Path] = []
        self._first_doc: list[int] = []  # position of each chunk's first document
        self._where: dict[str, int] = {}  # doc_id -> chunk number, built on first fetch
        self.n_documents = 0
        self.bytes = 0

    def add(self, packed: Packed) -> Chunk:
        """Write a packed chunk's heavy columns; returns its compact chunk."""
        path = self.folder / f"chunk-{len(self._files):06d}.pkl"
        path.write_bytes(packed.heavy)
        self._files.append(path)
        self._first_doc.append(self.n_documents)
        self.n_documents += packed.n_documents
        self.bytes += len(packed.heavy)
        return packed.chunk

    def _load(self, n: int) -> dict[str, Any]:
        data: dict[str, Any] = pickle.loads(self._files[n].read_bytes())
        return data

    def documents(self, paragraphs: pd.DataFrame | None = None) -> Iterator[dict[str, Any]]:
        """Every document's spilled values, in input order.

        With ``paragraphs`` (the compact paragraphs table, in input order), each
        document also gets ``paragraphs``: its rows as dicts of the fields
        :data:`PARAGRAPH_FIELDS` present, the spilled text put back.
        """
        offset = 0
        for n in range(len(self._files)):
            data = self._load(n)
            rows = None
            if paragraphs is not None:
                count = len(data["para_doc_id"])
                part = paragraphs.iloc[offset : offset + count]
                offset += count
                if list(part["doc_id"]) != data["para_doc_id"]:
                    raise RuntimeError("the paragraphs table no longer matches the input order")
                rows = _paragraph_dicts(part, data["paragraphs"])
            yield from _rows(data, rows)

    def fetch(self, doc_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The spilled values of some documents (for evidence), reading each chunk once."""
        if not self._where:
            for n in range(len(self._files)):
                for doc_id in self._load(n)["doc_id"]:
                    self._where[doc_id] = n
        wanted = set(doc_ids)
        chunks = sorted({self._where[d] for d in wanted if d in self._where})
        out: dict[str, dict[str, Any]] = {}
        for n in chunks:
            for row in _rows(self._load(n), None):
                if row["doc_id"] in wanted:
                    out[row["doc_id"]] = row
        return out

    def close(self) -> None:
        """Delete the spool folder."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self._files = []

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rows(
    data: dict[str, Any], paragraphs: list[dict[str, Any]] | None
) -> Iterator[dict[str, Any]]:
    """One dict per document of a loaded chunk blob."""
    docs = data["documents"]
    spilled = data["paragraphs"]
    para_ids = data["para_doc_id"]
    p = 0
    for i, doc_id in enumerate(data["doc_id"]):
        q = p
        while q < len(para_ids) and para_ids[q] == doc_id:
            q += 1
        row = {"doc_id": doc_id, **{c: v[i] for c, v in docs.items()}}
        if paragraphs is None:
            row["paragraphs"] = {c: v[p:q] for c, v in spilled.items()}
        else:
            row["paragraphs"] = paragraphs[p:q]
        yield row
        p = q


def _paragraph_dicts(part: pd.DataFrame, spilled: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Rows of the compact paragraphs slice as JSON-ready dicts, spilled columns put back."""
    columns: dict[str, list[Any]] = {}
    for name in PARAGRAPH_FIELDS:
        if name in spilled:
            columns[name] = spilled[name]
        elif name in part.columns:
            columns[name] = _plain_column(part[name])
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _plain_column(column: pd.Series) -> list[Any]:
    """A column as Python values, missing values as None (what ``_plain`` does per value)."""
    dtype = column.dtype
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return list(column.tolist())
    values = column.astype(object).where(column.notna(), None).tolist()
    if isinstance(dtype, pd.StringDtype):
        return list(values)
    return [_plain(v) for v in values]
