"""Findings about the input itself: unreadable files and lines, malformed records."""

from __future__ import annotations

from typing import Any

from audit.model import Check, Finding, Severity


def intake_findings(records: list[dict[str, Any]]) -> list[Finding]:
    """An ``unreadable_input`` (or ``resource_limit``) error per unreadable record and a
    ``malformed_record`` warning per record with fields of the wrong type."""
    out: list[Finding] = []
    for rec in records:
        evidence = {"source": rec.get("source"), "line": rec.get("line")}
        if rec.get("read_error"):
            check = Check.RESOURCE_LIMIT if rec.get("resource_limit") else Check.UNREADABLE_INPUT
            out.append(
                Finding(
                    rec["doc_id"],
                    check,
                    Severity.ERROR,
                    f"{rec.get('source')}: {rec['read_error']}",
                    {**evidence, "reason": rec["read_error"]},
                )
            )
        if rec.get("problems"):
            out.append(
                Finding(
                    rec["doc_id"],
                    Check.MALFORMED_RECORD,
                    Severity.WARNING,
                    "; ".join(rec["problems"]),
                    {**evidence, "problems": list(rec["problems"])},
                )
            )
    return out
