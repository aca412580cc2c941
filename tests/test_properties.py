"""Properties that hold for any input: the parser, the decoder and the table readers never
raise, and never lose or invent a line or a record; the dedup engine always finds an exact
copy and gives the same clusters whatever the input order."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from audit.config import InputSettings, Settings
from audit.dedup import dedup_chunk, dedup_corpus
from audit.ingest import iter_records
from audit.ingest.decode import decode_bytes
from audit.model import Corpus, Role
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


@settings(max_examples=30, deadline=None)
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
    alphabet=st.sampled_from('ab ,"\n\r\t') | st.characters(blacklist_categories=["Cs", "Cc"])
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


# --- the dedup engine, through the real per-chunk and batch stages -------------------

WORDS = (
    "council budget minister river school police market storm election hospital bridge "
    "farmers energy court museum train festival harbour league vaccine drought mayor "
    "company workers tax border satellite island protest reform airport"
).split()
sentence = st.lists(st.sampled_from(WORDS), min_size=6, max_size=14).map(
    lambda ws: " ".join(ws).capitalize() + "."
)
story = st.lists(sentence, min_size=2, max_size=6).map(
    lambda ss: "A headline\n\n" + "\n\n".join(ss)
)


def record(doc_id: str, text: str, domain: str, published: str | None) -> dict[str, Any]:
    """A record as the readers produce it."""
    return {
        "doc_id": doc_id,
        "source": f"{domain}.jsonl",
        "line": None,
        "text": text,
        "title": None,
        "url": f"https://{domain}/{doc_id}",
        "published": published,
        "domain": domain,
        "meta": {},
        "record": None,
        "read_error": None,
        "problems": [],
    }


def dedup(records: list[dict[str, Any]], chunk_size: int = 3) -> Corpus:
    """Parse, sign and deduplicate ``records`` (copied) in chunks, as a run does (without
    the signals, which the duplicate checks do not read but for the date)."""
    settings = Settings()
    rows = copy.deepcopy(records)
    chunks = []
    for i in range(0, len(rows), chunk_size):
        chunk = parse_records(rows[i : i + chunk_size])
        dedup_chunk(chunk, settings.dedup)
        chunks.append(chunk)
    corpus = Corpus.concat(chunks)
    dedup_corpus(corpus, settings.dedup)
    return corpus


def copy_findings(corpus: Corpus) -> dict[str, set[tuple[str, str, str]]]:
    """doc_id -> its duplicate findings as (check, severity, message)."""
    out: dict[str, set[tuple[str, str, str]]] = {}
    for f in corpus.findings:
        if f.check in DUPLICATE_CHECKS:
            out.setdefault(f.doc_id, set()).add((str(f.check), f.severity.value, f.message))
    return out


def clusters(corpus: Corpus) -> set[tuple[str, str, str, frozenset[str], frozenset[Any]]]:
    """Clusters as comparable values, members and pairs as sets."""
    return {
        (
            c.id,
            c.kind,
            c.canonical,
            frozenset(c.members),
            frozenset((frozenset((p.a, p.b)), p.jaccard, p.containment) for p in c.pairs),
        )
        for c in corpus.clusters
    }


COPY_CHECKS = {"exact_duplicate", "near_duplicate", "syndicated_copy"}
DUPLICATE_CHECKS = {*COPY_CHECKS, "duplicate_paragraphs"}
batch_of_stories = st.lists(
    st.tuples(
        story,
        st.sampled_from(["a.example", "b.example", "c.example"]),
        st.sampled_from([None, "2024-01-02", "2024-01-03"]),
        st.sampled_from(["none", "exact", "near"]),
    ),
    min_size=1,
    max_size=5,
)


def with_copies(
    stories: list[tuple[str, str, str | None, str]], distinct: bool = True
) -> list[dict[str, Any]]:
    """One record per story, plus an exact or near copy where asked.

    Each story's paragraphs carry its own tag, so that different stories share no
    paragraph, and each exact copy comes from an outlet of its own: a paragraph in
    three stories of one outlet is that outlet's template, left out of the bodies
    compared (by design), which would make copies differ. ``distinct=False`` keeps
    the stories as generated, copies in one outlet: templates and all.
    """
    records = []
    for i, (text, domain, published, copy_kind) in enumerate(stories):
        if distinct:
            text = "\n\n".join(f"Story{i} {para}" for para in text.split("\n\n"))
        records.append(record(f"s{i}", text, domain, published))
        if copy_kind == "exact":
            outlet = f"copies{i}.example" if distinct else "copies.example"
            records.append(record(f"s{i}-copy", text, outlet, published))
        elif copy_kind == "near":
            near = text.replace(".", ", they said.", 1)
            records.append(record(f"s{i}-near", near, domain, published))
    return records


@settings(max_examples=40, deadline=None)
@given(batch_of_stories)
def test_a_document_is_always_a_duplicate_of_its_exact_copy(
    stories: list[tuple[str, str, str | None, str]],
) -> None:
    records = with_copies([(t, d, p, "exact") for t, d, p, _ in stories])
    corpus = dedup(records)
    for i in range(len(stories)):
        pair = {f"s{i}", f"s{i}-copy"}
        cluster = next(c for c in corpus.clusters if pair <= set(c.members))
        checks = {f.doc_id: str(f.check) for f in corpus.findings if f.check in COPY_CHECKS}
        assert cluster.canonical not in checks
        assert pair - {cluster.canonical} <= set(checks)  # every copy but the original
        if cluster.canonical in pair:  # the copy of the original itself is an exact copy
            (other,) = pair - {cluster.canonical}
            assert checks[other] == "exact_duplicate"


@settings(max_examples=60, deadline=None)
@given(batch_of_stories, st.randoms(use_true_random=False), st.integers(1, 4), st.booleans())
def test_duplicates_do_not_depend_on_input_order_or_chunking(
    stories: list[tuple[str, str, str | None, str]], rng: Any, chunk_size: int, distinct: bool
) -> None:
    records = with_copies(stories, distinct)
    shuffled = records[:]
    rng.shuffle(shuffled)
    first, second = dedup(records), dedup(shuffled, chunk_size)
    assert clusters(first) == clusters(second)
    assert copy_findings(first) == copy_findings(second)
