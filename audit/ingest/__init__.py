"""Ingest: turn the paths a user gave into chunks of document records.

Example:
    >>> from audit.config import InputSettings
    >>> chunks = read_chunks(["seeds"], InputSettings())
    >>> [r["doc_id"] for r in next(chunks)][:1]
    ['000_47d7c464364b9f17.txt']
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from audit.config import InputSettings
from audit.ingest.columns import ColumnMap
from audit.ingest.discover import InputFile, discover
from audit.ingest.readers import Record, TextReader, error_record, format_suffix, reader_for

__all__ = ["Record", "iter_records", "read_chunks"]


def iter_records(paths: Sequence[str], settings: InputSettings) -> Iterator[Record]:
    """Every document record of every input, in a stable order, ids made unique."""
    columns = ColumnMap(settings.columns, settings.html)
    seen: dict[str, int] = {}
    count = 0
    for file in discover(tuple(paths), settings.include, settings.exclude):
        for record in _read_file(file, columns, settings):
            count += 1
            if settings.max_documents and count > settings.max_documents:
                record = {
                    **error_record(
                        file,
                        f"beyond max_documents ({settings.max_documents}), not read",
                        line=record.get("line"),
                        resource_limit=True,
                    ),
                    "doc_id": record["doc_id"],
                }
            doc_id = record["doc_id"]
            if doc_id in seen:
                seen[doc_id] += 1
                record["problems"] = [
                    *record.get("problems", []),
                    f"id '{doc_id}' already used by an earlier document",
                ]
                record["meta"] = {**(record.get("meta") or {}), "input_id": doc_id}
                record["doc_id"] = f"{doc_id}#{seen[doc_id]}"
            else:
                seen[doc_id] = 1
            yield record


def read_chunks(paths: Sequence[str], settings: InputSettings) -> Iterator[list[Record]]:
    """Records in lists of at most ``settings.chunk_size``."""
    chunk: list[Record] = []
    for record in iter_records(paths, settings):
        chunk.append(record)
        if len(chunk) >= settings.chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _read_file(file: InputFile, columns: ColumnMap, settings: InputSettings) -> Iterator[Record]:
    if file.error:
        yield error_record(file, file.error)
        return
    cls = reader_for(file.path)
    if cls is None:
        if file.rel == file.path.name and format_suffix(file.path) == "":
            cls = TextReader  # a file named explicitly with no suffix: read it as text
        else:
            suffix = format_suffix(file.path) or "(none)"
            yield error_record(
                file, f"unsupported file type {suffix} (use --exclude to skip such files)"
            )
            return
    yield from cls(columns, settings.max_doc_bytes).read(file)
