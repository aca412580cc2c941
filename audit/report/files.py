"""Safe file writing: every output is written to a temp file and renamed into place.

Output file names are fixed by the code (``results.json``, ``report.html``, ...)
and the run folder's name is the run id; nothing read from the input ever
becomes part of a path.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one."""
    atomic_write_chunks(path, (text,))


def atomic_write_chunks(path: Path, chunks: Iterable[str]) -> None:
    """Write the concatenated ``chunks`` to ``path`` atomically (temp file, fsync, rename)."""
    with atomic_open(path) as fh:
        for chunk in chunks:
            fh.write(chunk)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import: os.umask can only be read by setting it


@contextlib.contextmanager
def atomic_open(path: Path) -> Iterator[TextIO]:
    """A text file to write that replaces ``path`` only once it is whole.

    The text goes to a temporary file next to ``path``, is flushed to disk, and
    is renamed over ``path`` when the block ends; if the block raises, ``path``
    is left as it was and the temporary file is removed. A lone surrogate that
    got this far is written escaped (``\\udc80``) rather than failing the run.

    Example:
        >>> with atomic_open(Path(tmp) / "junit.xml") as fh:  # doctest: +SKIP
        ...     fh.write("<testsuites/>")
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); the file it becomes is an ordinary one
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_lines(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as JSON Lines atomically; returns how many were written."""
    count = 0

    def lines() -> Iterable[str]:
        nonlocal count
        for row in rows:
            yield dumps_line(row) + "\n"
            count += 1

    atomic_write_chunks(path, lines())
    return count


# Characters that JSON leaves raw but that str.splitlines() and other line readers
# take as line breaks; escaped so one JSON Lines record stays one line.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def dumps(data: Any) -> str:
    """JSON as written into run folders: strict, and laid out for reading and diffing.

    A top-level object has one key per line, and each item of a top-level list
    (a document, a cluster, an expectation) on a line of its own; everything
    deeper is compact. That keeps the file readable and lets the C encoder do
    the work (an indented ``json.dumps`` runs in pure Python, many times slower
    on a large batch).

    Example:
        >>> print(dumps({"a": [1, {"b": 2}], "c": "d"}), end="")
        {
          "a": [
            1,
            {"b":2}
          ],
          "c": "d"
        }
    """
    if isinstance(data, dict) and data:
        items = [f"  {dumps_line(str(k))}: {_dumps_value(v)}" for k, v in data.items()]
        return "{\n" + ",\n".join(items) + "\n}\n"
    return _dumps_value(data) + "\n"


def _dumps_value(value: Any) -> str:
    from audit.report.documents import EncodedDocuments

    if isinstance(value, EncodedDocuments) and len(value):  # already one line each
        return "[\n" + ",\n".join(f"    {line}" for line in value.lines()) + "\n  ]"
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(f"    {dumps_line(v)}" for v in value) + "\n  ]"
    return dumps_line(value)


_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps_line(data: Any) -> str:
    """One line of strict JSON (no NaN or infinity: they become null; no raw U+2028).

    Encoded by orjson (compact, several times faster than the standard library on
    a large batch); a value orjson refuses (an integer beyond 64 bits, a lone
    surrogate) sends the line to :mod:`json`, which writes the same content with
    its own spacing.

    Example:
        >>> dumps_line({"a": [1, float("nan")], "b": "x"})
        '{"a":[1,null],"b":"x"}'
    """
    try:
        text = orjson.dumps(data, default=_encode_other, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        try:
            text = json.dumps(data, ensure_ascii=False, default=_encode_other, allow_nan=False)
        except ValueError:  # NaN or infinity somewhere: not JSON, written as null
            text = json.dumps(json_safe(data), ensure_ascii=False, default=_encode_other)
    return _escape_breaks(text)


def loads_line(text: str) -> Any:
    """The value of one line of JSON written by :func:`dumps_line`.

    Example:
        >>> loads_line('{"a":[1,null]}')
        {'a': [1, None]}
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # a lone surrogate, written by the json fallback
        return json.loads(text)


def _encode_other(value: Any) -> Any:
    """What a value orjson does not know becomes: a float subclass a float, a sequence
    (the encoded results documents) a list, else its str."""
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return str(value)


def _escape_breaks(text: str) -> str:
    """Escape the line-break characters JSON leaves raw (they occur only inside strings)."""
    for char, escaped in _LINE_BREAKS.items():
        if char in text:
            text = text.replace(char, escaped)
    return text


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None.

    Example:
        >>> json_safe({"a": [1.0, float("nan")]})
        {'a': [1.0, None]}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def refresh_latest(run_dir: Path) -> Path:
    """Make ``<out>/latest`` a copy of ``run_dir`` (a copy, so it works on every filesystem).

    The copy is staged in a private temporary folder and renamed into place, so
    ``latest/`` always holds one whole run, also when two runs finish together
    (the later rename wins). Files are hard-linked where the filesystem allows (the
    run folder's files are replaced, never changed in place, so a link is as good
    as a copy and costs nothing on a large run), else copied.
    """
    out = run_dir.parent
    latest = out / "latest"
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".latest.", suffix=".tmp"))
    try:
        shutil.copytree(run_dir, staging, dirs_exist_ok=True, copy_function=_link_or_copy)
        for _ in range(20):
            if latest.is_symlink() or latest.is_file():
                latest.unlink(missing_ok=True)
            elif latest.exists():
                old = Path(tempfile.mkdtemp(dir=out, prefix=".latest.", suffix=".old"))
                with contextlib.suppress(FileNotFoundError):  # another run moved it first
                    latest.rename(old / "latest")
                shutil.rmtree(old, ignore_errors=True)
            try:
                staging.rename(latest)
                return latest
            except OSError:  # another run put its latest/ in place meanwhile: go again
                continue
        raise OSError(f"{latest}: could not be replaced")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
