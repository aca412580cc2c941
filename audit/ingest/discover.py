"""Find input files under the paths a user gave, with include/exclude globs."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read: where it is, how to name its documents, or why it is unusable."""

    path: Path
    rel: str  # relative name used in document ids
    error: str | None = None


def discover(
    paths: tuple[str, ...] | list[str], include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
) -> Iterator[InputFile]:
    """Yield the files under ``paths`` in a stable (sorted) order.

    A path that does not exist, a symlink loop or an unreadable folder is yielded
    with ``error`` set so that it becomes a finding instead of vanishing.
    """
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            yield InputFile(root, str(raw), "no such file or folder")
        elif root.is_file():
            yield InputFile(root, root.name)
        elif root.is_dir():
            yield from _walk(root, include, exclude)
        else:
            yield InputFile(root, str(raw), "not a regular file or folder")


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
            found.append(InputFile(folder, _rel(folder, root), "symlink loop (folder seen before)"))
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
            try:
                if entry.is_dir():
                    stack.append(path)
                elif entry.is_file():
                    found.append(InputFile(path, rel))
                elif entry.is_symlink():
                    found.append(InputFile(path, rel, "broken symbolic link"))
            except OSError as exc:
                found.append(InputFile(path, rel, f"cannot stat: {exc}"))
    yield from sorted(found, key=lambda f: f.rel)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else root.name


def _excluded(rel: str, include: tuple[str, ...], exclude: tuple[str, ...], path: Path) -> bool:
    if any(fnmatch.fnmatch(rel, pat) for pat in exclude):
        return True
    if include and not path.is_dir():
        return not any(fnmatch.fnmatch(rel, pat) for pat in include)
    return False
