"""Throughput of the garbled-text detector on 400-word documents (one core).

    python bench/bench_garble.py [--docs 2000] [--words 400]

Documents are built from the Lee news articles (bench/data/lee/), cut into
paragraphs of about 60 words, each document a different 400-word window, so the
token cache sees a realistic share of new words. Prints documents per second and
the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.signals.garble import get_detector
from bench import garble_data


def make_documents(n_docs: int, n_words: int, para_words: int = 60) -> list[list[str]]:
    """``n_docs`` documents of ``n_words`` words in paragraphs, windows over the Lee corpus."""
    words = " ".join(garble_data.load_lee()).split()
    docs: list[list[str]] = []
    step = max(1, (len(words) - n_words) // max(n_docs, 1))
    for i in range(n_docs):
        start = (i * step) % max(1, len(words) - n_words)
        w = words[start : start + n_words]
        docs.append([" ".join(w[j : j + para_words]) for j in range(0, len(w), para_words)])
    return docs


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--words", type=int, default=400)
    ap.add_argument("--batch", type=int, default=100, help="documents per score_documents call")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    det = get_detector()
    load_s = time.perf_counter() - t0
    docs = make_documents(args.docs, args.words)
    det.score_documents(docs[:50])  # warm the token cache a little, as a running process would
    t1, c1 = time.perf_counter(), time.process_time()
    flagged = 0
    for start in range(0, len(docs), args.batch):
        results = det.score_documents(docs[start : start + args.batch])
        flagged += sum(r.score > 0.5 for r in results)
    elapsed, cpu = time.perf_counter() - t1, time.process_time() - c1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model load: {load_s * 1000:.0f} ms")
    print(f"documents: {len(docs)} x {args.words} words, flagged {flagged}")
    print(f"batch: {args.batch} documents per call")
    print(f"throughput: {len(docs) / cpu:,.0f} docs/s per core (CPU time {cpu:.2f} s)")
    print(f"wall clock: {len(docs) / elapsed:,.0f} docs/s ({elapsed:.2f} s)")
    print(f"peak memory: {peak_mb:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
