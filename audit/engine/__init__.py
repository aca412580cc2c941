"""Engines decide where the per-chunk work runs; stages do not know."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class LocalEngine:
    """Runs chunks in this process (``jobs=1``) or in a pool of worker processes.

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
        with ProcessPoolExecutor(max_workers=self.jobs) as pool:
            pending: list[Future[R]] = []
            for item in items:
                pending.append(pool.submit(fn, item, ctx))
                if len(pending) >= 2 * self.jobs:
                    yield pending.pop(0).result()
            for fut in pending:
                yield fut.result()
