"""The Dask engine: per-chunk work as tasks on a Dask cluster (``pip install audit[dask]``).

``--engine dask --scheduler tcp://HOST:PORT`` connects to a running scheduler whose
workers have ``audit`` installed; ``--scheduler local`` starts a ``LocalCluster`` of
``--jobs`` worker processes with one thread each, and stops it at the end of the run.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from audit.config import ConfigError

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT_S = 10


class DaskEngine:
    """Runs chunks as Dask tasks; results come back in input order.

    Each chunk is scattered straight to a worker and at most ``window`` tasks are in
    flight (default: two per worker thread), so the reader never runs far ahead of the
    cluster and the driver's memory stays bounded. The context (the settings) is
    scattered once to every worker, not shipped with each task.

    Example:
        >>> with DaskEngine("local", jobs=2) as engine:  # doctest: +SKIP
        ...     list(engine.map(pow, [1, 2, 3], 2))
        [1, 4, 9]
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = "local",
        jobs: int = 1,
        window: int = 0,
        timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        """Connect to ``scheduler`` (an address, or ``local`` / None for a LocalCluster).

        ``jobs`` is the number of worker processes of a LocalCluster (a remote cluster
        keeps its own), ``window`` the tasks in flight (0: two per worker thread) and
        ``timeout`` how long to try to reach a remote scheduler, in seconds.

        Raises:
            ConfigError: dask is not installed, or the scheduler cannot be reached.
        """
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError(
                "the dask engine needs dask[distributed]: pip install 'audit[dask]'"
            ) from None
        self.jobs = max(1, jobs)
        self.address = scheduler or "local"
        self._cluster: Any = None
        failure = None
        try:
            if self.address == "local":
                self._cluster = LocalCluster(
                    n_workers=self.jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # no fixed port
                    silence_logs=logging.ERROR,
                )
                self.client: Any = Client(self._cluster, set_as_default=False)
            else:
                self.client = Client(self.address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # distributed raises many types for a bad address or peer
            failure = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if failure is not None:
            self.close()
            _forget_failed_clients()
            raise ConfigError(f"cannot reach Dask scheduler {self.address}: {failure}")
        threads = sum(self.client.nthreads().values()) or 1
        self.window = window or 2 * threads

    @property
    def workers(self) -> int:
        """How many workers the cluster has now."""
        return len(self.client.scheduler_info().get("workers", {}))

    def map(self, fn: Callable[[T, Any], R], items: Iterable[T], ctx: Any) -> Iterator[R]:
        """Apply ``fn(item, ctx)`` to each item on the cluster, yielding results in order."""
        client = self.client
        [ctx_future] = client.scatter([ctx], broadcast=True, hash=False)
        pending: deque[Any] = deque()
        try:
            for item in items:
                [data] = client.scatter([item], hash=False)
                pending.append(client.submit(fn, data, ctx_future, pure=False))
                if len(pending) >= self.window:
                    yield _take(pending)
            while pending:
                yield _take(pending)
        finally:
            for fut in pending:
                fut.cancel()
            ctx_future.release()

    def close(self) -> None:
        """Disconnect, and stop the LocalCluster if this engine started one."""
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _take(pending: deque[Any]) -> Any:
    """The result of the oldest task, releasing it on the cluster."""
    fut = pending.popleft()
    try:
        return fut.result()
    finally:
        fut.release()


def _forget_failed_clients() -> None:
    """Collect a Client whose constructor failed, without the noise its finalizer makes."""
    import gc
    import sys

    hook = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook
