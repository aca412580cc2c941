"""Body texts keep document offsets; prepare adds the compact columns and signatures."""

from __future__ import annotations

import numpy as np

from audit.config import DedupSettings
from audit.dedup.minhash import signatures
from audit.dedup.prepare import BODY_COLUMNS, body_texts, prepare
from audit.dedup.within import find_repeats
from audit.model import Chunk

LINES = [
    ("Leaders talk", "title"),
    ("The two leaders spoke by phone for about 25 minutes on Tuesday night.", "body"),
    ("Share this", "boilerplate"),
    ("They condemned the launch and agreed to cooperate more closely.", "body"),
    ("The two leaders spoke by phone for about 25 minutes on Tuesday night.", "body"),
    ("Source: Kyodo", "credit"),
]


def doc_chunk() -> Chunk:
    text = "\n\n".join(t for t, _ in LINES)
    rows, pos = [], 0
    for i, (t, role) in enumerate(LINES):
        rows.append(
            {
                "doc_id": "d",
                "idx": i,
                "text": t,
                "role": role,
                "start": pos,
                "end": pos + len(t),
                "line": 2 * i + 1,
            }
        )
        pos += len(t) + 2
    return Chunk.from_records(
        [{"doc_id": "d", "text": text}, {"doc_id": "none", "text": "x"}], rows
    )


def test_body_text_blanks_everything_else_and_keeps_offsets() -> None:
    c = doc_chunk()
    body, nothing = body_texts(c)
    text = c.documents["text"].iloc[0]
    assert nothing == ""
    for t, role in LINES[:4]:
        start = text.index(t)
        inside = body[start : start + len(t)]
        assert inside == t if role == "body" else inside.isspace()
    assert len(body) <= len(text)
    assert "Share" not in body and "Kyodo" not in body and "Leaders talk" not in body


def test_repeated_paragraphs_count_once() -> None:
    c = doc_chunk()
    find_repeats(c, DedupSettings())
    body = body_texts(c)[0]
    assert body.count("The two leaders spoke") == 1


def test_prepare_adds_columns_and_signs_the_body() -> None:
    c = doc_chunk()
    find_repeats(c, DedupSettings())
    sig, texts = prepare(c, DedupSettings())
    assert set(BODY_COLUMNS) <= set(c.documents.columns)
    assert np.array_equal(sig, signatures(texts, DedupSettings()))
    row = c.documents.iloc[0]
    assert row["body_words"] == 23
    assert [p[0] for p in row["body_paragraphs"]] == [1, 3]
    assert c.documents.iloc[1]["body_words"] == 0 and c.documents.iloc[1]["body_digest"] == 0


def test_paragraphs_without_offsets_are_joined() -> None:
    rows = [
        {"doc_id": "d", "idx": 0, "text": "first body line here", "role": "body"},
        {"doc_id": "d", "idx": 1, "text": "second body line here", "role": "body"},
    ]
    c = Chunk.from_records([{"doc_id": "d", "text": "unrelated"}], rows)
    assert body_texts(c) == ["first body line here\nsecond body line here"]
