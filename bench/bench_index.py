"""Benchmark the SQLite corpus index: check and admit a batch against a large generated index.

Target: a 1,000-document batch checked against 1,000,000 admitted documents in
under 5 s, and admitted in under 5 s.

The index is generated with random signatures in datasketch's value range
(``affine32``: uint32 values); band keys are computed exactly as for real
signatures. The batch mixes copies of admitted documents (some exact, some
with a share of their hash values changed, as an edited copy would have) and
new documents, and the benchmark checks that every copy is found.

Usage:
    python bench/bench_index.py                   # 1,000,000 documents (a few minutes to build)
    python bench/bench_index.py --size 100000     # quicker
    python bench/bench_index.py --path corpus.db --keep   # build once, rerun with --reuse
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.config import DedupSettings
from audit.index import IndexRecord, open_index

MAX_VALUE = 2**32 - 1  # datasketch affine32 hash values are uint32


def signatures(rng: np.random.Generator, n: int, num_perm: int) -> np.ndarray:
    """Random signatures in datasketch's value range."""
    return rng.integers(0, MAX_VALUE, size=(n, num_perm), dtype=np.uint64)


def build(path: Path, size: int, chunk: int, settings: DedupSettings, seed: int) -> float:
    """Admit ``size`` generated documents in chunks; returns seconds taken."""
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    with open_index(str(path), settings, create=True, timeout_s=600) as ix:
        done = 0
        while done < size:
            n = min(chunk, size - done)
            sigs = signatures(rng, n, settings.num_perm)
            records = [
                IndexRecord(f"gen/{done + i:08d}.txt", "generated", "2024-01-01", 300)
                for i in range(n)
            ]
            ix.admit(records, sigs)
            done += n
            rate = done / (time.perf_counter() - start)
            print(f"  built {done:>9,} documents ({rate:,.0f}/s)", flush=True)
    return time.perf_counter() - start


def stored_signatures(path: Path, ids: list[int], num_perm: int) -> np.ndarray:
    """Signatures of admitted documents, read back from the file."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        marks = ",".join("?" * len(ids))
        rows = dict(
            conn.execute(
                f"SELECT doc_id, signature FROM docs WHERE doc_id IN ({marks})",
                [f"gen/{i:08d}.txt" for i in ids],
            ).fetchall()
        )
    conn.close()
    return np.stack(
        [np.frombuffer(rows[f"gen/{i:08d}.txt"], dtype="<u4").astype(np.uint64) for i in ids]
    )


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="documents in the index")
    parser.add_argument("--batch", type=int, default=1_000, help="documents in the batch")
    parser.add_argument("--chunk", type=int, default=100_000, help="documents per build admit")
    parser.add_argument("--copies", type=float, default=0.3, help="share of the batch that copies")
    parser.add_argument("--path", type=Path, help="index file (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use an existing --path as built")
    parser.add_argument("--keep", action="store_true", help="keep the index file afterwards")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    settings = DedupSettings()
    tmpdir = None
    if args.path is None:
        tmpdir = Path(tempfile.mkdtemp(prefix="bench-index-"))
        args.path = tmpdir / "corpus.db"
    try:
        ids = [f"batch/{i:05d}.txt" for i in range(args.batch)]
        if args.reuse and args.path.is_file():
            with open_index(str(args.path), settings, create=False) as ix:
                ix.remove(ids)  # a batch admitted by an earlier run
                args.size = ix.stats().documents
            print(f"reusing {args.path} with {args.size:,} documents")
        else:
            args.path.unlink(missing_ok=True)
            print(f"building an index of {args.size:,} documents at {args.path}")
            seconds = build(args.path, args.size, args.chunk, settings, args.seed)
            print(f"build: {seconds:.1f} s ({args.size / seconds:,.0f} documents/s)")
        size_mb = args.path.stat().st_size / 1e6
        print(f"index file: {size_mb:,.0f} MB")

        rng = np.random.default_rng(args.seed + 1)
        n_copies = int(args.batch * args.copies)
        picked = sorted(rng.choice(args.size, n_copies, replace=False).tolist())
        copies = stored_signatures(args.path, picked, settings.num_perm)
        edited = copies[n_copies // 2 :]
        change = rng.random(edited.shape) < 0.15  # an edited copy: Jaccard about 0.85
        edited[change] = signatures(rng, int(change.sum()), 1).ravel()
        new = signatures(rng, args.batch - n_copies, settings.num_perm)
        batch = np.vstack([copies, new])

        start = time.perf_counter()
        with open_index(str(args.path), settings, create=False) as ix:
            opened = time.perf_counter() - start
            t0 = time.perf_counter()
            matches = ix.query(ids, batch, [300] * args.batch)
            query_s = time.perf_counter() - t0
            found = {m.doc_id: m.original for m in matches}
            expected = {ids[k]: f"gen/{i:08d}.txt" for k, i in enumerate(picked)}
            missed = [d for d, o in expected.items() if found.get(d) != o]
            false = [d for d in found if d not in expected]
            records = [IndexRecord(d, "batch", "2024-06-01", 300) for d in ids]
            t0 = time.perf_counter()
            result = ix.admit(records, batch)
            admit_s = time.perf_counter() - t0
        print(f"open: {opened:.3f} s")
        print(
            f"check {args.batch:,} documents against {args.size:,}: {query_s:.2f} s "
            f"(target < 5 s) - {len(found)} matched, {len(missed)} copies missed, "
            f"{len(false)} false matches"
        )
        print(
            f"admit {args.batch:,} documents: {admit_s:.2f} s (target < 5 s) - "
            f"index now {result.documents:,} documents"
        )
        ok = query_s < 5 and admit_s < 5 and not missed and not false
        print("PASS" if ok else "MISS")
        return 0 if ok else 1
    finally:
        if tmpdir is not None and not args.keep:
            shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
