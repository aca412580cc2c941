"""The results documents of a run, kept as their JSON lines until a writer reads them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
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
        self._lines = [dumps_line(doc) for doc in documents]
        self._wrap: Callable[[dict[str, Any], int], dict[str, Any]] | None = None

    @classmethod
    def of_lines(cls, lines: Iterable[str]) -> EncodedDocuments:
        """Documents already encoded, one line of JSON (:func:`dumps_line`) each."""
        out = cls()
        out._lines = list(lines)
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
        for i in range(len(self._lines)):
            yield self[i]

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
