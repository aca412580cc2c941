"""Per-chunk preparation for cross-document deduplication: body texts and signatures.

Only paragraphs with role ``body`` count, and a paragraph that repeats an
earlier one of its document (``repeat_of``) counts once. The body text of a
document keeps the document's character offsets: every character outside the
counted paragraphs is blanked (a space), so a passage found in the body text is
at the same offsets in the document text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audit.config import DedupSettings
from audit.dedup.minhash import sketch, text_digests
from audit.model import Chunk, Role

BODY_COLUMNS: tuple[str, ...] = (
    "body_digest",  # 64-bit hash of the normalized body (equal: exact duplicates)
    "body_words",  # normalized words in the body
    "body_shingles",  # distinct word shingles in the body
    "body_paragraphs",  # [(idx, start, end, digest)] of the counted body paragraphs
)


def _spans(chunk: Chunk) -> dict[Any, list[tuple[int, int, int, str, int]]]:
    """Counted body paragraphs per document: (idx, start, end, text, digest)."""
    par = chunk.paragraphs
    out: dict[Any, list[tuple[int, int, int, str, int]]] = {}
    if par.empty:
        return out
    body = par[par["role"].astype(str) == Role.BODY.value]
    if "repeat_of" in body.columns:
        body = body[body["repeat_of"].isna()]
    if body.empty:
        return out
    texts = [t if isinstance(t, str) else "" for t in body["text"].tolist()]
    if "digest" in body.columns:
        digests = [int(d) for d in body["digest"].tolist()]
    else:
        digests = [int(d) for d in text_digests(texts)]
    starts = body["start"].tolist() if "start" in body.columns else [None] * len(body)
    ends = body["end"].tolist() if "end" in body.columns else [None] * len(body)
    for doc, idx, s, e, t, d in zip(
        body["doc_id"].tolist(), body["idx"].tolist(), starts, ends, texts, digests, strict=True
    ):
        if s is None or e is None or pd.isna(s) or pd.isna(e):
            s, e = -1, -1
        out.setdefault(doc, []).append((int(idx), int(s), int(e), t, d))
    for rows in out.values():
        rows.sort()
    return out


def body_texts(chunk: Chunk) -> list[str]:
    """The body text of every document of ``chunk``, in the order of ``chunk.documents``.

    Example:
        >>> from audit.model import Chunk
        >>> text = "Title\\nBody one.\\nShare\\nBody two."
        >>> par = [{"doc_id": "d", "idx": i, "text": t, "role": r, "start": s, "end": s + len(t)}
        ...        for i, (t, r, s) in enumerate([("Title", "title", 0), ("Body one.", "body", 6),
        ...                                       ("Share", "boilerplate", 16),
        ...                                       ("Body two.", "body", 22)])]
        >>> body_texts(Chunk.from_records([{"doc_id": "d", "text": text}], par))
        ['      Body one.       Body two.']
    """
    spans = _spans(chunk)
    docs = chunk.documents
    out: list[str] = []
    for doc_id, text in zip(docs["doc_id"].tolist(), docs["text"].tolist(), strict=True):
        rows = spans.get(doc_id, [])
        text = text if isinstance(text, str) else ""
        aligned = all(0 <= s <= e <= len(text) for _, s, e, _, _ in rows)
        if not aligned:  # no offsets: the paragraphs joined by line breaks
            out.append("\n".join(t for _, _, _, t, _ in rows))
            continue
        pieces: list[str] = []
        pos = 0
        for _, s, e, _, _ in sorted(rows, key=lambda r: r[1]):
            if s < pos:
                continue
            pieces.append(" " * (s - pos))
            pieces.append(text[s:e])
            pos = e
        out.append("".join(pieces))
    return out


def prepare(chunk: Chunk, settings: DedupSettings) -> tuple[np.ndarray, list[str]]:
    """Signatures and body texts of the documents of ``chunk``; adds :data:`BODY_COLUMNS`.

    Run after :func:`audit.dedup.within.find_repeats` (so repeated paragraphs count
    once) on each chunk; collect the compact document columns, the signatures and
    the body texts of all chunks for :func:`audit.dedup.cross.deduplicate`.

    Returns:
        ``(signatures, body_texts)``: ``len(documents) x num_perm`` uint32, and the
        offset-preserving body texts.
    """
    texts = body_texts(chunk)
    sk = sketch(texts, settings)
    spans = _spans(chunk)
    docs = chunk.documents
    docs["body_digest"] = sk.digests
    docs["body_words"] = sk.words
    docs["body_shingles"] = sk.shingles
    docs["body_paragraphs"] = pd.Series(
        [[(i, s, e, d) for i, s, e, _, d in spans.get(doc_id, [])] for doc_id in docs["doc_id"]],
        index=docs.index,
        dtype=object,
    )
    return sk.values, texts
