"""Build the labelled deduplication corpus from the Lee news articles.

Run: python bench/dedup_corpus.py [--out FILE] [--seed N]
Writes JSON Lines records (``doc_id, title, text, url, domain, published`` plus
the labels ``group`` and ``edits``) and prints the corpus hash and its make-up.

Every Lee article is an original published by ``abc.net.au``. Many get copies
made the way the web makes them: republished by other outlets (syndication)
or by the same outlet (an update), each copy with a new headline, its outlet's
page chrome and template paragraphs, and some of: trimmed ending, reordered
paragraphs, a heavy trim leaving about a third of the story, a rewritten
opening paragraph, inserted chrome lines, a wire credit, light word edits,
typos and OCR-like character noise. Negatives that must stay apart: the
articles themselves (``lee.cor`` holds pairs on the same topic that people
rated as very similar), different stories printed under the same outlet
template, and empty or one-line pages. ``group`` is the label: an original
and its copies share it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEE = Path(__file__).resolve().parent / "data" / "lee"
SEED = 20240501

ORIGIN = ("ABC News", "abc.net.au")
OUTLETS: tuple[tuple[str, str], ...] = (
    ("The Northern Star", "northernstar.example.com"),
    ("Coastal Herald", "coastalherald.example.com"),
    ("Daily Ledger", "dailyledger.example.com"),
    ("Pacific Wire Review", "pacificwire.example.net"),
    ("The Morning Post", "morningpost.example.org"),
    ("Valley Times", "valleytimes.example.com"),
    ("Metro Bulletin", "metrobulletin.example.com"),
    ("Harbour Gazette", "harbourgazette.example.com"),
    ("Inland Courier", "inlandcourier.example.com"),
    ("The Evening Record", "eveningrecord.example.net"),
)
TEMPLATE_OUTLET = ("Civic Newsroom", "civicnewsroom.example.org")

SYNONYMS: dict[str, str] = {
    "said": "says",
    "says": "said",
    "people": "residents",
    "government": "administration",
    "police": "officers",
    "today": "on Tuesday",
    "yesterday": "on Monday",
    "killed": "left dead",
    "help": "assist",
    "big": "large",
    "about": "around",
    "began": "started",
    "announced": "revealed",
    "attack": "assault",
    "attacks": "assaults",
    "told": "informed",
    "expected": "likely",
    "officials": "authorities",
    "meeting": "talks",
    "country": "nation",
    "leader": "chief",
    "leaders": "chiefs",
    "week": "seven days",
    "many": "numerous",
    "also": "as well",
    "however": "but",
    "because": "as",
    "near": "close to",
    "fire": "blaze",
    "fires": "blazes",
    "strong": "powerful",
    "decision": "ruling",
    "important": "significant",
    "agreed": "consented",
    "reported": "stated",
    "show": "reveal",
    "shows": "reveals",
    "large": "big",
    "small": "minor",
    "forces": "troops",
    "military": "armed forces",
    "state": "region",
}
OPENERS = (
    "Authorities confirmed on Tuesday that",
    "It has emerged that",
    "In a development that surprised observers,",
    "According to reports reaching this newsroom,",
    "Officials have indicated that",
)
INSERTED_CHROME = (
    "Advertisement",
    "Share this story",
    "Continue reading below",
    "Click here to subscribe",
    "Share on Facebook",
    "Story continues below advertisement",
)
WIRE_CREDITS = (
    ("dateline", "SYDNEY (AAP) - "),
    ("dateline", "CANBERRA (Reuters) - "),
    ("line", "AAP"),
    ("line", "Source: AAP"),
    ("line", "(Reuters)"),
    ("line", "With reporting from AFP."),
    ("line", "Source: ABC News"),
    ("line", "Originally published by abc.net.au"),
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_OCR = {"m": "rn", "l": "1", "o": "0", "e": "c", "i": "l", "h": "b", "S": "5", "B": "8", "a": "o"}


@dataclass(frozen=True)
class Recipe:
    """How many documents of each kind the corpus has."""

    copied_share: float = 0.6  # share of articles that get copies
    max_copies: int = 4
    template_stories: int = 12  # different stories under one outlet template
    junk_pages: int = 10  # empty and one-line pages


def load_articles() -> list[str]:
    """The Lee articles: ``lee_background.cor`` then ``lee.cor``."""
    out: list[str] = []
    for name in ("lee_background.cor", "lee.cor"):
        text = (LEE / name).read_text(encoding="latin-1")
        out += [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return out


def distinct(articles: list[str], n: int = 8, limit: float = 0.5) -> list[int]:
    """Indices of the articles to use: the later of two articles sharing at least
    ``limit`` of the smaller one's word ``n``-grams is left out.

    The Lee corpus itself holds a few duplicate and near-duplicate articles (the
    same story filed twice); left in, they would be copies labelled as different
    stories. This check is deliberately independent of the engine under test.
    """
    grams: list[set[tuple[str, ...]]] = []
    keep: list[int] = []
    for i, a in enumerate(articles):
        w = a.lower().split()
        g = {tuple(w[j : j + n]) for j in range(len(w) - n + 1)}
        if all(len(g & h) < limit * max(1, min(len(g), len(h))) for h in grams):
            keep.append(i)
            grams.append(g)
    return keep


def similar_topic_pairs(threshold: float = 0.75) -> list[tuple[int, int]]:
    """Pairs of distinct ``lee.cor`` articles people rated at least ``threshold`` similar.

    Indices are into :func:`load_articles` (``lee.cor`` follows the 299 background articles).
    """
    offset = len((LEE / "lee_background.cor").read_text(encoding="latin-1").splitlines())
    rows = (LEE / "similarities0-1.txt").read_text().splitlines()
    out = []
    for i, row in enumerate(rows):
        for j, v in enumerate(row.split()):
            if j > i and float(v) >= threshold:
                out.append((offset + i, offset + j))
    return out


def paragraphs(article: str, rng: random.Random) -> list[str]:
    """An article split into paragraphs of one to three sentences."""
    sentences = [s.strip() for s in _SENTENCE.split(article) if s.strip()]
    out: list[str] = []
    i = 0
    while i < len(sentences):
        n = rng.choice((1, 2, 2, 3))
        out.append(" ".join(sentences[i : i + n]))
        i += n
    return out


def headline(article: str, rng: random.Random, variant: int) -> str:
    """A headline made from the article's words (a different one per variant)."""
    words = [w.strip(".,;:\"'()") for w in article.split()[:40]]
    words = [w for w in words if w]
    start = (variant * 3) % max(1, len(words) - 8)
    n = rng.randint(6, 10)
    title = " ".join(words[start : start + n])
    return title[:1].upper() + title[1:]


def _date(rng: random.Random) -> dt.date:
    return dt.date(2001, 1, 1) + dt.timedelta(days=rng.randint(0, 700))


def light_edits(text: str, rng: random.Random, rate: float) -> str:
    """Swap words for synonyms and drop a few small words."""
    out: list[str] = []
    for w in text.split(" "):
        core = w.strip(".,;:\"'")
        r = rng.random()
        if core.lower() in SYNONYMS and r < rate * 6:
            out.append(w.replace(core, SYNONYMS[core.lower()]))
        elif core.lower() in ("the", "a", "that", "very") and r < rate * 3:
            continue
        else:
            out.append(w)
    return " ".join(out)


def typos(text: str, rng: random.Random, rate: float) -> str:
    """Swap, drop or double a character in some words."""
    out: list[str] = []
    for w in text.split(" "):
        if len(w) > 3 and rng.random() < rate:
            i = rng.randrange(1, len(w) - 2)
            op = rng.randrange(3)
            if op == 0:
                w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
            elif op == 1:
                w = w[:i] + w[i + 1 :]
            else:
                w = w[:i] + w[i] + w[i:]
        out.append(w)
    return " ".join(out)


def ocr_noise(text: str, rng: random.Random, rate: float) -> str:
    """OCR-like confusions (rn for m, 1 for l, 0 for o ...) and merged words."""
    out: list[str] = []
    for ch in text:
        r = rng.random()
        if ch in _OCR and r < rate:
            out.append(_OCR[ch])
        elif ch == " " and r < rate / 4:
            continue
        else:
            out.append(ch)
    return "".join(out)


def rewrite_opening(par: str, rng: random.Random) -> str:
    """A rewritten opening paragraph: new lead-in, clauses moved, words replaced."""
    sentences = _SENTENCE.split(par)
    first = sentences[0].rstrip(".")
    if ", " in first:
        head, tail = first.split(", ", 1)
        first = tail[:1].upper() + tail[1:] + ", " + head[:1].lower() + head[1:]
    first = light_edits(first, rng, 0.5)
    lead = rng.choice(OPENERS)
    new = f"{lead} {first[:1].lower()}{first[1:]}."
    rest = " ".join(light_edits(s, rng, 0.3) for s in sentences[1:])
    return (new + " " + rest).strip()


def outlet_chrome(name: str, domain: str) -> tuple[list[str], list[str]]:
    """Header lines and footer paragraphs of an outlet (footers are long: they read as prose)."""
    header = [f"{name} | News | World | Business | Sport", "Menu"]
    footer = [
        f"Stay informed with the {name} daily newsletter, delivered to your inbox every "
        f"morning with the stories that matter to our readers.",
        f"{name} is an independent newsroom. Our journalism is supported by readers like "
        f"you: become a member today and help keep local reporting alive.",
        f"© {name}. All rights reserved. This material may not be published, broadcast, "
        f"rewritten or redistributed without permission from {domain}.",
    ]
    return header, footer


def assemble(
    title: str,
    body: list[str],
    header: list[str],
    footer: list[str],
    title_in_text: bool,
) -> str:
    """A scraped page: chrome, the headline, the body paragraphs, footers."""
    lines = list(header)
    if title_in_text:
        lines.append(title)
    lines += body
    lines += footer
    return "\n\n".join(lines) + "\n"


def make_copy(
    pars: list[str], rng: random.Random, others: list[str]
) -> tuple[list[str], list[str]]:
    """A copy of an article's paragraphs and the names of the edits applied."""
    body = list(pars)
    edits: list[str] = []
    heavy = len(body) >= 3 and rng.random() < 0.25
    if heavy:
        words = sum(len(p.split()) for p in body)
        kept: list[str] = []
        while body and sum(len(p.split()) for p in kept) < words / 3:
            kept.append(body.pop(0))
        body = kept
        edits.append("heavy_trim")
    elif len(body) >= 4 and rng.random() < 0.4:
        body = body[: -rng.randint(1, 2)]
        edits.append("trim_end")
    if len(body) >= 4 and rng.random() < 0.3:
        i = rng.randrange(1, len(body) - 1)
        body[i], body[i + 1] = body[i + 1], body[i]
        edits.append("reorder")
    if not heavy and rng.random() < 0.3:
        body[0] = rewrite_opening(body[0], rng)
        edits.append("rewrite_opening")
    if rng.random() < 0.5:
        body = [light_edits(p, rng, 0.04) for p in body]
        edits.append("light_edits")
    if rng.random() < 0.3:
        body = [typos(p, rng, 0.03) for p in body]
        edits.append("typos")
    if rng.random() < 0.2:
        body = [ocr_noise(p, rng, 0.02) for p in body]
        edits.append("ocr_noise")
    if rng.random() < 0.4:
        for _ in range(rng.randint(1, 2)):
            line = rng.choice(INSERTED_CHROME)
            if rng.random() < 0.3:
                line = "READ MORE: " + rng.choice(others)
            body.insert(rng.randrange(1, len(body) + 1), line)
        edits.append("inserted_chrome")
    if rng.random() < 0.35:
        where, credit = rng.choice(WIRE_CREDITS)
        if where == "dateline":
            body[0] = credit + body[0]
        else:
            body.append(credit)
        edits.append("credit")
    return body, edits


def build(seed: int = SEED, recipe: Recipe | None = None) -> list[dict[str, Any]]:
    """The labelled corpus: records in a shuffled, seeded order."""
    recipe = recipe or Recipe()
    rng = random.Random(seed)
    articles = load_articles()
    headlines = [headline(a, random.Random(i), 0) for i, a in enumerate(articles)]
    records: list[dict[str, Any]] = []
    template_ids = set(rng.sample(range(len(articles) - 50), recipe.template_stories))
    outlet_counter: dict[str, int] = {}

    def add(group: str, title: str, text: str, outlet: tuple[str, str], date: Any, edits: list):
        n = outlet_counter.get(outlet[1], 0) + 1
        outlet_counter[outlet[1]] = n
        records.append(
            {
                "doc_id": f"{outlet[1].split('.')[0]}-{n:04d}",
                "title": title,
                "text": text,
                "url": f"https://www.{outlet[1]}/news/{n:04d}",
                "domain": outlet[1],
                "published": date.isoformat() if date else None,
                "group": group,
                "edits": edits,
            }
        )

    use = set(distinct(articles))
    for i, article in enumerate(articles):
        if i not in use:
            continue
        pars = paragraphs(article, rng)
        group = f"lee-{i:03d}"
        date = _date(rng)
        if i in template_ids:
            # a different story under the template outlet: short, template-heavy
            header, footer = outlet_chrome(*TEMPLATE_OUTLET)
            short = pars[: max(1, len(pars) // 3)]
            add(
                group,
                headlines[i],
                assemble(headlines[i], short, header, footer, False),
                TEMPLATE_OUTLET,
                date,
                ["template_outlet"],
            )
            continue
        original_date = None if rng.random() < 0.1 else date
        add(
            group,
            headlines[i],
            assemble(headlines[i], pars, [], [], rng.random() < 0.5),
            ORIGIN,
            original_date,
            [],
        )
        if rng.random() >= recipe.copied_share:
            continue
        outlets = rng.sample(OUTLETS, rng.randint(1, recipe.max_copies))
        for v, outlet in enumerate(outlets, start=1):
            same_outlet = rng.random() < 0.1
            body, edits = make_copy(pars, rng, headlines)
            if rng.random() < 0.1:
                body, edits = list(pars), ["verbatim"]
            if same_outlet:
                outlet = ORIGIN
                body.append("More to come.")
                edits.append("same_outlet_update")
            header, footer = outlet_chrome(*outlet) if outlet != ORIGIN else ([], [])
            title = headline(article, rng, v)
            copy_date = None if rng.random() < 0.2 else date + dt.timedelta(days=rng.randint(0, 3))
            add(
                group,
                title,
                assemble(title, body, header, footer, rng.random() < 0.5),
                outlet,
                copy_date,
                edits,
            )
    for j in range(recipe.junk_pages):
        text = "" if j % 2 == 0 else "Page not found\n"
        add(f"junk-{j}", "", text, OUTLETS[j % len(OUTLETS)], None, ["junk"])
    rng.shuffle(records)
    return records


def corpus_hash(records: list[dict[str, Any]]) -> str:
    """A hash of the corpus content (what a quality floor refers to)."""
    h = hashlib.sha256()
    for r in records:
        h.update(json.dumps(r, sort_keys=True).encode())
    return h.hexdigest()[:16]


def main() -> None:
    """Write the corpus and print what it holds."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="bench/out/dedup_corpus.jsonl")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    records = build(args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    groups: dict[str, int] = {}
    edits: dict[str, int] = {}
    for r in records:
        groups[r["group"]] = groups.get(r["group"], 0) + 1
        for e in r["edits"]:
            edits[e] = edits.get(e, 0) + 1
    copied = sum(1 for n in groups.values() if n > 1)
    print(
        f"corpus {corpus_hash(records)}: {len(records)} documents, {len(groups)} groups, "
        f"{copied} with copies, {len(similar_topic_pairs())} same-topic negative pairs"
    )
    print("edits: " + ", ".join(f"{k} {v}" for k, v in sorted(edits.items())))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
