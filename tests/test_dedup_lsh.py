"""The bulk-filled MinHashLSH is the index MinHashLSH.insert builds."""

from __future__ import annotations

import numpy as np
from datasketch import MinHashLSH

from audit.config import DedupSettings
from audit.dedup.lsh import build_lsh, candidate_params, neighbours
from audit.dedup.minhash import signatures, to_minhash


def test_bulk_index_equals_datasketch_inserts() -> None:
    s = DedupSettings()
    rng = np.random.default_rng(4)
    base = [" ".join(f"w{x}" for x in rng.integers(0, 300, 80)) for _ in range(40)]
    texts = base + [t[: len(t) // 2] for t in base[:10]]
    sig = signatures(texts, s)
    keys = list(range(100, 100 + len(texts)))
    ours = build_lsh(keys, sig, s)
    ref = MinHashLSH(num_perm=s.num_perm, params=candidate_params(s))
    for k, row in zip(keys, sig, strict=True):
        ref.insert(k, to_minhash(row, s))
    assert (ours.b, ours.r) == (ref.b, ref.r) == (64, 2)
    assert {k: ours.keys.get(k) for k in keys} == {k: ref.keys.get(k) for k in keys}
    for mine, theirs in zip(ours.hashtables, ref.hashtables, strict=True):
        assert dict(mine._dict) == dict(theirs._dict)
    for k, row in zip(keys, sig, strict=True):
        q = to_minhash(row, s)
        assert sorted(ours.query(q)) == sorted(ref.query(q))
        assert neighbours(ours, k) == set(ref.query(q))
    ours.remove(keys[0])
    assert keys[0] not in ours.query(to_minhash(sig[0], s))


def test_empty_index() -> None:
    lsh = build_lsh([], np.zeros((0, 128), dtype=np.uint32), DedupSettings())
    assert lsh.is_empty()


def test_band_index_gives_the_neighbours_of_minhash_lsh() -> None:
    from audit.dedup.lsh import BandIndex

    s = DedupSettings()
    rng = np.random.default_rng(9)
    base = [" ".join(f"w{x}" for x in rng.integers(0, 300, 80)) for _ in range(60)]
    texts = base + [t[: len(t) // 2] for t in base[:15]] + base[:5] + [""] * 3
    sig = signatures(texts, s)
    # small values too, so that unrelated rows also share buckets
    sig = np.vstack([sig, rng.integers(0, 3, size=(40, s.num_perm), dtype=np.uint32)])
    keys = [int(k) for k in rng.permutation(10_000)[: len(sig)]]
    ref = build_lsh(keys, sig, s)
    ours = BandIndex(keys, sig, s)
    assert (ours.b, ours.r) == (ref.b, ref.r)
    shared = 0
    for k in keys:
        assert ours.neighbours(k) == neighbours(ref, k)
        shared += len(ours.neighbours(k)) > 1
    assert shared > 50
    one = BandIndex([5], sig[:1], s)
    assert one.neighbours(5) == {5}
    assert BandIndex([], sig[:0], s).b == ref.b
