"""Find input files under the paths a user gave, with include/exclude globs."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# A file in every output folder (``--out``): auditing a folder that holds one must not
# read the runs written there, or each run would see the one before.
OUTPUT_MARKER = ".audit-output"


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read: where it is, how to name its documents, or why it is unusable."""

    path: Path
    rel: str  # relative name used in document ids (valid Unicode, see display_name)
    error: str | None = None

    @property
    def source(self) -> str:
        """The path as recorded in documents and messages (valid Unicode)."""
        return display_name(str(self.path))


def display_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 become U+FFFD.

    Example:
        >>> display_name(b"caf\\xe9.txt".decode("utf-8", "surrogateescape"))
        'caf\\ufffd.txt'
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def discover(
    paths: tuple[str, ...] | list[str], include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
) -> Iterator[InputFile]:
    """Yield the files under ``paths`` in a stable (sorted) order.

    Folders holding :data:`OUTPUT_MARKER` (run folders written by ``audit run``)
    are skipped below the given paths. A path that does not exist, a symlink
    loop, an unreadable folder, a folder with no file to read, or a file
    that is not a regular file (a FIFO, a socket, a device: never opened, since
    reading one may block forever) is yielded with ``error`` set so that it
    becomes a finding instead of vanishing.
    """
    for raw in paths:
        root = Path(raw)
        kind, problem = _kind(root)
        if kind == "dir":
            empty = True
            for file in _walk(root, include, exclude):
                empty = False
                yield file
            if empty:  # a finding, not a batch that silently holds nothing
                filtered = " matching --include/--exclude" if include or exclude else ""
                yield InputFile(root, display_name(str(raw)), f"no file to read{filtered} here")
        elif kind == "file":
            yield InputFile(root, display_name(root.name))
        else:
            yield InputFile(root, display_name(str(raw)), problem)


def _walk(root: Path, include: tuple[str, ...], exclude: tuple[str, ...]) -> Iterator[InputFile]:
    seen: set[tuple[int, int]] = set()
    stack = [root]
    found: list[InputFile] = []
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
        except OSError as exc:
            found.append(InputFile(folder, _rel(folder, root), f"cannot open folder: {exc}"))
            continue
        if (st.st_dev, st.st_ino) in seen:
            found.append(
                InputFile(
                    folder,
                    _rel(folder, root),
                    "folder already read (a symlink loop or a second link to it)",
                )
            )
            continue
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            found.append(InputFile(folder, _rel(folder, root), f"cannot list folder: {exc}"))
            continue
        for entry in entries:
            path = Path(entry.path)
            rel = _rel(path, root)
            if entry.name.startswith(".") or _excluded(rel, include, exclude, path):
                continue
            kind, problem = _kind(path)
            if kind == "dir":
                if not (path / OUTPUT_MARKER).exists():  # our own run folders are not input
                    stack.append(path)
            elif kind == "file":
                found.append(InputFile(path, rel))
            else:
                found.append(InputFile(path, rel, problem))
    yield from sorted(found, key=lambda f: f.rel)


def _kind(path: Path) -> tuple[str, str]:
    """``("dir" | "file" | "other", why it cannot be read)`` for ``path``, following links."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "other", "symlink loop"
        if os.path.islink(path):
            return "other", "broken symbolic link"
        if exc.errno == errno.ENOENT:
            return "other", "no such file or folder"
        return "other", f"cannot stat: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "dir", ""
    if stat.S_ISREG(mode):
        return "file", ""
    what = (
        "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return "other", f"{what}, not read"


def _rel(path: Path, root: Path) -> str:
    return display_name(path.relative_to(root).as_posix() if path != root else root.name)


def _excluded(rel: str, include: tuple[str, ...], exclude: tuple[str, ...], path: Path) -> bool:
    if any(fnmatch.fnmatch(rel, pat) for pat in exclude):
        return True
    if include and not path.is_dir():
        return not any(fnmatch.fnmatch(rel, pat) for pat in include)
    return False
