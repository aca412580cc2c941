"""HTML pages: body and chrome, metadata and dates, tables with an html column, bad pages."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.config import ConfigError, HtmlSettings, InputSettings, Settings
from audit.ingest import iter_records
from audit.ingest.html import extract_page, iso_day, url_date
from audit.parse import EXTRACTOR_DROPPED, parse_records

PARAGRAPHS = (
    "The city council approved the new harbour bridge on Tuesday after a debate that lasted "
    "more than six hours and drew hundreds of residents to the town hall.",
    "Engineers said the old pillars had cracked during the winter storms, and that repairs "
    "would cost almost as much as building a new crossing from scratch.",
    "Opposition members argued that the money should go to schools and hospitals instead, "
    "but the mayor said the bridge was the only road to the northern suburbs.",
    "Construction is expected to begin in the spring and to last three years, during which "
    "a ferry service will carry commuters across the river free of charge.",
)
TITLE = "Council approves harbour bridge"
NAV = (
    '<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>'
    '<li><a href="/sport">Sport</a></li></ul></nav>'
)
SHARE = '<div class="share"><a href="#">Share</a><a href="#">Tweet</a><a href="#">Print</a></div>'
FOOTER = (
    "<footer><p>© 2024 Example Times. All rights reserved.</p>"
    '<a href="/privacy">Privacy policy</a></footer>'
)


def page(
    head: str = "",
    before: str = "",
    after: str = "",
    around: tuple[str, str] = ("", ""),
    title: str = TITLE,
) -> str:
    """A small article page: ``head`` extras, markup before/after the paragraphs, and
    page chrome ``around`` the article."""
    paras = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title} | Example Times"
        f"</title>{head}</head><body>{around[0]}<main><article><h1>{title}</h1>{before}"
        f"{paras}{after}</article></main>{around[1]}</body></html>"
    )


def jsonld(**fields: Any) -> str:
    """A JSON-LD script for a NewsArticle."""
    data = {"@context": "https://schema.org", "@type": "NewsArticle", **fields}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def read(*paths: Path, **settings: Any) -> list[dict[str, Any]]:
    """Every record read from ``paths``."""
    return list(iter_records([str(p) for p in paths], InputSettings(**settings)))


def paragraphs(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Parse ``records``; each document's paragraph rows."""
    chunk = parse_records(records)
    out: dict[str, list[dict[str, Any]]] = {}
    for row in chunk.paragraphs.to_dict("records"):
        out.setdefault(row["doc_id"], []).append(row)
    return out


def test_article_with_jsonld(tmp_path: Path) -> None:
    head = (
        jsonld(
            headline=TITLE,
            datePublished="2024-03-01T09:00:00+01:00",
            dateModified="2024-03-02T10:00:00+01:00",
            author={"@type": "Person", "name": "Ana Ruiz"},
        )
        + '<meta property="og:site_name" content="Example Times">'
    )
    (tmp_path / "story.html").write_text(page(head=head))
    (rec,) = read(tmp_path / "story.html")
    assert rec["read_error"] is None and rec["encoding"] == "utf-8"
    assert rec["text"].splitlines() == [TITLE, *PARAGRAPHS]
    assert (rec["title"], rec["published"]) == (TITLE, "2024-03-01")
    meta = rec["meta"]
    assert (meta["author"], meta["sitename"]) == ("Ana Ruiz", "Example Times")
    dates = meta["html_dates"]
    assert dates["jsonld_published"] == "2024-03-01"
    assert dates["jsonld_modified"] == "2024-03-02"
    assert dates["htmldate_original"] == "2024-03-01"
    assert dates["htmldate_updated"] == "2024-03-02"
    assert dates["url_date"] is None
    assert meta["html_dates_raw"]["jsonld_published"] == "2024-03-01T09:00:00+01:00"
    assert meta["html_fields"]["jsonld_headline"] == TITLE
    rows = paragraphs([rec])["story.html"]
    assert [r["role"] for r in rows] == ["title", "body", "body", "body", "body"]


def test_date_only_in_the_url(tmp_path: Path) -> None:
    url = "https://news.example.org/local/2023/11/05/harbour-bridge"
    (tmp_path / "u.html").write_text(page(head=f'<link rel="canonical" href="{url}">'))
    (rec,) = read(tmp_path / "u.html")
    dates = rec["meta"]["html_dates"]
    assert dates["url_date"] == "2023-11-05"
    assert (dates["jsonld_published"], dates["og_published"], dates["meta_published"]) == (
        None,
        None,
        None,
    )
    assert rec["published"] == "2023-11-05"
    assert rec["url"] == url
    parsed = parse_records([rec])
    assert parsed.documents.loc[0, "domain"] == "news.example.org"


def test_no_date_anywhere_gives_no_published_date(tmp_path: Path) -> None:
    # the copyright year is not a publication date
    (tmp_path / "n.html").write_text(page(around=("", FOOTER)))
    (rec,) = read(tmp_path / "n.html")
    assert rec["published"] is None
    assert rec["meta"]["html_dates"]["htmldate_original"] is None


def test_opengraph_and_meta_dates(tmp_path: Path) -> None:
    head = (
        '<meta property="article:published_time" content="2024-05-06T23:30:00-04:00">'
        '<meta property="article:modified_time" content="2024-05-07T08:00:00-04:00">'
        '<meta name="pubdate" content="20240506">'
        '<meta property="og:url" content="https://ex.org/a/b">'
        f'<meta property="og:title" content="{TITLE}">'
    )
    (tmp_path / "og.html").write_text(page(head=head))
    (rec,) = read(tmp_path / "og.html")
    dates = rec["meta"]["html_dates"]
    assert dates["og_published"] == "2024-05-06"  # the day as written, not moved to UTC
    assert dates["og_modified"] == "2024-05-07"
    assert dates["meta_published"] == "2024-05-06"
    assert rec["meta"]["html_fields"]["og_url"] == "https://ex.org/a/b"
    assert rec["url"] == "https://ex.org/a/b"


def test_chrome_is_recorded_as_boilerplate(tmp_path: Path) -> None:
    cookie = '<div class="cookies">We use cookies. <button>Accept all</button></div>'
    html = page(before=SHARE, around=(cookie + NAV, FOOTER))
    (tmp_path / "chrome.html").write_text(html)
    (rec,) = read(tmp_path / "chrome.html")
    text = rec["text"]
    end = rec["meta"]["html_body_end"]
    body, chrome = text[:end], text[end:]
    assert body.strip().splitlines() == [TITLE, *PARAGRAPHS]
    for piece in ("Home", "Share", "Privacy policy", "© 2024 Example Times", "We use cookies"):
        assert piece not in body and piece in chrome
    assert rec["meta"]["html_dropped"] == chrome.splitlines()
    rows = paragraphs([rec])["chrome.html"]
    for row in rows:
        assert text[row["start"] : row["end"]] == row["text"]
    dropped = [r for r in rows if r["start"] >= end]
    assert dropped and all(
        (r["role"], r["reason"]) == ("boilerplate", EXTRACTOR_DROPPED) for r in dropped
    )
    assert {r["text"] for r in dropped} >= {
        "Home · World · Sport",
        "Share Tweet Print",
        "© 2024 Example Times. All rights reserved.",
    }
    assert [r["role"] for r in rows if r["start"] < end] == ["title"] + ["body"] * 4


def test_tables_and_lists_in_the_article_are_body_not_chrome() -> None:
    table = (
        "<table><tr><th>Ward</th><th>Votes</th></tr><tr><td>North</td><td>1,204</td></tr>"
        "<tr><td>South</td><td>987</td></tr></table>"
    )
    got = extract_page(page(after=table, around=(NAV, FOOTER)))
    body = got.text[: got.body_end].strip().splitlines()
    assert body[-3:] == ["Ward | Votes", "North | 1,204", "South | 987"]
    assert not any("Ward" in line or "North" in line for line in got.dropped)


def test_chrome_cap_and_repeats(tmp_path: Path) -> None:
    menus = "".join(f"<div><p>Menu entry number {i} of the site</p></div>" for i in range(30))
    html = page(around=(NAV + menus, NAV + FOOTER))
    capped = extract_page(html, settings=HtmlSettings(max_dropped_lines=5))
    assert len(capped.dropped) == 5 and capped.dropped_total > 30
    full = extract_page(html)
    assert full.dropped.count("Home · World · Sport") == 1  # the menu repeated in the footer
    none = extract_page(html, settings=HtmlSettings(max_dropped_lines=0))
    assert none.dropped == [] and none.body_end == len(none.text)


def test_script_in_the_body_never_reaches_the_text(tmp_path: Path) -> None:
    inline = (
        '<script>var SCRIPT_SECRET = "never shown"; document.write("SCRIPT_WRITE");</script>'
        "<style>.STYLE_RULE { color: red }</style><noscript>NOSCRIPT_TEXT</noscript>"
        "<div hidden>HIDDEN_TEXT</div><template><p>TEMPLATE_TEXT</p></template>"
    )
    html = page(around=(NAV, FOOTER), before=inline).replace(
        "as much as", 'as much <script>alert("SCRIPT_IN_P")</script>as'
    )
    (tmp_path / "script.html").write_text(html)
    (rec,) = read(tmp_path / "script.html")
    for secret in ("SCRIPT", "STYLE_RULE", "NOSCRIPT", "HIDDEN", "TEMPLATE"):
        assert secret not in rec["text"]
    assert rec["text"].splitlines()[1:5] == [p.replace("much as", "much as") for p in PARAGRAPHS]


def test_gzip_and_declared_encoding(tmp_path: Path) -> None:
    html = page(head=jsonld(datePublished="2024-02-03"))
    (tmp_path / "zipped.html.gz").write_bytes(gzip.compress(html.encode()))
    latin = page(title="Café de la gare rouvre").replace("utf-8", "iso-8859-1")
    (tmp_path / "latin.htm").write_bytes(latin.encode("cp1252"))
    got = {r["doc_id"]: r for r in read(tmp_path)}
    assert got["zipped.html.gz"]["published"] == "2024-02-03"
    assert got["zipped.html.gz"]["text"].splitlines()[1] == PARAGRAPHS[0]
    assert got["latin.htm"]["encoding"] == "cp1252"
    assert got["latin.htm"]["title"] == "Café de la gare rouvre"


def test_declared_charsets_that_cannot_be_right() -> None:
    from audit.ingest.html import decode_html

    body = "<html><head><meta charset='{}'></head><body><p>Café</p></body></html>"
    text, encoding, _ = decode_html(body.format("utf-16").encode())
    assert encoding == "utf-8" and text is not None and "Café" in text
    text, encoding, _ = decode_html(codecs.BOM_UTF8 + body.format("windows-1252").encode())
    assert encoding == "utf-8-sig" and text is not None and "Café" in text
    text, encoding, _ = decode_html(body.format("no-such-charset").encode())
    assert encoding == "utf-8" and text is not None and "Café" in text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02" * 100, "binary file"),
        (b"just some words, no markup at all", "not HTML"),
        (b"<html><head><title></title></head><body><div></div></body></html>", "no visible text"),
        (b"<html><body><script>only();</script></body></html>", "no visible text"),
        (b"\x1f\x8b\x08broken gzip", "cannot read file"),
    ],
)
def test_broken_pages_are_error_records(tmp_path: Path, content: bytes, reason: str) -> None:
    (tmp_path / "bad.html").write_bytes(content)
    (rec,) = read(tmp_path / "bad.html")
    assert reason in rec["read_error"] and rec["text"] == ""


def test_page_without_an_extractable_body_keeps_its_chrome(tmp_path: Path) -> None:
    (tmp_path / "nav.html").write_text(f"<html><body>{NAV}{SHARE}{FOOTER}</body></html>")
    (rec,) = read(tmp_path / "nav.html")
    assert rec["read_error"] is None and rec["meta"]["html_extracted"] is False
    lines = rec["text"].split("\n")
    assert all(lines.count(line) == 1 for line in lines if line)
    assert sum("Home" in line for line in lines) == 1
    rows = paragraphs([rec])["nav.html"]
    assert rows and "body" not in {r["role"] for r in rows}


def test_html_column_in_a_jsonl_table(tmp_path: Path) -> None:
    url = "https://news.example.org/2023/11/05/harbour-bridge"
    rows = [
        {
            "id": "a",
            "html": page(head=jsonld(datePublished="2023-11-05"), around=(NAV, "")),
            "url": url,
        },
        {"id": "b", "text": "", "raw_html": page(), "title": "Row title", "section": "local"},
        {"id": "c", "html": "<<<>>>"},
        {"id": "d", "text": "Given text wins over the page.", "html": page()},
        {"id": "e", "html": 42},
    ]
    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = {r["doc_id"]: r for r in read(path)}
    a = got["a"]
    assert a["text"].splitlines()[:2] == [TITLE, PARAGRAPHS[0]]
    assert (a["url"], a["published"]) == (url, "2023-11-05")
    assert a["meta"]["html_dates"]["url_date"] == "2023-11-05"
    assert "html" not in a["meta"] and a["record"]["html"].startswith("<!DOCTYPE")
    assert "Home · World · Sport" in a["meta"]["html_dropped"]
    b = got["b"]
    assert b["title"] == "Row title"  # the row's own field wins over the page's
    assert b["meta"]["section"] == "local" and b["text"].splitlines()[1] == PARAGRAPHS[0]
    assert got["c"]["read_error"].startswith("html column:") and got["c"]["text"] == ""
    assert got["d"]["text"] == "Given text wins over the page."
    assert "html_dates" not in got["d"]["meta"]
    assert got["e"]["problems"] == ["html is int, not a string"]
    parsed = paragraphs([got["a"], got["b"]])
    assert [r["role"] for r in parsed["a"]][:2] == ["title", "body"]
    assert parsed["a"][-1]["reason"] == EXTRACTOR_DROPPED


def test_csv_with_only_an_html_column(tmp_path: Path) -> None:
    import csv

    path = tmp_path / "pages.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["page_id", "html"])
        writer.writerow(["p1", page()])
    (rec,) = read(path, columns={"id": "page_id"})
    assert rec["doc_id"] == "p1" and rec["title"] == TITLE


def test_html_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="favor"):
        Settings.load(overrides={"inputs": {"html": {"favor": "bogus"}}})
    s = Settings.load(overrides={"inputs": {"html": {"favor": "precision"}}})
    assert s.inputs.html.favor == "precision"


def test_iso_day_and_url_date() -> None:
    assert iso_day("2024-03-01T23:30:00-05:00") == "2024-03-01"
    assert iso_day("March 5, 2024") == "2024-03-05"
    assert iso_day("2024") is None and iso_day("March 2024") is None
    assert iso_day("not a date") is None and iso_day("1066-10-14") is None
    assert url_date("https://x.org/2024/02/30/bad-day") is None
    assert url_date("https://x.org/news/20240229-leap") == "2024-02-29"
    assert url_date("https://2024.x.org/about") is None


def test_audit_run_on_html_end_to_end(tmp_path: Path) -> None:
    batch = tmp_path / "in"
    batch.mkdir()
    (batch / "story.html").write_text(
        page(head=jsonld(datePublished="2024-03-01"), before=SHARE, around=(NAV, FOOTER))
    )
    (batch / "broken.html").write_bytes(b"")
    (batch / "rows.jsonl").write_text(json.dumps({"id": "r1", "html": page()}) + "\n")
    result = CliRunner().invoke(
        app, ["run", str(batch), "--out", str(tmp_path / "out"), "--format", "json"]
    )
    assert result.exit_code == 1, result.output  # the unreadable page fails the gate
    results = json.loads(result.output)
    docs = {d["doc_id"]: d for d in results["documents"]}
    assert set(docs) == {"story.html", "broken.html", "r1"}
    story = docs["story.html"]
    assert (story["title"], story["published_raw"]) == (TITLE, "2024-03-01")
    roles = [(p["role"], p["reason"]) for p in story["paragraphs"]]
    assert roles[:5] == [("title", "headline")] + [("body", "body")] * 4
    assert ("boilerplate", EXTRACTOR_DROPPED) in roles
    assert [f["check"] for f in docs["broken.html"]["findings"]] == ["unreadable_input"]
    assert docs["broken.html"]["verdict"] == "quarantine"
    latest = tmp_path / "out" / "latest"
    accepted = [json.loads(x) for x in (latest / "accepted.jsonl").read_text().splitlines()]
    assert "story.html" in {r["doc_id"] for r in accepted}
    # the table row holds the same article as story.html: the dedup stage calls it a copy
    assert any(f["check"] == "exact_duplicate" for f in docs["r1"]["findings"])
