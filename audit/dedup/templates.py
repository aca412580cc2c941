"""Per-source template paragraphs: text a site prints in many of its articles.

A body paragraph whose normalized text recurs in at least ``template_min_docs``
documents of one source (the domain, else the input source) is that source's
template ("Follow us on ...", a standing disclaimer), provided it recurs in at
least that many documents where recurring text is a minority of the body (at
most ``template_max_share`` of its characters). The proviso keeps a story the
source published three times from being taken for its template: there, every
paragraph recurs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit.config import DedupSettings


@dataclass(slots=True)
class Templates:
    """Template paragraphs found in a batch."""

    paragraphs: list[tuple[str, int]] = field(default_factory=list)  # (doc_id, idx)
    spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # row -> [(start, end)]
    groups: int = 0  # distinct template texts


def find_templates(
    doc_ids: list[str],
    outlets: list[str],
    body_paragraphs: list[list[tuple[int, int, int, int]]],
    settings: DedupSettings,
) -> Templates:
    """Template paragraphs among the documents' counted body paragraphs.

    Args:
        doc_ids: document ids, one per row.
        outlets: the source key of each row (domain, else input source).
        body_paragraphs: per row, ``(idx, start, end, digest)`` of its body paragraphs.
        settings: ``template_min_docs`` and ``template_max_share``.
    """
    out = Templates()
    rows, idxs, starts, ends, digests = [], [], [], [], []
    for row, paras in enumerate(body_paragraphs):
        if not isinstance(paras, list | tuple):
            continue
        for idx, s, e, d in paras:
            if d:
                rows.append(row)
                idxs.append(idx)
                starts.append(s)
                ends.append(e)
                digests.append(d)
    if not rows:
        return out
    frame = pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=np.int64),
            "outlet": [outlets[r] for r in rows],
            "idx": idxs,
            "start": starts,
            "end": ends,
            "digest": np.asarray(digests, dtype=np.uint64),
        }
    )
    frame["chars"] = (frame["end"] - frame["start"]).clip(lower=1)
    docs_per_text = frame.groupby(["outlet", "digest"], sort=False)["row"].transform("nunique")
    frame["recurring"] = docs_per_text >= settings.template_min_docs
    if not frame["recurring"].any():
        return out
    body_chars = frame.groupby("row")["chars"].transform("sum")
    recurring_chars = (
        frame["chars"].where(frame["recurring"], 0).groupby(frame["row"]).transform("sum")
    )
    frame["minority"] = recurring_chars / body_chars <= settings.template_max_share
    rec = frame[frame["recurring"]]
    minority_docs = rec[rec["minority"]].groupby(["outlet", "digest"], sort=False)["row"].nunique()
    keys = set(minority_docs[minority_docs >= settings.template_min_docs].index.tolist())
    if not keys:
        return out
    is_template = [(o, d) in keys for o, d in zip(rec["outlet"], rec["digest"], strict=True)]
    hit = rec[is_template]
    out.groups = len(keys)
    for row, idx, s, e in hit[["row", "idx", "start", "end"]].itertuples(index=False, name=None):
        out.paragraphs.append((doc_ids[row], int(idx)))
        if s >= 0 and e >= s:
            out.spans.setdefault(int(row), []).append((int(s), int(e)))
    return out


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
