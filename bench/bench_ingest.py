"""Reading and parsing throughput on generated 400-word articles (one core).

Run: python bench/bench_ingest.py [--docs N]
Prints documents per second for text dumps and for JSON Lines, read + parse, and
for JSON Lines read alone (what the driver of a run does while the workers parse).
Target: at least 5,000 documents per second per core.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from audit.config import InputSettings
from audit.ingest import read_chunks
from audit.parse import parse_records

WORDS = (
    "the minister said on monday that talks with officials would continue as the "
    "government weighs new measures against rising prices in the region while critics "
    "argue the plan does little for families and small businesses across the country"
).split()


def article(rng: random.Random, i: int) -> str:
    """A scraped page: chrome, title, ~400 words in paragraphs, footer and metadata."""
    paras = []
    for _ in range(8):
        n = rng.randint(40, 60)
        words = [rng.choice(WORDS) for _ in range(n)]
        paras.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(
        [
            "print PRINT",
            f"Headline number {i} about the economy",
            *paras,
            "Related Stories",
            "Most Popular Articles",
            f"ID: {i}",
            "Date: Oct. 5, 2022",
        ]
    )


def main() -> None:
    """Write the corpus, then time reading and parsing it."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(7)
    texts = [article(rng, i) for i in range(args.docs)]
    words = sum(len(t.split()) for t in texts) / len(texts)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "txt"
        folder.mkdir()
        for i, t in enumerate(texts):
            (folder / f"{i:06d}.txt").write_text(t)
        jsonl = Path(tmp) / "batch.jsonl"
        jsonl.write_text(
            "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
        )
        print(f"{args.docs} documents, {words:.0f} words each on average, one core")
        for name, path in (("text dumps", folder), ("JSON Lines", jsonl)):
            best = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                n = paragraphs = 0
                for records in read_chunks([str(path)], InputSettings()):
                    chunk = parse_records(records)
                    n += len(chunk.documents)
                    paragraphs += len(chunk.paragraphs)
                best = min(best, time.perf_counter() - t0)
            print(
                f"{name:<11} read+parse: {n / best:8.0f} docs/s  "
                f"(best of {args.repeat}: {best:.2f} s, {paragraphs} paragraphs)"
            )
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            n = sum(len(records) for records in read_chunks([str(jsonl)], InputSettings()))
            best = min(best, time.perf_counter() - t0)
        rate = n / best
        print(f"JSON Lines  read only:  {rate:8.0f} docs/s  (best of {args.repeat}: {best:.2f} s)")


if __name__ == "__main__":
    main()
