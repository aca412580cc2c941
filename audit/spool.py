"""Streaming: keep compact per-document data in memory, spill the heavy columns to disk.

After the per-chunk stages, a document's text, original record, metadata and
evidence dicts, body text and body paragraphs (and its paragraphs' texts) are
needed again only to write the outputs, and by a global stage only for the
documents it compares or shows evidence of. :func:`pack` splits a processed chunk
where it was processed (in a worker): the compact tables stay tables, each heavy
column becomes one encoded blob, the signatures one matrix. :class:`Spool`
appends them, in input order, to one file per column in a temporary folder, and
keeps only the values' offsets (8 bytes per document and column). It reads them
back in order when the run folder is written, or one document at a time
(``pread``, no memory map, so the pages read do not stay in the process) for a
global stage: ``spool.column("text")[i]`` is the text of the document in row
``i`` of the documents table.

Paragraph texts are not stored: a paragraph is ``text[start:end]`` of its document
(checked when packing; a document whose paragraphs are not keeps them stored).

Example:
    >>> import tempfile
    >>> from audit.model import Chunk
    >>> chunk = Chunk.from_records([{"doc_id": "a", "text": "Hello."}])
    >>> with Spool(tempfile.mkdtemp()) as spool:
    ...     compact = spool.add(pack(chunk))
    ...     "text" in compact.documents.columns, spool.column("text")[0]
    (False, 'Hello.')
"""

from __future__ import annotations

import itertools
import math
import os
import pickle
import shutil
import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterator, MutableSequence, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.model import Chunk
from audit.progress import take_times, timed
from audit.report.documents import EncodedDocuments
from audit.report.results import PARAGRAPH_FIELDS, _plain

# Columns of the documents table spilled to disk; the rest stays in memory. The
# evidence (nested dicts, kilobytes per document) is read back only for the
# documents a failed expectation names.
HEAVY_DOCUMENT_COLUMNS: tuple[str, ...] = (
    "text",
    "record",
    "meta",
    "evidence",
    "body_text",  # the dedup stage's offset-preserving body text
    "body_paragraphs",  # and its body paragraphs' (idx, start, end, digest)
    "garble_spans",  # the garble spans, already the garbled_text finding's evidence
)
# Columns of one equal-length array per document (MinHash signatures), spilled as one
# matrix and read back whole by the stage that needs them (``spool.matrix(name)``).
MATRIX_COLUMNS: tuple[str, ...] = ("signature",)
# Spilled too, to check that the outputs stay in step with the documents table.
_ID = "doc_id"
# Per document: its paragraphs' texts when they are not slices of its text, else None.
_PARAGRAPH_TEXTS = "paragraph_texts"
_BLOCK = 65_536  # paragraphs converted to Python values at a time when writing
# Paragraph columns of a few distinct strings, kept as categories (see Corpus.concat).
CATEGORY_COLUMNS: tuple[str, ...] = ("role", "reason")


class _DocumentText:
    """Stands in a spilled record for the value that is the document's text itself."""


@dataclass(slots=True)
class Packed:
    """A processed chunk split for the trip back to the driver."""

    chunk: Chunk  # compact tables and the findings
    n_documents: int
    blobs: dict[str, tuple[bytes, np.ndarray]]  # column -> (encoded values, their lengths)
    paragraphs: np.ndarray  # how many paragraph rows each document has, in order
    matrices: dict[str, np.ndarray] = field(default_factory=dict)  # column -> n x k array
    times: dict[str, float] = field(default_factory=dict)  # per-chunk stage -> seconds


def pack(chunk: Chunk) -> Packed:
    """Split ``chunk`` into its compact tables and the encoded heavy columns."""
    docs = chunk.documents
    heavy = [c for c in HEAVY_DOCUMENT_COLUMNS if c in docs.columns]
    matrices: dict[str, np.ndarray] = {}
    for c in MATRIX_COLUMNS:
        m = _matrix(docs[c]) if c in docs.columns else None
        if m is not None:
            matrices[c] = m
    heavy += list(matrices)
    values = {c: docs[c].tolist() for c in (_ID, *heavy) if c not in matrices}
    paras = chunk.paragraphs
    owner = pd.Index(values[_ID]).get_indexer(paras["doc_id"]).astype(np.int64)
    if (owner < 0).any():
        raise ValueError("paragraphs of a document that is not in the chunk")
    if len(owner) and (np.diff(owner) < 0).any():  # a stage reordered them: group by document
        order = np.argsort(owner, kind="stable")
        paras, owner = paras.iloc[order].reset_index(drop=True), owner[order]
    texts = [t if isinstance(t, str) else "" for t in values.get("text") or [""] * len(docs)]
    if "record" in values:
        values["record"] = [_strip_text(r, t) for r, t in zip(values["record"], texts, strict=True)]
    values[_PARAGRAPH_TEXTS] = _paragraph_texts(owner, texts, paras)
    blobs = {c: _encode_all(v) for c, v in values.items()}
    # Copies, not views: a view of the documents table would keep its heavy columns alive.
    compact = Chunk(
        documents=_share_repeats(docs.drop(columns=heavy).copy(deep=True)),
        paragraphs=_compact_paragraphs(paras),
        findings=chunk.findings,
    )
    counts = np.bincount(owner, minlength=len(docs)).astype(np.int64)
    return Packed(compact, len(docs), blobs, counts, matrices)


def _share_repeats(docs: pd.DataFrame) -> pd.DataFrame:
    """The table with equal values of an object column made one object, in place.

    A chunk's documents repeat many values (the file name, outlets, dates, word
    counts, empty lists); one object each, they travel to the driver once per chunk
    (pickle keeps one copy of an object) and are held once there, instead of once
    per document. Columns whose first values are all different are left alone.
    """
    for column in docs.columns:
        if docs[column].dtype != object:
            continue
        values = docs[column].tolist()
        sample = [_share_key(v) for v in values[:_SAMPLE]]
        if len(sample) < 2 or len(set(sample)) == len(sample):
            continue
        kinds = set(map(type, values))
        if kinds <= _SINGLETONS:
            continue
        seen: dict[Any, Any] = {}
        if any(kinds <= plain for plain in _PLAIN_KEYS):  # one kind of value: its own key
            shared = [seen.setdefault(v, v) for v in values]
        else:
            shared = [seen.setdefault(_share_key(v), v) for v in values]
        docs[column] = pd.Series(shared, index=docs.index, dtype=object)
    return docs


_SAMPLE = 64
_SINGLETONS = frozenset({bool, type(None)})
_PLAIN_KEYS = (frozenset({str, type(None)}), frozenset({int, type(None)}))
_EMPTY_LIST = ("list", None)


def _share_key(value: Any) -> Any:
    """What makes two values one object: the same exact type (1, 1.0 and True differ)
    and value, for strings, integers, floats (with their sign: 0.0 == -0.0) and the
    empty list; any other value stands for itself."""
    kind = type(value)
    if kind is str or kind is int:
        return (kind, value)
    if kind is float:
        return (float, value, math.copysign(1.0, value))
    if kind is list and not value:
        return _EMPTY_LIST
    return id(value)


def _compact_paragraphs(paras: pd.DataFrame) -> pd.DataFrame:
    """The paragraph columns the batch-wide stages and the outputs read (a copy), with
    line numbers and offsets as 32-bit integers and roles and reasons as categories (a
    byte per row instead of a string): no text, no per-chunk working columns."""
    keep = [c for c in ("doc_id", *PARAGRAPH_FIELDS) if c in paras.columns and c != "text"]
    out = paras[keep].copy(deep=True)
    for c in CATEGORY_COLUMNS:
        if c in out.columns and (isinstance(out[c].dtype, pd.StringDtype) or out.empty):
            out[c] = out[c].astype("category")
    for c in ("idx", "line", "start", "end"):
        if c in out.columns and out[c].dtype.kind == "i" and len(out):
            lo, hi = out[c].min(), out[c].max()
            if lo >= -(2**31) and hi < 2**31:
                out[c] = out[c].astype(np.int32)
    return out


def process_packed(item: Any, ctx: tuple[Callable[[Any, Any], Chunk], Any]) -> Packed:
    """Run the per-chunk function ``ctx[0]`` on ``item`` with settings ``ctx[1]``, then pack.

    This is what an engine maps, so that the split happens in the worker.
    """
    fn, settings = ctx
    take_times()
    chunk = fn(item, settings)
    with timed("pack"):
        packed = pack(chunk)
    packed.times = take_times()
    return packed


class SpooledColumn(Sequence[Any]):
    """One spilled column: values by document position, or all of them in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = path.open("wb")
        self._offsets = array("q", [0])
        self._fd: int | None = None

    def append(self, blob: bytes, lengths: np.ndarray) -> None:
        """Add a chunk's encoded values."""
        self._out.write(blob)
        ends = np.cumsum(lengths, dtype=np.int64) + self._offsets[-1]
        self._offsets.frombytes(ends.astype("<i8").tobytes())

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: Any) -> Any:
        if not isinstance(i, int | np.integer):
            raise TypeError("spooled columns are read one position at a time")
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        start, end = self._offsets[i], self._offsets[i + 1]
        return _decode(os.pread(self._reader(), end - start, start))

    def __iter__(self) -> Iterator[Any]:
        self._out.flush()
        with self.path.open("rb", buffering=1 << 20) as fh:
            start = 0
            for end in self._offsets[1:]:
                yield _decode(fh.read(end - start))
                start = end

    def encoded(self, a: int, b: int) -> tuple[bytes, np.ndarray]:
        """The encoded values of positions ``a`` to ``b`` (exclusive) and their lengths."""
        start, end = self._offsets[a], self._offsets[b]
        blob = os.pread(self._reader(), end - start, start) if end > start else b""
        lengths = np.diff(np.frombuffer(self._offsets, dtype=np.int64)[a : b + 1])
        return blob, lengths

    def flush(self) -> None:
        """Write out the buffered values."""
        self._out.flush()

    def close(self) -> None:
        """Close the files (the data stays until the spool folder goes)."""
        self._out.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _reader(self) -> int:
        self._out.flush()
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        return self._fd


class Spool:
    """The heavy columns of every document, on disk, in input order.

    Args:
        folder: a folder the spool owns; :meth:`close` deletes it.
    """

    @classmethod
    def create(cls, out: str | Path | None) -> Spool:
        """A spool in a new hidden folder under ``out`` (the output folder, on the disk the
        run writes to anyway), or under the system temp folder when ``out`` is None."""
        if out is not None:
            Path(out).mkdir(parents=True, exist_ok=True)
        return cls(tempfile.mkdtemp(prefix=".audit-spool-", dir=out))

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._columns: dict[str, SpooledColumn] = {}
        self._paragraph_offsets = array("q", [0])  # document position -> first paragraph row
        self._chunk_starts: list[int] = []  # document position of each chunk's first document
        self._matrices: dict[str, tuple[Any, tuple[int, ...], np.dtype[Any]]] = {}
        self._loaded: dict[str, np.ndarray] = {}
        self.n_documents = 0
        self.bytes = 0
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.folder), True)

    def add(self, packed: Packed) -> Chunk:
        """Append a packed chunk's heavy columns; returns its compact chunk."""
        for name, (blob, lengths) in packed.blobs.items():
            if name not in self._columns:
                if self.n_documents:
                    raise ValueError(f"column {name!r} appeared after the first chunk")
                self._columns[name] = SpooledColumn(self.folder / f"{len(self._columns)}.bin")
            self._columns[name].append(blob, lengths)
            self.bytes += len(blob)
        if self._chunk_starts and set(packed.matrices) != set(self._matrices):
            raise ValueError("a chunk's array columns differ from the first chunk's")
        for name, m in packed.matrices.items():
            if name not in self._matrices:
                out = (self.folder / f"{name}.mat").open("wb")
                self._matrices[name] = (out, m.shape[1:], m.dtype)
            out, shape, dtype = self._matrices[name]
            if m.shape[1:] != shape or m.dtype != dtype:
                raise ValueError(f"column {name!r} changed shape or type between chunks")
            out.write(np.ascontiguousarray(m).tobytes())
            self.bytes += m.nbytes
        ends = np.cumsum(packed.paragraphs, dtype=np.int64) + self._paragraph_offsets[-1]
        self._paragraph_offsets.frombytes(ends.astype("<i8").tobytes())
        self._chunk_starts.append(self.n_documents)
        self.n_documents += packed.n_documents
        return packed.chunk

    @property
    def columns(self) -> list[str]:
        """The spilled document columns."""
        return [c for c in self._columns if c not in (_ID, _PARAGRAPH_TEXTS)]

    def has_matrix(self, name: str) -> bool:
        """Whether ``name`` was spilled as a matrix."""
        return name in self._matrices

    def matrix(self, name: str) -> np.ndarray:
        """A matrix column, ``n_documents x k``, read once and shared by its callers."""
        if name not in self._loaded:
            out, shape, dtype = self._matrices[name]
            out.flush()
            data = np.fromfile(self.folder / f"{name}.mat", dtype=dtype)
            self._loaded[name] = data.reshape(self.n_documents, *shape)
        return self._loaded[name]

    def unload(self, name: str) -> None:
        """Let go of a matrix read by :meth:`matrix`; the next call reads it again."""
        self._loaded.pop(name, None)

    def texts(self, name: str) -> TextView:
        """A spilled text column as strings by position, replaceable in memory."""
        return TextView(self._columns[name])

    def get(self, name: str) -> SpooledColumn | None:
        """A spilled column, or None when no chunk had it."""
        return self._columns.get(name)

    def column(self, name: str) -> SpooledColumn:
        """A spilled column by document position (``record`` values have no text restored:
        use :meth:`row`)."""
        return self._columns[name]

    def row(self, i: int, paragraphs: pd.DataFrame | None = None) -> dict[str, Any]:
        """Every spilled value of the document at position ``i``; with the compact
        ``paragraphs`` table, also its ``paragraphs`` as in :meth:`documents`."""
        row = _restore({name: col[i] for name, col in self._columns.items()})
        stored = row.pop(_PARAGRAPH_TEXTS, None)
        if paragraphs is not None:
            a, b = self._paragraph_offsets[i], self._paragraph_offsets[i + 1]
            cursor = _Paragraphs(paragraphs.iloc[a:b])
            row["paragraphs"] = cursor.take(b - a, row.get("text") or "", stored)
        return row

    def documents(self, paragraphs: pd.DataFrame | None = None) -> Iterator[dict[str, Any]]:
        """Every document's spilled values, in input order.

        With ``paragraphs`` (the compact paragraphs table, in input order), each
        document also gets ``paragraphs``: its rows as JSON-ready dicts of the fields
        :data:`~audit.report.results.PARAGRAPH_FIELDS` present, texts put back.
        """
        for part in self.parts(paragraphs):
            yield from part.rows()

    def parts(
        self, paragraphs: pd.DataFrame | None = None, columns: Sequence[str] | None = None
    ) -> Iterator[SpoolPart]:
        """The documents a chunk at a time, as self-contained :class:`SpoolPart`; only the
        spilled ``columns`` (and what paragraphs need) are read when given."""
        if paragraphs is not None and len(paragraphs) != self._paragraph_offsets[-1]:
            raise RuntimeError("the paragraphs table does not match the spooled documents")
        keep = None if columns is None else {_ID, _PARAGRAPH_TEXTS, "text", *columns}
        names = [n for n in self._columns if keep is None or n in keep]
        offsets = np.frombuffer(self._paragraph_offsets, dtype=np.int64)
        bounds = [*self._chunk_starts, self.n_documents]
        for a, b in itertools.pairwise(bounds):
            blobs = {name: self._columns[name].encoded(a, b) for name in names}
            counts = np.diff(offsets[a : b + 1])
            part = None if paragraphs is None else paragraphs.iloc[offsets[a] : offsets[b]]
            yield SpoolPart(a, b - a, blobs, counts, part)

    def lazy_paragraphs(
        self,
        documents: MutableSequence[dict[str, Any]] | EncodedDocuments,
        paragraphs: pd.DataFrame,
    ) -> None:
        """Let each results document (in input order) load its ``paragraphs`` when asked.

        The documents become :class:`SpooledDocument` (in place in a list, as they are
        read from :class:`EncodedDocuments`): ``doc.get("paragraphs")`` or
        ``doc["paragraphs"]`` reads them from the spool while it is open, so a writer
        that shows a few documents in full (the HTML report) gets their text without
        the run holding every document's paragraphs.
        """
        if isinstance(documents, EncodedDocuments):
            documents.wrap(lambda doc, i: SpooledDocument(doc, self, paragraphs, i))
            return
        for i, doc in enumerate(documents):
            documents[i] = SpooledDocument(doc, self, paragraphs, i)

    @property
    def is_open(self) -> bool:
        """Whether the spool's files are still there."""
        return self._cleanup.alive

    def flush(self) -> None:
        """Write out what the spool holds in its buffers: a forked process that reads the
        spool would otherwise flush the same buffered bytes a second time."""
        for col in self._columns.values():
            col.flush()
        for out, _, _ in self._matrices.values():
            out.flush()

    def close(self) -> None:
        """Close and delete the spool folder."""
        for col in self._columns.values():
            col.close()
        for out, _, _ in self._matrices.values():
            out.close()
        self._loaded.clear()
        self._cleanup()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TextView(MutableSequence[str]):
    """A spilled text column by position: strings (``""`` for a missing value), read
    from disk on access; an assigned value is kept in memory instead."""

    def __init__(self, column: SpooledColumn) -> None:
        self.column = column
        self.changed: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.column)

    def __getitem__(self, i: Any) -> Any:
        if not isinstance(i, int | np.integer):
            raise TypeError("text views are read one position at a time")
        i = int(i)
        if i in self.changed:
            return self.changed[i]
        value = self.column[i]
        return value if isinstance(value, str) else ""

    def __setitem__(self, i: Any, value: Any) -> None:
        self.changed[int(i)] = value

    def __delitem__(self, i: Any) -> None:
        raise TypeError("text views cannot shrink")

    def insert(self, index: int, value: str) -> None:
        """Not supported: a text view has one value per document."""
        raise TypeError("text views cannot grow")


@dataclass(slots=True)
class SpoolPart:
    """The spilled values of a run of documents, with their compact paragraph rows."""

    start: int  # position of the first document
    n_documents: int
    blobs: dict[str, tuple[bytes, np.ndarray]]
    paragraph_counts: np.ndarray
    paragraphs: pd.DataFrame | None

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each document's spilled values (and ``paragraphs`` when the part has them)."""
        names = list(self.blobs)
        decoded = [_decode_all(*self.blobs[n]) for n in names]
        cursor = _Paragraphs(self.paragraphs) if self.paragraphs is not None else None
        for i, values in enumerate(zip(*decoded, strict=True)):
            row = _restore(dict(zip(names, values, strict=True)))
            stored = row.pop(_PARAGRAPH_TEXTS, None)
            if cursor is not None:
                text = row.get("text") or ""
                row["paragraphs"] = cursor.take(int(self.paragraph_counts[i]), text, stored)
            yield row


class _Paragraphs:
    """Walks the compact paragraphs table in step with the documents, a block at a time."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self.fields = [f for f in PARAGRAPH_FIELDS if f in table.columns or f == "text"]
        self.pos = 0  # next row of the table
        self.block_start = 0
        self.block_len = 0
        self.rows: list[tuple[Any, ...]] = []  # the block's rows, None in the text's place

    def take(self, count: int, text: str, stored: list[str] | None) -> list[dict[str, Any]]:
        """The next ``count`` rows, as dicts, texts sliced from ``text`` (or ``stored``)."""
        out: list[dict[str, Any]] = []
        fields = self.fields
        for k in range(count):
            i = self.pos - self.block_start
            if i >= self.block_len:
                self._load()
                i = 0
            row = dict(zip(fields, self.rows[i], strict=True))
            if stored is not None:
                row["text"] = stored[k]  # keeps the key's place among the fields
            else:
                row["text"] = text[row["start"] : row["end"]]
            out.append(row)
            self.pos += 1
        return out

    def _load(self) -> None:
        part = self.table.iloc[self.pos : self.pos + _BLOCK]
        self.block_start = self.pos
        self.block_len = n = len(part)
        columns = [
            _plain_column(part[f]) if f != "text" and f in part.columns else [None] * n
            for f in self.fields
        ]
        self.rows = list(zip(*columns, strict=True))


class SpooledDocument(dict[str, Any]):
    """A results document whose ``paragraphs`` are read from the spool on first use."""

    __slots__ = ("_source",)

    def __init__(
        self, doc: dict[str, Any], spool: Spool, paragraphs: pd.DataFrame, position: int
    ) -> None:
        super().__init__(doc)
        self._source: tuple[Spool, pd.DataFrame, int] | None = (spool, paragraphs, position)

    def _load(self) -> None:
        if self._source is None or "paragraphs" in self.keys():
            return
        spool, paragraphs, position = self._source
        self._source = None
        if spool.is_open:
            self["paragraphs"] = spool.row(position, paragraphs)["paragraphs"]

    def __getitem__(self, key: str) -> Any:
        if key == "paragraphs":
            self._load()
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        """``dict.get``, loading the paragraphs when they are asked for."""
        if key == "paragraphs":
            self._load()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if key == "paragraphs":
            self._load()
        return super().__contains__(key)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (sent to another process) as the plain dict it holds."""
        return (dict, (dict(self),))


def _encode(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    return b"p" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(data: bytes | memoryview) -> Any:
    if not data:
        return None
    if data[0] == ord("s"):
        return str(data[1:], "utf-8", "surrogatepass")
    return pickle.loads(data[1:])


def _decode_all(blob: bytes, lengths: np.ndarray) -> list[Any]:
    view = memoryview(blob)
    out = []
    start = 0
    for n in lengths.tolist():
        out.append(_decode(view[start : start + n]))
        start += n
    return out


def _encode_all(values: list[Any]) -> tuple[bytes, np.ndarray]:
    encoded = [_encode(v) for v in values]
    return b"".join(encoded), np.fromiter((len(e) for e in encoded), np.int64, len(encoded))


def _matrix(column: pd.Series) -> np.ndarray | None:
    """The column as one ``n x k`` array when every value is a 1-D array of one shape."""
    values = column.tolist()
    first = values[0] if values else None
    if not isinstance(first, np.ndarray) or first.ndim != 1:
        return None
    if not all(
        isinstance(v, np.ndarray) and v.shape == first.shape and v.dtype == first.dtype
        for v in values
    ):
        return None
    return np.stack(values)


def _strip_text(record: Any, text: str) -> Any:
    """The record with its copy of the document text replaced by a marker."""
    if not text or not isinstance(record, dict):
        return record
    try:
        found = text in record.values()
    except (ValueError, TypeError):  # a value whose == is not a bool (an array)
        found = any(isinstance(v, str) and v == text for v in record.values())
    if not found:
        return record
    return {
        k: _DocumentText() if isinstance(v, str) and v == text else v for k, v in record.items()
    }


def _restore(row: dict[str, Any]) -> dict[str, Any]:
    record = row.get("record")
    if isinstance(record, dict) and any(isinstance(v, _DocumentText) for v in record.values()):
        text = row.get("text") or ""
        row["record"] = {k: text if isinstance(v, _DocumentText) else v for k, v in record.items()}
    return row


def _paragraph_texts(owner: np.ndarray, texts: list[str], paras: pd.DataFrame) -> list[Any]:
    """Per document, its paragraphs' texts when some is not ``text[start:end]``, else None."""
    out: list[Any] = [None] * len(texts)
    if not len(paras) or "text" not in paras.columns:
        return out
    owners = owner.tolist()
    ptexts = paras["text"].tolist()
    odd: set[int] = set()
    offsets = [paras[c] for c in ("start", "end") if c in paras.columns]
    if len(offsets) == 2 and all(pd.api.types.is_integer_dtype(c.dtype) for c in offsets):
        starts, ends = offsets[0].tolist(), offsets[1].tolist()
        for i, start, end, ptext in zip(owners, starts, ends, ptexts, strict=True):
            if texts[i][start:end] != ptext:
                odd.add(i)
    else:
        odd = set(owners)
    for i, ptext in zip(owners, ptexts, strict=True):
        if i in odd:
            if out[i] is None:
                out[i] = []
            out[i].append(ptext)
    return out


def _plain_column(column: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values, missing values as None."""
    dtype = column.dtype
    if len(column) < 256:  # one document's rows: per value is faster than vectorized
        return [_plain(v) for v in column.tolist()]
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return list(column.tolist())
    values = column.astype(object).where(column.notna(), None).tolist()
    if isinstance(dtype, pd.StringDtype | pd.CategoricalDtype):
        return list(values)
    return [_plain(v) for v in values]
