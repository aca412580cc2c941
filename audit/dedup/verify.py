"""Exact verification of a candidate pair and the passages two bodies share.

MinHash estimates decide which candidates are worth a look; the decision and
the evidence come from the shingle sets themselves: exact Jaccard, containment
(the share of the smaller body's shingles found in the larger), and the runs of
consecutive shared shingles mapped back to character offsets in each text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from audit.dedup.minhash import _shingle_hashes, _Words

# The characters normalize() turns into separators (see minhash._UNICODE_SEPARATORS).
_WORD = re.compile(
    "[^\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u00a0-\u00bf\u2000-\u206f\u3000-\u303f"
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+"
)


@dataclass(frozen=True, slots=True)
class Profile:
    """The shingles of one text with where its words are.

    Attributes:
        shingles: the 32-bit hash of the shingle starting at each word (``n - k + 1``).
        unique: the sorted distinct shingle hashes.
        starts: character offset of each word in the text.
        ends: character offset just past each word.
        k: words per shingle.
    """

    shingles: np.ndarray
    unique: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    k: int

    @property
    def size(self) -> int:
        """Number of distinct shingles."""
        return len(self.unique)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values of a 1-d array, sorted: ``np.unique`` without its hash table.

    numpy 2.3+ finds the distinct values of a plain ``np.unique`` call with a hash
    table, which on large-range integers is many times slower than sorting.

    Example:
        >>> sorted_unique(np.array([3, 1, 3, 2])).tolist()
        [1, 2, 3]
    """
    out = np.sort(values, kind="stable")
    if len(out) > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


def profile(text: str, k: int) -> Profile:
    """Shingle hashes of ``text`` (the same as its signature uses) with word offsets."""
    if text.isascii():  # normalization keeps ASCII offsets: the words' bytes are its characters
        w = _Words([text])
        starts, ends = w.starts, w.ends
    else:
        lowered = text.lower()
        same_length = len(lowered) == len(text)
        source = lowered if same_length else text
        spans = [m.span() for m in _WORD.finditer(source)]
        if same_length:
            tokens = [lowered[s:e] for s, e in spans]
        else:  # lower() changed lengths (e.g. a dotted capital I): lower word by word
            tokens = [text[s:e].lower() for s, e in spans]
        starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
        ends = np.fromiter((e for _, e in spans), dtype=np.int64, count=len(spans))
        w = _Words([" ".join(tokens)])
    h, _ = _shingle_hashes(w, k)
    return Profile(h, sorted_unique(h), starts, ends, k)


def compare(a: Profile, b: Profile) -> tuple[float, float]:
    """Exact Jaccard and containment (of the smaller set in the larger) of two profiles."""
    if a.size == 0 or b.size == 0:
        return 0.0, 0.0
    inter = len(np.intersect1d(a.unique, b.unique, assume_unique=True))
    union = a.size + b.size - inter
    return inter / union, inter / min(a.size, b.size)


def estimate(
    jaccard: np.ndarray | float, size_a: np.ndarray | int, size_b: np.ndarray | int
) -> np.ndarray:
    """Containment estimated from a MinHash Jaccard estimate and the two set sizes.

    ``|A n B| = J (|A| + |B|) / (1 + J)``, divided by the smaller size, capped at 1.
    """
    j = np.asarray(jaccard, dtype=np.float64)
    sa = np.asarray(size_a, dtype=np.float64)
    sb = np.asarray(size_b, dtype=np.float64)
    inter = j * (sa + sb) / (1.0 + j)
    small = np.maximum(np.minimum(sa, sb), 1.0)
    return np.minimum(inter / small, 1.0)


def shared_passages(doc: Profile, canonical: Profile, limit: int) -> list[dict[str, Any]]:
    """The longest runs of words two texts share, as character offsets in each.

    A passage is a maximal run of consecutive shingles of ``doc`` that all occur in
    ``canonical``, aligned to where its first shingle occurs there.

    Returns:
        Up to ``limit`` passages, longest first, each ``{"doc": [start, end],
        "canonical": [start, end], "words": n}``.
    """
    if doc.size == 0 or canonical.size == 0 or limit <= 0:
        return []
    k = doc.k
    at = np.minimum(np.searchsorted(canonical.unique, doc.shingles), canonical.size - 1)
    hit = canonical.unique[at] == doc.shingles
    if not hit.any():
        return []
    edges = np.diff(np.r_[0, hit.view(np.int8), 0])
    run_starts = np.flatnonzero(edges == 1)
    run_ends = np.flatnonzero(edges == -1)  # exclusive, in shingles
    order = np.argsort(-(run_ends - run_starts), kind="stable")[:limit]
    # the first position of each shingle hash in the canonical text, by binary search
    by_hash = np.argsort(canonical.shingles, kind="stable")
    hashes = canonical.shingles[by_hash]
    out: list[dict[str, Any]] = []
    n_can = len(canonical.shingles)
    for i in order.tolist():
        s, e = int(run_starts[i]), int(run_ends[i])
        cs = int(by_hash[np.searchsorted(hashes, doc.shingles[s])])
        # the run goes on in the canonical text for as long as the shingles agree
        span = min(e - s, n_can - cs)
        agree = canonical.shingles[cs : cs + span] == doc.shingles[s : s + span]
        ce = cs + (span if agree.all() else int(np.argmin(agree))) - 1
        last_doc_word = e - 1 + k - 1
        last_can_word = ce + k - 1
        out.append(
            {
                "doc": [int(doc.starts[s]), int(doc.ends[last_doc_word])],
                "canonical": [int(canonical.starts[cs]), int(canonical.ends[last_can_word])],
                "words": e - s + k - 1,
            }
        )
    return out
