"""Repeated paragraphs inside one document, exact or near, including a repeated title.

A scraper that captures a page twice, or a template that prints the headline
again above the body, leaves a document whose paragraphs repeat. Each title or
body paragraph is compared with the earlier ones of its document: exactly after
normalization (:func:`audit.dedup.minhash.normalize`), and nearly by MinHash
(word ``paragraph_shingle_size``-shingles, Jaccard at least
``paragraph_threshold``) with candidates from banded signatures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audit.config import DedupSettings
from audit.dedup.minhash import lsh_params, sketch, text_digests
from audit.model import Check, Chunk, Finding, Role, Severity

TITLE_FIELD = -1
"""``repeat_of`` of a body paragraph that repeats the document's title field (no title line)."""

_COMPARED = (Role.TITLE.value, Role.BODY.value)
_BODY = Role.BODY.value
_TITLE = Role.TITLE.value


def find_repeats(chunk: Chunk, settings: DedupSettings) -> None:
    """Mark repeated paragraphs of every document of ``chunk``, in place.

    Adds ``repeat_of`` to ``chunk.paragraphs`` (the ``idx`` of the earlier title or
    body paragraph a paragraph repeats, :data:`TITLE_FIELD` when it repeats the
    document's ``title`` field, else None) and ``digest`` (hash of the normalized
    text, 0 for rows not compared); adds ``dup_paragraph_fraction`` and
    ``dup_char_fraction`` to ``chunk.documents`` (share of body paragraphs, and of
    body characters, that repeat an earlier paragraph); appends one
    ``duplicate_paragraphs`` finding per document with repeats.

    Example:
        >>> from audit.model import Chunk
        >>> par = [{"doc_id": "d", "idx": i, "text": t, "role": "body", "line": i + 1}
        ...        for i, t in enumerate(["One two three four.", "Five six seven.",
        ...                               "One two three four."])]
        >>> c = Chunk.from_records([{"doc_id": "d", "text": ""}], par)
        >>> find_repeats(c, DedupSettings())
        >>> c.paragraphs["repeat_of"].tolist()
        [None, None, 0]
    """
    par = chunk.paragraphs
    docs = chunk.documents
    n = len(par)
    repeat_of: list[int | None] = [None] * n
    kind: list[str] = [""] * n
    similarity = np.zeros(n)
    digests = np.zeros(n, dtype=np.uint64)
    if n:
        roles = par["role"].astype(str).to_numpy()
        texts = [t if isinstance(t, str) else "" for t in par["text"].tolist()]
        compared = np.flatnonzero(np.isin(roles, _COMPARED))
        if len(compared):
            sk = sketch([texts[i] for i in compared], settings, settings.paragraph_shingle_size)
            digests[compared] = sk.digests
            long_enough = sk.words >= settings.min_repeat_words
            rows = compared[long_enough]
            frame = pd.DataFrame(
                {
                    "row": rows,
                    "doc": par["doc_id"].to_numpy()[rows],
                    "idx": par["idx"].to_numpy()[rows].astype(np.int64),
                    "digest": sk.digests[long_enough],
                }
            )
            _exact(frame, repeat_of, kind, similarity)
            near = long_enough & (sk.words >= settings.min_paragraph_words)
            _near(
                compared[near],
                sk.values[near],
                par,
                settings,
                repeat_of,
                kind,
                similarity,
            )
        _title_field(docs, par, roles, texts, digests, repeat_of, kind, similarity)
    par["repeat_of"] = pd.Series(repeat_of, index=par.index, dtype=object)
    par["digest"] = digests
    _fractions_and_findings(chunk, settings, kind, similarity)


def _exact(
    frame: pd.DataFrame, repeat_of: list[int | None], kind: list[str], sim: np.ndarray
) -> None:
    """Rows whose normalized text equals an earlier row's of the same document."""
    if frame.empty:
        return
    frame = frame.sort_values(["doc", "idx"], kind="stable")
    first = frame.groupby(["doc", "digest"], sort=False)["idx"].transform("min")
    later = frame[frame["idx"] != first]
    for row, orig in zip(later["row"].tolist(), first[later.index].tolist(), strict=True):
        repeat_of[row] = int(orig)
        kind[row] = "exact"
        sim[row] = 1.0


def _near(
    rows: np.ndarray,
    values: np.ndarray,
    par: pd.DataFrame,
    settings: DedupSettings,
    repeat_of: list[int | None],
    kind: list[str],
    sim: np.ndarray,
) -> None:
    """Rows whose shingles are nearly those of an earlier row of the same document."""
    if len(rows) < 2:
        return
    doc_codes = pd.factorize(par["doc_id"].to_numpy()[rows])[0].astype(np.uint64)
    idx = par["idx"].to_numpy()[rows].astype(np.int64)
    b, r = lsh_params(settings.paragraph_threshold, settings.num_perm, (0.5, 0.5))
    pairs: list[np.ndarray] = []
    for band in range(b):
        key = doc_codes * np.uint64(0x9E3779B97F4A7C15)
        for col in range(band * r, (band + 1) * r):
            key ^= values[:, col].astype(np.uint64)
            key *= np.uint64(0xBF58476D1CE4E5B9)
        order = np.lexsort((idx, key))
        k = key[order]
        starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        run_of = np.repeat(starts, np.diff(np.r_[starts, len(k)]))
        later = np.flatnonzero(np.arange(len(k)) != run_of)
        if len(later):
            pairs.append(np.stack([order[later], order[run_of[later]]], axis=1))
    if not pairs:
        return
    cand = np.unique(np.concatenate(pairs), axis=0)
    # a bucket is keyed by the document too, but guard against hash collisions
    same_doc = doc_codes[cand[:, 0]] == doc_codes[cand[:, 1]]
    earlier = idx[cand[:, 1]] < idx[cand[:, 0]]
    cand = cand[same_doc & earlier]
    est = (values[cand[:, 0]] == values[cand[:, 1]]).mean(axis=1)
    ok = est >= settings.paragraph_threshold
    best: dict[int, tuple[int, float]] = {}
    for later_i, first_i, s in zip(cand[ok, 0], cand[ok, 1], est[ok], strict=True):
        row = int(rows[later_i])
        if repeat_of[row] is not None:
            continue
        prev = best.get(row)
        if prev is None or idx[first_i] < prev[0]:
            best[row] = (int(idx[first_i]), float(s))
    for row, (orig, s) in best.items():
        repeat_of[row] = orig
        kind[row] = "near"
        sim[row] = s


def _title_field(
    docs: pd.DataFrame,
    par: pd.DataFrame,
    roles: np.ndarray,
    texts: list[str],
    digests: np.ndarray,
    repeat_of: list[int | None],
    kind: list[str],
    sim: np.ndarray,
) -> None:
    """A first body paragraph equal to the document's title field when no line is the title."""
    if "title" not in docs.columns or docs.empty:
        return
    titles = {
        d: t
        for d, t in zip(docs["doc_id"].tolist(), docs["title"].tolist(), strict=True)
        if isinstance(t, str) and t.strip()
    }
    if not titles:
        return
    doc_ids = par["doc_id"].to_numpy()
    has_title_line = set(doc_ids[roles == _TITLE].tolist())
    first_body: dict[Any, int] = {}
    order = np.lexsort((par["idx"].to_numpy().astype(np.int64), pd.factorize(doc_ids)[0]))
    for row in order:
        if roles[row] == _BODY and doc_ids[row] not in first_body:
            first_body[doc_ids[row]] = int(row)
    todo = [
        (d, row)
        for d, row in first_body.items()
        if d in titles and d not in has_title_line and repeat_of[row] is None
    ]
    if not todo:
        return
    title_digests = text_digests([titles[d] for d, _ in todo])
    for (_, row), td in zip(todo, title_digests, strict=True):
        if td and td == digests[row] and texts[row].strip():
            repeat_of[row] = TITLE_FIELD
            kind[row] = "exact"
            sim[row] = 1.0


def _fractions_and_findings(
    chunk: Chunk, settings: DedupSettings, kind: list[str], sim: np.ndarray
) -> None:
    par = chunk.paragraphs
    docs = chunk.documents
    by_doc: dict[Any, list[int]] = {}
    for row, d in enumerate(par["doc_id"].tolist()):
        by_doc.setdefault(d, []).append(row)
    frac_par: list[float] = []
    frac_char: list[float] = []
    severity = Severity(settings.repeat_severity)
    roles = par["role"].astype(str).tolist() if len(par) else []
    texts = [t if isinstance(t, str) else "" for t in par["text"].tolist()] if len(par) else []
    idxs = par["idx"].tolist() if len(par) else []
    lines = par["line"].tolist() if len(par) else []
    rep = par["repeat_of"].tolist() if len(par) else []
    for doc_id in docs["doc_id"].tolist():
        rows = sorted(by_doc.get(doc_id, []), key=lambda r: idxs[r])
        body = [r for r in rows if roles[r] == _BODY]
        body_chars = sum(len(texts[r]) for r in body)
        dup_body = [r for r in body if rep[r] is not None]
        frac_par.append(len(dup_body) / len(body) if body else 0.0)
        frac_char.append(sum(len(texts[r]) for r in dup_body) / body_chars if body_chars else 0.0)
        repeated = [r for r in rows if rep[r] is not None]
        if not repeated:
            continue
        line_of = {idxs[r]: lines[r] for r in rows}
        role_of = {idxs[r]: roles[r] for r in rows}
        pairs = [
            {
                "first": None if rep[r] == TITLE_FIELD else int(rep[r]),
                "repeat": int(idxs[r]),
                "first_line": None if rep[r] == TITLE_FIELD else _int(line_of.get(rep[r])),
                "repeat_line": _int(lines[r]),
                "first_role": "title_field" if rep[r] == TITLE_FIELD else role_of.get(rep[r]),
                "kind": kind[r],
                "similarity": round(float(sim[r]), 4),
            }
            for r in repeated
        ]
        message = (
            f"{len(dup_body)} of {len(body)} body paragraphs repeat earlier ones"
            if dup_body
            else "the title repeats"
        )
        message += f" ({_describe(pairs)})"
        chunk.findings.append(
            Finding(
                doc_id=doc_id,
                check=Check.DUPLICATE_PARAGRAPHS.value,
                severity=severity,
                message=message,
                evidence={
                    "pairs": pairs,
                    "dup_paragraph_fraction": round(frac_par[-1], 4),
                    "dup_char_fraction": round(frac_char[-1], 4),
                },
            )
        )
    docs["dup_paragraph_fraction"] = frac_par
    docs["dup_char_fraction"] = frac_char


def _int(v: Any) -> int | None:
    try:
        return None if v is None or pd.isna(v) else int(v)
    except (TypeError, ValueError):
        return None


def _describe(pairs: list[dict[str, Any]]) -> str:
    """'lines 9-15 repeat lines 2-8; line 3 repeats the title'."""
    parts: list[str] = []
    run: list[dict[str, Any]] = []

    def flush() -> None:
        if not run:
            return
        a, b = run[0], run[-1]
        if a["first_line"] is None:
            parts.append(f"line {a['repeat_line']} repeats the title field")
        elif len(run) == 1:
            parts.append(f"line {a['repeat_line']} repeats line {a['first_line']}")
        else:
            parts.append(
                f"lines {a['repeat_line']}-{b['repeat_line']} repeat "
                f"lines {a['first_line']}-{b['first_line']}"
            )
        run.clear()

    for p in pairs:
        if (
            run
            and p["first_line"] is not None
            and run[-1]["first_line"] is not None
            and p["repeat"] == run[-1]["repeat"] + 1
            and p["first"] == run[-1]["first"] + 1
        ):
            run.append(p)
            continue
        flush()
        run.append(p)
    flush()
    return "; ".join(parts)
