"""Exact verification of a candidate pair and the passages two bodies share.

MinHash estimates decide which candidates are worth a look; the decision and
the evidence come from the shingle sets themselves: exact Jaccard, containment
(the share of the smaller body's shingles found in the larger), and the runs of
consecutive shared shingles mapped back to character offsets in each text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from audit.dedup.minhash import _shingle_hashes, _Words

# The characters normalize() turns into separators (see minhash._UNICODE_SEPARATORS),
# as inclusive code point ranges.
_SEPARATORS = (
    (0x00, 0x2F),
    (0x3A, 0x40),
    (0x5B, 0x60),
    (0x7B, 0x7F),
    (0xA0, 0xBF),
    (0x2000, 0x206F),
    (0x3000, 0x303F),
    (0xFF01, 0xFF0F),
    (0xFF1A, 0xFF20),
    (0xFF3B, 0xFF40),
    (0xFF5B, 0xFF65),
)
_WORD = re.compile("[^" + "".join(f"\\u{a:04x}-\\u{z:04x}" for a, z in _SEPARATORS) + "]+")
_PROFILE_BATCH = 256  # texts whose words are hashed together


@lru_cache(maxsize=1)
def _separator_table() -> np.ndarray:
    """True for the code points below U+FFFF that separate words (U+FFFF does not)."""
    table = np.zeros(0x10000, dtype=bool)
    for a, z in _SEPARATORS:
        table[a : z + 1] = True
    return table


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
    table, which on large-range integers is many times slower than sorting. The
    sort is numpy's default (introsort, vectorized on x86): order among equal
    values does not matter here, and a stable sort of 64-bit integers is a merge
    sort several times slower.

    Example:
        >>> sorted_unique(np.array([3, 1, 3, 2])).tolist()
        [1, 2, 3]
    """
    out = np.sort(values)
    if len(out) > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


def profile(text: str, k: int) -> Profile:
    """Shingle hashes of ``text`` (the same as its signature uses) with word offsets."""
    return profiles([text], k)[0]


def profiles(texts: Sequence[str], k: int) -> list[Profile]:
    """The :func:`profile` of each text, the words of many texts hashed at once.

    Example:
        >>> [p.size for p in profiles(["one two three four", "", "Über die Brücke"], 2)]
        [3, 0, 2]
    """
    out: list[Profile] = []
    for at in range(0, len(texts), _PROFILE_BATCH):
        out += _profile_batch(texts[at : at + _PROFILE_BATCH], k)
    return out


def _profile_batch(texts: Sequence[str], k: int) -> list[Profile]:
    sources: list[str] = []
    spans: list[tuple[np.ndarray, np.ndarray] | None] = []
    for text in texts:
        if text.isascii():  # normalization keeps ASCII offsets: the words' bytes are its characters
            sources.append(text)
            spans.append(None)
        else:
            spaced, starts, ends = _unicode_words(text)
            sources.append(spaced)
            spans.append((starts, ends))
    w = _Words(sources)
    hashes, bounds = _shingle_hashes(w, k)
    out: list[Profile] = []
    for i, got in enumerate(spans):
        if got is None:
            a, z, base = w.offsets[i], w.offsets[i + 1], w.text_starts[i]
            got = (w.starts[a:z] - base, w.ends[a:z] - base)
        h = hashes[bounds[i] : bounds[i + 1]].copy()
        out.append(Profile(h, sorted_unique(h), got[0], got[1], k))
    return out


def _unicode_words(text: str) -> tuple[str, np.ndarray, np.ndarray]:
    """``text`` lower-cased with its separators spaced, and its words' character offsets."""
    lowered = text.lower()
    if len(lowered) != len(text):  # lower() changed lengths (e.g. a dotted capital I)
        spans = [m.span() for m in _WORD.finditer(text)]
        starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
        ends = np.fromiter((e for _, e in spans), dtype=np.int64, count=len(spans))
        return " ".join(text[s:e].lower() for s, e in spans), starts, ends
    points = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    sep = _separator_table()[np.minimum(points, 0xFFFF)]
    is_word = np.zeros(len(points) + 2, dtype=bool)
    np.logical_not(sep, out=is_word[1:-1])
    edges = np.flatnonzero(is_word[1:] != is_word[:-1])
    spaced = np.where(sep, np.uint32(0x20), points).astype("<u4").tobytes()
    return spaced.decode("utf-32-le", "surrogatepass"), edges[0::2], edges[1::2]


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
