"""Findings about the input itself: unreadable files and lines, malformed records,
bytes that are not text."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from audit.config import InputSettings
from audit.model import Check, Finding, Severity

_MAX_OFFSETS = 20  # offsets listed as evidence; the count covers them all


def intake_findings(
    records: list[dict[str, Any]], settings: InputSettings | None = None
) -> list[Finding]:
    """The findings a record carries from reading.

    An ``unreadable_input`` (or ``resource_limit``) error per unreadable record;
    a ``mojibake`` error for NUL characters in the text and a warning for bytes
    that were not valid in the file's encoding; a ``malformed_record`` warning
    per record with fields of the wrong type; a ``long_token`` warning for a run
    of more than ``settings.max_token_chars`` characters without a space.

    Example:
        >>> [f.check for f in intake_findings([{"doc_id": "a", "text": "x\\x00y"}])]
        ['mojibake']
    """
    max_token = (settings or InputSettings()).max_token_chars
    out: list[Finding] = []
    for rec in records:
        doc_id = rec["doc_id"]
        source, line = rec.get("source"), rec.get("line")
        evidence = {"source": source, "line": line}
        if rec.get("read_error"):
            check = Check.RESOURCE_LIMIT if rec.get("resource_limit") else Check.UNREADABLE_INPUT
            reason = str(rec["read_error"])
            where = str(source) if line is None else f"{source}:{line}"
            message = reason if reason.startswith(str(source)) else f"{where}: {reason}"
            out.append(
                Finding(doc_id, check, Severity.ERROR, message, {**evidence, "reason": reason})
            )
        text = rec.get("text") or ""
        if "\x00" in text:
            offsets = _offsets(text, "\x00")
            n = text.count("\x00")
            out.append(
                Finding(
                    doc_id,
                    Check.MOJIBAKE,
                    Severity.ERROR,
                    f"text holds {n} NUL character{'s' if n > 1 else ''} (first at {offsets[0]}): "
                    "binary data or a broken encoding",
                    {**evidence, "nul_count": n, "offsets": offsets},
                )
            )
        if max_token and len(text) > max_token:
            out.extend(_long_tokens(doc_id, text, max_token, evidence))
        stray = rec.get("stray_bytes")
        if stray:
            at = (
                f"at characters {', '.join(map(str, stray['offsets'][:5]))}"
                if "offsets" in stray
                else f"on lines {', '.join(map(str, stray['lines'][:5]))}"
            )
            out.append(
                Finding(
                    doc_id,
                    Check.MOJIBAKE,
                    Severity.WARNING,
                    f"{stray['count']} byte(s) not valid UTF-8 in a UTF-8 file, read as "
                    f"windows-1252 ({at})",
                    {**evidence, **stray, "encoding": rec.get("encoding")},
                )
            )
        if rec.get("problems"):
            out.append(
                Finding(
                    doc_id,
                    Check.MALFORMED_RECORD,
                    Severity.WARNING,
                    "; ".join(rec["problems"]),
                    {**evidence, "problems": list(rec["problems"])},
                )
            )
    return out


@lru_cache(maxsize=4)
def _token_pattern(limit: int) -> re.Pattern[str]:
    # anchored at the start of a run, so each run is scanned once (linear time)
    return re.compile(rf"(?<!\S)\S{{{limit + 1},}}")


def _long_tokens(doc_id: str, text: str, limit: int, evidence: dict[str, Any]) -> list[Finding]:
    """One ``long_token`` warning listing the runs of over ``limit`` characters without a
    space: where they start (line, offset) and how long they are."""
    runs: list[dict[str, Any]] = []
    for m in _token_pattern(limit).finditer(text):
        runs.append(
            {
                "line": text.count("\n", 0, m.start()) + 1,
                "start": m.start(),
                "end": m.end(),
                "length": m.end() - m.start(),
                "head": m.group()[:40],
            }
        )
        if len(runs) == _MAX_OFFSETS:
            break
    if not runs:
        return []
    longest = max(runs, key=lambda r: r["length"])
    return [
        Finding(
            doc_id,
            Check.LONG_TOKEN,
            Severity.WARNING,
            f"{len(runs)} run(s) of over {limit} characters without a space, the longest "
            f"{longest['length']} on line {longest['line']}: not prose (an inlined image or "
            "script, or a failed extraction)",
            {**evidence, "max_token_chars": limit, "runs": runs},
        )
    ]


def _offsets(text: str, char: str) -> list[int]:
    """The first offsets of ``char`` in ``text``."""
    found: list[int] = []
    pos = text.find(char)
    while pos >= 0 and len(found) < _MAX_OFFSETS:
        found.append(pos)
        pos = text.find(char, pos + 1)
    return found
