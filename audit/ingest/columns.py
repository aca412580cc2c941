"""Map a table's columns onto the documents table, auto-detecting common names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from audit.config import HtmlSettings
from audit.ingest.discover import InputFile
from audit.signals.dates import read_date

# Our field -> column names tried in order (case-insensitive) when not set in config.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id", "document_id", "article_id", "uuid", "guid", "_id", "key"),
    "text": (
        "text",
        "body",
        "content",
        "article",
        "maintext",
        "article_text",
        "raw_text",
        "full_text",
        "document",
    ),
    "title": ("title", "headline", "heading"),
    "url": ("url", "link", "uri", "source_url", "canonical_url"),
    "published": (
        "published",
        "published_at",
        "publish_date",
        "published_date",
        "pubdate",
        "date_publish",
        "date",
        "datetime",
        "timestamp",
    ),
    "publisher": ("source", "publisher", "outlet", "source_name", "site", "sitename", "site_name"),
    "domain": ("domain", "source_domain", "hostname", "host"),
    "claimed_word_count": ("claimed_word_count", "word_count", "wordcount", "words", "n_words"),
    # the page itself: read (see audit/ingest/html.py) when a row has no text
    "html": ("html", "raw_html", "page_html", "html_content", "content_html", "source_html"),
}
STRING_FIELDS = ("title", "url", "publisher", "domain")
MAX_WORD_COUNT = 10**9  # a claimed word count above this is not a count


class ColumnMap:
    """Resolves our field names to a table's columns.

    Example:
        >>> ColumnMap({"text": "story"}).resolve(["story", "Headline"])
        {'text': 'story', 'title': 'Headline'}
    """

    def __init__(
        self, configured: dict[str, str] | None = None, html: HtmlSettings | None = None
    ) -> None:
        self.configured = dict(configured or {})
        self.html = html or HtmlSettings()
        self._resolved: dict[tuple[str, ...], dict[str, str]] = {}

    def resolve(self, names: Iterable[str]) -> dict[str, str]:
        """Our field -> the column that holds it, for the columns present."""
        present = tuple(names)
        known = self._resolved.get(present)
        if known is None:
            known = self._resolve(present)
            if len(self._resolved) < 1000:  # rows of one table mostly share their keys
                self._resolved[present] = known
        return dict(known)

    def _resolve(self, present: tuple[str, ...]) -> dict[str, str]:
        lower = {n.lower(): n for n in present}
        out: dict[str, str] = {}
        for field, aliases in ALIASES.items():
            if field in self.configured:
                if self.configured[field] in present:
                    out[field] = self.configured[field]
                continue
            for alias in aliases:
                if alias in lower:
                    out[field] = lower[alias]
                    break
        return out

    def missing_text(self, names: Iterable[str]) -> str | None:
        """A message when no column can be the text, else None."""
        names = list(names)
        if {"text", "html"} & self.resolve(names).keys():
            return None
        wanted = self.configured.get("text") or "/".join(ALIASES["text"][:4])
        return f"no text column (looked for {wanted}; columns are {', '.join(names) or 'none'})"

    def to_record(
        self,
        row: dict[str, Any],
        file: InputFile,
        line: int,
        encoding: str | None,
        max_bytes: int | None = None,
    ) -> dict[str, Any]:
        """A documents-table record from one table row (the row itself is kept whole).

        A row whose string values together exceed ``max_bytes`` (UTF-8) is not
        mapped: it becomes a ``resource_limit`` record keeping only its short values.
        """
        if max_bytes is not None and (size := _row_bytes(row, max_bytes)) > max_bytes:
            return self.too_large(row, file, line, encoding, size, max_bytes)
        mapping = self.resolve(row.keys())
        problems: list[str] = []
        values: dict[str, Any] = {}
        for field, column in mapping.items():
            values[field] = row.get(column)
        text = values.get("text")
        page: dict[str, Any] | None = None
        html_error: str | None = None
        if text in (None, "") and values.get("html") not in (None, ""):
            page, html_error = self._read_html(values["html"], values.get("url"), problems)
            text = page["text"] if page else ""
        elif text is None:
            problems.append("no text field in this record")
            text = ""
        elif not isinstance(text, str):
            problems.append(f"text is {type(text).__name__}, not a string")
            text = str(text) if isinstance(text, int | float) else ""
        raw_id = values.get("id")
        doc_id = _scalar_str(raw_id) if raw_id not in (None, "") else None
        if raw_id == "":
            problems.append("id is empty: the record is named by its place in the file")
        elif raw_id is not None and doc_id is None:
            problems.append(f"id is {type(raw_id).__name__}, not a string or number")
        fields: dict[str, Any] = {}
        for field in STRING_FIELDS:
            value = values.get(field)
            if value is None or value == "":
                fields[field] = None
            elif (s := _scalar_str(value)) is not None:
                fields[field] = s
            else:
                problems.append(f"{field} is {type(value).__name__}, not a string")
                fields[field] = None
        published = values.get("published")
        if isinstance(published, dt.datetime | dt.date):
            published = published.isoformat()
        elif published is not None and not isinstance(published, str):
            problems.append(
                f"published is {type(published).__name__} ({_short(published)}), not a date string"
            )
            published = None
        elif isinstance(published, str) and published.strip() and not read_date(published)[0]:
            # kept: the dates signal lists it among the values it could not read
            problems.append(f"published {_short(published)} is not a date")
        claimed = _as_count(values.get("claimed_word_count"), problems)
        used = set(mapping.values())
        meta = {k: v for k, v in row.items() if k not in used}
        out = {
            "doc_id": doc_id or f"{file.rel}:{line}",
            "source": file.source,
            "line": line,
            "text": text,
            "title": fields["title"],
            "url": fields["url"],
            "published": published or None,
            "domain": fields["domain"] or fields["publisher"],
            "claimed_word_count": claimed,
            "encoding": encoding,
            "meta": meta,
            "record": row,
            "read_error": None,
            "problems": problems,
        }
        if page is not None:
            # the row's own fields win; the page fills in what the row lacks
            for key in ("title", "url", "published", "domain"):
                out[key] = out[key] or page[key]
            out["meta"] = {**page["meta"], **meta}
        out["read_error"] = html_error
        return out

    def _read_html(
        self, html: Any, url: Any, problems: list[str]
    ) -> tuple[dict[str, Any] | None, str | None]:
        """A row's page as record fields, or the reason it cannot be read."""
        if not isinstance(html, str):
            problems.append(f"html is {type(html).__name__}, not a string")
            return None, None
        from audit.ingest.html import HtmlError, extract_page, page_record

        try:
            page = extract_page(html, url if isinstance(url, str) and url else None, self.html)
        except HtmlError as exc:
            return None, f"html column: {exc}"
        return page_record(page), None

    def too_large(
        self,
        row: dict[str, Any],
        file: InputFile,
        line: int,
        encoding: str | None,
        size: int,
        limit: int,
        omitted: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """A ``resource_limit`` record for a row of ``size`` bytes: values longer than
        1,000 characters (and the ``omitted`` columns, already left out) are not kept."""
        kept = {
            k: v for k, v in row.items() if not (isinstance(v, str | bytes) and len(v) > _SHORT)
        }
        left_out = [*omitted, *(k for k in row if k not in kept)]
        mapping = self.resolve(row)
        raw_id = row.get(mapping["id"]) if "id" in mapping else None
        doc_id = _scalar_str(raw_id) if raw_id not in (None, "") else None
        return {
            "doc_id": doc_id or f"{file.rel}:{line}",
            "source": file.source,
            "line": line,
            "text": "",
            "meta": {"omitted_fields": left_out},
            "record": kept,
            "encoding": encoding,
            "read_error": (
                f"record of {size} bytes exceeds max_doc_bytes ({limit}); "
                f"left out: {', '.join(left_out)}"
            ),
            "resource_limit": True,
            "problems": [],
        }


_SHORT = 1_000  # values up to this many characters are kept in a too-large record


def _row_bytes(row: dict[str, Any], limit: int) -> int:
    """The UTF-8 size of a row's top-level string and bytes values (exact once near ``limit``)."""
    chars = 0
    for value in row.values():
        if isinstance(value, str | bytes):
            chars += len(value)
    if chars * 4 <= limit:  # no string can take more than 4 bytes per character
        return chars
    return sum(
        len(v.encode("utf-8", "surrogatepass")) if isinstance(v, str) else len(v)
        for v in row.values()
        if isinstance(v, str | bytes)
    )


def _scalar_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


def _as_count(value: Any, problems: list[str]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        problems.append("word count is a boolean")
        return None
    count: int | None = None
    if isinstance(value, int):
        count = value
    elif isinstance(value, float) and value.is_integer():
        count = int(value)
    elif isinstance(value, str):
        digits = value.strip().replace(",", "")
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            count = int(digits)
    if count is None:
        problems.append(f"word count {_short(value)} is not a whole number")
    elif not 0 <= count <= MAX_WORD_COUNT:
        problems.append(f"word count {_short(count)} is out of range")
        count = None
    return count


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters for a message."""
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 10_000 else "<int>"
    return text if len(text) <= limit else text[: limit - 1] + "…"
