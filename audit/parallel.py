"""Run one piece of work in a forked process while this process does another."""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """Whether :class:`SideTask` may fork here: Linux only (fork is unsafe on macOS)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class SideTask(Generic[T]):
    """``fn`` run in a forked child process, its return value brought back by :meth:`join`.

    The child gets a copy of this process as it is (the run's tables, open spool
    files read with ``pread``: the caller flushes what it wrote before, see
    :meth:`audit.spool.Spool.flush`) and runs nothing but ``fn``: it leaves through
    ``os._exit``, so no exit handler, finalizer or buffered output of this process
    runs twice. An exception raised by ``fn`` is raised again by :meth:`join`. When
    the caller fails before joining, the child is stopped with SIGTERM, which it
    takes as an exception, so that the files it was writing are cleaned up; its
    stderr goes to /dev/null from then on, and a child still running after
    :attr:`stop_grace_s` is killed.
    Without ``fork`` (or where :func:`can_fork` says no) ``fn`` runs in this process
    when the task starts, and what it raises is raised there.

    Args:
        fn: the work; its return value must pickle.
        fork: run ``fn`` in a child process.

    Example:
        >>> with SideTask(lambda: {"write.x": 1.5}) as task:
        ...     task.join()
        {'write.x': 1.5}
    """

    stop_grace_s = 10.0  # how long a stopped child may take to unwind before it is killed

    def __init__(self, fn: Callable[[], T], fork: bool = True) -> None:
        self._fn = fn
        self._fork = fork and can_fork()
        self._pid: int | None = None
        self._read: int | None = None
        self._inline: tuple[T] | None = None  # the value, when fn ran here

    def __enter__(self) -> SideTask[T]:
        if not self._fork:
            self._inline = (self._fn(),)
            return self
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(read)
                # the parent's objects are not collected here: a collection would touch
                # (and so copy) every page that holds one
                gc.freeze()
                # stopped by the parent: unwind, so that half-written files are removed
                signal.signal(signal.SIGTERM, _stop)
                payload = _run(self._fn)
                with os.fdopen(write, "wb") as fh:
                    fh.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._read = pid, read
        return self

    def join(self) -> T:
        """Wait for ``fn`` and return what it returned (or raise what it raised)."""
        if self._inline is not None:
            return self._inline[0]
        if self._read is None or self._pid is None:
            raise RuntimeError("the side task was not started")
        with os.fdopen(self._read, "rb") as fh:
            self._read = None
            data = fh.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if not data:
            raise RuntimeError(f"the writer process stopped: {_describe(status)}")
        ok, value = pickle.loads(data)
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._read is not None:
            os.close(self._read)
            self._read = None
        if self._pid is not None:  # the caller failed before joining: stop the child
            _stop_child(self._pid, self.stop_grace_s)
            self._pid = None


def _stop(signum: int, frame: object) -> None:
    # The parent has failed and says why. What this process would print while it
    # unwinds (an "Exception ignored" report when the signal lands in a callback) is
    # noise in the user's terminal: it goes nowhere.
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
    raise SystemExit(f"stopped by signal {signum}")


def _stop_child(pid: int, grace_s: float) -> None:
    """SIGTERM ``pid`` and reap it; SIGKILL it if it has not ended after ``grace_s``.

    The SIGTERM's exception can be swallowed (raised in a callback, Python reports
    it and goes on), and the child would then finish all its work first. The kill
    reaches the processes the child started as well (a worker pool of its own).
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.01)
    for victim in [pid, *_descendants(pid)]:  # its own workers too, or they wait forever
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    os.waitpid(pid, 0)


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, theirs, ...), from ``/proc`` (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:  # it ended meanwhile
            continue
        parent = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _run(fn: Callable[[], object]) -> bytes:
    """``fn``'s outcome, pickled: (True, value) or (False, exception)."""
    try:
        return pickle.dumps((True, fn()))
    except BaseException as exc:  # every failure goes back to the parent
        try:
            data = pickle.dumps((False, exc))
            pickle.loads(data)  # some exceptions pickle but cannot be made again
            return data
        except Exception:  # then its type and message
            return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
