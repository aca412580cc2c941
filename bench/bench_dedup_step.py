"""Benchmark the batch-wide duplicate search alone, on the inputs a real run gives it.

The batch-wide step (templates, LSH, screening, verification, clusters,
evidence) depends on everything before it, so it is measured on a dump of
its inputs: ``dump`` runs ``audit run`` up to that step and pickles what
``deduplicate`` receives; ``time`` loads the dump, runs the step alone and
prints its seconds, its counts and a hash of its decisions (clusters, findings
with their evidence, template paragraphs). Two versions of the code decide
the same when their hashes agree.

Usage:
    python bench/bench_dedup_step.py dump bench/out/corpora/100k/input --to /tmp/d100k.pkl
    python bench/bench_dedup_step.py time /tmp/d100k.pkl              # seconds, counts, hash
    python bench/bench_dedup_step.py time /tmp/d100k.pkl --profile    # and where the time goes

A dump holds the signatures and body texts of every document: about 3.5 GB
for the 1M corpus, 1 GB for 300k.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import pickle
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class _Dumped(BaseException):
    """Stops the run once the step's inputs are on disk (clean-up still runs)."""


def dump(paths: list[str], to: Path, jobs: int) -> None:
    """Run the pipeline on ``paths`` up to the batch-wide step and pickle its inputs."""
    import audit.dedup as dedup
    from audit.config import Settings
    from audit.pipeline import run_audit

    def keep(
        docs: Any, sig: Any, bodies: Any, settings: Any, paragraphs: Any = None, *_: Any, **__: Any
    ) -> Any:
        inputs = (
            docs,
            sig,
            list(bodies),
            settings,
            None if paragraphs is None else list(paragraphs),
        )
        with to.open("wb") as fh:
            pickle.dump(inputs, fh, protocol=5)
        raise _Dumped

    real = dedup.deduplicate
    dedup.deduplicate = keep  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as out:
            overrides = {"paths": tuple(paths), "out": out, "jobs": jobs, "progress": False}
            run_audit(Settings.load(None, overrides))
    except _Dumped:
        print(f"dumped the step's inputs to {to} ({to.stat().st_size / 1e9:.2f} GB)")
        return
    finally:
        dedup.deduplicate = real
    raise SystemExit("the run ended before the batch-wide duplicate search")


def decisions(outcome: Any) -> str:
    """A hash of what the step decided: clusters, findings and their evidence, templates."""
    h = hashlib.sha256()
    h.update(repr([(c.kind, c.canonical, c.members) for c in outcome.clusters]).encode())
    h.update(repr([(f.doc_id, f.check, f.evidence) for f in outcome.findings]).encode())
    h.update(repr(outcome.templates).encode())
    return h.hexdigest()


class _PeakRss:
    """This process's RSS when made, and its peak until :meth:`stop` (polled every 5 ms)."""

    def __init__(self) -> None:
        self.base = self.peak = _rss_mb()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def stop(self) -> tuple[int, int]:
        """(RSS when made, peak RSS) in MB."""
        self._done.set()
        self._thread.join()
        return self.base, max(self.peak, _rss_mb())


def _rss_mb() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20


def run_step(path: Path, profile: bool) -> None:
    """Time ``deduplicate`` on a dump; print seconds, counts and the decisions' hash."""
    from audit.dedup.cross import deduplicate

    with path.open("rb") as fh:
        docs, sig, bodies, settings, paragraphs = pickle.load(fh)
    profiler = cProfile.Profile() if profile else None
    memory = _PeakRss()
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    outcome = deduplicate(docs, sig, bodies, settings, paragraphs, signatures_owned=True)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - t0
    base, peak = memory.stop()
    print(f"documents: {len(docs):,}")
    print(f"batch-wide duplicate search: {seconds:.1f} s{' (profiled)' if profile else ''}")
    print(f"memory: peak RSS {peak:,} MB, {peak - base:+,} MB over the loaded inputs")
    print(f"counts: {outcome.stats}")
    print(f"decisions: {decisions(outcome)}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"audit/", 30)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and dump or time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="run up to the step and pickle its inputs")
    d.add_argument("paths", nargs="+")
    d.add_argument("--to", type=Path, required=True)
    d.add_argument("--jobs", type=int, default=2)
    t = sub.add_parser("time", help="run the step alone on a dump")
    t.add_argument("dump", type=Path)
    t.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "dump":
        dump(args.paths, args.to, args.jobs)
    else:
        run_step(args.dump, args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
