"""A datasketch ``MinHashLSH`` filled from a signature matrix in bulk.

``MinHashLSH.insert`` slices, byte-swaps and copies every band of every
MinHash in Python, which makes filling an index with a million signatures take
minutes. :func:`build_lsh` computes all band keys with one numpy byte swap and
writes them through the index's own storage API, giving the index
``MinHashLSH.insert`` would build (same keys, same buckets, same queries).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np

from audit.config import DedupSettings
from audit.dedup.minhash import lsh_params, to_minhash
from audit.dedup.verify import sorted_unique


def candidate_params(settings: DedupSettings) -> tuple[int, int]:
    """Bands and rows for in-batch candidates (``candidate_threshold``, weighted for recall)."""
    w = settings.lsh_recall_weight
    return lsh_params(settings.candidate_threshold, settings.num_perm, (1.0 - w, w))


def build_lsh(keys: list[int], signatures: np.ndarray, settings: DedupSettings) -> Any:
    """A ``MinHashLSH`` holding ``signatures[i]`` under ``keys[i]`` (bands: candidate_params).

    Args:
        keys: one distinct key per row of ``signatures``.
        signatures: ``len(keys) x num_perm`` uint32 values (scheme ``affine32``).
        settings: ``num_perm``, ``seed`` and the candidate LSH settings.
    """
    from datasketch import MinHashLSH

    bands, rows = candidate_params(settings)
    lsh = MinHashLSH(num_perm=settings.num_perm, params=(bands, rows))
    if not keys:
        return lsh
    # register the permutation scheme the way the first insert does
    lsh.insert(keys[0], to_minhash(signatures[0], settings))
    width = bands * rows
    # band key = the band's values byte-swapped, as MinHashLSH._byteswap makes it
    swapped = np.ascontiguousarray(signatures[1:, :width], dtype=np.uint32).byteswap()
    raw = swapped.tobytes()
    step = rows * 4
    per_doc = width * 4
    # the in-memory storages are defaultdicts (of sets for buckets, of lists for keys);
    # writing to them directly skips a method call per band (the storage API otherwise)
    tables = [getattr(t, "_dict", None) for t in lsh.hashtables]
    direct = all(isinstance(t, defaultdict) for t in tables)
    # millions of new bucket sets would set off the cyclic garbage collector again and again
    paused = gc.isenabled()
    gc.disable()
    try:
        _fill(lsh, keys[1:], raw, per_doc, step, tables if direct else None)
    finally:
        if paused:
            gc.enable()
    return lsh


def _fill(
    lsh: Any,
    keys: list[int],
    raw: bytes,
    per_doc: int,
    step: int,
    buckets: list[Any] | None,
) -> None:
    """Add each key's band keys to the index (straight into the bucket dicts when given)."""
    for i, key in enumerate(keys):
        base = i * per_doc
        band_keys = [raw[o : o + step] for o in range(base, base + per_doc, step)]
        lsh.keys.insert(key, *band_keys)
        if buckets is not None:
            for band_key, bucket in zip(band_keys, buckets, strict=True):
                bucket[band_key].add(key)
        else:
            for band_key, table in zip(band_keys, lsh.hashtables, strict=True):
                table.insert(band_key, key)


def neighbours(lsh: Any, key: int) -> set[int]:
    """The keys sharing a bucket with ``key`` (itself included): ``lsh.query`` of its own sketch.

    Uses the band keys the index keeps for ``key`` instead of recomputing them.
    """
    out: set[int] = set()
    for band_key, table in zip(lsh.keys.get(key), lsh.hashtables, strict=True):
        out.update(table.get(band_key))
    return out


class BandIndex:
    """The buckets of ``MinHashLSH`` (same bands, same keys), built by sorting band keys.

    A datasketch index keeps a Python bytes key, a set and a dict entry per band
    and document: with the in-batch candidate setting (64 bands of 2 rows) that is
    about 24 KB per document. Here each band's values are sorted with numpy and only
    the buckets that hold more than one document are kept, as arrays: memory grows
    with the documents that share a bucket, not with the batch, and the same
    :meth:`neighbours` come out as :func:`neighbours` gives for the datasketch index.
    :meth:`near` gives them as positions in one numpy gather, which is what a
    batch whose documents share many buckets needs. The bands are independent, so
    ``map_bands`` (an engine's ``map``) may sort them elsewhere, e.g. as Dask tasks.

    ``rows`` names the rows of ``signatures`` that hold the keys' signatures (in
    the order of ``keys``) when it is a larger matrix.

    Example:
        >>> s = DedupSettings()
        >>> sig = np.zeros((3, s.num_perm), dtype=np.uint32)
        >>> sig[2] = 7
        >>> sorted(BandIndex([10, 11, 12], sig, s).neighbours(10))
        [10, 11]
        >>> sorted(BandIndex([20, 21], sig, s, rows=[2, 0]).neighbours(20))
        [20]
    """

    def __init__(
        self,
        keys: list[int],
        signatures: np.ndarray,
        settings: DedupSettings,
        map_bands: Any = None,
        rows: np.ndarray | list[int] | None = None,
    ) -> None:
        self.b, self.r = candidate_params(settings)
        self.keys = np.asarray(keys, dtype=np.int64)
        self._row: dict[int, int] | None = None  # key -> position, made when first asked
        n = len(keys)
        r = self.r
        # a band at a time (no copy of the whole matrix): the band's column of every row
        # first (a sequential read), then the keys' rows, which in canonical order are
        # scattered and would each cost a trip to memory
        picked = slice(None) if rows is None else np.asarray(rows, dtype=np.int64)
        bands = (
            np.ascontiguousarray(signatures[:, j * r : (j + 1) * r], dtype=np.uint32)[picked]
            for j in range(self.b)
        )
        mapper = map_bands or (lambda fn, items, ctx: (fn(x, ctx) for x in items))
        # positions are held once per (document, shared band): 4 bytes each when they fit
        wide = n * self.b >= np.iinfo(np.int32).max
        pos_type: type[np.signedinteger[Any]] = np.int64 if wide else np.int32
        # all bands' shared buckets in one array: bucket g holds members[lo[g]:hi[g]]
        members: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        offset = 0
        for band_members, bounds in mapper(shared_buckets, bands, None):
            members.append(band_members.astype(pos_type, copy=False))
            starts.append((bounds + offset).astype(np.int64, copy=False))
            offset += len(band_members)
        empty = np.zeros(0, dtype=pos_type)
        self._members = np.concatenate(members) if members else empty
        members.clear()
        self._lo = np.concatenate([s[:-1] for s in starts]) if starts else empty.astype(np.int64)
        self._hi = np.concatenate([s[1:] for s in starts]) if starts else empty.astype(np.int64)
        band_buckets = [len(s) - 1 for s in starts]
        starts.clear()
        self._starts, self._tags = self._by_position(n, band_buckets, pos_type)

    def _by_position(
        self, n: int, band_buckets: list[int], pos_type: type[np.signedinteger[Any]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The shared buckets of each position, grouped by position, in bucket order.

        A counting sort, a band at a time: a position is in at most one bucket of a
        band, so each band's entries go to distinct slots in one vectorized step, and
        the bands (numbered in order) fill each position's slots in bucket order. No
        array of the size of all entries is made but the result.
        """
        counts = np.bincount(self._members, minlength=n)
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        del counts
        tags = np.empty(len(self._members), dtype=pos_type)
        filled = starts[:-1].copy()  # the next free slot of each position
        sizes = self._hi - self._lo
        first = 0
        for count in band_buckets:
            if count:
                lo, hi = int(self._lo[first]), int(self._hi[first + count - 1])
                where = self._members[lo:hi]
                bucket = np.arange(first, first + count, dtype=pos_type)
                tags[filled[where]] = np.repeat(bucket, sizes[first : first + count])
                filled[where] += 1
            first += count
        return starts, tags

    def near(self, i: int) -> np.ndarray:
        """Positions (in ``keys``) sharing a bucket with position ``i``, itself included.

        A position appears once per bucket it shares with ``i``; empty when ``i`` shares none.
        """
        return self._gather(self._tags[self._starts[i] : self._starts[i + 1]])[0]

    def blocks(self, limit: int) -> Iterator[tuple[int, int]]:
        """Consecutive position ranges ``[start, stop)`` whose buckets hold about ``limit``
        members between them (a range holds at least one position), covering all positions."""
        n = len(self.keys)
        per_entry = (self._hi - self._lo)[self._tags]
        load = np.zeros(len(per_entry) + 1, dtype=np.int64)
        np.cumsum(per_entry, out=load[1:])
        load = load[self._starts]  # members reached by the positions before each one
        start = 0
        while start < n:
            stop = int(np.searchsorted(load, load[start] + limit, side="right")) - 1
            stop = min(max(stop, start + 1), n)
            yield start, stop
            start = stop

    def pairs(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """The distinct position pairs ``(i, p)`` with ``start <= i < stop`` and ``i < p``
        sharing a bucket, sorted by ``i`` then ``p`` (two int64 arrays)."""
        n = len(self.keys)
        a, z = int(self._starts[start]), int(self._starts[stop])
        other, lengths = self._gather(self._tags[a:z])
        other = other.astype(np.int64)
        per_position = np.diff(self._starts[start : stop + 1])
        owner = np.repeat(np.repeat(np.arange(start, stop, dtype=np.int64), per_position), lengths)
        later = other > owner
        key = sorted_unique(owner[later] * n + other[later])
        return key // n, key % n

    def _gather(self, buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The members of ``buckets``, one bucket after the other, and each bucket's size."""
        lo, hi = self._lo[buckets], self._hi[buckets]
        lengths = hi - lo
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        at = np.arange(total, dtype=np.int64) + np.repeat(lo - ends + lengths, lengths)
        return self._members[at], lengths

    def neighbours(self, key: int) -> set[int]:
        """The keys sharing a bucket with ``key`` (itself included)."""
        if self._row is None:
            self._row = {int(k): i for i, k in enumerate(self.keys.tolist())}
        found = self.near(self._row[int(key)])
        return {int(key), *self.keys[found].tolist()}


def shared_buckets(band: np.ndarray, _: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``band`` (an ``n x r`` array) whose values other rows share, grouped:
    ``members[bounds[k]:bounds[k + 1]]`` are the rows of the k-th shared bucket."""
    n = len(band)
    none = np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    if n < 2:
        return none
    width = band.dtype.itemsize * band.shape[1]
    machine = {8: np.uint64, 4: np.uint32, 2: np.uint16, 1: np.uint8}.get(width)
    if machine is None:  # a band wider than a machine word: group by its bytes
        packed = np.ascontiguousarray(band).view(np.dtype((np.void, width)))
        _, key = np.unique(packed.ravel(), return_inverse=True)
        key = key.ravel()
    else:
        key = np.ascontiguousarray(band).view(machine).ravel()
    order = np.argsort(key)  # groups equal values; the rows are put in order below
    ordered = key[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    del ordered
    sizes = np.diff(np.append(starts, n))
    shared = sizes > 1
    if not shared.any():
        return none
    kept = sizes[shared]
    # rows ascending within each bucket: sort (bucket, row) as one integer
    bucket = np.repeat(np.arange(len(kept), dtype=np.int64), kept)
    members = np.sort(bucket * n + order[np.repeat(shared, sizes)]) % n
    bounds = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(kept, out=bounds[1:])
    return members, bounds
