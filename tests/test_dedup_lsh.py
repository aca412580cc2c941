"""The bulk-filled MinHashLSH is the index MinHashLSH.insert builds."""

from __future__ import annotations

import itertools

import numpy as np
from datasketch import MinHashLSH

from audit.config import DedupSettings
from audit.dedup.lsh import BandIndex, build_lsh, candidate_params, neighbours
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


def _shared_sig(seed: int) -> tuple[list[int], np.ndarray]:
    """Signatures of texts with copies and of rows of small values sharing many buckets."""
    s = DedupSettings()
    rng = np.random.default_rng(seed)
    base = [" ".join(f"w{x}" for x in rng.integers(0, 300, 80)) for _ in range(50)]
    sig = signatures(base + [t[: len(t) // 2] for t in base[:12]] + base[:4], s)
    sig = np.vstack([sig, rng.integers(0, 3, size=(30, s.num_perm), dtype=np.uint32)])
    return list(range(len(sig))), sig


def test_band_index_pairs_are_the_later_neighbours_in_any_blocks() -> None:
    from audit.dedup.lsh import BandIndex

    s = DedupSettings()
    keys, sig = _shared_sig(11)
    index = BandIndex(keys, sig, s)
    expected = sorted((i, p) for i in keys for p in index.neighbours(i) if p > i)
    assert len(expected) > 100
    for limit in (1, 7, 500, 10**9):
        blocks = list(index.blocks(limit))
        assert blocks[0][0] == 0 and blocks[-1][1] == len(keys)
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(blocks))
        got = []
        for start, stop in blocks:
            firsts, seconds = index.pairs(start, stop)
            assert firsts.tolist() == sorted(firsts.tolist())
            got += list(zip(firsts.tolist(), seconds.tolist(), strict=True))
        assert got == expected


def test_near_lists_a_position_once_per_shared_bucket() -> None:
    from audit.dedup.lsh import BandIndex

    s = DedupSettings()
    sig = np.zeros((3, s.num_perm), dtype=np.uint32)
    sig[1, :2] = 5  # row 1 differs from row 0 in the first band only
    sig[2] = 9
    index = BandIndex([0, 1, 2], sig, s)
    near = index.near(0).tolist()
    assert near.count(1) == near.count(0) == index.b - 1 and 2 not in near
    assert index.near(2).tolist() == []


def test_shared_buckets_groups_wide_bands_like_machine_words() -> None:
    from audit.dedup.lsh import shared_buckets

    rng = np.random.default_rng(3)
    band = rng.integers(0, 4, size=(200, 3), dtype=np.uint32)  # 12 bytes: grouped by bytes
    members, bounds = shared_buckets(band)
    groups = {tuple(band[members[a]]): members[a:z].tolist() for a, z in itertools.pairwise(bounds)}
    rows_of: dict[tuple[int, ...], list[int]] = {}
    for i, row in enumerate(band.tolist()):
        rows_of.setdefault(tuple(row), []).append(i)
    assert groups == {k: v for k, v in rows_of.items() if len(v) > 1}
    narrow = band[:, :2]  # 8 bytes: one machine word
    members, bounds = shared_buckets(narrow)
    found = [members[a:z].tolist() for a, z in itertools.pairwise(bounds)]
    pairs: dict[tuple[int, ...], list[int]] = {}
    for i, row in enumerate(narrow.tolist()):
        pairs.setdefault(tuple(row), []).append(i)
    # buckets in the order of their band value as a machine word, rows ascending in each
    word = narrow.view(np.uint64).ravel()
    expected = sorted((v for v in pairs.values() if len(v) > 1), key=lambda v: int(word[v[0]]))
    assert found == expected
    assert shared_buckets(band[:1])[0].size == 0


def test_band_index_lists_each_positions_buckets_in_bucket_order() -> None:
    settings = DedupSettings()
    rng = np.random.default_rng(5)
    sig = rng.integers(0, 3, size=(300, settings.num_perm), dtype=np.uint32)  # many collisions
    sig[::7] = 9  # and a bucket shared by every seventh row in every band
    keys = list(range(0, 300, 2))
    index = BandIndex(keys, sig, settings, rows=keys)
    expected: list[list[int]] = [[] for _ in keys]
    for g, (lo, hi) in enumerate(zip(index._lo.tolist(), index._hi.tolist(), strict=True)):
        for position in index._members[lo:hi].tolist():
            expected[position].append(g)
    got = [index._tags[index._starts[i] : index._starts[i + 1]].tolist() for i in range(len(keys))]
    assert got == expected and sum(map(len, expected)) > len(keys)
