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
