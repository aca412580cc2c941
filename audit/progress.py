"""Stage timings for ``run.stages``, and a progress bar per stage on a terminal.

The pipeline marks where each stage starts (``stages.start("dedup")``); the next
mark, or :meth:`Stages.stop`, ends it. Work done per chunk, possibly in other
processes, is timed with :func:`timed` and summed over chunks with
:meth:`Stages.add_chunk_times`; the output writers time themselves the same way
(``write.report``, ...). Progress goes to stderr, and only when stderr is a
terminal, progress is on (no ``--quiet``) and stdout is not the JSON results.

Example:
    >>> stages = Stages(enabled=False)
    >>> stages.start("gate")
    >>> stages.stop()
    >>> list(stages.times)
    ['gate']
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_times: dict[str, float] = {}
_drawing: list[Any] = []  # the live displays drawing now, held still at every fork


def _locks() -> list[Any]:
    # rich's refresh thread draws while it holds this lock (rich's own attribute: a
    # release without it leaves the forks unguarded rather than failing them)
    return [lock for live in _drawing if (lock := getattr(live, "_lock", None)) is not None]


def _hold_still() -> None:
    """Before a fork: wait until no display is drawing, and keep it so until the fork.

    A child forked while the display's lock was held (or while its thread was
    writing) would block at its first output.
    """
    for lock in _locks():
        lock.acquire()


def _let_go() -> None:
    for lock in reversed(_locks()):
        lock.release()


def _in_child() -> None:
    """After a fork, in the child: the display is the parent's; write to the real streams."""
    _let_go()
    if _drawing:
        from rich.file_proxy import FileProxy

        _drawing.clear()
        if isinstance(sys.stdout, FileProxy):
            sys.stdout = sys.stdout.rich_proxied_file
        if isinstance(sys.stderr, FileProxy):
            sys.stderr = sys.stderr.rich_proxied_file


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_hold_still, after_in_parent=_let_go, after_in_child=_in_child)


@contextmanager
def timed(name: str) -> Iterator[None]:
    """Add the time spent in the block to this process's time of ``name``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        _times[name] = _times.get(name, 0.0) + time.perf_counter() - t0


def take_times() -> dict[str, float]:
    """The times recorded with :func:`timed` in this process since the last call; resets."""
    out = dict(_times)
    _times.clear()
    return out


class Stages:
    """Wall-clock time per stage, shown as it goes when ``enabled``.

    Args:
        enabled: draw progress (the caller decides: a terminal, not quiet, not JSON).
        console: where to draw (default: a rich console on stderr).
    """

    def __init__(self, enabled: bool, console: Any = None) -> None:
        self.times: dict[str, float] = {}
        self.chunk_times: dict[str, float] = {}
        self.peaks: dict[str, int] = {}
        self._current: str | None = None
        self._t0 = 0.0
        self._progress: Any = None
        self._task: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("{task.description:<14}"),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=console or Console(stderr=True),
                transient=False,
            )
            self._progress.start()
            _drawing.append(self._progress.live)

    @classmethod
    def for_settings(cls, settings: Any) -> Stages:
        """Progress on only for a terminal, without ``--quiet`` or ``--format json``."""
        return cls(bool(settings.progress) and settings.format != "json" and sys.stderr.isatty())

    def start(self, name: str, detail: str = "") -> None:
        """End the current stage (if any) and start ``name``."""
        self._end()
        self._current = name
        self._t0 = time.perf_counter()
        if self._progress is not None:
            self._task = self._progress.add_task(name, total=None, detail=detail)

    def track(
        self, items: Iterable[T], name: str, count: Callable[[T], int], unit: str = "documents"
    ) -> Iterator[T]:
        """Start stage ``name`` and pass ``items`` through, counting ``count(item)`` each."""
        self.start(name)
        done = 0
        for item in items:
            done += count(item)
            if self._progress is not None:
                rate = done / max(time.perf_counter() - self._t0, 1e-9)
                self._progress.update(self._task, detail=f"{done:,} {unit}  {rate:,.0f}/s")
            yield item

    def record(self, name: str, seconds: float) -> None:
        """Set the time of stage ``name``, timed elsewhere (e.g. in a forked process)."""
        self.times[name] = seconds

    def add_chunk_times(self, times: dict[str, float]) -> None:
        """Sum one chunk's per-chunk times (seconds of work, over all workers)."""
        for key, value in times.items():
            self.chunk_times[key] = self.chunk_times.get(key, 0.0) + value

    def stop(self) -> None:
        """End the current stage and stop drawing."""
        self._end()
        if self._progress is not None:
            _drawing.remove(self._progress.live)
            self._progress.stop()
            self._progress = None

    def to_dict(self) -> dict[str, float]:
        """Seconds per stage for ``run.stages``; per-chunk work as ``chunks.<name>``."""
        out = {k: round(v, 3) for k, v in self.times.items()}
        out |= {f"chunks.{k}": round(v, 3) for k, v in self.chunk_times.items()}
        return out

    def peak_mb(self) -> dict[str, int]:
        """This process's peak RSS (MB) as each stage ended: the stage that raised it shows."""
        return dict(self.peaks)

    def _end(self) -> None:
        if self._current is None:
            return
        elapsed = time.perf_counter() - self._t0
        self.times[self._current] = self.times.get(self._current, 0.0) + elapsed
        # ru_maxrss is in KB on Linux: the high-water mark so far, never lowered
        self.peaks[self._current] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        if self._progress is not None:
            self._progress.update(self._task, total=1, completed=1)
        self._current = None
