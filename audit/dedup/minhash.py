"""Bulk MinHash signatures with numpy, bit-compatible with datasketch.

A text is normalized to bytes (Unicode lower case; ASCII punctuation and the
common Unicode punctuation and spaces become separators), split into words,
and every run of ``k`` consecutive words is a shingle. The signature of a text
is the datasketch ``MinHash`` (default ``affine32`` scheme, ``uint32`` hash
values) of its shingles under the hash function :func:`shingle_hash`:

    >>> from datasketch import MinHash
    >>> from audit.config import DedupSettings
    >>> s = DedupSettings()
    >>> text = "The quick brown fox jumps over the lazy dog again"
    >>> m = MinHash(num_perm=s.num_perm, seed=s.seed, hashfunc=shingle_hash)
    >>> m.update_batch(shingles(text, s.shingle_size))
    >>> bool((m.hashvalues == signatures([text], s)[0]).all())
    True

So a signature computed here can be wrapped as a datasketch ``LeanMinHash``
(:func:`to_minhash`), indexed in a ``MinHashLSH`` or compared with sketches
built by datasketch itself over the same shingles and hash function.

Speed comes from never creating a Python object per word or shingle: a batch
of texts is joined into one byte buffer, word boundaries and word hashes are
computed with numpy over the whole buffer, shingle hashes are a polynomial of
``k`` word hashes, and the ``num_perm`` affine permutations are applied one at a
time to the contiguous array of all shingle hashes of the batch, followed by a
segmented minimum per text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import xxhash

from audit.config import DedupSettings

_U64 = np.uint64
_MASK64 = (1 << 64) - 1

# Multipliers of the word and shingle hashes (odd 64-bit constants).
_CHUNK_MUL = 0x9E3779B97F4A7C15  # weights the 8-byte chunks of a word
_LEN_MUL = 0xD6E8FEB86659FD93  # weights the byte length of a word
_SHINGLE_MUL = 0xA0761D6478BD642F  # Horner multiplier over the words of a shingle

# MurmurHash3 finalizers (the same constants datasketch uses).
_F64 = (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33)
_F32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)

# Bytes of the UTF-8 forms of Unicode spaces and punctuation that separate words:
# U+00A0-U+00BF (no-break space, quotes, signs), U+2000-U+206F (spaces, dashes,
# curly quotes, ellipsis), U+3000-U+303F (CJK punctuation), U+FF01-U+FF0F,
# U+FF1A-U+FF20, U+FF3B-U+FF40, U+FF5B-U+FF65 (full-width punctuation).
_UNICODE_SEPARATORS = re.compile(
    rb"\xc2[\xa0-\xbf]|\xe2\x80[\x80-\xbf]|\xe2\x81[\x80-\xaf]|\xe3\x80[\x80-\xbf]"
    rb"|\xef\xbc[\x81-\x8f\x9a-\xa0\xbb-\xbf]|\xef\xbd[\x80\x9b-\xa5]"
)


def _byte_table() -> bytes:
    """ASCII letters lower-cased, ASCII digits kept, other ASCII a space, bytes >= 0x80 kept."""
    out = bytearray(range(256))
    for c in range(128):
        ch = chr(c)
        if "A" <= ch <= "Z":
            out[c] = c + 32
        elif not ("a" <= ch <= "z" or "0" <= ch <= "9"):
            out[c] = 0x20
    return bytes(out)


_TABLE = _byte_table()
_SPACE = 0x20
_PAD = 16  # spare bytes after a buffer so 8-byte reads never run past its end
_BATCH_BYTES = 1 << 18  # texts are signed in batches of about this many bytes
_PERM_SHINGLES = 1 << 15  # shingles permuted per block (with its buffers, cache-sized)
_PERM_BLOCK = 4  # permutations applied per pass over a block


def normalize(text: str) -> bytes:
    """The normalized bytes of ``text``: words separated by runs of spaces.

    Example:
        >>> normalize("Don’t PANIC, it's 4:00pm!").split()
        [b'don', b't', b'panic', b'it', b's', b'4', b'00pm']
    """
    return _prenormalize(text).translate(_TABLE)


def _prenormalize(text: str) -> bytes:
    """UTF-8 bytes with Unicode case folded and Unicode separators spaced (ASCII left as is)."""
    if text.isascii():
        return text.encode("ascii")
    raw = text.lower().encode("utf-8", "surrogatepass")
    return _UNICODE_SEPARATORS.sub(b" ", raw)


def words(text: str) -> list[bytes]:
    """The normalized words of ``text``."""
    return normalize(text).split()


def shingles(text: str, k: int) -> list[bytes]:
    """The word ``k``-shingles of ``text`` as datasketch update values (words joined by a space).

    A text of fewer than ``k`` words has no shingle (its signature is empty).
    """
    ws = words(text)
    return [b" ".join(ws[i : i + k]) for i in range(len(ws) - k + 1)]


def _fmix64_int(h: int) -> int:
    s1, m1, s2, m2, s3 = _F64
    h ^= h >> s1
    h = (h * m1) & _MASK64
    h ^= h >> s2
    h = (h * m2) & _MASK64
    return h ^ (h >> s3)


def word_hash(word: bytes) -> int:
    """The 64-bit hash of one normalized word (the scalar form of the numpy kernel)."""
    acc = 0
    for j in range(0, len(word), 8):
        chunk = int.from_bytes(word[j : j + 8], "little")
        acc += chunk * pow(_CHUNK_MUL, j // 8, 1 << 64)
    acc += len(word) * _LEN_MUL
    return _fmix64_int(acc & _MASK64)


def shingle_hash(shingle: bytes) -> int:
    """The 32-bit hash of a shingle: the datasketch ``hashfunc`` of our signatures.

    ``shingle`` is normalized words joined by single spaces (as :func:`shingles`
    returns them). Pass it to ``datasketch.MinHash(hashfunc=shingle_hash)`` to build
    sketches identical to :func:`signatures`.
    """
    acc = 0
    for w in shingle.split(b" "):
        acc = (acc * _SHINGLE_MUL + word_hash(w)) & _MASK64
    return _fmix64_int(acc) >> 32


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, in place on ``h`` (which it returns)."""
    s1, m1, s2, m2, s3 = (_U64(v) for v in _F64)
    h ^= h >> s1
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s3
    return h


def _fmix32(h: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = (np.uint32(v) for v in _F32)
    h = h ^ (h >> s1)
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s3
    return h


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) parameters of datasketch's affine32 permutations for ``num_perm`` and ``seed``."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    a = np.ascontiguousarray(a, dtype=np.uint32)
    b = np.ascontiguousarray(b, dtype=np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


@dataclass(frozen=True, slots=True)
class Sketches:
    """Signatures of a list of texts with the per-text figures verification needs.

    Attributes:
        values: ``n x num_perm`` uint32 MinHash values; a text without a shingle
            has the empty sketch (every value ``2**32 - 1``, as datasketch).
        shingles: number of distinct shingle hashes per text.
        words: number of normalized words per text.
        digests: 64-bit hash of the normalized word sequence (0 for a text without
            words): equal digests mean equal normalized texts.
    """

    values: np.ndarray
    shingles: np.ndarray
    words: np.ndarray
    digests: np.ndarray


class _Words:
    """Normalized words of a batch of texts: hashes and where each text's words lie."""

    __slots__ = ("ends", "hashes", "offsets", "starts", "text_starts")

    def __init__(self, texts: list[str]) -> None:
        parts = [_prenormalize(t) for t in texts]
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) + 1
        text_starts = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=text_starts[1:])
        self.text_starts = text_starts  # where each text's bytes begin in the joined buffer
        raw = (b" ".join(parts) + b" " * _PAD).translate(_TABLE)
        is_word = np.empty(len(raw) + 1, dtype=bool)
        is_word[0] = False
        np.not_equal(np.frombuffer(raw, dtype=np.uint8), _SPACE, out=is_word[1:])
        # word starts and ends alternate among the places where is_word changes
        edges = np.flatnonzero(is_word[1:] != is_word[:-1])
        self.starts = edges[0::2].copy()
        self.ends = edges[1::2].copy()
        # offsets[i]:offsets[i+1] are the words of text i
        self.offsets = np.searchsorted(self.starts, text_starts)
        self.hashes = self._hash_words(raw)

    def _hash_words(self, raw: bytes) -> np.ndarray:
        if len(self.starts) == 0:
            return np.empty(0, dtype=_U64)
        lengths = self.ends - self.starts
        # one uint64 per byte offset: the 8 bytes starting there (unaligned, little-endian)
        windows = np.ndarray(shape=(len(raw) - 8,), dtype="<u8", buffer=raw, strides=(1,))
        acc = windows[self.starts]
        acc &= _MASKS[np.minimum(lengths, 8)]
        # later 8-byte chunks of long words, weighted by powers of _CHUNK_MUL
        longer = np.flatnonzero(lengths > 8)
        j = 1
        while len(longer):
            chunk = windows[self.starts[longer] + 8 * j]
            chunk &= _MASKS[np.minimum(lengths[longer] - 8 * j, 8)]
            chunk *= _U64(pow(_CHUNK_MUL, j, 1 << 64))
            acc[longer] += chunk
            j += 1
            longer = longer[lengths[longer] > 8 * j]
        acc += lengths.astype(_U64) * _U64(_LEN_MUL)
        return _fmix64(acc)


# _MASKS[n] keeps the low n bytes of a little-endian uint64
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=_U64)


def _shingle_hashes(w: _Words, k: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit shingle hashes of a batch, and where each text's shingles start (``n + 1``)."""
    n = len(w.hashes)
    per_text = np.maximum(np.diff(w.offsets) - (k - 1), 0)
    bounds = np.zeros(len(per_text) + 1, dtype=np.int64)
    np.cumsum(per_text, out=bounds[1:])
    if n < k:
        return np.empty(0, dtype=np.uint32), bounds
    m = n - k + 1
    acc = w.hashes[:m].copy()
    mul = _U64(_SHINGLE_MUL)
    for t in range(1, k):
        acc *= mul
        acc += w.hashes[t : t + m]
    if k > 1:
        # drop the shingles that run across the end of a text
        keep = np.ones(m, dtype=bool)
        cut = (w.offsets[1:-1, None] - np.arange(1, k)).ravel()
        keep[cut[(cut >= 0) & (cut < m)]] = False
        acc = acc[keep]
    return (_fmix64(acc) >> _U64(32)).astype(np.uint32), bounds


def _sign_batch(
    texts: list[str], k: int, num_perm: int, seed: int, extras: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Signatures of a batch; with ``extras`` also distinct shingle counts and digests."""
    w = _Words(texts)
    n_texts = len(texts)
    h, bounds = _shingle_hashes(w, k)
    values = np.full((n_texts, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    counts = np.zeros(n_texts, dtype=np.int64)
    if len(h):
        a, b = permutations(num_perm, seed)
        hv = _fmix32(h)
        nonempty = np.flatnonzero(bounds[1:] > bounds[:-1])
        seg = bounds[nonempty]
        out = np.empty((num_perm, len(seg)), dtype=np.uint32)
        _permute_min(hv, seg, a, b, out)
        values[nonempty] = out.T
        if extras:
            owner = np.repeat(np.arange(n_texts, dtype=_U64), np.diff(bounds))
            keys = (owner << _U64(32)) | h.astype(_U64)
            keys.sort()
            first = np.ones(len(keys), dtype=bool)
            first[1:] = keys[1:] != keys[:-1]
            counts = np.bincount((keys[first] >> _U64(32)).astype(np.int64), minlength=n_texts)
    n_words = np.diff(w.offsets).astype(np.int64)
    digests = _digests(w) if extras else np.zeros(n_texts, dtype=_U64)
    return values, counts, n_words, digests


def _permute_min(
    hv: np.ndarray, seg: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray
) -> None:
    """``out[j, t] = min(a[j] * hv + b[j])`` over the shingles of text ``t`` (from ``seg[t]``).

    Works through the shingles in cache-sized blocks of whole texts, a few
    permutations per pass, so each pass is a handful of numpy calls over
    contiguous memory.
    """
    num_perm = len(a)
    step = _PERM_BLOCK if num_perm % _PERM_BLOCK == 0 else 1
    a_blocks = a.reshape(-1, step, 1)
    b_blocks = b.reshape(-1, step, 1)
    n = len(hv)
    first = 0
    while first < len(seg):
        # the texts whose shingles fit the block (at least one text)
        lo = int(seg[first])
        last = int(np.searchsorted(seg, lo + _PERM_SHINGLES, side="right"))
        last = max(last, first + 1)
        hi = int(seg[last]) if last < len(seg) else n
        block = hv[lo:hi]
        starts = seg[first:last] - lo
        buf = np.empty((step, hi - lo), dtype=np.uint32)
        for j in range(num_perm // step):
            np.multiply(block, a_blocks[j], out=buf)
            buf += b_blocks[j]
            np.minimum.reduceat(buf, starts, axis=1, out=out[j * step : (j + 1) * step, first:last])
        first = last


def _digests(w: _Words) -> np.ndarray:
    n_words = np.diff(w.offsets)
    out = np.zeros(len(n_words), dtype=_U64)
    hashes, offsets = w.hashes, w.offsets.tolist()
    for i in np.flatnonzero(n_words).tolist():
        out[i] = xxhash.xxh3_64_intdigest(hashes[offsets[i] : offsets[i + 1]].tobytes())
    return out


def text_digests(texts: list[str]) -> np.ndarray:
    """64-bit hashes of the normalized word sequences of ``texts`` (0 for a text without words).

    Equal digests mean equal texts after normalization: the exact-duplicate key.
    """
    return _digests(_Words(texts)) if texts else np.zeros(0, dtype=_U64)


def sketch(
    texts: list[str],
    settings: DedupSettings,
    shingle_size: int | None = None,
    extras: bool = True,
) -> Sketches:
    """Signatures, distinct shingle counts, word counts and digests of ``texts``.

    Args:
        texts: the texts (for documents: the body text only).
        settings: ``num_perm``, ``seed`` and ``shingle_size`` are used.
        shingle_size: overrides ``settings.shingle_size`` (paragraphs use a smaller one).
        extras: also count distinct shingles and hash the word sequences (else zeros).

    Returns:
        A :class:`Sketches` with one row per text, in order.
    """
    k = shingle_size or settings.shingle_size
    p, seed = settings.num_perm, settings.seed
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    start = 0
    size = 0
    for i, t in enumerate(texts):
        size += len(t) + 1
        if size >= _BATCH_BYTES:
            parts.append(_sign_batch(texts[start : i + 1], k, p, seed, extras))
            start, size = i + 1, 0
    if start < len(texts) or not parts:
        parts.append(_sign_batch(texts[start:], k, p, seed, extras))
    return Sketches(
        values=np.concatenate([p[0] for p in parts]),
        shingles=np.concatenate([p[1] for p in parts]),
        words=np.concatenate([p[2] for p in parts]),
        digests=np.concatenate([p[3] for p in parts]),
    )


def signatures(texts: list[str], settings: DedupSettings) -> np.ndarray:
    """MinHash signatures of ``texts`` (``len(texts) x num_perm`` uint32).

    Row ``i`` equals ``datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash)``
    updated with ``shingles(texts[i], shingle_size)``.

    Example:
        >>> sig = signatures(["a b c d e f", ""], DedupSettings())
        >>> sig.shape, bool((sig[1] == 2**32 - 1).all())
        ((2, 128), True)
    """
    return sketch(texts, settings, extras=False).values


def is_empty(values: np.ndarray) -> np.ndarray | bool:
    """Whether a signature (or each row of a matrix) is the empty sketch."""
    empty = values == np.iinfo(np.uint32).max
    return empty.all(axis=-1)


def to_minhash(values: np.ndarray, settings: DedupSettings) -> object:
    """Wrap one signature row as a ``datasketch.LeanMinHash`` (scheme ``affine32``)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=settings.seed, hashvalues=values, scheme="affine32")


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int, weights: tuple[float, float]) -> tuple[int, int]:
    """Bands and rows of a ``MinHashLSH`` for ``threshold``, from datasketch's optimizer."""
    from datasketch.lsh import _optimal_param

    b, r = _optimal_param(threshold, num_perm, weights[0], weights[1])
    return int(b), int(r)
