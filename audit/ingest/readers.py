"""One reader per input format, each turning a file into document records.

A record is a dict with the keys of ``model.DOCUMENT_COLUMNS``. Readers never
raise for bad content: an unreadable file or line becomes a record with
``read_error`` set, so the run goes on and nothing is dropped. A document larger
than ``max_doc_bytes`` (a text file, a JSON line, a table cell) becomes a record
with ``resource_limit`` set, without its text.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import gzip
import io
import json
import math
import re
import sys
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar, cast

import orjson

from audit.ingest.columns import ColumnMap
from audit.ingest.decode import Decoded, _looks_binary, decode_bytes
from audit.ingest.discover import InputFile

Record = dict[str, Any]
Row = tuple[int, int, Any]  # first line, last line, the row (a Mapping, or an Exception)

# Deeper records are refused: later stages (pickling to workers, JSON writers)
# would run out of stack on them.
MAX_JSON_DEPTH = 100
_LONG_CELL = 1_000  # cells longer than this are left out of an oversized row
# What reading a file or inflating gzip may raise.
READ_ERRORS = (OSError, EOFError, gzip.BadGzipFile, zlib.error)


class TooLarge(Exception):
    """Content longer than ``max_doc_bytes``."""

    def __init__(self, size: int | None, limit: int, message: str | None = None) -> None:
        self.size = size
        self.limit = limit
        what = f"{size} bytes" if size is not None else f"more than {limit} bytes"
        super().__init__(message or f"document of {what} exceeds max_doc_bytes ({limit})")


def open_bytes(path: Path, limit: int | None = None) -> bytes:
    """Read a file, decompressing gzip, reading at most ``limit`` bytes of content.

    Raises:
        TooLarge: the (decompressed) content is longer than ``limit``.
        OSError, EOFError, gzip.BadGzipFile, zlib.error: the file cannot be read.
    """
    with path.open("rb") as fh:
        magic = fh.read(2)
        fh.seek(0)
        if path.suffix == ".gz" or magic == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=fh) as gz:
                data = gz.read() if limit is None else gz.read(limit + 1)
        else:
            size = path.stat().st_size
            if limit is not None and size > limit:
                raise TooLarge(size, limit)
            data = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and len(data) > limit:  # never inflated or read past the limit
        raise TooLarge(None, limit)
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
    """``utf-8`` (or ``utf-8-sig``) when the whole file is UTF-8 text, which
    :func:`decode_bytes` would decode as such without stray bytes.

    Checked in one pass over the bytes, without holding the file in memory, so that
    a large table can then be read a line at a time. None when the file is anything
    else (empty, unreadable, binary-looking, another encoding): it is read whole.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open_stream(path) as fh:
            block = fh.read(1 << 16)
            if not block or block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return None
            encoding = "utf-8-sig" if block.startswith(codecs.BOM_UTF8) else "utf-8"
            if encoding == "utf-8" and _looks_binary(block, some_nul=True):
                return None
            while block:
                decoder.decode(block)
                block = fh.read(1 << 20)
            decoder.decode(b"", final=True)
    except (*READ_ERRORS, UnicodeDecodeError):
        return None
    return encoding


def stream_lines(path: Path, encoding: str, limit: int | None = None) -> Iterator[str | TooLarge]:
    """The lines of a UTF-8 file as ``text.split("\n")`` gives them (without a last
    empty one), read a line at a time.

    A line longer than ``limit`` bytes is never held whole: it is skipped to its end
    and stands as a :class:`TooLarge` in the sequence, so line numbers still count it.
    """
    with open_stream(path) as fh:
        n = 0
        while raw := fh.readline() if limit is None else fh.readline(limit + 1):
            if limit is not None and len(raw) > limit and not raw.endswith(b"\n"):
                size = len(raw)
                while raw and not raw.endswith(b"\n"):
                    raw = fh.readline(1 << 20)
                    size += len(raw)
                yield TooLarge(size - raw.endswith(b"\n"), limit)
                n += 1
                continue
            if n == 0 and encoding == "utf-8-sig":
                raw = raw[len(codecs.BOM_UTF8) :]
            n += 1
            yield raw.decode("utf-8", errors="replace").removesuffix("\n")


def _csv_records(
    text: IO[str], limit: int, delimiter: str
) -> Iterator[tuple[int, int, str | TooLarge]]:
    """The records of a CSV text as (first line, last line, text).

    A record ends at a line break outside a quoted field (:func:`_csv_scan` follows
    the quoting as the csv module does). A record longer than ``limit`` characters is
    never held: it is read to its end and stands as a :class:`TooLarge`, and the next
    record is read as usual.
    """
    line = 0
    while True:
        first = line + 1
        parts: list[str] = []
        size = 0
        state = _FIELD_START
        seen = False
        while chunk := text.readline(limit + 1):
            seen = True
            whole = len(chunk) <= limit or chunk.endswith(("\n", "\r"))
            state = _csv_scan(chunk.rstrip("\r\n") if whole else chunk, state, delimiter)
            size += len(chunk)
            if size <= limit:
                parts.append(chunk)
            else:
                parts = []
            if whole:
                line += 1
                if state != _QUOTED:
                    break
                state = _QUOTED  # a line break inside quotes belongs to the field
        if not seen:
            return
        if size > limit:
            message = f"record of more than {limit} characters exceeds max_doc_bytes ({limit})"
            yield first, max(line, first), TooLarge(None, limit, message)
        else:
            yield first, max(line, first), "".join(parts)


_FIELD_START, _UNQUOTED, _QUOTED, _QUOTE_IN_QUOTED = range(4)


def _csv_scan(s: str, state: int, delimiter: str) -> int:
    """The quoting state after reading ``s`` from ``state`` (the csv module's rules: a
    quote opens a field only at its start, and ``""`` inside quotes is a quote)."""
    pos, n = 0, len(s)
    while pos < n:
        if state == _QUOTED:  # only a quote matters
            j = s.find('"', pos)
            if j < 0:
                return _QUOTED
            state, pos = _QUOTE_IN_QUOTED, j + 1
        elif state == _QUOTE_IN_QUOTED:  # a doubled quote, or the end of the field
            c = s[pos]
            state = _QUOTED if c == '"' else _FIELD_START if c == delimiter else _UNQUOTED
            pos += 1
        elif state == _FIELD_START:
            c = s[pos]
            if c == '"':
                state = _QUOTED
            elif c != delimiter:
                state = _UNQUOTED
            pos += 1
        else:  # an unquoted field runs to the next delimiter
            j = s.find(delimiter, pos)
            if j < 0:
                return _UNQUOTED
            state, pos = _FIELD_START, j + 1
    return state


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
        "source": file.source,
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
            data = open_bytes(file.path, self.max_doc_bytes)
        except TooLarge as exc:
            yield error_record(file, str(exc), resource_limit=True)
            return
        except READ_ERRORS as exc:
            yield error_record(file, f"cannot read file: {_os_reason(exc)}")
            return
        decoded = decode_bytes(data)
        if decoded.error:
            yield error_record(file, decoded.error, encoding=decoded.encoding)
            return
        record: Record = {
            "doc_id": file.rel,
            "source": file.source,
            "line": None,
            "text": decoded.text,
            "encoding": decoded.encoding,
            "meta": {},
            "record": None,
            "read_error": None,
            "problems": [],
        }
        if decoded.bad_bytes:
            record["stray_bytes"] = {
                "count": len(decoded.bad_bytes),
                "offsets": list(decoded.bad_bytes[:20]),
            }
        yield record


class TableReader(Reader):
    """Rows of a table: one document per row, mapped through the column map."""

    def _records(
        self,
        file: InputFile,
        rows: Iterator[Row],
        encoding: str | None,
        stray: _StrayLines | None = None,
    ) -> Iterator[Record]:
        for line, last, row in rows:
            if isinstance(row, TooLarge):
                yield error_record(file, str(row), line=line, resource_limit=True)
                continue
            if isinstance(row, Oversized):
                yield self.columns.too_large(
                    row.row, file, line, encoding, row.size, self.max_doc_bytes, row.omitted
                )
                continue
            if isinstance(row, Exception):
                yield error_record(file, f"{file.source}:{line}: {row}", line=line)
                continue
            if not isinstance(row, Mapping | Repaired):
                yield error_record(
                    file,
                    f"{file.source}:{line}: record is {type(row).__name__}, not an object",
                    line=line,
                )
                continue
            note = None
            if isinstance(row, Repaired):
                row, note = row.row, row.note
            record = self.columns.to_record(dict(row), file, line, encoding, self.max_doc_bytes)
            if note:
                record["problems"].append(note)
            if stray is not None:
                record.update(stray.between(line, last))
            yield record

    def _decode(self, file: InputFile) -> tuple[str, Decoded] | Record:
        """The file's text, or an error record."""
        try:
            data = open_bytes(file.path)
        except READ_ERRORS as exc:
            return error_record(file, f"cannot read file: {_os_reason(exc)}")
        decoded = decode_bytes(data)
        if decoded.error:
            return error_record(file, decoded.error, encoding=decoded.encoding)
        return decoded.text, decoded


class _StrayLines:
    """Which lines of a table file hold bytes that were not valid in its encoding."""

    def __init__(self, text: str, decoded: Decoded) -> None:
        starts = [0]
        pos = text.find("\n")
        while pos >= 0:
            starts.append(pos + 1)
            pos = text.find("\n", pos + 1)
        self.lines = [bisect.bisect_right(starts, off) for off in decoded.bad_bytes]

    def between(self, first: int, last: int) -> Record:
        """The ``stray_bytes`` key for a record on lines ``first`` to ``last``, if any."""
        lo = bisect.bisect_left(self.lines, first)
        hi = bisect.bisect_right(self.lines, last)
        if hi == lo:
            return {}
        return {"stray_bytes": {"count": hi - lo, "lines": sorted(set(self.lines[lo:hi]))[:20]}}


class JsonLinesReader(TableReader):
    """JSON Lines: one object per line; a malformed line is a finding on that line."""

    suffixes = (".jsonl", ".ndjson")

    def read(self, file: InputFile) -> Iterator[Record]:
        """Yield one record per non-blank line (a line at a time from UTF-8 files)."""
        encoding = streamable_encoding(file.path)
        if encoding:
            lines = stream_lines(file.path, encoding, self.max_doc_bytes)
            yield from self._records(file, _json_rows(lines, self.max_doc_bytes), encoding)
            return
        got = self._decode(file)
        if isinstance(got, dict):
            yield got
            return
        text, decoded = got
        stray = _StrayLines(text, decoded) if decoded.bad_bytes else None
        rows = _json_rows(text.split("\n"), self.max_doc_bytes)
        yield from self._records(file, rows, decoded.encoding, stray)


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item if isinstance(v, dict | list))
    return deepest


_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Oversized:
    """A table row over ``max_doc_bytes``, with its long cells already left out."""

    row: dict[str, Any]
    size: int
    omitted: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Repaired:
    """A row that had to be changed to be carried on, and what was changed."""

    row: Any
    note: str


def _has_surrogate(value: Any) -> bool:
    """Whether a lone surrogate (not text; unwritable as UTF-8) is in any key or string."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    """A JSON number as a float; one beyond a 64-bit float (1e309) is refused, not made
    infinity (which no JSON can write back)."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is beyond a 64-bit float")
    return value


# Beyond this a float orjson read may be an integer too wide for 64 bits, which it
# reads as a float where the standard library keeps every digit.
_WIDE = float(2**63)


def _quick_row(raw: str) -> Any:
    """``raw`` read by orjson, or None when the careful reading must decide.

    orjson refuses what the careful reading refuses or repairs (NaN, a number
    beyond a float, a lone surrogate, control characters) and is several times
    faster than it; None also for what orjson reads differently (integers wider
    than 64 bits) and for nesting deeper than :data:`MAX_JSON_DEPTH`.
    """
    try:
        row = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    stack = [(row, 1)] if type(row) is dict or type(row) is list else []
    if type(row) is float and not -_WIDE < row < _WIDE:
        return None
    while stack:
        item, level = stack.pop()
        for value in item.values() if type(item) is dict else item:
            kind = type(value)
            if kind is float:
                if not -_WIDE < value < _WIDE:
                    return None
            elif kind is dict or kind is list:
                if level >= MAX_JSON_DEPTH:
                    return None
                stack.append((value, level + 1))
    return row


def _json_rows(lines: Iterable[str | TooLarge], max_bytes: int) -> Iterator[Row]:
    # Only "\n" ends a line (the caller splits on it): str.splitlines would also
    # split on U+2028 and other separators that JSON allows inside strings.
    for n, raw in enumerate(lines, start=1):
        if isinstance(raw, TooLarge):
            yield n, n, raw
            continue
        if not raw.strip():
            continue
        if len(raw) * 4 > max_bytes and len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
            yield n, n, TooLarge(len(raw.encode("utf-8", "surrogatepass")), max_bytes)
            continue
        row = _quick_row(raw)
        if row is not None:
            yield n, n, row
            continue
        try:
            row = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
            if raw.count("[") + raw.count("{") > MAX_JSON_DEPTH and _depth(row) > MAX_JSON_DEPTH:
                raise RecursionError
            if "\\u" in raw and _has_surrogate(row):
                row = Repaired(
                    _replace_surrogates(row),
                    "lone UTF-16 surrogate escapes (\\ud800-\\udfff) replaced by U+FFFD",
                )
            yield n, n, row
        except json.JSONDecodeError as exc:
            yield n, n, ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})")
        except RecursionError:
            yield n, n, ValueError(f"invalid JSON: nested more than {MAX_JSON_DEPTH} levels deep")
        except ValueError as exc:  # NaN/Infinity, or an integer of thousands of digits
            yield n, n, ValueError(f"invalid JSON: {str(exc).split(';')[0]}")


class CsvReader(TableReader):
    """CSV and TSV with a header row; quoted fields may hold newlines."""

    suffixes = (".csv", ".tsv")

    def read(self, file: InputFile) -> Iterator[Record]:
        """Yield one record per row (a row at a time from UTF-8 files)."""
        encoding = streamable_encoding(file.path)
        if encoding:
            with io.TextIOWrapper(open_stream(file.path), encoding=encoding, newline="") as fh:
                yield from self._read_text(file, fh, encoding, None)
            return
        got = self._decode(file)
        if isinstance(got, dict):
            yield got
            return
        text, decoded = got
        stray = _StrayLines(text, decoded) if decoded.bad_bytes else None
        yield from self._read_text(file, io.StringIO(text, newline=""), decoded.encoding, stray)

    def _read_text(
        self, file: InputFile, text: IO[str], encoding: str | None, stray: _StrayLines | None
    ) -> Iterator[Record]:
        delimiter = "\t" if format_suffix(file.path) == ".tsv" else ","
        csv.field_size_limit(sys.maxsize)
        records = _csv_records(text, self.max_doc_bytes, delimiter)
        header = next(records, None)
        if header is None or not isinstance(header[2], str):
            yield error_record(file, "no header row")
            return
        try:
            columns = next(csv.reader([header[2]], delimiter=delimiter, strict=True), [])
        except csv.Error:
            columns = []
        if not columns:
            yield error_record(file, "no header row")
            return
        missing = self.columns.missing_text(columns)
        if missing:
            yield error_record(file, missing)
            return
        columns, note = unique_columns(columns)
        rows = _csv_rows(records, columns, delimiter)
        yield from self._records(file, _noted(rows, note), encoding, stray)


def _csv_rows(
    records: Iterator[tuple[int, int, str | TooLarge]], header: list[str], delimiter: str
) -> Iterator[Row]:
    for first, last, record in records:
        if isinstance(record, TooLarge):
            yield first, last, record
            continue
        try:
            # strict: a quote left open is an error on its record (which runs to the end
            # of the file), not silently swallowed into one field
            row = next(csv.reader([record], delimiter=delimiter, strict=True), [])
        except csv.Error as exc:
            span = f" (lines {first}-{last})" if last > first else ""
            yield first, last, ValueError(f"malformed CSV{span}: {exc}")
            continue
        if not any(row):  # a blank line, or a row of empty cells (a spreadsheet's tail)
            continue
        if len(row) != len(header):
            yield first, last, ValueError(f"row has {len(row)} fields, header has {len(header)}")
            continue
        yield first, last, dict(zip(header, row, strict=True))


class ParquetReader(TableReader):
    """Parquet, read a row group batch at a time."""

    suffixes = (".parquet", ".pq")

    def read(self, file: InputFile) -> Iterator[Record]:
        """Yield one record per row."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(file.path)
            missing = self.columns.missing_text(pf.schema_arrow.names)
        except Exception as exc:  # pyarrow raises many types for a broken file
            yield error_record(file, f"not a readable Parquet file: {_first_line(exc)}")
            return
        if missing:
            yield error_record(file, missing)
            return
        names, note = unique_columns(pf.schema_arrow.names)
        renamed = names != list(pf.schema_arrow.names)
        row = 0
        batches = pf.iter_batches(batch_size=_batch_rows(pf.metadata, self.max_doc_bytes))
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except Exception as exc:  # a corrupt row group: the rest of the file is lost
                total = pf.metadata.num_rows
                yield error_record(
                    file,
                    f"{file.source}:{row + 1}: rows {row + 1}-{total} cannot be read: "
                    f"{_first_line(exc)}",
                    line=row + 1,
                )
                return
            if renamed:
                batch = pa.RecordBatch.from_arrays(batch.columns, names=names)
            try:
                rows = _arrow_rows(batch, self.max_doc_bytes)
            except Exception:  # a cell Python cannot hold (a date past year 9999, ...)
                rows = _careful_rows(batch, self.max_doc_bytes)
            numbered = ((row + i + 1, row + i + 1, r) for i, r in enumerate(rows))
            yield from self._records(file, _noted(numbered, note), "parquet")
            row += len(rows)


def _arrow_rows(batch: Any, limit: int) -> list[Any]:
    """A batch's rows as dicts; a row whose string and binary cells exceed ``limit`` bytes
    comes as :class:`Oversized`, without its long cells ever becoming Python objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lengths = {
        name: pc.cast(pc.fill_null(pc.binary_length(col), 0), pa.int64())
        for name, col in zip(batch.schema.names, batch.columns, strict=True)
        if pa.types.is_string(col.type)
        or pa.types.is_large_string(col.type)
        or pa.types.is_binary(col.type)
        or pa.types.is_large_binary(col.type)
    }
    if not lengths or batch.num_rows == 0:
        return batch.to_pylist()
    columns = list(lengths.values())
    sizes = columns[0]
    for more in columns[1:]:
        sizes = pc.add(sizes, more)
    if pc.max(sizes).as_py() <= limit:
        return batch.to_pylist()
    out: list[Any] = []
    for i, size in enumerate(sizes.to_pylist()):
        one = batch.slice(i, 1)
        if size <= limit:
            out.append(one.to_pylist()[0])
            continue
        long = tuple(n for n, lens in lengths.items() if lens[i].as_py() > _LONG_CELL)
        out.append(Oversized(one.drop_columns(list(long)).to_pylist()[0], size, long))
    return out


def unique_columns(names: list[str]) -> tuple[list[str], str | None]:
    """Column names made unique, and a note saying which were repeated, or None.

    A repeated name becomes ``NAME#2``, ...; a blank one (a spreadsheet's empty
    header cell) becomes ``column_N`` (N counting from 1), which needs no note.

    Example:
        >>> names, note = unique_columns(["id", "text", "text", ""])
        >>> names
        ['id', 'text', 'text#2', 'column_4']
        >>> note
        'column text named more than once: the first is read, the others kept as text#2'
    """
    out: list[str] = []
    renamed: list[str] = []
    repeated: list[str] = []
    taken = set(names)
    for n, name in enumerate(names, start=1):
        if not name.strip():
            name = f"column_{n}"
            if name not in taken:
                taken.add(name)
                out.append(name)
                continue
        if name not in out:
            out.append(name)
            continue
        k = 2
        while f"{name}#{k}" in taken:
            k += 1
        taken.add(f"{name}#{k}")
        out.append(f"{name}#{k}")
        renamed.append(out[-1])
        repeated.append(name)
    if not renamed:
        return out, None
    which = list(dict.fromkeys(repeated))
    kind = "column" if len(which) == 1 else "columns"
    return out, (
        f"{kind} {', '.join(which)} named more than once: the first is read, "
        f"the others kept as {', '.join(renamed)}"
    )


def _noted(rows: Iterator[Row], note: str | None) -> Iterator[Row]:
    """``rows`` with ``note`` carried by each row read as an object (see :class:`Repaired`)."""
    if note is None:
        yield from rows
        return
    for first, last, row in rows:
        if isinstance(row, dict):
            row = Repaired(row, note)
        elif isinstance(row, Repaired):
            row = Repaired(row.row, f"{row.note}; {note}")
        yield first, last, row


def _careful_rows(batch: Any, limit: int) -> list[Any]:
    """The rows of a batch that does not convert as a whole, one at a time; in a row that
    fails, the cells that fail are left out (None), and the row says which and why."""
    out: list[Any] = []
    for i in range(batch.num_rows):
        one = batch.slice(i, 1)
        try:
            out.extend(_arrow_rows(one, limit))
            continue
        except Exception:  # pyarrow raises many types; the cells below say which
            pass
        row: dict[str, Any] = {}
        bad: list[str] = []
        for name, column in zip(one.schema.names, one.columns, strict=True):
            try:
                row[name] = column.to_pylist()[0]
            except Exception as exc:
                row[name] = None
                bad.append(f"{name} ({_first_line(exc)})")
        out.append(Repaired(row, f"unreadable cell left out: {', '.join(bad)}"))
    return out


def _batch_rows(metadata: Any, max_doc_bytes: int) -> int:
    """Rows per Parquet batch: up to 10,000, fewer when rows are large, so that a batch
    holds about two documents' worth of the limit (a file of huge cells is read a few
    rows at a time, and each row is then checked against the limit)."""
    widest = 0.0
    for i in range(metadata.num_row_groups):
        group = metadata.row_group(i)
        if group.num_rows:
            widest = max(widest, group.total_byte_size / group.num_rows)
    if widest <= 0:
        return 10_000
    return max(1, min(10_000, int(2 * max_doc_bytes / widest)))


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


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
