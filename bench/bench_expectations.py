"""Validating all shipped suites over 100,000 documents' signals (target: under 10 s).

Run: python bench/bench_expectations.py [--docs N] [--sample N]

Signals are computed by the real pipeline (parse + compute_signals) on a sample
of generated articles with the flaws a scrape has (missing dates, repeated
paragraphs, chrome, cut summaries, inconsistent dates), then tiled to N rows with
unique ids and URLs. Prints the time to import GX, load the suites, validate,
and write gx_validation.json, and how many findings came out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_signals import article

from audit.config import Settings
from audit.parse import parse_records
from audit.signals import compute_signals


def flawed(rng: random.Random, i: int) -> str:
    """A generated article, one in ten with an extra flaw in its metadata."""
    text = article(rng, i)
    flaw = rng.randrange(10)
    if flaw == 0:
        text = text.replace("Date: ", "Datum: ")  # no publication date
    elif flaw == 1:
        text = text.replace("Updated: 20", "Updated: 21")  # update in the future
    elif flaw == 2:
        text += "\nStatistics\n999\nWords"  # a claimed word count far off
    return text


def signals_table(n: int, sample: int) -> pd.DataFrame:
    """``n`` rows of real signals: ``sample`` parsed documents, tiled with unique keys."""
    rng = random.Random(11)
    records = [{"doc_id": f"{i:06d}.txt", "text": flawed(rng, i)} for i in range(sample)]
    chunk = parse_records(records)
    compute_signals(chunk, Settings(), dt.date(2026, 1, 1))
    docs = chunk.documents.drop(columns=["text", "record"])
    reps = -(-n // sample)
    big = pd.concat([docs] * reps, ignore_index=True).iloc[:n].copy()
    k = pd.Series(range(n)).astype(str)
    big["doc_id"] = k.radd("doc-").tolist()
    big["record_id"] = k.radd("id-").tolist()
    big["url"] = [
        None if u is None else f"{u}{j}" for u, j in zip(big["url"].tolist(), range(n), strict=True)
    ]
    return big


def main() -> None:
    """Build the table, then time each step of validation."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=2_000)
    args = ap.parse_args()
    table = signals_table(args.docs, args.sample)
    t0 = time.perf_counter()
    import great_expectations  # noqa: F401

    t_import = time.perf_counter() - t0
    from audit.expectations import load_suites, packaged_suites, suite_parameters, validate

    t0 = time.perf_counter()
    suites = load_suites(packaged_suites())
    t_load = time.perf_counter() - t0
    n_exp = sum(len(s.expectations) for s in suites)
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        outcomes, findings = validate(table, suites, None, suite_parameters("en"))
        t_validate, c_validate = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        validate(table, suites, Path(tmp), suite_parameters("en"))
        t_json, c_json = time.perf_counter() - t0, time.process_time() - c0
        size = (Path(tmp) / "gx_validation.json").stat().st_size
    failed = sum(not o.success for o in outcomes)
    print(f"{len(table)} documents, {len(suites)} suites, {n_exp} expectations")
    print(f"import great_expectations  {t_import:6.2f} s wall (once per process)")
    print(f"load_suites                {t_load:6.2f} s wall")
    print(
        f"validate                   {t_validate:6.2f} s wall, {c_validate:6.2f} s CPU "
        "(target < 10 s)"
    )
    print(
        f"validate + gx_validation   {t_json:6.2f} s wall, {c_json:6.2f} s CPU "
        f"({size / 1e6:.1f} MB of GX result JSON)"
    )
    print(f"{failed} expectations failed, {len(findings)} findings")


if __name__ == "__main__":
    main()
