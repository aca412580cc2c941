"""Duplicates within and across documents: repeats, copies, syndication, templates.

Two calls wire the whole of it into a run:

- :func:`dedup_chunk` in the per-chunk stages, after parsing: repeated
  paragraphs, credited agencies, body texts and MinHash signatures (kept in the
  documents table as ``body_text`` and ``signature``);
- :func:`dedup_corpus` once over the joined chunks, after the signals stage
  has added ``published_date``: clusters, copy findings, template paragraphs
  re-roled ``boilerplate`` (reason ``source_template``). A run calls its two
  halves, :func:`search_corpus` (which may run in a forked process beside the
  suites) and :func:`apply_outcome`.

See ``docs/dedup.md`` for what is found, how, and the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from audit.config import ConfigError, DedupSettings
from audit.dedup.credits import credited_syndication, load_credits
from audit.dedup.cross import DedupOutcome, deduplicate
from audit.dedup.prepare import BODY_COLUMNS, prepare
from audit.dedup.within import find_repeats
from audit.model import Chunk, Corpus, Role, Severity

__all__ = [
    "INTERNAL_COLUMNS",
    "TEMPLATE_REASON",
    "DedupOutcome",
    "apply_outcome",
    "check_settings",
    "dedup_chunk",
    "dedup_corpus",
    "drop_internal",
    "search_corpus",
    "signatures_of",
]

TEMPLATE_REASON = "source_template"
INTERNAL_COLUMNS: tuple[str, ...] = (*BODY_COLUMNS, "body_text", "signature")
"""Documents-table columns the dedup stages use between them (not signals)."""


def check_settings(s: DedupSettings) -> None:
    """Refuse dedup settings that cannot work, with a one-line reason.

    Raises:
        ConfigError: a value out of range, an unknown severity, an unusable credit file.
    """
    for name in ("shingle_size", "paragraph_shingle_size", "max_passages"):
        if getattr(s, name) < 1:
            raise ConfigError(f"dedup.{name} must be at least 1")
    if s.num_perm < 2:
        raise ConfigError("dedup.num_perm must be at least 2")
    if s.template_min_docs < 2:
        raise ConfigError("dedup.template_min_docs must be at least 2")
    for name in (
        "threshold",
        "candidate_threshold",
        "min_jaccard",
        "min_containment",
        "paragraph_threshold",
    ):
        if not 0.0 < getattr(s, name) <= 1.0:
            raise ConfigError(f"dedup.{name} must be in (0, 1]")
    if not 0.0 < s.lsh_recall_weight < 1.0:
        raise ConfigError("dedup.lsh_recall_weight must be in (0, 1)")
    allowed = [v.value for v in Severity]
    for name in (
        "repeat_severity",
        "exact_severity",
        "near_severity",
        "syndicated_severity",
        "credited_syndication_severity",
    ):
        if getattr(s, name) not in allowed:
            raise ConfigError(f"dedup.{name} must be one of {', '.join(allowed)}")
    load_credits(s)


def dedup_chunk(chunk: Chunk, settings: DedupSettings) -> None:
    """The per-chunk dedup stages, in place: repeats, credits, body texts and signatures.

    Adds ``repeat_of`` and ``digest`` to the paragraphs; ``dup_paragraph_fraction``,
    ``dup_char_fraction`` and ``credited`` to the documents, with the
    :data:`INTERNAL_COLUMNS`; appends ``duplicate_paragraphs`` and credited
    ``syndicated_copy`` findings.
    """
    find_repeats(chunk, settings)
    credited_syndication(chunk, settings)
    sig, bodies = prepare(chunk, settings)
    docs = chunk.documents
    docs["body_text"] = pd.Series(bodies, index=docs.index, dtype=object)
    docs["signature"] = pd.Series(list(sig), index=docs.index, dtype=object)


def dedup_corpus(
    corpus: Corpus, settings: DedupSettings, map_bands: Callable[..., Any] | None = None
) -> DedupOutcome:
    """The batch-wide step, in place: clusters, copy findings, template paragraphs.

    Sets ``corpus.clusters``, appends the copy findings, re-roles template
    paragraphs and drops the :data:`INTERNAL_COLUMNS`. Returns the outcome (its
    ``stats`` say how many candidates were checked and how large clusters are).
    ``map_bands`` (an engine's ``map``) sorts the LSH bands where the engine runs.
    The same as :func:`search_corpus`, then :func:`drop_internal` and :func:`apply_outcome`.
    """
    outcome = search_corpus(corpus, settings, map_bands)
    drop_internal(corpus)
    apply_outcome(corpus, outcome)
    return outcome


def search_corpus(
    corpus: Corpus, settings: DedupSettings, map_bands: Callable[..., Any] | None = None
) -> DedupOutcome:
    """The batch-wide search: what :func:`dedup_corpus` finds, with ``corpus`` left as it is.

    It reads the documents table and the spool only, so it may run in another
    process (a fork) while this one goes on; :func:`apply_outcome` then puts what
    it found into the corpus.
    """
    docs = corpus.documents
    n = len(docs)
    sig = signatures_of(corpus, settings.num_perm)
    spool = corpus.spool
    if spool is not None:
        spool.unload("signature")  # the search owns the matrix now (read again for an index)
    bodies: Sequence[str]
    if "body_text" in docs.columns:
        bodies = [b if isinstance(b, str) else "" for b in docs["body_text"]]
    elif spool is not None and spool.get("body_text") is not None:
        bodies = spool.texts("body_text")  # read from disk for the documents compared
    else:
        bodies = [""] * n
    paragraphs = None  # read a document at a time from the spool when spilled
    if "body_paragraphs" not in docs.columns and spool is not None:
        paragraphs = spool.get("body_paragraphs")
    return deduplicate(docs, sig, bodies, settings, paragraphs, map_bands, signatures_owned=True)


def apply_outcome(corpus: Corpus, outcome: DedupOutcome) -> None:
    """Add what :func:`search_corpus` found to ``corpus``: clusters, findings, template roles."""
    corpus.clusters.extend(outcome.clusters)
    corpus.findings.extend(outcome.findings)
    if outcome.templates and len(corpus.paragraphs):
        par = corpus.paragraphs
        keys = pd.MultiIndex.from_arrays([par["doc_id"], par["idx"]])
        hit = keys.isin(pd.MultiIndex.from_tuples(outcome.templates)).astype(bool)
        for column, value in (("role", Role.BOILERPLATE.value), ("reason", TEMPLATE_REASON)):
            dtype = par[column].dtype if column in par.columns else None
            if isinstance(dtype, pd.CategoricalDtype) and value not in dtype.categories:
                par[column] = par[column].cat.add_categories([value])
            par.loc[hit, column] = value


def drop_internal(corpus: Corpus) -> None:
    """Drop the :data:`INTERNAL_COLUMNS` from the documents table (the search is done with them)."""
    kept = corpus.documents
    corpus.documents = kept.drop(columns=[c for c in INTERNAL_COLUMNS if c in kept.columns])


def signatures_of(corpus: Corpus, num_perm: int) -> np.ndarray:
    """The batch's MinHash signatures, one row per document (uint32).

    From the ``signature`` column, or from the spool when the run streams; zeros
    (empty sets) when no document has one.
    """
    docs = corpus.documents
    n = len(docs)
    if "signature" in docs.columns and n:
        return np.stack([np.asarray(v, dtype=np.uint32) for v in docs["signature"]])
    spool = corpus.spool
    if spool is not None and spool.has_matrix("signature") and n:
        return np.asarray(spool.matrix("signature"), dtype=np.uint32)
    return np.zeros((n, num_perm), dtype=np.uint32)
