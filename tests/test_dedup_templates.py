"""Template paragraphs: a source's footer across different stories, not a story it repeats."""

from __future__ import annotations

import pytest

from audit.config import DedupSettings
from audit.dedup.minhash import text_digests
from audit.dedup.templates import blank, find_templates

FOOTER = "Stay informed with our daily newsletter, delivered to your inbox every morning."
STORIES = [
    " ".join(f"{topic}{i}" for i in range(40))
    for topic in ("rain", "budget", "cricket", "election")
]


def layout(bodies: list[list[str]]) -> tuple[list[str], list[list[tuple[int, int, int, int]]]]:
    """Body texts and (idx, start, end, digest) rows for documents made of paragraphs."""
    texts, rows = [], []
    for paras in bodies:
        text, spans, pos = "", [], 0
        digests = text_digests(paras)
        for i, p in enumerate(paras):
            spans.append((i, pos, pos + len(p), int(digests[i])))
            text += p + "\n"
            pos += len(p) + 1
        texts.append(text)
        rows.append(spans)
    return texts, rows


def test_footer_of_different_stories_is_a_template() -> None:
    texts, rows = layout([[s, FOOTER] for s in STORIES[:3]])
    ids = ["a", "b", "c"]
    found = find_templates(ids, ["site"] * 3, rows, texts, DedupSettings())
    assert sorted(found.paragraphs) == [("a", 1), ("b", 1), ("c", 1)]
    assert found.groups == 1
    start, end = found.spans[0][0]
    assert texts[0][start:end] == FOOTER


def test_needs_enough_documents_of_one_source() -> None:
    texts, rows = layout([[s, FOOTER] for s in STORIES[:3]])
    ids = ["a", "b", "c"]
    assert find_templates(ids, ["x", "x", "y"], rows, texts, DedupSettings()).paragraphs == []
    s = DedupSettings(template_min_docs=4)
    assert find_templates(ids, ["x"] * 3, rows, texts, s).paragraphs == []


def test_a_story_published_three_times_is_not_a_template() -> None:
    story = [STORIES[0], STORIES[1]]
    edited = [STORIES[0], STORIES[1].replace("budget7", "budgets")]
    texts, rows = layout([story, story, edited])
    found = find_templates(["a", "b", "c"], ["site"] * 3, rows, texts, DedupSettings())
    assert found.paragraphs == []


def test_blank_keeps_offsets() -> None:
    assert blank("abc def ghi", [(4, 7), (9, 20)]) == "abc     g  "


def test_a_footer_twice_in_one_document_counts_once() -> None:
    texts, rows = layout([[STORIES[0], FOOTER, FOOTER], [STORIES[1], FOOTER], [STORIES[2]]])
    found = find_templates(["a", "b", "c"], ["site"] * 3, rows, texts, DedupSettings())
    assert found.paragraphs == []


def test_rows_without_a_digest_or_with_bad_offsets_are_skipped() -> None:
    texts, rows = layout([[s, FOOTER] for s in STORIES[:3]])
    rows[0] = [*rows[0], (7, -1, 5, 99), (8, 9, 3, 99), (9, 0, 4, 0)]  # negative, reversed, none
    found = find_templates(["a", "b", "c"], ["site"] * 3, [*rows, None], texts, DedupSettings())
    assert sorted(found.paragraphs) == [("a", 1), ("b", 1), ("c", 1)]


def test_a_row_of_the_wrong_length_is_refused_as_before() -> None:
    texts, rows = layout([[s, FOOTER] for s in STORIES[:3]])
    rows[0] = [(*rows[0][0], 7), *rows[0][1:]]  # five values: not a paragraph row
    with pytest.raises(ValueError):
        find_templates(["a", "b", "c"], ["site"] * 3, rows, texts, DedupSettings())
    rows[0] = [rows[0][0][:3], (*rows[0][1], 7)]  # three and five: the total is right
    with pytest.raises(ValueError):
        find_templates(["a", "b", "c"], ["site"] * 3, rows, texts, DedupSettings())
