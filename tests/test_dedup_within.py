"""Repeated paragraphs inside a document: exact, near, the title, fractions and findings."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from audit.config import DedupSettings
from audit.dedup.within import TITLE_FIELD, find_repeats
from audit.model import Chunk

PARAS = [
    "The two leaders spoke by phone for about 25 minutes on Tuesday night, Japan time.",
    "Kishida and Biden condemned the launch and called it a grave challenge to peace.",
    "They confirmed that the three countries should closely work together on this.",
    "They also discussed abductions of Japanese nationals by North Korea last year.",
]


def chunk(docs: dict[str, list[tuple[str, str]]], titles: dict[str, str] | None = None) -> Chunk:
    """A chunk from {doc_id: [(role, text), ...]}; line numbers skip a blank line each."""
    rows: list[dict[str, Any]] = []
    for doc_id, lines in docs.items():
        pos = 0
        for i, (role, text) in enumerate(lines):
            rows.append(
                {
                    "doc_id": doc_id,
                    "idx": i,
                    "text": text,
                    "role": role,
                    "reason": role,
                    "start": pos,
                    "end": pos + len(text or ""),
                    "line": 2 * i + 1,
                }
            )
            pos += len(text or "") + 2
    records = [{"doc_id": d, "title": (titles or {}).get(d)} for d in docs]
    return Chunk.from_records(records, rows)


def repeats(c: Chunk, doc_id: str) -> list[Any]:
    p = c.paragraphs[c.paragraphs["doc_id"] == doc_id].sort_values("idx")
    return p["repeat_of"].tolist()


def test_body_captured_twice() -> None:
    body = [("body", t) for t in PARAS]
    c = chunk({"twice": [("title", "Leaders talk"), *body, *body, ("related", "More news")]})
    find_repeats(c, DedupSettings())
    assert repeats(c, "twice") == [None, None, None, None, None, 1, 2, 3, 4, None]
    doc = c.documents.iloc[0]
    assert doc["dup_paragraph_fraction"] == pytest.approx(0.5)
    assert doc["dup_char_fraction"] == pytest.approx(0.5)
    (f,) = c.findings
    assert f.check == "duplicate_paragraphs" and f.severity == "warning"
    assert "4 of 8 body paragraphs" in f.message and "lines 11-17 repeat lines 3-9" in f.message
    first = f.evidence["pairs"][0]
    assert first == {
        "first": 1,
        "repeat": 5,
        "first_line": 3,
        "repeat_line": 11,
        "first_role": "body",
        "kind": "exact",
        "similarity": 1.0,
    }


def test_title_line_repeated_as_first_body_line() -> None:
    title = "Japan, US reaffirm bilateral cooperation against North Korea"
    c = chunk({"d": [("title", title), ("body", title.upper() + "!"), ("body", PARAS[0])]})
    find_repeats(c, DedupSettings())
    assert repeats(c, "d") == [None, 0, None]
    (f,) = c.findings
    assert f.evidence["pairs"][0]["first_role"] == "title"
    assert "line 3 repeats line 1" in f.message


def test_title_field_repeated_as_first_body_line() -> None:
    title = "Japan, US reaffirm bilateral cooperation against North Korea"
    c = chunk({"d": [("body", title), ("body", PARAS[0])]}, titles={"d": title})
    find_repeats(c, DedupSettings())
    assert repeats(c, "d") == [TITLE_FIELD, None]
    (f,) = c.findings
    assert f.evidence["pairs"][0]["first_role"] == "title_field"
    assert "repeats the title field" in f.message


def test_near_repeat_found_and_short_lines_ignored() -> None:
    long = (
        "Kishida told reporters that Japan needs to continue to study options for its own "
        "sanctions against the North and will send out strong messages at the United Nations"
    )
    edited = long.replace("strong", "firm")
    c = chunk(
        {
            "d": [
                ("body", long),
                ("body", "Read more"),
                ("body", PARAS[0]),
                ("body", edited),
                ("body", "Read more"),
            ]
        }
    )
    find_repeats(c, DedupSettings())
    assert repeats(c, "d") == [None, None, None, 0, None]
    (f,) = c.findings
    (pair,) = f.evidence["pairs"]
    assert pair["kind"] == "near" and 0.7 <= pair["similarity"] < 1.0


def test_other_roles_do_not_count_and_clean_documents_get_nothing() -> None:
    c = chunk(
        {
            "clean": [("body", t) for t in PARAS],
            "links": [("body", PARAS[0]), ("related", PARAS[1]), ("related", PARAS[1])],
        }
    )
    find_repeats(c, DedupSettings())
    assert c.findings == []
    assert c.documents["dup_paragraph_fraction"].tolist() == [0.0, 0.0]


def test_empty_tables_and_missing_text() -> None:
    c = Chunk.from_records([{"doc_id": "empty"}])
    find_repeats(c, DedupSettings())
    assert "repeat_of" in c.paragraphs.columns
    assert c.documents["dup_paragraph_fraction"].tolist() == [0.0]
    c = chunk({"d": [("body", PARAS[0]), ("body", None), ("body", PARAS[0])]})  # type: ignore[list-item]
    find_repeats(c, DedupSettings())
    assert repeats(c, "d") == [None, None, 0]


def test_repeats_are_per_document() -> None:
    c = chunk({"a": [("body", PARAS[0])], "b": [("body", PARAS[0])]})
    find_repeats(c, DedupSettings())
    assert c.findings == []
    assert pd.isna(c.paragraphs["repeat_of"]).all()


def test_severity_is_a_setting() -> None:
    c = chunk({"d": [("body", PARAS[0]), ("body", PARAS[0])]})
    find_repeats(c, DedupSettings(repeat_severity="error"))
    assert c.findings[0].severity == "error"
