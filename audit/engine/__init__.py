"""Engines decide where the per-chunk work runs; stages do not know."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from audit.config import ConfigError, Settings

__all__ = ["Engine", "LocalEngine", "get_engine"]

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    """What the pipeline needs from an engine."""

    name: str

    def map(self, fn: Callable[[T, Any], R], items: Iterable[T], ctx: Any) -> Iterator[R]:
        """Apply ``fn(item, ctx)`` to each item, yielding results in input order."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...


class LocalEngine:
    """Runs chunks in this process (``jobs=1``, or a single chunk) or in a pool of workers.

    Results come back in input order whatever order the workers finish in, and at
    most ``2 * jobs`` chunks are in flight, so memory stays bounded while streaming.
    """

    name = "local"

    def __init__(self, jobs: int = 1) -> None:
        self.jobs = max(1, jobs)

    def map(self, fn: Callable[[T, Any], R], items: Iterable[T], ctx: Any) -> Iterator[R]:
        """Apply ``fn(item, ctx)`` to each item, in order."""
        if self.jobs == 1:
            for item in items:
                yield fn(item, ctx)
            return
        it = iter(items)
        head = list(itertools.islice(it, 2))
        if len(head) < 2:  # a single chunk: not worth starting a pool
            for item in head:
                yield fn(item, ctx)
            return
        with ProcessPoolExecutor(max_workers=self.jobs) as pool:
            pending: list[Future[R]] = []
            for item in itertools.chain(head, it):
                pending.append(pool.submit(fn, item, ctx))
                if len(pending) >= 2 * self.jobs:
                    yield pending.pop(0).result()
            for fut in pending:
                yield fut.result()

    def close(self) -> None:
        """Nothing to release: the pool lives only while ``map`` runs."""

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def get_engine(settings: Settings) -> Engine:
    """The engine ``settings`` asks for: local processes, or Dask (imported only then).

    Raises:
        ConfigError: an unknown engine, a scheduler without the dask engine, dask not
            installed, or a scheduler that cannot be reached.

    Example:
        >>> from audit.config import Settings
        >>> get_engine(Settings(jobs=2)).name
        'local'
    """
    if settings.engine == "local":
        if settings.scheduler:
            raise ConfigError("--scheduler needs --engine dask")
        return LocalEngine(settings.jobs)
    if settings.engine == "dask":
        from audit.engine.dask import DaskEngine

        return DaskEngine(settings.scheduler or "local", settings.jobs)
    raise ConfigError(f"engine must be local or dask, not {settings.engine!r}")
