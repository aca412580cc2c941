"""Text signals: word counts, chrome lines, truncation, mojibake, presence of fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from audit.signals.base import Batch, Evidence, Output, Para, present

_NOT_WORD = re.compile(r"\W+")
# Mojibake is always made of characters outside ASCII and the common typographic
# punctuation; a text without any is skipped without asking ftfy (which is slow).
_UNUSUAL = re.compile(
    r"[^\x00-\x7f\u00a0\u00b0\u00b7\u00ab\u00bb\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026]"
)
_REPLACEMENT = "\ufffd"


def _norm(text: str) -> str:
    return _NOT_WORD.sub(" ", text.lower()).strip()


def _words(text: str) -> int:
    return len(text.split())


def _repeats(
    body: list[Para], title: Any, title_line: int | None, use_column: bool
) -> list[Evidence]:
    """Body paragraphs that repeat an earlier paragraph (or the title)."""
    if use_column:
        by_idx = {p.idx: p.line for p in body}
        return [
            {"line": p.line, "repeats_line": by_idx.get(p.repeat_of), "words": _words(p.text)}
            for p in body
            if p.repeat_of is not None
        ]
    seen: dict[str, int | None] = {}
    if isinstance(title, str) and title.strip():
        seen[_norm(title)] = title_line
    out: list[Evidence] = []
    for p in body:
        key = _norm(p.text)
        if not key:
            continue
        if key in seen:
            out.append({"line": p.line, "repeats_line": seen[key], "words": _words(p.text)})
        else:
            seen[key] = p.line
    return out


def word_counts(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Body words as stored, without repeated paragraphs, and as claimed by the source."""
    out: dict[str, list[Any]] = {
        "word_count": [],
        "word_count_dedup": [],
        "claimed_word_count": [],
        "word_count_ratio": [],
        "repeated_paragraphs": [],
        "_dup_paragraph_fraction": [],
    }
    ev: list[Evidence | None] = []
    for i, body in enumerate(b.body):
        title_line = next((p.line for p in b.paras[i] if p.role == "title"), None)
        stored = sum(_words(p.text) for p in body)
        repeats = _repeats(body, b.title[i], title_line, b.has_repeat_of)
        dedup = stored - sum(r["words"] for r in repeats)
        claimed = _as_int(b.claimed[i])
        out["word_count"].append(stored)
        out["word_count_dedup"].append(dedup)
        out["claimed_word_count"].append(claimed)
        out["word_count_ratio"].append(round(stored / claimed, 4) if claimed else None)
        out["repeated_paragraphs"].append(len(repeats))
        out["_dup_paragraph_fraction"].append(round(len(repeats) / len(body), 4) if body else 0.0)
        if claimed is None:
            ev.append(None)
            continue
        e: Evidence = {
            "claimed": claimed,
            "word_count": stored,
            "word_count_dedup": dedup,
            "repeated_paragraphs": repeats,
        }
        line = next(
            (p.line for p in b.paras[i] if p.role == "metadata" and p.text.strip() == str(claimed)),
            None,
        )
        if line is not None:
            e["claimed_line"] = line
        ev.append(e)
    return Output(out, {"word_count_mismatch": ev})


def _as_int(value: Any) -> int | None:
    if not present(value) or isinstance(value, bool):
        return None
    try:
        return int(str(value).replace(",", "").strip().split(".")[0])
    except ValueError:
        return None


def boilerplate(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Chrome lines (navigation, widgets, buttons, related links) kept in the text."""
    roles = set(b.settings.boilerplate_roles)
    exempt = set(b.settings.boilerplate_exempt_reasons)
    lines_col: list[int] = []
    ratio_col: list[float] = []
    ev: list[Evidence | None] = []
    for i, ps in enumerate(b.paras):
        chrome = [p for p in ps if p.role in roles and p.reason not in exempt]
        chrome_chars = sum(len(p.text.strip()) for p in chrome)
        body_chars = sum(len(p.text.strip()) for p in b.body[i])
        total = chrome_chars + body_chars
        lines_col.append(len(chrome))
        ratio_col.append(round(chrome_chars / total, 4) if total else 0.0)
        if not chrome:
            ev.append(None)
            continue
        ev.append(
            {
                "lines": [
                    {"line": p.line, "text": p.text.strip(), "role": p.role, "reason": p.reason}
                    for p in chrome
                ],
                "chrome_chars": chrome_chars,
                "body_chars": body_chars,
            }
        )
    return Output(
        {"boilerplate_lines": lines_col, "boilerplate_ratio": ratio_col}, {"boilerplate": ev}
    )


def ends_sentence(text: str, sentence_end: str, closing_quotes: str) -> bool:
    """Whether ``text`` ends a sentence (after closing quotes); an ellipsis does not.

    Example:
        >>> ends_sentence('He said "yes."', ".!?", '"')
        True
        >>> ends_sentence("and pledged cooperation for North Korea's", ".!?", '"')
        False
    """
    t = text.rstrip()
    if t.endswith(("...", "…")):
        return False
    t = t.rstrip(closing_quotes).rstrip()
    if t.endswith(("...", "…")):
        return False
    return bool(t) and t[-1] in sentence_end


def _ending(p: Para) -> Evidence:
    t = p.text.strip()
    return {"line": p.line, "ending": t[-80:] if len(t) > 80 else t}


def truncation(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Whether the body, and the summary if there is one, end mid-sentence."""
    s = b.settings
    body_col: list[bool | None] = []
    summary_col: list[bool | None] = []
    ev: list[Evidence | None] = []
    for i, ps in enumerate(b.paras):
        e: Evidence = {}
        body = b.body[i]
        if body:
            cut = not ends_sentence(body[-1].text, s.sentence_end, s.closing_quotes)
            body_col.append(cut)
            if cut:
                e["body"] = _ending(body[-1])
        else:
            body_col.append(None)
        summary = [p for p in ps if p.role == "summary"]
        if summary and _words(summary[0].text) <= 3 and len(summary) > 1:
            summary = summary[1:]  # the section's heading line
        cut_summary: bool | None = None
        if summary and _words(summary[-1].text) > 3:
            cut_summary = not ends_sentence(summary[-1].text, s.sentence_end, s.closing_quotes)
            if cut_summary:
                e["summary"] = _ending(summary[-1])
        else:
            for key in s.summary_keys:
                value = b.meta[i].get(key)
                if isinstance(value, str) and _words(value) > 3:
                    cut_summary = not ends_sentence(value, s.sentence_end, s.closing_quotes)
                    if cut_summary:
                        e["summary"] = {"field": key, "ending": value.strip()[-80:]}
                    break
        summary_col.append(cut_summary)
        ev.append(e or None)
    return Output(
        {"body_truncated": body_col, "summary_truncated": summary_col}, {"truncated_text": ev}
    )


def mojibake(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Broken encoding: ftfy's mojibake test, and U+FFFD replacement characters."""
    flags: list[bool] = []
    ev: list[Evidence | None] = []
    for i, text in enumerate(b.text):
        if text.isascii() or not _UNUSUAL.search(text):
            flags.append(False)
            ev.append(None)
            continue
        bad = _bad_lines(b.paras[i] or _as_paras(text))
        flags.append(bool(bad))
        ev.append({"lines": bad[:20], "n_lines": len(bad)} if bad else None)
    return Output({"mojibake": flags}, {"mojibake": ev})


def _as_paras(text: str) -> list[Para]:
    return [
        Para(n, n + 1, "body", "", line, None)
        for n, line in enumerate(text.split("\n"))
        if line.strip()
    ]


def _bad_lines(paras: list[Para]) -> list[Evidence]:
    import ftfy
    from ftfy.badness import is_bad

    out: list[Evidence] = []
    for p in paras:
        t = p.text
        if not _UNUSUAL.search(t):
            continue
        if _REPLACEMENT in t:
            out.append({"line": p.line, "text": t.strip()[:200], "reason": "replacement_character"})
        elif is_bad(t):
            out.append(
                {
                    "line": p.line,
                    "text": t.strip()[:200],
                    "reason": "mojibake",
                    "fixed": ftfy.fix_text(t).strip()[:200],
                }
            )
    return out


def presence(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Which required fields a document has, and the id it gives itself."""
    has_title = [present(t) for t in b.title]
    has_url = [present(u) or present(m.get("url")) for u, m in zip(b.url, b.meta, strict=True)]
    has_source = [present(s) for s in b.source]
    has_date = [d is not None for d in cols["published_date"]]
    record_id = [
        str(m["id"]) if present(m.get("id")) else (d if present(line) else None)
        for m, d, line in zip(b.meta, b.doc_ids, b.line, strict=True)
    ]
    ev: list[Evidence | None] = []
    for i in range(b.n):
        missing = [
            name
            for name, ok in (
                ("title", has_title[i]),
                ("url", has_url[i]),
                ("source", has_source[i]),
            )
            if not ok
        ]
        ev.append({"missing": missing} if missing else None)
    return Output(
        {
            "has_title": has_title,
            "has_url": has_url,
            "has_source": has_source,
            "has_date": has_date,
            "record_id": record_id,
        },
        {"missing_metadata": ev},
    )
