"""Signal computation throughput on generated 400-word articles (one core).

Run: python bench/bench_signals.py [--docs N]
Prints documents per second for compute_signals over parsed chunks, and the
microseconds per document each registered signal function takes. The whole
read + parse + signals path targets 5,000 documents per second per core, so
signals should stay well under 100 us per document.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import time

from audit.config import Settings
from audit.model import Chunk
from audit.parse import parse_records
from audit.signals import SIGNALS, compute_signals
from audit.signals.base import Batch

WORDS = (
    "the minister said on Tuesday that talks with officials would continue as the "
    "government weighs new measures against rising prices in the region while critics "
    "argue the plan does little for families and small businesses across the country"
).split()


def article(rng: random.Random, i: int) -> str:
    """A scraped page: chrome, title, ~400 words, related links, summary and metadata."""
    paras = []
    for _ in range(8):
        words = [rng.choice(WORDS) for _ in range(rng.randint(40, 60))]
        paras.append(" ".join(words).capitalize() + ".")
    if i % 10 == 0:
        paras.append(paras[1])  # a repeated paragraph
    day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 3000))
    return "\n\n".join(
        [
            "print PRINT",
            day.strftime("%A, %B %-d, %Y"),
            f"Headline number {i} about the economy",
            *paras,
            "Related Stories",
            "Most Popular Articles",
            "Summary",
            " ".join(rng.choice(WORDS) for _ in range(30)),
            f"ID: {i}",
            f"URL: https://news.example.com/{day:%Y%m%d}_{i}/",
            f"Date: {day:%b}. {day.day}, {day.year}",
            f"Created: {day:%Y/%m/%d} 07:30",
            f"Updated: {day + dt.timedelta(days=rng.randint(0, 40)):%Y/%m/%d} 13:08",
        ]
    )


def main() -> None:
    """Parse generated chunks, then time compute_signals and each signal function."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(7)
    records = [{"doc_id": f"{i:06d}.txt", "text": article(rng, i)} for i in range(args.docs)]
    settings = Settings()
    now = dt.date(2026, 1, 1)
    t0 = time.process_time()
    parsed = parse_records([dict(r) for r in records])
    parse_s = time.process_time() - t0
    best = float("inf")
    for _ in range(args.repeat):
        chunk = Chunk(parsed.documents.copy(), parsed.paragraphs)
        t0 = time.process_time()
        compute_signals(chunk, settings, now)
        best = min(best, time.process_time() - t0)
    n = len(parsed.documents)
    print(f"{n} documents, {len(parsed.paragraphs)} paragraphs, one core (CPU time)")
    print(f"parse            {n / parse_s:8.0f} docs/s  ({parse_s * 1e6 / n:5.1f} us/doc)")
    print(
        f"compute_signals  {n / best:8.0f} docs/s  ({best * 1e6 / n:5.1f} us/doc, "
        f"best of {args.repeat})"
    )
    both = parse_s + best
    print(f"parse + signals  {n / both:8.0f} docs/s  ({both * 1e6 / n:5.1f} us/doc)")
    # per signal, best of the repeats, with the collector paused as compute_signals does
    gc.disable()
    times: dict[str, float] = {}
    for _ in range(args.repeat):
        t0 = time.process_time()
        batch = Batch(parsed.documents, parsed.paragraphs, settings.signals, now)
        times["Batch"] = min(times.get("Batch", 1e9), time.process_time() - t0)
        cols: dict[str, list[object]] = {}
        for sig in SIGNALS:
            t0 = time.process_time()
            out = sig.func(batch, cols)
            times[sig.name] = min(times.get(sig.name, 1e9), time.process_time() - t0)
            cols.update(out.columns)
    gc.enable()
    for name, seconds in times.items():
        print(f"  {name:<14} {seconds * 1e6 / n:5.1f} us/doc")


if __name__ == "__main__":
    main()
