"""Properties that hold for any input: the parser, the decoder and the table readers never
raise, and never lose or invent a line or a record."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from audit.config import InputSettings
from audit.ingest import iter_records
from audit.ingest.decode import decode_bytes
from audit.model import Role
from audit.parse import parse_records
from audit.parse.patterns import load_patterns
from audit.parse.scraped import parse_text

ROLES = {r.value for r in Role}
PATTERNS = load_patterns()

# Lines that look like the pages the parser is built for, so that the rules fire.
PAGE_LINES = [
    "Print",
    "Share",
    "12°C",
    "Monday, October 3, 2022",
    "A short headline",
    "The minister said on Tuesday that the new plan would take effect next year.",
    "Similar Readings (2 items)",
    "Related stories",
    "Summary:",
    "Statistics",
    "245",
    "Words",
    "1,234",
    "Id: 42",
    "URL: https://example.org/a",
    "Date: 2022-10-05",
    "Source: Reuters",
    "Tokyo, Japan (Kyodo) – The talks ended without an agreement on the budget.",
    "• a bullet item",
    "- another item",
    "© 2022 Example News",
    "Subscribe now",
    "   ",
    "",
    "\t",
    "\r",
]
lines = st.one_of(
    st.sampled_from(PAGE_LINES),
    st.text(max_size=80),
    st.text(alphabet="0123456789,: \t", max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
)
page = st.lists(lines, max_size=40).map("\n".join)
any_text = st.one_of(st.text(), page)


def non_blank_lines(text: str) -> list[tuple[int, str]]:
    """(1-based number, line without its break) of every non-blank line of ``text``."""
    out = []
    for n, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line.strip():
            out.append((n, line))
    return out


@settings(max_examples=400, deadline=None)
@given(any_text)
@example("Statistics\n" + "1" * 5000)
@example("Title\n\r\n\u2028\x85 \x0b\nBody line one.\r\nSummary:\nText\n")
def test_every_non_blank_line_is_in_exactly_one_paragraph(text: str) -> None:
    parsed = parse_text(text, PATTERNS)
    paragraphs = parsed.paragraphs
    assert [(p["line"], p["text"]) for p in paragraphs] == non_blank_lines(text)
    assert [p["idx"] for p in paragraphs] == list(range(len(paragraphs)))
    for p in paragraphs:
        assert text[p["start"] : p["end"]] == p["text"]
        assert p["role"] in ROLES and p["reason"]
    assert sum(p["role"] == "title" for p in paragraphs) <= 1
    if parsed.claimed_word_count is not None:
        assert 0 <= parsed.claimed_word_count < 10**9


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=20), any_text), max_size=8))
def test_parse_records_keeps_every_document(docs: list[tuple[str, str]]) -> None:
    records = [{"doc_id": f"{i}:{name}", "text": text} for i, (name, text) in enumerate(docs)]
    chunk = parse_records(records)
    assert list(chunk.documents["doc_id"]) == [r["doc_id"] for r in records]
    expected = sum(len(non_blank_lines(text)) for _, text in docs)
    assert len(chunk.paragraphs) == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=3000), st.text().map(str.encode)))
@example(b"\xff\xfe\x00\xd8")
@example("caf\u00e9 ".encode() + b"\xe9\x80")
def test_any_bytes_decode_or_say_why(data: bytes) -> None:
    decoded = decode_bytes(data)
    if decoded.error:
        assert decoded.text == ""
        return
    assert isinstance(decoded.text, str) and decoded.encoding
    decoded.text.encode("utf-8")  # no lone surrogate: every writer can carry it
    try:
        strict = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    if not strict.startswith("\ufeff"):
        assert decoded.text == strict and decoded.encoding == "utf-8"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
jsonl_line = st.one_of(
    st.fixed_dictionaries(
        {"text": st.text()}, optional={"id": json_values, "title": json_values}
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\n"), max_size=40
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(jsonl_line, max_size=12))
def test_jsonl_one_record_per_non_blank_line(tmp_path: Path, rows: list[str]) -> None:
    path = tmp_path / "rows.jsonl"
    data = ("\n".join(rows) + "\n").encode("utf-8")
    path.write_bytes(data)
    records = list(iter_records([str(path)], InputSettings()))
    expected = [n for n, raw in enumerate(rows, start=1) if raw.strip()]
    if not expected or decode_bytes(data).error:  # blank, or not text: one record says so
        assert len(records) == 1 and records[0]["read_error"]
        return
    assert [r["line"] for r in records] == expected
    assert len({r["doc_id"] for r in records}) == len(records)
    for record in records:
        assert record["read_error"] or isinstance(record["text"], str)


# Control characters are left out: a file dense with them is refused as binary (by design).
cell = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from("\n\r\t")
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(cell, cell), min_size=1, max_size=8))
def test_csv_cells_survive_a_round_trip(tmp_path: Path, rows: list[tuple[str, str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["title", "text"])
    writer.writerows(rows)
    path = tmp_path / "rows.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    records = list(iter_records([str(path)], InputSettings()))
    readable = [r for r in records if not r["read_error"]]
    kept = [(t, x) for t, x in rows if t or x]  # csv skips rows whose cells are all empty
    if not kept:
        assert len(records) == 1 and records[0]["read_error"] == "no documents in the file"
        return
    if records[0]["encoding"] == "utf-8":  # text only in the detected encoding compares
        assert [(r["title"] or "", r["text"]) for r in readable] == kept
        assert len(records) == len(kept)
