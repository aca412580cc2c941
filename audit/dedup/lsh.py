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
from typing import Any

import numpy as np

from audit.config import DedupSettings
from audit.dedup.minhash import lsh_params, to_minhash


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
    The bands are independent, so ``map_bands`` (an engine's ``map``) may sort them
    elsewhere, e.g. as Dask tasks.

    Example:
        >>> s = DedupSettings()
        >>> sig = np.zeros((3, s.num_perm), dtype=np.uint32)
        >>> sig[2] = 7
        >>> sorted(BandIndex([10, 11, 12], sig, s).neighbours(10))
        [10, 11]
    """

    def __init__(
        self,
        keys: list[int],
        signatures: np.ndarray,
        settings: DedupSettings,
        map_bands: Any = None,
    ) -> None:
        self.b, self.r = candidate_params(settings)
        self.keys = np.asarray(keys, dtype=np.int64)
        self._row = {int(k): i for i, k in enumerate(keys)}
        n = len(keys)
        sig = np.ascontiguousarray(signatures[:, : self.b * self.r], dtype=np.uint32)
        bands = (sig[:, j * self.r : (j + 1) * self.r] for j in range(self.b))
        mapper = map_bands or (lambda fn, items, ctx: (fn(x, ctx) for x in items))
        # per band: rows in shared buckets, grouped by bucket, and the groups' bounds
        self._members: list[np.ndarray] = []
        self._bounds: list[np.ndarray] = []
        bucket_of: list[np.ndarray] = []
        # rows and tags are held once per (document, shared band): 4 bytes each when they fit
        wide = n * self.b >= np.iinfo(np.int32).max
        tag_type: type[np.signedinteger[Any]] = np.int64 if wide else np.int32
        for j, (members, bounds) in enumerate(mapper(shared_buckets, bands, None)):
            self._members.append(members.astype(tag_type, copy=False))
            self._bounds.append(bounds)
            sizes = np.diff(bounds)
            buckets = np.repeat(np.arange(len(sizes), dtype=tag_type), sizes)
            bucket_of.append((buckets * self.b + j).astype(tag_type, copy=False))
        empty = np.zeros(0, dtype=tag_type)
        tags = np.concatenate(bucket_of) if bucket_of else empty
        bucket_of.clear()
        rows = np.concatenate(self._members) if self._members else empty
        order = np.argsort(rows, kind="stable")
        self._starts = np.searchsorted(rows[order], np.arange(n + 1))
        del rows
        self._tags = tags[order]  # bucket * b + band, grouped by row

    def neighbours(self, key: int) -> set[int]:
        """The keys sharing a bucket with ``key`` (itself included)."""
        i = self._row[int(key)]
        out = {int(key)}
        a, z = self._starts[i], self._starts[i + 1]
        for tag in self._tags[a:z].tolist():
            bucket, band = divmod(tag, self.b)
            bounds = self._bounds[band]
            rows = self._members[band][bounds[bucket] : bounds[bucket + 1]]
            out.update(self.keys[rows].tolist())
        return out


def shared_buckets(band: np.ndarray, _: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``band`` (an ``n x r`` array) whose values other rows share, grouped:
    ``members[bounds[k]:bounds[k + 1]]`` are the rows of the k-th shared bucket."""
    n = len(band)
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    packed = np.ascontiguousarray(band).view(
        np.dtype((np.void, band.dtype.itemsize * band.shape[1]))
    )
    _, inverse, counts = np.unique(packed.ravel(), return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    shared = np.flatnonzero(counts[inverse] > 1)
    if not len(shared):
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    order = np.argsort(inverse[shared], kind="stable")
    members = shared[order].astype(np.int64)
    groups = inverse[members]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    return members, np.r_[starts, len(members)].astype(np.int64)
