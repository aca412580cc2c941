"""The persistent corpus index: what was already ingested, to check new batches against.

Two backends behind :class:`CorpusIndex`: a SQLite file (the default, any path)
and Redis (``redis://host:port/db``), for CI runners that share one index.
See docs/index.md.

Example:
    >>> from audit.config import DedupSettings
    >>> with open_index("corpus.db", DedupSettings(), create=True) as index:  # doctest: +SKIP
    ...     findings = index_findings(index.query(doc_ids, signatures, lengths))
    ...     # ... after a passing gate:
    ...     admit_batch(index, decision, documents, signatures, lengths)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from audit.config import DedupSettings
from audit.gate import GateDecision
from audit.index.base import (
    AdmitResult,
    CorpusIndex,
    IndexError_,
    IndexMatch,
    IndexOpenError,
    IndexRecord,
    IndexStats,
)
from audit.model import Check, Finding, Severity, Verdict

__all__ = [
    "AdmitResult",
    "CorpusIndex",
    "IndexError_",
    "IndexMatch",
    "IndexOpenError",
    "IndexRecord",
    "IndexStats",
    "admit_batch",
    "index_findings",
    "open_index",
]

REDIS_SCHEMES = ("redis", "rediss")


def open_index(
    path_or_url: str,
    settings: DedupSettings,
    create: bool,
    *,
    timeout_s: float = 30.0,
    lock_ttl_s: float = 600.0,
) -> CorpusIndex:
    """Open the corpus index at a file path or a ``redis://`` URL.

    Args:
        path_or_url: a SQLite file path, or ``redis[s]://[user:password@]host:port/db``
            (optional ``?name=NAME`` keeps several indexes in one database).
        settings: the dedup settings the batch's signatures were made with; the
            index must have been built with the same num_perm, seed and shingle size.
        create: allow a missing index; it is created by the first admit (so a run
            that never admits leaves nothing behind).
        timeout_s: how long to wait for another run's admit, and for Redis to answer.
        lock_ttl_s: Redis only: how long a crashed admitter's lock survives it.

    Returns:
        The index (a context manager).

    Raises:
        IndexOpenError: not an index of ours, corrupt, built with other
            parameters, missing while ``create`` is false, or Redis unreachable;
            the message is one line naming the index.
    """
    text = (path_or_url or "").strip()
    if not text:
        raise IndexOpenError("corpus index: no path or URL given")
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in REDIS_SCHEMES:
            raise IndexOpenError(
                f"{text}: unsupported index URL (use a file path or redis://host:port/db)"
            )
        from audit.index.redis_index import RedisIndex

        return RedisIndex(text, settings, create, timeout_s=timeout_s, lock_ttl_s=lock_ttl_s)
    from audit.index.sqlite_index import SQLiteIndex

    return SQLiteIndex(text, settings, create, timeout_s=timeout_s)


def index_findings(
    matches: Sequence[IndexMatch], severity: Severity | str = Severity.ERROR, max_listed: int = 5
) -> list[Finding]:
    """One ``index_duplicate`` finding per batch document that matches admitted originals.

    The evidence names the best original (id, source, date, Jaccard,
    containment) and lists up to ``max_listed`` matches in all.

    Example:
        >>> m = IndexMatch("new.txt", "old.txt", jaccard=0.9, containment=0.95)
        >>> index_findings([m])[0].evidence["original"]
        'old.txt'
    """
    level = Severity(severity)
    by_doc: dict[str, list[IndexMatch]] = {}
    for m in matches:
        by_doc.setdefault(m.doc_id, []).append(m)
    findings = []
    for doc_id, found in by_doc.items():
        found = sorted(found, key=lambda m: (-m.jaccard, -m.containment, m.original))
        best = found[0]
        kind = "copy" if best.jaccard >= 1.0 else "near copy"
        message = (
            f"{kind} of already-admitted {best.original} "
            f"(Jaccard {best.jaccard:.2f}, containment {best.containment:.2f})"
        )
        if len(found) > 1:
            message += f"; {len(found) - 1} more admitted match" + ("es" if len(found) > 2 else "")
        evidence: dict[str, Any] = {
            **best.to_dict(),
            "n_matches": len(found),
            "matches": [m.to_dict() for m in found[:max_listed]],
        }
        findings.append(Finding(doc_id, Check.INDEX_DUPLICATE.value, level, message, evidence))
    return findings


def admit_batch(
    index: CorpusIndex,
    decision: GateDecision,
    documents: Sequence[Mapping[str, Any]],
    signatures: np.ndarray,
    lengths: Sequence[int | None] | np.ndarray | None = None,
) -> AdmitResult | None:
    """Admit the accepted documents of a batch, only if its gate passed.

    Args:
        index: the open index.
        decision: the batch's gate decision; nothing happens unless it passed.
        documents: one mapping per signature row, with ``doc_id`` and optionally
            ``source`` and ``published`` (results.json documents will do).
        signatures: ``(n, num_perm)`` MinHash hash values, aligned with ``documents``.
        lengths: distinct shingles per document, aligned (None: estimated).

    Returns:
        What was admitted, or None when the gate failed (the index is untouched).
        Documents with verdict ``accept`` or ``warn`` are admitted; quarantined
        ones never are.
    """
    if not decision.passed:
        return None
    if len(documents) != len(signatures):
        raise ValueError(f"{len(documents)} documents but {len(signatures)} signatures")
    admitted = (Verdict.ACCEPT, Verdict.WARN)
    rows = [
        i for i, d in enumerate(documents) if decision.verdicts.get(str(d["doc_id"])) in admitted
    ]
    records = [
        IndexRecord(
            doc_id=str(documents[i]["doc_id"]),
            source=_text_or_none(documents[i].get("source")),
            published=_text_or_none(documents[i].get("published")),
            length=None if lengths is None else _int_or_none(lengths[i]),
        )
        for i in rows
    ]
    sig = np.asarray(signatures)
    return index.admit(records, sig[rows] if rows else sig[:0])


def _text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
