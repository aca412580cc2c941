"""Per-source template paragraphs: text a site prints in many of its articles.

A body paragraph whose normalized text recurs in at least ``template_min_docs``
documents of one source (the domain, else the input source) is that source's
template ("Follow us on ...", a standing disclaimer) when those documents are
different stories: at least ``template_min_docs`` of them must have remainders
(the body without its recurring paragraphs) that are not copies of each other
by the usual verification thresholds. So a story a source published three times
is not taken for its template, while a footer it prints under every story is.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from audit.config import DedupSettings
from audit.dedup.minhash import sketch
from audit.dedup.verify import estimate, sorted_unique


@dataclass(slots=True)
class Templates:
    """Template paragraphs found in a batch."""

    paragraphs: list[tuple[str, int]] = field(default_factory=list)  # (doc_id, idx)
    spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # row -> [(start, end)]
    groups: int = 0  # distinct template texts


def find_templates(
    doc_ids: list[str],
    outlets: list[str],
    body_paragraphs: Iterable[object],
    body_texts: Sequence[str],
    settings: DedupSettings,
) -> Templates:
    """Template paragraphs among the documents' counted body paragraphs.

    Args:
        doc_ids: document ids, one per row.
        outlets: the source key of each row (domain, else input source).
        body_paragraphs: per row, ``(idx, start, end, digest)`` of its body paragraphs.
        body_texts: per row, the offset-preserving body text.
        settings: ``template_min_docs`` and the verification thresholds.
    """
    out = Templates()
    table = _paragraph_table(body_paragraphs)
    if table is None:
        return out
    rows, digests = table
    row_of = rows[:, 0]
    n_rows = len(outlets)
    # (source, text) groups as small integer codes: outlets and digests factorized
    outlet = pd.factorize(pd.Series(outlets, dtype=object))[0][row_of].astype(np.int64)
    text = pd.factorize(digests)[0].astype(np.int64)
    group = pd.factorize(outlet * (int(text.max()) + 1) + text)[0].astype(np.int64)
    # the distinct (group, document) pairs, sorted: each group's documents ascending
    doc_keys = sorted_unique(group * n_rows + row_of)
    docs_per_group = np.bincount(doc_keys // n_rows)
    recurring = docs_per_group >= settings.template_min_docs
    rec = np.flatnonzero(recurring[group])  # the paragraphs of recurring texts, in order
    if not len(rec):
        return out
    # the remainder of each document that has recurring paragraphs
    spans_of: dict[int, list[tuple[int, int]]] = {}
    for row, s, e in rows[rec][:, [0, 2, 3]].tolist():
        spans_of.setdefault(row, []).append((s, e))
    rec_rows = sorted(spans_of)
    remainders = [blank(body_texts[r], spans_of[r]) for r in rec_rows]
    sk = sketch(remainders, settings)
    where = np.zeros(n_rows, dtype=np.int64)
    where[rec_rows] = np.arange(len(rec_rows))
    doc_keys = doc_keys[recurring[doc_keys // n_rows]]
    key_group = doc_keys // n_rows
    bounds = np.flatnonzero(np.diff(key_group, prepend=-1, append=-1))
    members_of = where[doc_keys % n_rows].tolist()
    templates = np.zeros(len(docs_per_group), dtype=bool)
    for a, z in itertools.pairwise(bounds.tolist()):
        stories = _distinct_stories(members_of[a:z], sk.values, sk.shingles, settings)
        templates[key_group[a]] = stories >= settings.template_min_docs
    out.groups = int(np.count_nonzero(templates))
    hit = rec[templates[group[rec]]]
    for row, idx, s, e in rows[hit].tolist():
        out.paragraphs.append((doc_ids[row], idx))
        out.spans.setdefault(row, []).append((s, e))
    return out


_BLOCK = 8_192  # documents whose paragraphs are converted to arrays at a time


def _paragraph_table(
    body_paragraphs: Iterable[object],
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(row, idx, start, end)`` of every paragraph with a digest and sane offsets, and
    the digests; None when there are none."""
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    block: list[tuple[int, Sequence[tuple[int, int, int, int]]]] = []
    for row, paras in enumerate(body_paragraphs):
        if isinstance(paras, list | tuple) and paras:
            block.append((row, cast(Sequence[tuple[int, int, int, int]], paras)))
            if len(block) >= _BLOCK:
                parts.append(_block_table(block))
                block = []
    if block:
        parts.append(_block_table(block))
    if not parts:
        return None
    rows = np.concatenate([p[0] for p in parts])
    digests = np.concatenate([p[1] for p in parts])
    return (rows, digests) if len(rows) else None


def _block_table(
    block: list[tuple[int, Sequence[tuple[int, int, int, int]]]],
) -> tuple[np.ndarray, np.ndarray]:
    counts = [len(paras) for _, paras in block]
    n = sum(counts)
    rows_of_block = list(itertools.chain.from_iterable(p for _, p in block))
    if set(map(len, rows_of_block)) != {4}:  # a row of another length: refused there
        return _checked_block_table(block)
    values = itertools.chain.from_iterable(rows_of_block)
    try:  # every value a non-negative integer: one conversion for the whole block
        flat = np.fromiter(values, dtype=np.uint64, count=4 * n).reshape(n, 4)
    except (OverflowError, TypeError, ValueError):
        return _checked_block_table(block)
    digests = flat[:, 3].copy()
    rows = np.empty((n, 4), dtype=np.int64)
    rows[:, 0] = np.repeat(np.fromiter((r for r, _ in block), np.int64, len(block)), counts)
    rows[:, 1:] = flat[:, :3]  # indexes and offsets of a text: far below 2**63
    keep = (digests != 0) & (rows[:, 2] <= rows[:, 3])
    return rows[keep], digests[keep]


def _checked_block_table(
    block: list[tuple[int, Sequence[tuple[int, int, int, int]]]],
) -> tuple[np.ndarray, np.ndarray]:
    """The same table, a paragraph at a time (for values that are not all plain)."""
    kept = [
        (row, idx, s, e, d) for row, paras in block for idx, s, e, d in paras if d and 0 <= s <= e
    ]
    rows = np.array([k[:4] for k in kept], dtype=np.int64).reshape(-1, 4)
    return rows, np.array([k[4] for k in kept], dtype=np.uint64)


def _distinct_stories(
    members: list[int], values: np.ndarray, sizes: np.ndarray, settings: DedupSettings
) -> int:
    """How many of ``members`` have remainders that are not copies of one another (greedy)."""
    kept: list[int] = []
    for m in members:
        if sizes[m] == 0:
            continue
        if kept:
            k = np.asarray(kept)
            est_j = (values[k] == values[m]).mean(axis=1)
            est_c = estimate(est_j, sizes[m], sizes[k])
            small = np.minimum(sizes[m], sizes[k])
            same = (est_j >= settings.min_jaccard) | (
                (est_c >= settings.min_containment) & (small >= settings.min_containment_shingles)
            )
            if same.any():
                continue
        kept.append(m)
        if len(kept) >= settings.template_min_docs:
            break
    return len(kept)


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the characters of ``spans`` replaced by spaces (offsets kept)."""
    pieces: list[str] = []
    pos = 0
    for s, e in sorted(spans):
        s, e = max(s, pos), min(e, len(text))
        if e <= s:
            continue
        pieces += [text[pos:s], " " * (e - s)]
        pos = e
    pieces.append(text[pos:])
    return "".join(pieces)
