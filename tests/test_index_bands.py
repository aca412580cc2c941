"""Band keys are the keys datasketch's MinHashLSH stores, for every scheme."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from audit.index.bands import (
    band_digest,
    band_keys,
    band_params,
    estimate_cardinality,
    key_bytes,
    max_hash,
)


def minhashes(scheme: str, n: int = 12) -> list[MinHash]:
    out = []
    for i in range(n):
        m = MinHash(num_perm=128, seed=1, scheme=scheme)
        m.update_batch([f"doc{i} shingle {j}".encode() for j in range(40 + i)])
        out.append(m)
    return out


@pytest.mark.parametrize(("scheme", "width"), [("affine32", 4), ("legacy", 8), ("affine64", 8)])
def test_keys_equal_the_keys_datasketch_stores(scheme: str, width: int) -> None:
    ms = minhashes(scheme)
    lsh = MinHashLSH(threshold=0.5, num_perm=128, hashfunc=band_digest)
    for i, m in enumerate(ms):
        lsh.insert(i, m)
    b, r = band_params(0.5, 128)
    assert (lsh.b, lsh.r) == (b, r)
    sigs = np.stack([m.hashvalues.astype(np.uint64) for m in ms])
    keys = band_keys(sigs, b, r, width)
    assert keys.shape == (len(ms), b) and keys.dtype == np.int64
    for i in range(len(ms)):
        for band in range(b):
            assert i in lsh.hashtables[band].get(key_bytes(keys[i, band]))


def test_digest_is_a_function_of_the_band_bytes() -> None:
    band = np.array([1, 2, 3, 4, 5], dtype=np.uint32)
    raw = bytes(band.byteswap().data)  # what datasketch hashes
    assert band_digest(raw) == key_bytes(band_keys(band[None, :].astype(np.uint64), 1, 5)[0, 0])
    assert band_digest(raw) != band_digest(bytes(np.array([1, 2, 3, 5, 4], ">u4").data))
    with pytest.raises(ValueError):
        band_digest(b"abc")


def test_default_minhash_is_the_affine32_scheme() -> None:
    assert MinHash(num_perm=4, seed=1).scheme == "affine32"
    assert max_hash("affine32") == 2**32 - 1


def test_cardinality_estimate_is_close() -> None:
    (m,) = [MinHash(num_perm=128, seed=1)]
    m.update_batch([f"s{i}".encode() for i in range(1000)])
    est = estimate_cardinality(m.hashvalues[None, :].astype(np.uint64), "affine32")[0]
    assert abs(est - m.count()) < 1e-6
    assert 700 < est < 1300
