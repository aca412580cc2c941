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

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from audit.config import DedupSettings
from audit.dedup.minhash import sketch
from audit.dedup.verify import estimate


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
    # machine integers, not Python ones: a batch has some ten body paragraphs per document
    rows, idxs, starts, ends, digests = (array("q"), array("q"), array("q"), array("q"), array("Q"))
    for row, paras in enumerate(body_paragraphs):
        if not isinstance(paras, list | tuple):
            continue
        for idx, s, e, d in paras:
            if d and 0 <= s <= e:
                rows.append(row)
                idxs.append(idx)
                starts.append(s)
                ends.append(e)
                digests.append(d)
    if not rows:
        return out
    row_of = np.frombuffer(rows, dtype=np.int64)
    outlet_codes = pd.factorize(pd.Series(outlets, dtype=object))[0]
    frame = pd.DataFrame(
        {
            "row": row_of,
            "outlet": outlet_codes[row_of],  # outlets as codes: the groups are what matter
            "idx": np.frombuffer(idxs, dtype=np.int64),
            "start": np.frombuffer(starts, dtype=np.int64),
            "end": np.frombuffer(ends, dtype=np.int64),
            "digest": np.frombuffer(digests, dtype=np.uint64),
        }
    )
    docs_per_text = frame.groupby(["outlet", "digest"], sort=False)["row"].transform("nunique")
    rec = frame[docs_per_text >= settings.template_min_docs]
    if rec.empty:
        return out
    # the remainder of each document that has recurring paragraphs
    rec_rows = sorted(set(rec["row"].tolist()))
    spans_of: dict[int, list[tuple[int, int]]] = {}
    for row, s, e in rec[["row", "start", "end"]].itertuples(index=False, name=None):
        spans_of.setdefault(int(row), []).append((int(s), int(e)))
    remainders = [blank(body_texts[r], spans_of[r]) for r in rec_rows]
    sk = sketch(remainders, settings)
    where = {r: i for i, r in enumerate(rec_rows)}
    keys: set[tuple[int, int]] = set()
    for key, group in rec.groupby(["outlet", "digest"], sort=False)["row"]:
        outlet, digest = cast(tuple[int, int], key)
        members = [where[r] for r in sorted(set(group.tolist()))]
        if _distinct_stories(members, sk.values, sk.shingles, settings) >= (
            settings.template_min_docs
        ):
            keys.add((int(outlet), int(digest)))
    if not keys:
        return out
    out.groups = len(keys)
    is_template = [
        (int(o), int(d)) in keys for o, d in zip(rec["outlet"], rec["digest"], strict=True)
    ]
    for row, idx, s, e in rec[is_template][["row", "idx", "start", "end"]].itertuples(
        index=False, name=None
    ):
        out.paragraphs.append((doc_ids[row], int(idx)))
        out.spans.setdefault(int(row), []).append((int(s), int(e)))
    return out


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
