"""One reader per input format, each turning a file into document records.

A record is a dict with the keys of ``model.DOCUMENT_COLUMNS``. Readers never
raise for bad content: an unreadable file or line becomes a record with
``read_error`` set, so the run goes on and nothing is dropped.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, ClassVar, cast

from audit.ingest.columns import ColumnMap
from audit.ingest.decode import decode_bytes
from audit.ingest.discover import InputFile

Record = dict[str, Any]


def open_bytes(path: Path) -> bytes:
    """Read a file, decompressing gzip."""
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def open_stream(path: Path) -> IO[bytes]:
    """Open a file for streaming reads, decompressing gzip."""
    fh: IO[bytes] = path.open("rb")
    if path.suffix == ".gz" or fh.read(2) == b"\x1f\x8b":
        fh.close()
        return cast(IO[bytes], gzip.open(path, "rb"))
    fh.seek(0)
    return fh


def streamable_encoding(path: Path) -> str | None:
    """``utf-8`` (or ``utf-8-sig``) when the whole file is UTF-8 text without NUL bytes.

    Checked in one pass over the bytes, without holding the file in memory, so that a
    large table can then be read line by line. None when the file is anything else
    (empty, unreadable, another encoding): the caller reads it whole instead.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open_stream(path) as fh:
            block = fh.read(1 << 16)
            if not block or block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return None
            encoding = "utf-8-sig" if block.startswith(codecs.BOM_UTF8) else "utf-8"
            while block:
                if b"\x00" in block:
                    return None
                decoder.decode(block)
                block = fh.read(1 << 20)
            decoder.decode(b"", final=True)
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile):
        return None
    return encoding


def stream_lines(path: Path, encoding: str) -> Iterator[str]:
    """The ``\n``-separated lines of a UTF-8 file, read a line at a time.

    Only ``\n`` ends a line (as in JSON Lines): a U+2028 or a lone ``\r`` inside a
    JSON string does not split it.
    """
    with open_stream(path) as fh:
        for n, raw in enumerate(fh):
            if n == 0 and encoding == "utf-8-sig":
                raw = raw[len(codecs.BOM_UTF8) :]
            yield raw.decode("utf-8", errors="replace").removesuffix("\n").removesuffix("\r")


def format_suffix(path: Path) -> str:
    """The suffix that names the format, looking through ``.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def error_record(file: InputFile, message: str, line: int | None = None, **extra: Any) -> Record:
    """A record for input that could not be read."""
    doc_id = f"{file.rel}:{line}" if line is not None else file.rel
    return {
        "doc_id": doc_id,
        "source": str(file.path),
        "line": line,
        "text": "",
        "meta": {},
        "record": None,
        "read_error": message,
        "problems": [],
        **extra,
    }


class Reader(ABC):
    """Turns one input file into document records."""

    suffixes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, columns: ColumnMap, max_doc_bytes: int) -> None:
        self.columns = columns
        self.max_doc_bytes = max_doc_bytes

    @abstractmethod
    def read(self, file: InputFile) -> Iterator[Record]:
        """Yield the file's documents."""


class TextReader(Reader):
    """A scraped text dump: the whole file is one document."""

    suffixes = (".txt", ".text")

    def read(self, file: InputFile) -> Iterator[Record]:
        """Yield one record for the file."""
        try:
            size = file.path.stat().st_size
            if size > self.max_doc_bytes:
                yield error_record(
                    file,
                    f"document of {size} bytes exceeds max_doc_bytes ({self.max_doc_bytes})",
                    resource_limit=True,
                )
                return
            data = open_bytes(file.path)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            yield error_record(file, f"cannot read file: {_os_reason(exc)}")
            return
        decoded = decode_bytes(data)
        if decoded.error:
            yield error_record(file, decoded.error, encoding=decoded.encoding)
            return
        yield {
            "doc_id": file.rel,
            "source": str(file.path),
            "line": None,
            "text": decoded.text,
            "encoding": decoded.encoding,
            "meta": {},
            "record": None,
            "read_error": None,
            "problems": [],
        }


class TableReader(Reader):
    """Rows of a table: one document per row, mapped through the column map."""

    def _records(
        self, file: InputFile, rows: Iterator[tuple[int, Any]], encoding: str | None
    ) -> Iterator[Record]:
        for line, row in rows:
            if isinstance(row, Exception):
                yield error_record(file, f"{file.path}:{line}: {row}", line=line)
                continue
            if not isinstance(row, Mapping):
                yield error_record(
                    file,
                    f"{file.path}:{line}: record is {type(row).__name__}, not an object",
                    line=line,
                )
                continue
            yield self.columns.to_record(dict(row), file, line, encoding)


class JsonLinesReader(TableReader):
    """JSON Lines: one object per line; a malformed line is a finding on that line."""

    suffixes = (".jsonl", ".ndjson")

    def read(self, file: InputFile) -> Iterator[Record]:
        """Yield one record per non-blank line."""
        encoding = streamable_encoding(file.path)
        if encoding:
            yield from self._records(file, _json_rows(stream_lines(file.path, encoding)), encoding)
            return
        try:
            data = open_bytes(file.path)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            yield error_record(file, f"cannot read file: {_os_reason(exc)}")
            return
        decoded = decode_bytes(data)
        if decoded.error:
            yield error_record(file, decoded.error)
            return
        yield from self._records(file, _json_rows(decoded.text.split("\n")), decoded.encoding)


def _json_rows(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            yield n, json.loads(raw)
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            yield n, ValueError(f"invalid JSON: {reason}")


class CsvReader(TableReader):
    """CSV and TSV with a header row; quoted fields may hold newlines."""

    suffixes = (".csv", ".tsv")

    def read(self, file: InputFile) -> Iterator[Record]:
        """Yield one record per row."""
        encoding = streamable_encoding(file.path)
        if encoding:
            with io.TextIOWrapper(open_stream(file.path), encoding=encoding, newline="") as fh:
                yield from self._read_text(file, fh, encoding)
            return
        try:
            data = open_bytes(file.path)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            yield error_record(file, f"cannot read file: {_os_reason(exc)}")
            return
        decoded = decode_bytes(data)
        if decoded.error:
            yield error_record(file, decoded.error)
            return
        yield from self._read_text(file, io.StringIO(decoded.text, newline=""), decoded.encoding)

    def _read_text(self, file: InputFile, text: IO[str], encoding: str | None) -> Iterator[Record]:
        delimiter = "\t" if format_suffix(file.path) == ".tsv" else ","
        csv.field_size_limit(sys.maxsize)
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            yield error_record(file, "no header row")
            return
        missing = self.columns.missing_text(header)
        if missing:
            yield error_record(file, missing)
            return
        yield from self._records(file, _csv_rows(reader, header), encoding)


def _csv_rows(reader: Any, header: list[str]) -> Iterator[tuple[int, Any]]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, ValueError(f"malformed CSV: {exc}")
            continue
        if not any(row):
            continue
        if len(row) != len(header):
            yield (
                reader.line_num,
                ValueError(f"row has {len(row)} fields, header has {len(header)}"),
            )
            continue
        yield reader.line_num, dict(zip(header, row, strict=True))


class ParquetReader(TableReader):
    """Parquet, read a row group batch at a time."""

    suffixes = (".parquet", ".pq")

    def read(self, file: InputFile) -> Iterator[Record]:
        """Yield one record per row."""
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(file.path)
            missing = self.columns.missing_text(pf.schema_arrow.names)
        except Exception as exc:  # pyarrow raises many types for a broken file
            yield error_record(file, f"not a readable Parquet file: {exc}".splitlines()[0])
            return
        if missing:
            yield error_record(file, missing)
            return
        row = 0
        for batch in pf.iter_batches(batch_size=10_000):
            rows = batch.to_pylist()
            yield from self._records(
                file, ((row + i + 1, r) for i, r in enumerate(rows)), "parquet"
            )
            row += len(rows)


def _os_reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


# HtmlReader subclasses Reader, so it is imported once Reader exists; the package's
# __init__ imports this module first, whichever module a caller imports.
from audit.ingest.html import HtmlReader  # noqa: E402

READERS: tuple[type[Reader], ...] = (
    TextReader,
    JsonLinesReader,
    CsvReader,
    ParquetReader,
    HtmlReader,
)


def reader_for(path: Path) -> type[Reader] | None:
    """The reader class for a file's suffix, or None."""
    suffix = format_suffix(path)
    for cls in READERS:
        if suffix in cls.suffixes:
            return cls
    return None
