"""Generate realistic scraped-news corpora of any size, with known flaws, for benchmarks.

Articles of about 400 words (paragraphs of two to four sentences) are built from
real sentences: those of the ABC news articles of the Lee corpus
(``data/lee/lee_background.cor``) and the fluent English machine translations of
MLQE-PE (``data/mlqe-pe/*.tsv``, rated 75 and over), with names and numbers varied
so that unrelated articles share about as few word sequences as real ones do. They
are wrapped the way scrapers capture pages (share/print buttons, a related-stories
block, sometimes a wire credit) and given metadata (id, title, url, publisher,
published date, claimed word count).
A known share of the documents are flawed copies or garbled:

- ``exact``: the same page captured twice (same outlet, another url, same text);
- ``near``: the same outlet republishing with a new headline, a few words changed
  and the last paragraph dropped;
- ``syndicated``: another outlet carrying the story with its own headline, chrome,
  a trimmed ending and a wire credit;
- ``garbled``: a body of sentences from poor machine translations (MLQE-PE rated
  under 25);
- ``missing_date`` and ``word_count_mismatch``: metadata flaws.

Output: ``OUT/input/part-NNNNN.jsonl`` (the corpus, sharded), ``OUT/labels.jsonl``
(one line per flawed document: id, kind, and the original it copies) and
``OUT/manifest.json`` (sizes, shares, seed, counts). The same arguments always give
the same bytes.

Usage::

    python bench/corpus.py --docs 100000 --out bench/corpora/100k
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
VERSION = 2  # of the generator: a cached corpus of another version is made again

OUTLETS = (
    "harbourtimes.example",
    "valleyherald.example",
    "coastalpost.example",
    "metrodaily.example",
    "northernstar.example",
    "capitalwire.example",
    "riverpress.example",
    "plainsgazette.example",
    "islandnews.example",
    "highlandsecho.example",
    "bayobserver.example",
    "citybeat.example",
    "westerntribune.example",
    "eastsidechronicle.example",
    "summitreport.example",
    "dailyledger.example",
)
SECTIONS = ("news", "world", "politics", "business", "local", "sport", "environment")
WIRES = ("Reuters", "AP", "AFP", "Kyodo", "AAP")
HEAD_CHROME = (
    ("Share", "Print"),
    ("Advertisement",),
    ("Skip to main content",),
    ("Listen to this article",),
    (),
    (),
)
TAIL_CHROME = (
    "Share this article",
    "Print",
    "Email",
    "Sign up for our newsletter",
    "Comments",
)


@dataclass(frozen=True)
class Shares:
    """The share of documents of each flawed kind."""

    exact: float = 0.03
    near: float = 0.03
    syndicated: float = 0.04
    garbled: float = 0.03
    missing_date: float = 0.02
    word_count_mismatch: float = 0.02


@dataclass
class Manifest:
    """What a generated corpus holds."""

    docs: int
    seed: int
    shard_size: int
    shares: dict[str, float]
    version: int = VERSION
    counts: dict[str, int] = field(default_factory=dict)
    words: int = 0
    bytes: int = 0
    files: list[str] = field(default_factory=list)


def load_sentences(path: Path) -> list[str]:
    """Sentences of at least six words from a one-article-per-line file."""
    text = path.read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", line.strip()):
            if len(sentence.split()) >= 6:
                out.append(sentence.strip())
    return out


def load_translations(low: float, high: float) -> list[str]:
    """MLQE-PE English translations of at least eight words rated in ``[low, high)``."""
    out = []
    for name in ("train.tsv", "dev.tsv"):
        with (DATA / "mlqe-pe" / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                text = " ".join(row["translation"].split())
                if low <= float(row["mean"]) < high and len(text.split()) >= 8:
                    out.append(text)
    return out


_VARIABLE = re.compile(r"^(\d[\d,.]*|[A-Z][a-z]+)$")


class _Sentence:
    """A sentence as words, with the positions of its names and numbers."""

    __slots__ = ("slots", "words")

    def __init__(self, text: str) -> None:
        self.words = text.split()
        self.slots = [i for i, w in enumerate(self.words) if i and _VARIABLE.match(w)]


class Generator:
    """Deterministic stream of documents (dicts ready to be written as JSON lines)."""

    def __init__(self, seed: int = 8, shares: Shares | None = None, pool: int = 4000) -> None:
        self.rng = random.Random(seed)
        self.shares = shares or Shares()
        clean = load_sentences(DATA / "lee" / "lee_background.cor") + load_translations(75, 101)
        self.sentences = [_Sentence(t) for t in clean]
        self.garbled = [_Sentence(t) for t in load_translations(0, 25)]
        self.names = sorted(
            {s.words[i] for s in self.sentences for i in s.slots if s.words[i][0].isupper()}
        )
        self.headlines = [t for t in clean if len(t.split()) >= 8]
        self.pool_size = pool
        self.pool: list[dict[str, Any]] = []  # a reservoir of earlier originals to copy
        self.seen = 0
        self.start = dt.date(2023, 1, 1)

    def documents(self, n: int) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
        """``n`` documents, each with its label (None for a clean original)."""
        s = self.shares
        cuts = []
        total = 0.0
        for kind in ("exact", "near", "syndicated", "garbled", "missing_date"):
            total += getattr(s, kind)
            cuts.append((total, kind))
        total += s.word_count_mismatch
        cuts.append((total, "word_count_mismatch"))
        for i in range(n):
            r = self.rng.random()
            kind = next((k for cut, k in cuts if r < cut), "original")
            if kind in ("exact", "near", "syndicated") and not self.pool:
                kind = "original"
            yield self._make(i, kind)

    def _make(self, i: int, kind: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        doc_id = f"d{i:08d}"
        if kind in ("exact", "near", "syndicated"):
            original = self.rng.choice(self.pool)
            return self._copy(doc_id, kind, original), {
                "id": doc_id,
                "kind": kind,
                "of": original["id"],
            }
        story = self._story(garbled=kind == "garbled")
        outlet = self.rng.choice(OUTLETS)
        date = self.start + dt.timedelta(days=self.rng.randrange(730))
        doc = self._page(doc_id, story, outlet, date, credit=None)
        if kind == "missing_date":
            doc["published"] = None
        elif kind == "word_count_mismatch":
            doc["word_count"] = int(doc["word_count"] * self.rng.choice((0.5, 0.6, 1.7, 2.0)))
        if kind in ("original", "missing_date", "word_count_mismatch"):
            self._remember({"id": doc_id, "story": story, "outlet": outlet, "date": date})
        return doc, None if kind == "original" else {"id": doc_id, "kind": kind, "of": None}

    def _remember(self, original: dict[str, Any]) -> None:
        """Reservoir sampling, so copies point at originals from anywhere earlier."""
        self.seen += 1
        if len(self.pool) < self.pool_size:
            self.pool.append(original)
        else:
            j = self.rng.randrange(self.seen)
            if j < self.pool_size:
                self.pool[j] = original

    def _story(self, garbled: bool) -> dict[str, Any]:
        """A headline and paragraphs of about 400 words."""
        source = self.garbled if garbled else self.sentences
        paragraphs: list[str] = []
        words = 0
        target = self.rng.randint(330, 400)
        while words < target:
            k = self.rng.randint(2, 4)
            para = " ".join(self._vary(self.rng.choice(source)) for _ in range(k))
            paragraphs.append(para)
            words += para.count(" ") + 1
        head_words = self.rng.choice(self.headlines).rstrip(".").split()
        title = " ".join(head_words[: self.rng.randint(6, 12)])
        return {"title": title, "paragraphs": paragraphs}

    def _vary(self, sentence: _Sentence) -> str:
        """The sentence with some of its names and numbers replaced by others."""
        if not sentence.slots:
            return " ".join(sentence.words)
        words = list(sentence.words)
        rng = self.rng
        for i in sentence.slots:
            if rng.random() < 0.6:
                w = words[i]
                words[i] = str(rng.randint(2, 2000)) if w[0].isdigit() else rng.choice(self.names)
        return " ".join(words)

    def _copy(self, doc_id: str, kind: str, original: dict[str, Any]) -> dict[str, Any]:
        story = original["story"]
        if kind == "exact":
            return self._page(doc_id, story, original["outlet"], original["date"], credit=None)
        paragraphs = list(story["paragraphs"])
        if kind == "near":
            paragraphs = paragraphs[:-1] if len(paragraphs) > 3 else paragraphs
            paragraphs = [self._edit(p) if self.rng.random() < 0.3 else p for p in paragraphs]
            new = {"title": self._edit(story["title"]), "paragraphs": paragraphs}
            date = original["date"] + dt.timedelta(days=self.rng.randint(0, 1))
            return self._page(doc_id, new, original["outlet"], date, credit=None)
        keep = max(3, len(paragraphs) - self.rng.randint(0, 2))
        new = {
            "title": self._edit(self.rng.choice(self.headlines).rstrip(".")),
            "paragraphs": paragraphs[:keep],
        }
        outlet = self.rng.choice([o for o in OUTLETS if o != original["outlet"]])
        date = original["date"] + dt.timedelta(days=self.rng.randint(0, 2))
        return self._page(doc_id, new, outlet, date, credit=self.rng.choice(WIRES))

    def _edit(self, text: str) -> str:
        """A few words of ``text`` swapped for others."""
        words = text.split()
        for _ in range(max(1, len(words) // 25)):
            j = self.rng.randrange(len(words))
            words[j] = self.rng.choice(("new", "major", "local", "senior", "early", "latest"))
        return " ".join(words)

    def _page(
        self,
        doc_id: str,
        story: dict[str, Any],
        outlet: str,
        date: dt.date,
        credit: str | None,
    ) -> dict[str, Any]:
        """The scraped page: chrome, title, body, credit, related block; and metadata."""
        rng = self.rng
        lines: list[str] = list(rng.choice(HEAD_CHROME))
        lines += [story["title"], ""]
        body = story["paragraphs"]
        if credit and rng.random() < 0.5:
            body = [f"({credit}) - {body[0]}", *body[1:]]
        for para in body:
            lines += [para, ""]
        if credit:
            lines += [f"Source: {credit}", ""]
        if rng.random() < 0.7:
            lines.append("Related stories")
            for _ in range(3):
                lines.append(" ".join(rng.choice(self.headlines).split()[:8]))
            lines.append("")
        lines += rng.sample(TAIL_CHROME, rng.randint(1, 3))
        words = sum(len(p.split()) for p in story["paragraphs"])
        slug = "-".join(story["title"].lower().split()[:6])
        slug = re.sub(r"[^a-z0-9-]", "", slug)
        section = rng.choice(SECTIONS)
        return {
            "id": doc_id,
            "title": story["title"],
            "url": f"https://www.{outlet}/{section}/{date:%Y/%m/%d}/{slug}-{doc_id}",
            "publisher": outlet,
            "published": date.isoformat(),
            "word_count": words,
            "section": section,
            "text": "\n".join(lines),
        }


def write_corpus(
    out: Path, docs: int, seed: int = 8, shard_size: int = 100_000, shares: Shares | None = None
) -> Manifest:
    """Write ``docs`` documents under ``out`` (see the module docstring); returns the manifest.

    An existing corpus with the same manifest is kept as it is.
    """
    shares = shares or Shares()
    manifest = Manifest(docs=docs, seed=seed, shard_size=shard_size, shares=asdict(shares))
    existing = out / "manifest.json"
    if existing.is_file():
        old = json.loads(existing.read_text(encoding="utf-8"))
        same = {k: old.get(k) for k in ("docs", "seed", "shard_size", "shares", "version")}
        if same == {k: getattr(manifest, k) for k in same} and all(
            (out / f).is_file() for f in old.get("files", [])
        ):
            return Manifest(**old)
    folder = out / "input"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("part-*.jsonl"):
        stale.unlink()
    gen = Generator(seed, shares)
    counts: dict[str, int] = {}
    fh = None
    with (out / "labels.jsonl").open("w", encoding="utf-8") as labels:
        for i, (doc, label) in enumerate(gen.documents(docs)):
            if i % shard_size == 0:
                if fh:
                    fh.close()
                name = f"input/part-{i // shard_size:05d}.jsonl"
                manifest.files.append(name)
                fh = (out / name).open("w", encoding="utf-8")
            assert fh is not None
            line = json.dumps(doc, ensure_ascii=False) + "\n"
            fh.write(line)
            manifest.bytes += len(line.encode("utf-8"))
            manifest.words += len(doc["text"].split())
            kind = label["kind"] if label else "original"
            counts[kind] = counts.get(kind, 0) + 1
            if label:
                labels.write(json.dumps(label) + "\n")
    if fh:
        fh.close()
    manifest.counts = dict(sorted(counts.items()))
    existing.write_text(json.dumps(asdict(manifest), indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command line: generate one corpus and print its manifest."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="how many documents")
    parser.add_argument("--out", type=Path, required=True, help="folder to write")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--shard-size", type=int, default=100_000, help="documents per file")
    for name, default in asdict(Shares()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=default)
    args = parser.parse_args(argv)
    shares = Shares(**{k: getattr(args, k) for k in asdict(Shares())})
    if sum(asdict(shares).values()) > 1 or args.docs < 1 or args.shard_size < 1:
        parser.error("shares must add up to at most 1; docs and shard size at least 1")
    t0 = time.perf_counter()
    manifest = write_corpus(args.out, args.docs, args.seed, args.shard_size, shares)
    print(json.dumps(asdict(manifest) | {"seconds": round(time.perf_counter() - t0, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
