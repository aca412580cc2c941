"""Parse: split each document into role-tagged paragraphs and read its metadata.

Example:
    >>> chunk = parse_records([{"doc_id": "a", "text": "Title\\n" + "Some words. " * 9}])
    >>> list(chunk.paragraphs["role"])
    ['title', 'body']
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from audit.model import Chunk
from audit.parse.patterns import load_patterns
from audit.parse.scraped import EXTRACTOR_DROPPED, Parsed, parse_text

__all__ = ["EXTRACTOR_DROPPED", "Parsed", "domain_of", "parse_records", "parse_text"]


def parse_records(records: list[dict[str, Any]], pattern_files: tuple[str, ...] = ()) -> Chunk:
    """Parse a chunk of reader records into the documents and paragraphs tables."""
    patterns = load_patterns(tuple(pattern_files))
    paragraphs: list[dict[str, Any]] = []
    for rec in records:
        rec.setdefault("meta", {})
        rec["meta"] = dict(rec["meta"] or {})
        text = rec.get("text") or ""
        parsed = parse_text(text, patterns, _dropped_from(rec["meta"], len(text)))
        doc_id = rec["doc_id"]
        for row in parsed.paragraphs:
            row["doc_id"] = doc_id
        paragraphs.extend(parsed.paragraphs)
        found = parsed.meta
        for key, value in found.items():
            rec["meta"].setdefault(key, value)
        if not rec.get("title") and parsed.title:
            rec["title"] = parsed.title
        if not rec.get("url") and found.get("url"):
            rec["url"] = found["url"]
        if not rec.get("published"):
            rec["published"] = found.get("date") or found.get("published")
        if rec.get("claimed_word_count") is None:
            rec["claimed_word_count"] = parsed.claimed_word_count
        if not rec.get("domain"):
            rec["domain"] = domain_of(rec.get("url"))
    return Chunk.from_records(records, paragraphs)


def _dropped_from(meta: dict[str, Any], size: int) -> int | None:
    """Where an HTML page's dropped chrome starts in its text (set by the HTML reader)."""
    end = meta.get("html_body_end")
    if isinstance(end, int) and not isinstance(end, bool) and 0 <= end <= size:
        return end
    return None


def domain_of(url: str | None) -> str | None:
    """The host of ``url`` without a leading ``www``, or None.

    Example:
        >>> domain_of("https://www3.nhk.or.jp/nhkworld/en/")
        'nhk.or.jp'
    """
    if not url or "//" not in url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    parts = host.split(".")
    if len(parts) > 2 and parts[0].startswith("www"):
        parts = parts[1:]
    return ".".join(parts)
