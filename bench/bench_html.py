"""Benchmark the HTML reader: pages per second on pages of typical news size.

Generates realistic news pages (about 50-100 KB each: a head full of meta tags,
inline analytics scripts, JSON-LD, a navigation bar, a 600-word article with a
byline, share buttons, related links, a comment form and a large footer),
writes them to a temporary folder, and reads them through the same path as
``audit run`` (``HtmlReader`` then the parser), on one core.

Usage:
    python bench/bench_html.py [--pages 200] [--seed 7] [--fast]

Target: at least 100 pages per second per core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import tempfile
import time
from pathlib import Path

_TEXT = (
    "the council said on tuesday that its plan for the new harbour bridge would cost more "
    "than expected after engineers found cracks in the old pillars residents have waited "
    "years for a decision and many of them told reporters they were tired of delays the "
    "mayor promised a public meeting next month where officials will answer questions about "
    "traffic noise and the budget opposition members argued that money should go to schools "
    "and hospitals instead while business owners near the river welcomed the project as a "
    "chance to bring visitors back to the district a spokesperson for the transport ministry "
    "declined to comment on the timetable but confirmed that tenders had been received from "
    "three companies local farmers worry about water levels after a dry summer scientists at "
    "the university measured record temperatures in the valley and warned that the drought "
    "could last into spring police closed two roads during the protest which drew several "
    "hundred people carrying banners and flags the government will publish its report on "
    "friday according to documents seen by this newspaper"
)
WORDS = _TEXT.split()
SECTIONS = (
    "World",
    "Politics",
    "Business",
    "Technology",
    "Science",
    "Health",
    "Sport",
    "Culture",
    "Opinion",
    "Travel",
    "Climate",
    "Education",
)
ANALYTICS_JS = (
    "(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),"
    "event:'gtm.js'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s),"
    "dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src='https://www.example-tags.com/gtm.js?id='"
    "+i+dl;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','GTM-X1');\n"
)


def sentence(rng: random.Random) -> str:
    """One sentence of news-like prose."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 26))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        words.insert(rng.randint(1, len(words) - 1), f"{rng.randint(2, 990)}")
    return " ".join(words) + rng.choice(".....?")


def paragraph(rng: random.Random, n_words: int) -> str:
    """Sentences adding up to about ``n_words`` words."""
    out: list[str] = []
    count = 0
    while count < n_words:
        s = sentence(rng)
        out.append(s)
        count += s.count(" ") + 1
    return " ".join(out)


def make_page(rng: random.Random, n: int) -> str:
    """One realistic news page (roughly 50-100 KB) with a 600-word article."""
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
    section = rng.choice(SECTIONS)
    slug = f"story-{n}-{rng.randint(1000, 9999)}"
    url = f"https://www.example-news.com/{section.lower()}/{day:%Y/%m/%d}/{slug}"
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 11))).capitalize()
    author = rng.choice(("Ana Ruiz", "Tom Becker", "Priya Nair", "Kwame Mensah", "Li Wei"))
    paras = [paragraph(rng, 44) for _ in range(12)]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "datePublished": f"{day}T08:{rng.randint(10, 59)}:00+00:00",
        "dateModified": f"{day + dt.timedelta(days=rng.randint(0, 2))}T12:00:00+00:00",
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Organization", "name": "Example News"},
        "mainEntityOfPage": url,
        "articleSection": section,
        "keywords": [rng.choice(WORDS) for _ in range(8)],
    }
    metas = "\n".join(
        f'<meta name="{k}" content="{v}">'
        for k, v in [
            ("description", paragraph(rng, 25)[:160]),
            ("author", author),
            ("keywords", ", ".join(rng.choice(WORDS) for _ in range(10))),
            ("twitter:card", "summary_large_image"),
            ("twitter:site", "@examplenews"),
            ("twitter:title", title),
            ("pubdate", f"{day:%Y%m%d}"),
            ("robots", "index, follow, max-image-preview:large"),
            ("viewport", "width=device-width, initial-scale=1"),
        ]
        + [(f"ad:slot{i}", f"/1234/{section.lower()}/slot{i}") for i in range(20)]
    )
    og = "\n".join(
        f'<meta property="{k}" content="{v}">'
        for k, v in [
            ("og:type", "article"),
            ("og:title", title),
            ("og:url", url),
            ("og:site_name", "Example News"),
            ("og:image", f"https://cdn.example-news.com/img/{slug}.jpg"),
            ("article:published_time", f"{day}T08:00:00Z"),
            ("article:section", section),
        ]
    )
    config_js = "window.__CONFIG__ = " + json.dumps(
        {
            "ads": {
                f"slot{i}": {"sizes": [[300, 250], [728, 90]], "kv": WORDS[i]} for i in range(60)
            },
            "experiments": {f"exp{i}": rng.random() < 0.5 for i in range(80)},
            "tracking": [rng.choice(WORDS) * 3 for _ in range(rng.randint(100, 900))],
        }
    )
    nav = "\n".join(
        f'<li><a href="/{s.lower()}">{s}</a><ul>'
        + "".join(f'<li><a href="/{s.lower()}/{w}">{w.capitalize()}</a></li>' for w in WORDS[:6])
        + "</ul></li>"
        for s in SECTIONS
    )
    svg = (
        '<svg viewBox="0 0 24 24" width="24" height="24"><path d="'
        + " ".join(
            f"M{rng.randint(0, 24)} {rng.randint(0, 24)}L{rng.randint(0, 24)} 0" for _ in range(40)
        )
        + '"/></svg>'
    )
    related = "\n".join(
        f'<li><a href="/{section.lower()}/{i}"><img src="/t/{i}.jpg" alt="">'
        f"{' '.join(rng.choice(WORDS) for _ in range(8)).capitalize()}</a></li>"
        for i in range(10)
    )
    footer_cols = "\n".join(
        f'<div class="col"><h4>{s}</h4><ul>'
        + "".join(f'<li><a href="/{s.lower()}/{w}">{w.capitalize()}</a></li>' for w in WORDS[6:18])
        + "</ul></div>"
        for s in SECTIONS
    )
    css = "".join(f".c{i}{{margin:{i}px;padding:{i % 7}px;color:#{i:06x}}}" for i in range(700))
    share = "".join(f'<a href="#">{b}</a>' for b in ("Share", "Tweet", "Email", "Print"))
    tags = (rng.choice(WORDS), rng.choice(WORDS))
    body = "\n".join(f"<p>{p}</p>" for p in paras[:6])
    body += (
        f'\n<figure><img src="/img/{slug}.jpg" alt="">'
        f"<figcaption>{sentence(rng)}</figcaption></figure>\n"
        '<div class="ad-slot" id="mid-article"><script>'
        'googletag.cmd.push(function(){googletag.display("mid")});</script></div>\n'
    )
    body += "\n".join(f"<p>{p}</p>" for p in paras[6:])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} | Example News</title>
{metas}
{og}
<link rel="canonical" href="{url}">
<link rel="stylesheet" href="/static/main.{rng.randint(10**6, 10**7)}.css">
<style>{css}</style>
<script>{ANALYTICS_JS * 10}</script>
<script>{config_js}</script>
<script type="application/ld+json">{json.dumps(ld)}</script>
</head>
<body>
<div class="cookie-banner">We use cookies to improve your experience.
<button>Accept all cookies</button></div>
<header class="site-header">
<a class="logo" href="/">{svg}Example News</a>
<nav class="main-nav"><ul>{nav}</ul></nav>
<div class="ticker">Breaking: {sentence(rng)}</div>
<form class="search"><input type="search" placeholder="Search"><button>Search</button></form>
</header>
<main>
<article>
<h1>{title}</h1>
<div class="byline">By <a href="/authors/{author.lower().replace(" ", "-")}">{author}</a>
<time datetime="{day}T08:00:00Z">{day:%B %d, %Y}</time></div>
<div class="share">{share}</div>
<div class="article-body">
{body}
</div>
<div class="tags">Tags: <a href="/t/1">{tags[0]}</a>, <a href="/t/2">{tags[1]}</a></div>
</article>
<aside class="related"><h3>Related stories</h3><ul>{related}</ul></aside>
<section class="comments"><h3>Comments</h3>
<form><textarea></textarea><button>Post comment</button></form></section>
</main>
<footer class="site-footer">{footer_cols}
<p>© {day.year} Example News Ltd. All rights reserved.</p>
</footer>
<script>{ANALYTICS_JS * 6}</script>
</body>
</html>
"""


def main() -> None:
    """Write the pages, read them, print pages per second."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--fast", action="store_true", help="trafilatura without its fallbacks")
    args = ap.parse_args()

    from audit.config import HtmlSettings, InputSettings
    from audit.ingest import iter_records
    from audit.parse import parse_records

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sizes = []
        for i in range(args.pages):
            page = make_page(rng, i)
            sizes.append(len(page.encode()))
            (folder / f"page_{i:05d}.html").write_text(page, encoding="utf-8")
        # warm up: imports and first-call caches are not part of the rate
        settings = InputSettings(html=HtmlSettings(fast=args.fast))
        list(iter_records([str(folder / "page_00000.html")], settings))
        w0, c0 = time.perf_counter(), time.process_time()
        records = list(iter_records([str(folder)], settings))
        c1 = time.process_time()
        chunk = parse_records(records)
        w2, c2 = time.perf_counter(), time.process_time()
    errors = sum(1 for r in records if r.get("read_error"))
    body = chunk.paragraphs[chunk.paragraphs["role"] == "body"]
    words = body["text"].str.split().str.len().groupby(body["doc_id"]).sum()
    roles = chunk.paragraphs["role"].value_counts().to_dict()
    n = len(records)
    print(
        f"pages: {n} (errors: {errors}), size: mean {sum(sizes) / n / 1024:.1f} KB,"
        f" min {min(sizes) / 1024:.1f} KB, max {max(sizes) / 1024:.1f} KB"
    )
    print(f"body words per page: mean {words.mean():.0f}; paragraph roles: {roles}")
    print(f"read (extract): {c1 - c0:.2f} s CPU, parse: {c2 - c1:.2f} s CPU")
    # one process on one core: CPU time is the per-core figure; wall time also counts
    # whatever else the machine is running
    print(f"pages/s per core (CPU time, read + parse): {n / (c2 - c0):.1f}  (target >= 100)")
    print(f"pages/s wall clock: {n / (w2 - w0):.1f}")


if __name__ == "__main__":
    main()
