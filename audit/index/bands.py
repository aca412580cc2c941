"""MinHash signatures and LSH band keys, exactly as datasketch's ``MinHashLSH`` forms them.

datasketch cuts a signature into ``b`` bands of ``r`` hash values and keys each
band by ``bytes(hashvalues[start:end].byteswap().data)``, the band's values as
big-endian words of the scheme's width (4 bytes for the default ``affine32``
scheme, 8 for ``legacy``/``affine64``). Given a ``hashfunc``, it stores
``hashfunc(those bytes)`` instead. :func:`band_digest` is such a hashfunc (an
8-byte digest of the band's 32-bit words), and :func:`band_keys` computes the
same digests for a whole signature matrix at once with numpy, so an index row's
key equals the key ``MinHashLSH(..., hashfunc=band_digest)`` stores for it.
"""

from __future__ import annotations

import functools
import struct

import numpy as np

DEFAULT_SCHEME = "affine32"  # what datasketch.MinHash(num_perm, seed) uses since 2.0
SCHEME_WIDTHS = {"affine32": 4, "legacy": 8, "affine64": 8}  # bytes per hash value
_MAX_HASH = {"affine32": (1 << 32) - 1, "legacy": (1 << 32) - 1, "affine64": (1 << 64) - 1}

_M64 = (1 << 64) - 1
_SEED = 0x9E3779B97F4A7C15
_C1 = 0xFF51AFD7ED558CCD
_C2 = 0xC4CEB9FE1A85EC53


@functools.lru_cache(maxsize=64)
def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows datasketch's ``MinHashLSH`` chooses for a threshold (equal FP/FN weights)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def max_hash(scheme: str) -> int:
    """The largest hash value of ``scheme``; a signature of only this value is an empty set."""
    return _MAX_HASH[scheme]


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * _C1) & _M64
    h ^= h >> 33
    h = (h * _C2) & _M64
    return h ^ (h >> 33)


def band_digest(band: bytes) -> bytes:
    """The 8-byte key of one band, from the band's bytes as datasketch forms them.

    Usable as ``MinHashLSH(hashfunc=band_digest)``.

    Example:
        >>> len(band_digest(bytes(20)))
        8
    """
    if len(band) % 4:
        raise ValueError("a band is a whole number of 32-bit words")
    h = _SEED
    for (word,) in struct.iter_unpack(">I", band):
        h = _fmix64_int(h ^ word)
    return h.to_bytes(8, "big")


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(_C1)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(_C2)
    return h ^ (h >> np.uint64(33))


def band_keys(signatures: np.ndarray, bands: int, rows: int, width: int = 4) -> np.ndarray:
    """The key of every band of every signature, as signed 64-bit integers.

    Args:
        signatures: ``(n, num_perm)`` unsigned hash values.
        bands: number of bands ``b``.
        rows: hash values per band ``r``.
        width: bytes per hash value in the scheme (4 or 8).

    Returns:
        ``(n, bands)`` int64 array; ``key.astype('>i8').tobytes()`` equals
        ``band_digest`` of datasketch's band bytes.
    """
    sig = np.asarray(signatures, dtype=np.uint64)
    n = sig.shape[0]
    out = np.empty((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(bands):
            h = np.full(n, _SEED, dtype=np.uint64)
            for j in range(i * rows, (i + 1) * rows):
                col = sig[:, j]
                if width == 8:
                    h = _fmix64(h ^ (col >> np.uint64(32)))
                    col = col & np.uint64(0xFFFFFFFF)
                h = _fmix64(h ^ col)
            out[:, i] = h
    return out.view(np.int64)


def key_bytes(key: int | np.integer) -> bytes:
    """A band key as the bytes datasketch stores with ``hashfunc=band_digest``."""
    return int(key).to_bytes(8, "big", signed=True)


def estimate_cardinality(signatures: np.ndarray, scheme: str) -> np.ndarray:
    """Set sizes estimated from signatures (datasketch's ``MinHash.count``)."""
    sig = np.asarray(signatures, dtype=np.float64)
    k = sig.shape[1]
    with np.errstate(divide="ignore"):
        est = k / np.sum(sig / float(_MAX_HASH[scheme]), axis=1) - 1.0
    return np.maximum(est, 1.0)
