"""The results documents of a run, kept as their JSON lines until a writer reads them."""

from __future__ import annotations

import bisect
import os
import tempfile
import weakref
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from audit.report.files import dumps_line, loads_line


class EncodedDocuments(Sequence[dict[str, Any]]):
    """``results["documents"]`` of a run, one JSON line per document instead of a dict.

    A document with its findings' evidence costs several kilobytes as Python dicts,
    lists and strings; as its JSON line, the size of the line. Reading a position
    decodes a fresh dict (changing it changes nothing here), so the writers can walk
    a million documents one at a time, and the line itself goes into results.json
    without being encoded again (:meth:`line`).

    Args:
        documents: the results documents, encoded one by one as they come.

    Example:
        >>> docs = EncodedDocuments([{"doc_id": "a", "findings": []}])
        >>> docs[0]["doc_id"], len(docs), docs.line(0)
        ('a', 1, '{"doc_id":"a","findings":[]}')
    """

    def __init__(self, documents: Iterable[dict[str, Any]] = ()) -> None:
        self._lines: Sequence[str] = [dumps_line(doc) for doc in documents]
        self._wrap: Callable[[dict[str, Any], int], dict[str, Any]] | None = None
        self.listing: Listing | None = None

    @classmethod
    def of_lines(
        cls,
        lines: Iterable[str],
        folder: str | Path | None = None,
        listing: Listing | None = None,
    ) -> EncodedDocuments:
        """Documents already encoded, one line of JSON (:func:`dumps_line`) each.

        With ``folder`` the lines are kept in a :class:`LineFile` there instead of
        in memory. ``listing``, filled as the lines are made, is kept as
        :attr:`listing`.
        """
        out = cls()
        out._lines = list(lines) if folder is None else LineFile(lines, folder)
        out.listing = listing
        return out

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        doc = self.decoded(i)
        return doc if self._wrap is None else self._wrap(doc, i)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i, line in enumerate(self._lines):  # in order: a line file is read in blocks
            doc = _loads(line)
            yield doc if self._wrap is None else self._wrap(doc, i)

    def lines(self) -> Iterator[str]:
        """Every document's line, in order."""
        return iter(self._lines)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def decoded(self, i: int) -> dict[str, Any]:
        """The document at position ``i`` as a plain dict (no lazy paragraphs)."""
        return _loads(self._lines[i])

    def line(self, i: int) -> str:
        """The document at position ``i`` as written: one line of JSON."""
        return self._lines[i]

    def wrap(self, fn: Callable[[dict[str, Any], int], dict[str, Any]]) -> None:
        """Pass every document read by position through ``fn(doc, position)`` (e.g. to
        let it load its paragraphs on demand)."""
        self._wrap = fn


class Listing:
    """Per document, its id, verdict and findings' (check, severity): what the text
    listing and the summary of a run read, kept so that they need not decode every
    document's line again.

    Twelve bytes a document (a reference to its id, which is the documents table's
    own string, and a 4-byte number); each distinct verdict with its findings is held
    once, with the checks the listing shows.

    Example:
        >>> listing = Listing()
        >>> listing.add("a", "quarantine", [("garbled_text", "error"), ("language", "info")])
        >>> list(listing)
        [('quarantine', 'a', 'garbled_text')]
        >>> listing.tally()
        (Counter({'quarantine': 1}), {'garbled_text': Counter({'error': 1}), \
'language': Counter({'info': 1})})
    """

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._codes = array("I")  # per document: the number of its (verdict, findings)
        self._kinds: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}

    def add(self, doc_id: str, verdict: str, findings: Iterable[tuple[str, str]]) -> None:
        """The next document: its id, verdict and each finding's (check, severity)."""
        key = (verdict, tuple(sorted(findings)))
        self._ids.append(doc_id)
        self._codes.append(self._kinds.setdefault(key, len(self._kinds)))

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        """(verdict, id, the checks of its errors and warnings, sorted and comma-separated)."""
        shown = [
            (verdict, ", ".join(sorted({c for c, s in found if s != "info"})))
            for verdict, found in self._kinds
        ]
        for doc_id, code in zip(self._ids, self._codes, strict=True):
            verdict, checks = shown[code]
            yield verdict, doc_id, checks

    def tally(self) -> tuple[Counter[str], dict[str, Counter[str]]]:
        """Documents per verdict, and findings per check and severity."""
        verdicts: Counter[str] = Counter()
        by_check: dict[str, Counter[str]] = {}
        kinds = list(self._kinds)
        for code, n in sorted(Counter(self._codes).items()):
            verdict, found = kinds[code]
            verdicts[verdict] += n
            for check, severity in found:
                by_check.setdefault(check, Counter())[severity] += n
        return verdicts, by_check

    def positions(self, verdict: str) -> Iterator[int]:
        """The positions of the documents with ``verdict``, in order."""
        wanted = {code for (v, _), code in self._kinds.items() if v == verdict}
        return (i for i, code in enumerate(self._codes) if code in wanted)


class LineFile(Sequence[str]):
    """Lines of text in an unnamed temporary file, read back by position or in order.

    The file has no name from the start (it goes when the object does), so the
    lines stay readable after the folder that held it is cleaned up, and a million
    results lines cost eight bytes each in memory instead of their size.

    Args:
        lines: the lines (without their newlines), written as they come.
        folder: where the file's data goes (the disk the run writes to anyway).

    Example:
        >>> kept = LineFile(["a", "é", "c"])
        >>> kept[1], list(kept), len(kept)
        ('é', ['a', 'é', 'c'], 3)
    """

    _BLOCK = 1 << 22  # bytes read at a time when going through in order

    def __init__(self, lines: Iterable[str], folder: str | Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (lives as long as self)
        weakref.finalize(self, self._file.close)
        self._offsets = array("q", [0])
        end = 0
        pending: list[bytes] = []
        size = 0
        for line in lines:
            data = line.encode("utf-8", "surrogatepass")  # any str comes back as it was
            end += len(data)
            self._offsets.append(end)
            pending.append(data)
            size += len(data)
            if size >= self._BLOCK:
                self._file.write(b"".join(pending))
                pending.clear()
                size = 0
        self._file.write(b"".join(pending))
        self._file.flush()

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        start, end = self._offsets[i], self._offsets[i + 1]
        return self._read(start, end).decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        offsets, n, i = self._offsets, len(self), 0
        while i < n:
            # as many whole lines as fit in a block, at least one
            j = max(bisect.bisect_right(offsets, offsets[i] + self._BLOCK, i + 1) - 1, i + 1)
            base = offsets[i]
            blob = self._read(base, offsets[j])
            for k in range(i, j):
                line = blob[offsets[k] - base : offsets[k + 1] - base]
                yield line.decode("utf-8", "surrogatepass")
            i = j

    def _read(self, start: int, end: int) -> bytes:
        return os.pread(self._file.fileno(), end - start, start)


def bare_documents(docs: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The documents in order, each decoded once and plain: encoded documents without
    the wrapper that loads their paragraphs, others as they are."""
    if isinstance(docs, EncodedDocuments):
        return map(_loads, docs.lines())
    return iter(docs)


def with_key(line: str, key: str, value: Any) -> str:
    """The JSON object ``line`` with ``key: value`` added at its end.

    Example:
        >>> with_key('{"a":1}', "b", [2])
        '{"a":1,"b":[2]}'
    """
    return with_raw_key(line, key, dumps_line(value))


def with_raw_key(line: str, key: str, raw: str) -> str:
    """The JSON object ``line`` with ``key`` added at its end, its value ``raw`` JSON text."""
    head = line.rstrip()[:-1]
    sep = "," if head.rstrip() != "{" else ""
    return f"{head}{sep}{dumps_line(key)}:{raw}}}"


def _loads(line: str) -> dict[str, Any]:
    return dict(loads_line(line))
