"""Benchmark: render report.html for a large run and print the time and the page size.

Target: 100,000 documents render in under 10 seconds into a page under about 5 MB.

Usage:
    python bench/bench_report.py [N] [--seed S] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.report.charts import vega_bundle
from audit.report.html import render_report, write_report
from bench.sample_results import build_history, build_results


def main() -> None:
    """Build a sample run, render it twice (cold and warm), print the figures."""
    parser = argparse.ArgumentParser(description="report rendering benchmark")
    parser.add_argument("n", type=int, nargs="?", default=100_000, help="documents")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the page here")
    args = parser.parse_args()

    t0 = time.perf_counter()
    results = build_results(args.n, seed=args.seed)
    history = build_history(20, seed=args.seed)
    t1 = time.perf_counter()
    n_findings = sum(len(d["findings"]) for d in results["documents"])
    with_findings = sum(1 for d in results["documents"] if d["findings"])
    results_mb = len(json.dumps(results)) / 1e6
    print(
        f"sample: {args.n:,} documents, {with_findings:,} with findings, {n_findings:,} findings, "
        f"{len(results['clusters']):,} clusters; results.json {results_mb:.1f} MB "
        f"(built in {t1 - t0:.1f} s)"
    )

    t2 = time.perf_counter()
    html = render_report(results, history)
    t3 = time.perf_counter()
    bundle = len(vega_bundle() or "")
    print(
        f"render (first in this process, Vega bundle from the disk cache): {t3 - t2:.2f} s, "
        f"{len(html.encode()) / 1e6:.2f} MB (of which the Vega bundle {bundle / 1e6:.2f} MB)"
    )
    t4 = time.perf_counter()
    html = render_report(results, history)
    t5 = time.perf_counter()
    print(f"render (warm): {t5 - t4:.2f} s, {len(html.encode()) / 1e6:.2f} MB")
    import vl_convert

    t6 = time.perf_counter()
    vl_convert.javascript_bundle()
    print(
        f"building the Vega bundle (first render on a machine only): "
        f"{time.perf_counter() - t6:.2f} s"
    )
    if args.out:
        write_report(results, args.out, history)
        print(f"wrote {args.out}")
    verdict = "ok" if t3 - t2 < 10 and len(html.encode()) < 5_000_000 else "MISSED"
    print(f"target (< 10 s, < 5 MB for 100,000 documents): {verdict}")


if __name__ == "__main__":
    main()
