"""Text signals: word counts, chrome lines, truncation, mojibake, presence of fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.signals.base import Batch, Evidence, Output, Para, present

# Mojibake is UTF-8 read as a one-byte encoding: its first character is then one of
# U+0080..U+00FF (Latin-1, cp1252) or Cyrillic (cp1251), whose own UTF-8 encoding
# starts with one of these bytes. A text without them is not asked of ftfy (slow).
_SUSPECT_BYTES = (b"\xc2", b"\xc3", b"\xd0", b"\xd1", "\ufffd".encode())
_REPLACEMENT = "\ufffd"


def _suspect(text: str) -> bool:
    if text.isascii():
        return False
    raw = text.encode("utf-8", "surrogatepass")
    return any(b in raw for b in _SUSPECT_BYTES)


def _repeats(b: Batch, i: int, counts: dict[int, int]) -> list[Evidence]:
    """Body paragraphs that repeat an earlier paragraph (or the title) of document ``i``.

    Uses the dedup stage's ``repeat_of`` when there is one, else exact repeats.
    """
    texts, lines = b.p_text, b.p_line
    if b.has_repeat_of:
        by_idx = {b.p_idx[j]: lines[j] for j in b.other[i] + b.body[i]}
        return [
            {"line": lines[j], "repeats_line": by_idx.get(rep), "words": counts[j]}
            for j in b.body[i]
            if (rep := b.p_repeat[j]) is not None
        ]
    seen: dict[str, int | None] = {}
    title = b.title[i]
    if isinstance(title, str) and title.strip():
        title_line = next((lines[j] for j in b.other[i] if b.p_role[j] == "title"), None)
        seen[title.strip()] = title_line
    out: list[Evidence] = []
    for j in b.body[i]:
        key = texts[j].strip()
        if key in seen:
            out.append({"line": lines[j], "repeats_line": seen[key], "words": counts[j]})
        elif key:
            seen[key] = lines[j]
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
    texts = b.p_text
    for i, rows in enumerate(b.body):
        counts = {j: len(texts[j].split()) for j in rows}
        stored = sum(counts.values())
        repeats = _repeats(b, i, counts)
        dedup = stored - sum(r["words"] for r in repeats)
        claimed = _as_int(b.claimed[i])
        out["word_count"].append(stored)
        out["word_count_dedup"].append(dedup)
        out["claimed_word_count"].append(claimed)
        out["word_count_ratio"].append(round(stored / claimed, 4) if claimed else None)
        out["repeated_paragraphs"].append(len(repeats))
        out["_dup_paragraph_fraction"].append(round(len(repeats) / len(rows), 4) if rows else 0.0)
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
            (
                b.p_line[j]
                for j in b.other[i]
                if b.p_role[j] == "metadata" and texts[j].strip() == str(claimed)
            ),
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
    texts, p_roles, reasons = b.p_text, b.p_role, b.p_reason
    lines_col: list[int] = []
    ratio_col: list[float] = []
    ev: list[Evidence | None] = []
    for i, rows in enumerate(b.other):
        chrome = [j for j in rows if p_roles[j] in roles and reasons[j] not in exempt]
        if not chrome:
            lines_col.append(0)
            ratio_col.append(0.0)
            ev.append(None)
            continue
        chrome_chars = sum([len(texts[j].strip()) for j in chrome])
        body_chars = sum([len(texts[j]) for j in b.body[i]])
        lines_col.append(len(chrome))
        ratio_col.append(round(chrome_chars / (chrome_chars + body_chars), 4))
        ev.append(
            {
                "lines": [
                    {
                        "line": b.p_line[j],
                        "text": texts[j].strip(),
                        "role": p_roles[j],
                        "reason": reasons[j],
                    }
                    for j in chrome
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


def _ending(b: Batch, j: int) -> Evidence:
    t = b.p_text[j].strip()
    return {"line": b.p_line[j], "ending": t[-80:]}


def truncation(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Whether the body, and the summary if there is one, end mid-sentence."""
    s = b.settings
    texts = b.p_text
    body_col: list[bool | None] = []
    summary_col: list[bool | None] = []
    ev: list[Evidence | None] = []
    for i, rows in enumerate(b.body):
        e: Evidence = {}
        if rows:
            cut = not ends_sentence(texts[rows[-1]], s.sentence_end, s.closing_quotes)
            body_col.append(cut)
            if cut:
                e["body"] = _ending(b, rows[-1])
        else:
            body_col.append(None)
        summary = [j for j in b.other[i] if b.p_role[j] == "summary"]
        if len(summary) > 1 and len(texts[summary[0]].split()) <= 3:
            summary = summary[1:]  # the section's heading line
        cut_summary: bool | None = None
        if summary and len(texts[summary[-1]].split()) > 3:
            cut_summary = not ends_sentence(texts[summary[-1]], s.sentence_end, s.closing_quotes)
            if cut_summary:
                e["summary"] = _ending(b, summary[-1])
        else:
            for key in s.summary_keys:
                value = b.meta[i].get(key)
                if isinstance(value, str) and len(value.split()) > 3:
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
        if not _suspect(text):
            flags.append(False)
            ev.append(None)
            continue
        paras = b.paras(i) or [
            Para(n, n + 1, "body", "", line, None)
            for n, line in enumerate(text.split("\n"))
            if line.strip()
        ]
        bad = _bad_lines(paras)
        flags.append(bool(bad))
        ev.append({"lines": bad[:20], "n_lines": len(bad)} if bad else None)
    return Output({"mojibake": flags}, {"mojibake": ev})


def _bad_lines(paras: list[Para]) -> list[Evidence]:
    import ftfy
    from ftfy.badness import is_bad

    out: list[Evidence] = []
    for p in paras:
        t = p.text
        if not _suspect(t):
            continue
        if _REPLACEMENT in t:
            out.append({"line": p.line, "text": t.strip()[:200], "reason": "replacement_character"})
        elif is_bad(t):
            out.append(
                {
                    "line": p.line,
                    "text": t.strip()[:200],
                    "reason": "mojibake",
                    "fixed": ftfy.fix_text(t, uncurl_quotes=False).strip()[:200],
                }
            )
    return out


def _record_id(meta: Mapping[str, Any], doc_id: str, line: Any) -> str | None:
    """The id a record gives itself: as written in the input (a repeated one is made
    unique for the document's name, and kept in ``input_id``), else none."""
    for key in ("input_id", "id"):
        if present(meta.get(key)):
            return str(meta[key])
    return doc_id if present(line) else None


def presence(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Which required fields a document has, and the id it gives itself."""
    has_title = [present(t) for t in b.title]
    has_url = [present(u) or present(m.get("url")) for u, m in zip(b.url, b.meta, strict=True)]
    has_source = [present(s) for s in b.source]
    has_date = [d is not None for d in cols["published_date"]]
    record_id = [
        _record_id(m, d, line) for m, d, line in zip(b.meta, b.doc_ids, b.line, strict=True)
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
