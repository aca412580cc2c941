"""HTML pages: the body as paragraphs, the metadata, every date the page claims.

trafilatura extracts the body (comments excluded, one paragraph per line) and
the title, author, site name and URL; htmldate finds the original and the
updated date separately; the dates the CMS wrote into the page (JSON-LD,
OpenGraph, ``<meta>``) and the date in the URL are read as they are. What the
page shows but trafilatura left out (navigation, share buttons, footers) is
kept after the body so the parser can mark it ``boilerplate`` with the reason
``html_extractor_dropped``.

The document text is::

    title
    paragraph 1
    ...
    paragraph n
    <blank line>
    dropped chrome line 1          <- meta["html_body_end"] is the offset of this line
    ...

Example:
    >>> page = extract_page(
    ...     "<html><head><title>Rain</title></head><body><nav><a href='/'>Home</a></nav>"
    ...     "<article><h1>Rain</h1><p>It rained all day in the valley, and the river rose by"
    ...     " two metres before the evening, so the council closed the old bridge.</p>"
    ...     "<p>Farmers said the fields near the water were flooded for the first time since"
    ...     " 1998, and that the harvest would be late.</p></article></body></html>"
    ... )
    >>> [line[:20] for line in page.text.splitlines()]
    ['Rain', 'It rained all day in', 'Farmers said the fie', '', 'Home']
    >>> page.text[page.body_end :]
    'Home'
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from audit.config import HtmlSettings
from audit.ingest.decode import decode_bytes
from audit.ingest.discover import InputFile
from audit.ingest.readers import (
    READ_ERRORS,
    Reader,
    Record,
    TooLarge,
    error_record,
    open_bytes,
)

__all__ = ["HtmlError", "HtmlPage", "HtmlReader", "decode_html", "extract_page", "page_record"]

# Sources of meta["html_dates"], in the order `published` is taken from.
# trafilatura's own date is kept but not trusted for ``published``: it prefers the URL
# and, failing all else, guesses from free text (a copyright year becomes January 1).
PUBLISHED_ORDER = (
    "jsonld_published",
    "og_published",
    "meta_published",
    "htmldate_original",
    "url_date",
)
DATE_SOURCES = (
    *PUBLISHED_ORDER,
    "trafilatura_date",
    "jsonld_modified",
    "og_modified",
    "meta_modified",
    "htmldate_updated",
)

# Tags whose content a reader never sees, and tags that start a new line of text.
_INVISIBLE = frozenset(
    {
        "head",
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "audio",
        "video",
        "select",
        "datalist",
    }
)
_HTML_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
# Elements a reader never sees although trafilatura would extract their text.
_NOT_SHOWN = (
    "//*[@hidden or @aria-hidden='true'"
    " or (@style and contains(translate(@style, ' ', ''), 'display:none'))] | //template"
)
# Containers whose start or end separates one group of chrome (a menu, a share bar) from the next.
_HTML_GROUPS = frozenset(
    {"article", "aside", "div", "footer", "form", "header", "main", "nav", "section", "table"}
)
# Inline tags that read as separate words even when the markup has no space around them.
_HTML_SPACED = {"a": " ", "button": " ", "label": " ", "br": " ", "img": " ", "input": " "}
_HTML_CELLS = frozenset({"td", "th"})
# trafilatura's own XML for the extracted body.
_XML_BLOCKS = frozenset(
    {"body", "p", "head", "item", "row", "quote", "list", "table", "code", "div"}
)
_XML_SPACED = {"lb": " "}
_XML_CELLS = frozenset({"cell"})

_JOIN_BUDGET = 200_000  # steps spent joining neighbouring blocks to match a line, per page
_SHORT_WORDS = 4  # dropped blocks this short (menu entries) are joined into one line
_LINE_CHARS = 160  # ... up to about this many characters
_SPACE_BEFORE_PUNCT = re.compile(r" (?=[,.;:!?)\]])")  # left by spacing around links
_KEY_SEPARATORS = re.compile(r"[\s|·]+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_FULL_ISO_DATE = re.compile(r"\d{4}-?\d{2}-?\d{2}(?!\d)")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_HAS_TAG = re.compile(r"<\s*[A-Za-z!/]")


class HtmlError(ValueError):
    """The bytes are not an HTML page with any text in it."""


@dataclass(slots=True)
class HtmlPage:
    """What was read from one HTML page."""

    text: str  # title, body paragraphs, blank line, dropped chrome: one per line
    body_end: int  # offset in ``text`` where the dropped chrome starts (len(text) if none)
    title: str | None
    author: str | None
    sitename: str | None
    url: str | None
    published: str | None  # YYYY-MM-DD, from the first source of PUBLISHED_ORDER that has one
    dates: dict[str, str | None]  # source -> YYYY-MM-DD
    dates_raw: dict[str, str | None]  # source -> the value as the page wrote it
    fields: dict[str, str | None]  # jsonld_headline, og_title, og_url, og_site_name, ...
    dropped: list[str] = field(default_factory=list)  # chrome lines (capped)
    dropped_total: int = 0  # chrome blocks before merging and capping
    extracted: bool = True  # False when trafilatura found no body

    def meta(self) -> dict[str, Any]:
        """The page's entries for the documents table's ``meta``."""
        return {
            "author": self.author,
            "sitename": self.sitename,
            "html_dates": dict(self.dates),
            "html_dates_raw": {k: v for k, v in self.dates_raw.items() if v is not None},
            "html_fields": dict(self.fields),
            "html_dropped": list(self.dropped),
            "html_dropped_total": self.dropped_total,
            "html_body_end": self.body_end,
            "html_extracted": self.extracted,
        }


def decode_html(data: bytes) -> tuple[str | None, str | None, str | None]:
    """Decode a page: the ``<meta charset>`` it declares if that fits, else detection.

    Returns:
        (text, encoding, error): text and encoding, or an error message.
    """
    # a byte-order mark wins over the declaration, as in browsers
    m = None if data.startswith(_BOMS) else _CHARSET.search(data[:4096])
    if m:
        name = m.group(1).decode("ascii", "replace").lower()
        if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
            name = "cp1252"  # what browsers do with these labels
        # a page that could declare itself is ASCII-compatible: a UTF-16/32 label is wrong
        if not name.startswith(("utf-16", "utf16", "utf-32", "utf32")):
            try:
                return data.decode(name), name, None
            except (LookupError, UnicodeDecodeError):
                pass
    decoded = decode_bytes(data)
    if decoded.error:
        return None, decoded.encoding, decoded.error
    return decoded.text, decoded.encoding, None


def extract_page(
    html: str, url: str | None = None, settings: HtmlSettings | None = None
) -> HtmlPage:
    """Extract the body, metadata and dates of one HTML page.

    Args:
        html: the page's markup (a whole page, or a fragment of one).
        url: the page's address when known (a table's URL column); the page's
            canonical link or ``og:url`` is used otherwise.
        settings: extraction options (trafilatura's precision/recall, chrome cap).

    Returns:
        The page's text and fields; see :class:`HtmlPage`.

    Raises:
        HtmlError: the input is not HTML, or the page has no visible text.
    """
    settings = settings or HtmlSettings()
    _require()
    tree = _load(html)
    visible = _blocks(tree, _HTML_BLOCKS, _HTML_SPACED, _HTML_CELLS, _INVISIBLE, _HTML_GROUPS)
    if not any(visible):
        if _depth(tree) >= _MAX_DEPTH:  # the parser stops there: the text may be deeper
            raise HtmlError(f"HTML nested {_MAX_DEPTH} or more levels deep: not read past that")
        raise HtmlError("HTML page has no visible text")
    raw = _claimed(tree)
    page_url = url or raw["canonical"] or raw["og_url"]
    doc = _trafilatura(tree, page_url, settings)
    body: list[str] = []
    if doc is not None and doc.body is not None:
        body = [b for b in _blocks(doc.body, _XML_BLOCKS, _XML_SPACED, _XML_CELLS) if b]
    title = raw["jsonld_headline"] or raw["og_title"] or raw["title"]
    if body:
        # trafilatura's title (og:title, a lone h1, <title> without the site name) is the
        # better one when it found an article; without one it is a guess from the chrome
        title = _clean(doc.title if doc else None) or title
        if title is None and len(body[0].split()) <= 30:
            title = body[0]
    if body and title and _key(body[0]) == _key(title):
        body = body[1:]  # the headline, repeated as the first block
    final_url = _clean(doc.url if doc else None) or page_url

    dates_raw: dict[str, str | None] = {
        "jsonld_published": raw["jsonld_published"],
        "jsonld_modified": raw["jsonld_modified"],
        "og_published": raw["og_published"],
        "og_modified": raw["og_modified"],
        "meta_published": raw["meta_published"],
        "meta_modified": raw["meta_modified"],
        "trafilatura_date": _clean(doc.date if doc else None),
        "url_date": url_date(final_url),
    }
    dates_raw.update(_htmldate(tree, final_url))
    dates = {src: iso_day(dates_raw.get(src)) for src in DATE_SOURCES}
    published = next((dates[s] for s in PUBLISHED_ORDER if dates[s]), None)

    dropped_blocks = _dropped(visible, [title, *body] if title else body)
    dropped = _chrome_lines(dropped_blocks, settings.max_dropped_lines)

    head = "\n".join([title, *body] if title else body)
    body_end = len(head)
    text = head
    if dropped:
        text = f"{head}\n\n" + "\n".join(dropped) if head else "\n".join(dropped)
        body_end = len(head) + 2 if head else 0
    return HtmlPage(
        text=text,
        body_end=body_end,
        title=title,
        author=_clean(doc.author if doc else None),
        sitename=_clean(doc.sitename if doc else None) or raw["og_site_name"],
        url=final_url,
        published=published,
        dates=dates,
        dates_raw=dates_raw,
        fields={
            k: raw[k]
            for k in ("jsonld_headline", "og_title", "og_url", "og_site_name", "canonical")
        },
        dropped=dropped,
        dropped_total=sum(1 for b in dropped_blocks if b is not None),
        extracted=bool(body),
    )


def page_record(page: HtmlPage) -> dict[str, Any]:
    """The documents-table fields a page fills (``meta`` holds the rest)."""
    return {
        "text": page.text,
        "title": page.title,
        "url": page.url,
        "published": page.published,
        # the parser derives the domain from the URL; the site name stands in without one
        "domain": None if page.url else page.sitename,
        "meta": page.meta(),
    }


class HtmlReader(Reader):
    """A saved web page (``.html``/``.htm``, possibly gzipped): one document per file."""

    suffixes = (".html", ".htm", ".xhtml")

    def read(self, file: InputFile) -> Iterator[Record]:
        """Yield one record for the page, or an error record when it cannot be read."""
        try:
            data = open_bytes(file.path, self.max_doc_bytes)  # gzip inflated only to the limit
        except TooLarge as exc:
            yield error_record(file, str(exc), resource_limit=True)
            return
        except READ_ERRORS as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            yield error_record(file, f"cannot read file: {reason}")
            return
        text, encoding, error = decode_html(data)
        if text is None:
            yield error_record(file, error or "undecodable bytes", encoding=encoding)
            return
        try:
            page = extract_page(text, None, self.columns.html)
        except HtmlError as exc:
            yield error_record(file, str(exc), encoding=encoding)
            return
        yield {
            "doc_id": file.rel,
            "source": file.source,
            "line": None,
            **page_record(page),
            "encoding": encoding,
            "record": None,
            "read_error": None,
            "problems": [],
        }


def iso_day(value: str | None) -> str | None:
    """A date string as ``YYYY-MM-DD`` (the day as written, in its own time zone), or None
    when it is not a full date.

    Example:
        >>> iso_day("2024-03-01T23:30:00-05:00"), iso_day("March 2024"), iso_day("20240301")
        ('2024-03-01', None, '2024-03-01')
    """
    if not value or not (value := value.strip()) or len(value) > 64:
        return None
    from dateutil import parser as date_parser

    day: dt.date | None = None
    try:
        if not _FULL_ISO_DATE.match(value):
            raise ValueError("not a full ISO date")
        day = date_parser.isoparse(value).date()
    except (ValueError, OverflowError):
        # a date is full when two different defaults cannot fill in any part of it
        try:
            a = date_parser.parse(value, default=dt.datetime(2000, 1, 1))
            b = date_parser.parse(value, default=dt.datetime(2001, 2, 2))
        except (ValueError, OverflowError, TypeError):
            return None
        if a.date() != b.date():
            return None
        day = a.date()
    if not 1900 <= day.year <= 2100:
        return None
    return day.isoformat()


def url_date(url: str | None) -> str | None:
    """The date written in a URL's path (``/2024/03/01/``, ``-20240301-``), or None.

    Example:
        >>> url_date("https://example.org/news/2024/03/01/storm-hits"), url_date("https://x.org/a")
        ('2024-03-01', None)
    """
    if not url:
        return None
    path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*", "", url.strip(), flags=re.IGNORECASE)
    for pattern in _html_rules()["url_dates"]:
        m = pattern.search(path)
        if m:
            try:
                day = dt.date(int(m["year"]), int(m["month"]), int(m["day"]))
            except ValueError:
                continue
            return day.isoformat()
    return None


# --- loading and walking the tree ---------------------------------------------------------


@lru_cache(maxsize=1)
def _require() -> None:
    """Import the extractors once; a broken install is a reason, not a traceback."""
    try:
        import htmldate  # noqa: F401
        import trafilatura  # noqa: F401
    except ImportError as exc:
        raise HtmlError(
            f"reading HTML needs trafilatura and htmldate (pip install 'audit[html]'): {exc}"
        ) from None


_MAX_DEPTH = 255  # elements deeper than this are dropped by libxml2's HTML parser


def _depth(tree: Any) -> int:
    """How deep the parsed elements nest (the parser keeps at most ``_MAX_DEPTH`` levels)."""
    return max((sum(1 for _ in e.iterancestors()) for e in tree.iter()), default=0)


def _load(html: str) -> Any:
    """Parse markup with trafilatura's loader (which repairs common faults)."""
    from trafilatura.utils import load_html

    if not html.strip():
        raise HtmlError("empty HTML page")
    if not _HAS_TAG.search(html[:65536]):
        raise HtmlError("not HTML (no markup found)")
    try:
        tree = load_html(html)
        if tree is None:  # a fragment: trafilatura wants a whole page
            tree = load_html(f"<html><body><div>{html}</div></body></html>")
    except (ValueError, TypeError) as exc:
        raise HtmlError(f"cannot parse HTML: {exc}") from None
    if tree is None:
        raise HtmlError("cannot parse HTML")
    return tree


def _blocks(
    root: Any,
    blocks: frozenset[str],
    spaced: dict[str, str],
    cells: frozenset[str],
    skip: frozenset[str] = frozenset(),
    groups: frozenset[str] = frozenset(),
) -> list[str | None]:
    """The text of ``root`` as a reader sees it: one string per block, spaces folded; None
    where a container in ``groups`` starts or ends. Elements with a tag in ``skip`` or
    matched by ``_NOT_SHOWN`` are left out."""
    from lxml import etree

    hidden = set(root.xpath(_NOT_SHOWN)) if skip else set()
    out: list[str | None] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            text = " ".join("".join(buf).split())
            if text:
                out.append(_SPACE_BEFORE_PUNCT.sub("", text))
            buf.clear()

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if tag in skip or (hidden and el in hidden):
                walker.skip_subtree()
                continue
            if tag in blocks:
                flush()
                if tag in groups and out and out[-1] is not None:
                    out.append(None)
            elif tag in cells:
                if "".join(buf).strip():
                    buf.append(" | ")
            elif tag in spaced:
                buf.append(spaced[tag])
            if el.text and isinstance(tag, str):
                buf.append(el.text)
        else:
            if tag in blocks:
                flush()
                if tag in groups and out and out[-1] is not None:
                    out.append(None)
            elif tag in spaced:
                buf.append(spaced[tag])
            if el.tail:
                buf.append(el.tail)
    flush()
    return out


def _key(text: str) -> str:
    """A line as compared between the page and the extracted body."""
    return _KEY_SEPARATORS.sub(" ", text).strip().removeprefix("- ").casefold()


def _dropped(visible: list[str | None], lines: list[str]) -> list[str | None]:
    """The visible blocks (and group breaks) that are not in the extracted ``lines``.

    A block is kept when it is a line, when it is long enough not to match by chance
    and is part of a line (the extractor trimmed or joined), or when it and its
    neighbours make up a line together (menu entries or cells joined into one)."""
    keys = [_key(b) if b is not None else None for b in visible]
    ordered = [_key(line) for line in lines]
    line_keys = set(ordered)
    joined = "\n".join(ordered)
    kept = [
        k is not None and (k in line_keys or (k.count(" ") >= _SHORT_WORDS - 1 and k in joined))
        for k in keys
    ]
    unmatched = line_keys - {k for k in keys if k is not None}
    by_key: dict[str, list[int]] = {}
    if unmatched:
        for i, k in enumerate(keys):
            if k and not kept[i]:
                by_key.setdefault(k, []).append(i)
    budget = _JOIN_BUDGET  # bounds the work on hostile pages
    for line in (k for k in dict.fromkeys(ordered) if k in unmatched):
        if budget <= 0:
            break
        # blocks whose text starts the line, at a word boundary
        cuts = [m.start() for m in re.finditer(" ", line)]
        for i in (i for c in cuts for i in by_key.get(line[:c], ())):
            budget -= 1
            if budget <= 0:
                break
            if kept[i]:
                continue
            j, text = i, keys[i] or ""
            while len(text) < len(line) and j + 1 < len(keys) and budget > 0:
                j += 1
                budget -= 1
                if keys[j]:
                    text = f"{text} {keys[j]}"
            if text == line:
                for n in range(i, j + 1):
                    kept[n] = keys[n] is not None
                break
    return [b for b, k in zip(visible, kept, strict=True) if not k]


def _chrome_lines(blocks: list[str | None], cap: int) -> list[str]:
    """Dropped blocks as lines: short entries of one group (a menu) joined, repeats removed,
    capped."""
    lines: list[str] = []
    run: list[str] = []

    def close() -> None:
        if run:
            lines.append(" · ".join(run))
            run.clear()

    for block in blocks:
        if block is None:
            close()
        elif block.count(" ") + 1 <= _SHORT_WORDS:
            if run and sum(len(r) + 3 for r in run) + len(block) > _LINE_CHARS:
                close()
            run.append(block)
        else:
            close()
            lines.append(block)
    close()
    seen: set[str] = set()
    unique = []
    for line in lines:
        if line not in seen:
            seen.add(line)
            unique.append(line)
    return unique[:cap]


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


# --- what the page claims -----------------------------------------------------------------


def _trafilatura(tree: Any, url: str | None, settings: HtmlSettings) -> Any:
    """trafilatura's Document for the page (body and metadata), or None."""
    from trafilatura import bare_extraction

    try:
        return bare_extraction(
            tree,
            url=url,
            fast=settings.fast,
            favor_precision=settings.favor == "precision",
            favor_recall=settings.favor == "recall",
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_formatting=False,
            include_links=False,
            with_metadata=True,
            prune_xpath=_NOT_SHOWN,
        )
    except Exception:  # trafilatura raises assorted errors on hostile markup
        return None


def _htmldate(tree: Any, url: str | None) -> dict[str, str | None]:
    """htmldate's original and updated dates, from the page's markup (the URL only when the
    markup has none); its free-text guessing is left out, as a check needs claims."""
    from htmldate import find_date

    out: dict[str, str | None] = {}
    for key, original in (("htmldate_original", True), ("htmldate_updated", False)):
        try:
            out[key] = find_date(
                tree,
                url=url,
                original_date=original,
                extensive_search=False,
                deferred_url_extractor=True,
            )
        except Exception:  # htmldate raises assorted errors on hostile markup
            out[key] = None
    return out


def _claimed(tree: Any) -> dict[str, str | None]:
    """JSON-LD, OpenGraph and ``<meta>`` values as the page wrote them."""
    rules = _html_rules()
    out: dict[str, str | None] = dict.fromkeys(
        (
            "jsonld_published",
            "jsonld_modified",
            "jsonld_headline",
            "og_published",
            "og_modified",
            "og_title",
            "og_url",
            "og_site_name",
            "meta_published",
            "meta_modified",
            "canonical",
            "title",
        )
    )
    for element in tree.iter("title"):
        out["title"] = _clean(element.text_content())
        break
    for meta in tree.iter("meta"):
        content = _clean(meta.get("content"))
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            name = (meta.get(attr) or "").strip().lower()
            if not name:
                continue
            target = rules["meta_names"].get(name)
            if target and out[target] is None:
                out[target] = content
    for link in tree.iter("link"):
        if (link.get("rel") or "").strip().lower() == "canonical" and link.get("href"):
            out["canonical"] = _clean(link.get("href"))
            break
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        article = _jsonld_article(script.text)
        if article is None:
            continue
        for key, name in (
            ("jsonld_published", "datePublished"),
            ("jsonld_modified", "dateModified"),
            ("jsonld_headline", "headline"),
        ):
            value = article.get(name)
            if isinstance(value, list):  # some CMSs write one-element lists
                value = next((v for v in value if isinstance(v, str)), None)
            if out[key] is None and isinstance(value, str):
                out[key] = _clean(value)
    return out


_ARTICLE_TYPE = re.compile(r"article|posting|report|story|newsarticle", re.IGNORECASE)


def _jsonld_article(source: str) -> dict[str, Any] | None:
    """The JSON-LD object that describes the article (the first with a date, articles first)."""
    try:
        data = json.loads(source, strict=False)
    except (ValueError, RecursionError):
        return None
    candidates = [o for o in _jsonld_objects(data, 0) if "datePublished" in o or "headline" in o]
    for obj in candidates:
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and _ARTICLE_TYPE.search(k) for k in kinds):
            return obj
    return candidates[0] if candidates else None


def _jsonld_objects(data: Any, depth: int) -> Iterable[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _jsonld_objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in data:
                yield from _jsonld_objects(data[key], depth + 1)


@lru_cache(maxsize=1)
def _html_rules() -> dict[str, Any]:
    """The meta names and URL date patterns of ``audit/data/html.toml``."""
    path = Path(str(resources.files("audit") / "data" / "html.toml"))
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    names: dict[str, str] = {}
    for kind in ("published", "modified"):
        for name in data["opengraph"][kind]:
            names[name.lower()] = f"og_{kind}"
        for name in data["meta"][kind]:
            names.setdefault(name.lower(), f"meta_{kind}")
    names.update({"og:title": "og_title", "og:url": "og_url", "og:site_name": "og_site_name"})
    return {
        "meta_names": names,
        "url_dates": [re.compile(p, re.IGNORECASE) for p in data["url"]["dates"]],
    }
