"""Ingest: turn the paths a user gave into chunks of document records.

Example:
    >>> from audit.config import InputSettings
    >>> chunks = read_chunks(["seeds"], InputSettings())
    >>> [r["doc_id"] for r in next(chunks)][:1]
    ['000_47d7c464364b9f17.txt']
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import closing

from audit.config import InputSettings
from audit.ingest.columns import ColumnMap
from audit.ingest.discover import InputFile, discover, display_name
from audit.ingest.readers import Record, TextReader, error_record, format_suffix, reader_for

__all__ = ["Record", "iter_records", "read_chunks"]


def iter_records(paths: Sequence[str], settings: InputSettings) -> Iterator[Record]:
    """Every document record of every input, in a stable order, ids made unique.

    A file that holds no document (a table with only a header or blank lines)
    yields one record saying so. Past ``settings.max_documents`` nothing more is
    read: the rest of the file being read, and each later file, become one
    ``resource_limit`` record each.
    """
    columns = ColumnMap(settings.columns, settings.html)
    seen: dict[str, int] = {}
    count = 0
    limit = settings.max_documents
    for file in discover(tuple(paths), settings.include, settings.exclude):
        if limit and count >= limit:
            count += 1
            message = file.error or f"max_documents ({limit}) reached: file not read"
            yield _unique(error_record(file, message, resource_limit=not file.error), seen)
            continue
        before = count
        with closing(_read_file(file, columns, settings)) as records:
            for record in records:
                count += 1
                if limit and count > limit:
                    line = record.get("line")
                    where = f" from line {line} on" if line is not None else ""
                    message = (
                        f"max_documents ({limit}) reached: the rest of the file{where} not read"
                    )
                    yield _unique(error_record(file, message, line, resource_limit=True), seen)
                    break
                yield _unique(record, seen)
        if count == before:  # a table with a header or blank lines only: say so
            count += 1
            yield _unique(error_record(file, "no documents in the file"), seen)


def _unique(record: Record, seen: dict[str, int]) -> Record:
    """Suffix ``#n`` to an id used before, and say so in the record's problems."""
    doc_id = record["doc_id"]
    if doc_id in seen:
        n = seen[doc_id] + 1
        while f"{doc_id}#{n}" in seen:  # "x#2" may itself be an id given in the input
            n += 1
        seen[doc_id] = n
        record["problems"] = [
            *record.get("problems", []),
            f"id '{doc_id}' already used by an earlier document",
        ]
        record["meta"] = {**(record.get("meta") or {}), "input_id": doc_id}
        record["doc_id"] = f"{doc_id}#{n}"
    seen.setdefault(record["doc_id"], 1)
    return record


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


def _read_file(
    file: InputFile, columns: ColumnMap, settings: InputSettings
) -> Generator[Record, None, None]:
    if file.error:
        yield error_record(file, file.error)
        return
    cls = reader_for(file.path)
    if cls is None:
        if file.rel == display_name(file.path.name) and format_suffix(file.path) == "":
            cls = TextReader  # a file named explicitly with no suffix: read it as text
        else:
            suffix = format_suffix(file.path) or "(none)"
            yield error_record(
                file, f"unsupported file type {suffix} (use --exclude to skip such files)"
            )
            return
    yield from cls(columns, settings.max_doc_bytes).read(file)
