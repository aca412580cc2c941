"""The corpus index interface, its records, matches and errors, and the shared verification."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from audit.config import DedupSettings
from audit.index.bands import DEFAULT_SCHEME, SCHEME_WIDTHS, estimate_cardinality, max_hash

FORMAT_NAME = "audit-corpus-index"
FORMAT_VERSION = 1


class IndexError_(Exception):
    """The corpus index cannot be used; the message is one line naming the index."""


class IndexOpenError(IndexError_):
    """The index could not be opened: not ours, corrupt, incompatible, or unreachable."""


@dataclass(frozen=True, slots=True)
class IndexRecord:
    """What the index keeps about one admitted document besides its signature.

    Attributes:
        doc_id: the document's id; admitting an id again replaces its entry.
        source: file path or table it came from.
        published: publication date (``YYYY-MM-DD``) or None.
        length: number of distinct shingles in the body, or None to estimate it
            from the signature.
    """

    doc_id: str
    source: str | None = None
    published: str | None = None
    length: int | None = None


@dataclass(frozen=True, slots=True)
class IndexMatch:
    """A batch document that matches an admitted original.

    ``containment`` is the share of the smaller document's shingles found in the
    larger one, estimated from the Jaccard estimate and the two set sizes.
    """

    doc_id: str
    original: str
    jaccard: float
    containment: float
    original_source: str | None = None
    original_published: str | None = None
    admitted_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The match as evidence."""
        return {
            "original": self.original,
            "jaccard": round(self.jaccard, 4),
            "containment": round(self.containment, 4),
            "original_source": self.original_source,
            "original_published": self.original_published,
            "admitted_at": self.admitted_at,
        }


@dataclass(frozen=True, slots=True)
class AdmitResult:
    """What an admit did: entries added, entries replaced, and the index size afterwards."""

    added: int
    replaced: int
    documents: int


@dataclass(frozen=True)
class IndexStats:
    """What ``audit index stats`` shows."""

    location: str
    backend: str
    exists: bool
    documents: int
    format_version: int
    num_perm: int
    seed: int
    scheme: str
    shingle_size: int
    bands: int
    rows: int
    threshold: float
    created_at: str | None = None
    last_admit_at: str | None = None
    size_bytes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class IndexParams:
    """How the index's signatures and band keys were made (kept in its meta data)."""

    num_perm: int
    seed: int
    scheme: str
    shingle_size: int
    bands: int
    rows: int
    threshold: float

    @property
    def width(self) -> int:
        """Bytes per hash value."""
        return SCHEME_WIDTHS[self.scheme]

    @property
    def dtype(self) -> str:
        """Little-endian numpy dtype of stored signatures."""
        return f"<u{self.width}"

    @classmethod
    def from_settings(cls, settings: DedupSettings) -> IndexParams:
        """Parameters for a new index made with ``settings``."""
        from audit.index.bands import band_params

        b, r = band_params(settings.threshold, settings.num_perm)
        return cls(
            num_perm=settings.num_perm,
            seed=settings.seed,
            scheme=getattr(settings, "scheme", DEFAULT_SCHEME),
            shingle_size=settings.shingle_size,
            bands=b,
            rows=r,
            threshold=settings.threshold,
        )

    def to_meta(self) -> dict[str, str]:
        """The parameters as meta data strings."""
        return {k: str(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_meta(cls, meta: dict[str, str]) -> IndexParams:
        """Parse meta data; raises KeyError/ValueError when incomplete."""
        return cls(
            num_perm=int(meta["num_perm"]),
            seed=int(meta["seed"]),
            scheme=meta["scheme"],
            shingle_size=int(meta["shingle_size"]),
            bands=int(meta["bands"]),
            rows=int(meta["rows"]),
            threshold=float(meta["threshold"]),
        )

    def incompatibility(self, settings: DedupSettings) -> str | None:
        """Why signatures made with ``settings`` cannot be compared with this index's, or None."""
        want = {
            "num_perm": settings.num_perm,
            "seed": settings.seed,
            "scheme": getattr(settings, "scheme", DEFAULT_SCHEME),
            "shingle_size": settings.shingle_size,
        }
        diffs = [
            f"{name}={getattr(self, name)} (settings: {value})"
            for name, value in want.items()
            if getattr(self, name) != value
        ]
        return "index was built with " + ", ".join(diffs) if diffs else None


def now_iso() -> str:
    """The current UTC time, ISO-8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class CorpusIndex(abc.ABC):
    """A persistent index of admitted documents' MinHash signatures and LSH band keys.

    Use :func:`audit.index.open_index` to get one; it is a context manager.

    Example:
        >>> with open_index("corpus.db", DedupSettings(), create=True) as index:  # doctest: +SKIP
        ...     matches = index.query(["a.txt"], signatures)
    """

    location: str
    backend: str

    def __init__(self, location: str, settings: DedupSettings) -> None:
        self.location = location
        self.settings = settings

    @abc.abstractmethod
    def query(
        self,
        doc_ids: Sequence[str],
        signatures: np.ndarray,
        lengths: Sequence[int | None] | np.ndarray | None = None,
    ) -> list[IndexMatch]:
        """Admitted originals each batch document duplicates.

        Args:
            doc_ids: the batch's documents, one per signature row.
            signatures: ``(n, num_perm)`` MinHash hash values (datasketch's).
            lengths: distinct shingles per document (None: estimated from the signature).

        Returns:
            Matches whose estimated Jaccard reaches ``min_jaccard`` or whose
            containment reaches ``min_containment``, best first per document.
        """

    @abc.abstractmethod
    def admit(self, records: Sequence[IndexRecord], signatures: np.ndarray) -> AdmitResult:
        """Add documents in one atomic step (an id already present is replaced)."""

    @abc.abstractmethod
    def remove(self, doc_ids: Iterable[str]) -> list[str]:
        """Remove documents; returns the ids that were present."""

    @abc.abstractmethod
    def stats(self) -> IndexStats:
        """Size and parameters of the index."""

    @abc.abstractmethod
    def rebuild(self) -> IndexStats:
        """Recompute band keys from stored signatures for the current threshold; compact."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> CorpusIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_signatures(signatures: np.ndarray, n: int, params: IndexParams) -> np.ndarray:
    """Validate a signature matrix for ``n`` documents and return it as uint64."""
    sig = np.asarray(signatures)
    if sig.ndim != 2 or sig.shape[0] != n or sig.shape[1] != params.num_perm:
        raise ValueError(
            f"signatures must have shape ({n}, {params.num_perm}), not {tuple(sig.shape)}"
        )
    if sig.size and not np.issubdtype(sig.dtype, np.integer):
        raise ValueError(f"signatures must be integers, not {sig.dtype}")
    sig = sig.astype(np.uint64, copy=False)
    if sig.size and params.width == 4 and int(sig.max()) > max_hash(params.scheme):
        raise ValueError(f"signature values exceed the {params.scheme} range")
    return sig


def nonempty(signatures: np.ndarray, params: IndexParams) -> np.ndarray:
    """Mask of signatures that are not the empty set's (every value at the maximum)."""
    return ~np.all(signatures == np.uint64(max_hash(params.scheme)), axis=1)


def resolve_lengths(
    signatures: np.ndarray,
    lengths: Sequence[int | None] | np.ndarray | None,
    params: IndexParams,
) -> np.ndarray:
    """Set sizes: the given ones where known, else estimated from the signatures."""
    n = signatures.shape[0]
    est = estimate_cardinality(signatures, params.scheme) if n else np.zeros(0)
    if lengths is None:
        return est
    if len(lengths) != n:
        raise ValueError(f"expected {n} lengths, got {len(lengths)}")
    return np.array(
        [float(x) if x is not None and x > 0 else e for x, e in zip(lengths, est, strict=True)],
        dtype=np.float64,
    )


def verify(
    q_sigs: np.ndarray,
    q_lengths: np.ndarray,
    c_sigs: np.ndarray,
    c_lengths: np.ndarray,
    settings: DedupSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jaccard and containment estimates of aligned pairs: (keep mask, jaccard, containment)."""
    if len(q_sigs) == 0:
        empty = np.zeros(0)
        return empty.astype(bool), empty, empty
    jaccard = np.mean(q_sigs == c_sigs, axis=1)
    inter = jaccard * (q_lengths + c_lengths) / (1.0 + jaccard)
    containment = np.minimum(1.0, inter / np.minimum(q_lengths, c_lengths))
    keep = (jaccard >= settings.min_jaccard) | (containment >= settings.min_containment)
    return keep, jaccard, containment


def rank_matches(matches: list[IndexMatch]) -> list[IndexMatch]:
    """Matches grouped by document (first-seen order), best Jaccard then containment first."""
    order: dict[str, int] = {}
    for m in matches:
        order.setdefault(m.doc_id, len(order))
    return sorted(matches, key=lambda m: (order[m.doc_id], -m.jaccard, -m.containment, m.original))
