"""The shared corpus index: datasketch's Redis storage for MinHashLSH, plus signatures in Redis.

Keys for an index named ``NAME`` (``?name=NAME`` in the URL, default ``audit``):

* ``NAME_bucket_<band>`` and ``NAME_keys`` (and the keys they point to):
  datasketch's own ``MinHashLSH`` Redis storage, with ``hashfunc=band_digest``
  and the document id (UTF-8) as key, so ``datasketch.MinHashLSH`` opened with
  the same basename and parameters reads the same buckets;
* ``NAME:meta`` (hash): format, version, signature and LSH parameters, timestamps;
* ``NAME:sig`` (hash): document id -> signature blob (little-endian);
* ``NAME:rec`` (hash): document id -> JSON ``{source, published, length, admitted_at}``;
* ``NAME:pending`` and ``NAME:lock``: the write journal and the writers' lock.

A document is visible once its signature is in ``NAME:sig``: each admit first
writes the journal, then the LSH buckets, then signatures, records, counters
and the journal's removal in one ``MULTI``/``EXEC``. A writer killed before
that leaves bucket entries without signatures, which queries ignore and the
next writer (or opener, when no writer holds the lock) rolls back from the
journal. Writers take the lock in turn.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs, quote, unquote, urlsplit

import numpy as np

from audit.config import DedupSettings
from audit.index.bands import band_digest, band_keys, band_params, key_bytes
from audit.index.base import (
    FORMAT_NAME,
    FORMAT_VERSION,
    AdmitResult,
    CorpusIndex,
    IndexError_,
    IndexMatch,
    IndexOpenError,
    IndexParams,
    IndexRecord,
    IndexStats,
    check_signatures,
    nonempty,
    now_iso,
    rank_matches,
    resolve_lengths,
    verify,
)

DEFAULT_NAME = "audit"
_NAME_RE = re.compile(r"^[A-Za-z0-9.-]{1,64}$")
_BATCH = 1000

F = TypeVar("F", bound=Callable[..., Any])


def parse_redis_url(url: str, timeout_s: float) -> tuple[dict[str, Any], str, str]:
    """Connection keywords, index name and a password-free location for a Redis URL."""
    try:
        parts = urlsplit(url)
        port = parts.port or 6379
        path = parts.path.strip("/")
        db = int(path) if path else 0
    except ValueError:
        raise IndexOpenError(f"{_redact(url)}: not a valid redis://host:port/db URL") from None
    name = parse_qs(parts.query).get("name", [DEFAULT_NAME])[0]
    if not _NAME_RE.match(name):
        raise IndexOpenError(f"{_redact(url)}: index name must be 1-64 letters, digits, '.' or '-'")
    host = parts.hostname or "localhost"
    kwargs: dict[str, Any] = {
        "host": host,
        "port": port,
        "db": db,
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
    }
    if parts.username:
        kwargs["username"] = unquote(parts.username)
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    if parts.scheme.lower() == "rediss":
        kwargs["ssl"] = True
    location = f"{parts.scheme.lower()}://{host}:{port}/{db}"
    if name != DEFAULT_NAME:
        location += f"?name={quote(name)}"
    return kwargs, name, location


def _redact(url: str) -> str:
    return re.sub(r"(://[^/@:]*:)[^@/]*@", r"\1***@", url)


def _guard(method: F) -> F:
    """Turn Redis errors into one-line IndexError_ naming the index."""

    @functools.wraps(method)
    def wrapper(self: RedisIndex, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return method(self, *args, **kwargs)
        except redis.exceptions.ResponseError as exc:
            if "WRONGTYPE" in str(exc):
                raise IndexError_(
                    f"{self.location}: keys of index '{self.name}' are not an audit corpus index"
                ) from None
            raise IndexError_(f"{self.location}: Redis refused: {exc}") from None
        except redis.exceptions.RedisError as exc:
            raise IndexError_(f"{self.location}: Redis: {exc}") from None

    return cast(F, wrapper)


class RedisIndex(CorpusIndex):
    """A corpus index in Redis, shared by CI runners (see the module docstring for the keys)."""

    backend = "redis"

    def __init__(
        self,
        url: str,
        settings: DedupSettings,
        create: bool,
        timeout_s: float = 30.0,
        lock_ttl_s: float = 600.0,
    ) -> None:
        import redis

        kwargs, name, location = parse_redis_url(url, timeout_s)
        super().__init__(location, settings)
        self.name = name
        self.timeout_s = timeout_s
        self.lock_ttl_s = lock_ttl_s
        self._kwargs = kwargs
        self._k_meta, self._k_sig, self._k_rec = f"{name}:meta", f"{name}:sig", f"{name}:rec"
        self._k_pending, self._k_lock = f"{name}:pending", f"{name}:lock"
        self._k_lsh_keys = f"{name}_keys"  # datasketch: basename + b"_keys"
        self.params: IndexParams | None = None
        self._lsh: Any = None
        self._redis = redis.Redis(**kwargs)
        try:
            self._redis.ping()
            meta = self._read_meta()
        except redis.exceptions.ResponseError as exc:
            self.close()
            if "WRONGTYPE" in str(exc):
                raise IndexOpenError(
                    f"{location}: keys of index '{name}' are not an audit corpus index"
                ) from None
            raise IndexOpenError(f"{location}: Redis refused: {exc}") from None
        except redis.exceptions.RedisError as exc:
            self.close()
            raise IndexOpenError(f"{location}: cannot reach Redis: {exc}") from None
        if not meta:
            if not create:
                self.close()
                raise IndexOpenError(
                    f"{location}: no corpus index named '{name}' here "
                    "(admit documents with --admit to create one)"
                )
        else:
            try:
                self._adopt(meta)
            except IndexOpenError:
                self.close()
                raise
        try:
            self._recover(blocking=False)
        except redis.exceptions.RedisError as exc:
            self.close()
            raise IndexOpenError(f"{location}: cannot reach Redis: {exc}") from None

    # -- meta data and LSH -----------------------------------------------------

    def _read_meta(self) -> dict[str, str]:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._k_meta))
        return {k.decode(): v.decode() for k, v in raw.items()}

    def _adopt(self, meta: dict[str, str]) -> None:
        """Check meta data and attach the LSH storage it describes."""
        loc = self.location
        if meta.get("format") != FORMAT_NAME:
            raise IndexOpenError(
                f"{loc}: keys of index '{self.name}' are not an audit corpus index"
            )
        try:
            version = int(meta.get("format_version", "0"))
            params = IndexParams.from_meta(meta)
        except (KeyError, ValueError) as exc:
            raise IndexOpenError(f"{loc}: corrupt index: bad meta data ({exc})") from None
        if version > FORMAT_VERSION:
            raise IndexOpenError(
                f"{loc}: index format {version} is newer than this audit reads ({FORMAT_VERSION})"
            )
        problem = params.incompatibility(self.settings)
        if problem:
            raise IndexOpenError(f"{loc}: {problem}; its signatures are not comparable")
        self.params = params
        self._lsh = self._make_lsh(params.bands, params.rows)

    def _make_lsh(self, bands: int, rows: int) -> Any:
        from datasketch import MinHashLSH

        return MinHashLSH(
            num_perm=self.settings.num_perm,
            params=(bands, rows),
            storage_config={
                "type": "redis",
                "basename": self.name.encode(),
                "redis": dict(self._kwargs),
            },
            prepickle=False,
            hashfunc=band_digest,
        )

    def _minhash(self, values: np.ndarray, params: IndexParams) -> Any:
        from datasketch import LeanMinHash

        return LeanMinHash(seed=params.seed, hashvalues=values, scheme=params.scheme)

    # -- locking and the journal -------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        import redis

        lock = self._redis.lock(
            self._k_lock, timeout=self.lock_ttl_s, blocking_timeout=self.timeout_s
        )
        if not lock.acquire():
            raise IndexError_(
                f"{self.location}: index busy: another run held it for more than "
                f"{self.timeout_s:g} s"
            )
        try:
            self._recover(blocking=None)
            yield
        finally:
            # held past its TTL: the work is done and the lock already gone
            with contextlib.suppress(redis.exceptions.LockError):
                lock.release()

    def _recover(self, blocking: bool | None) -> None:
        """Roll back a writer that died mid-way, from its journal.

        ``blocking=None``: the caller holds the lock; ``False``: take it only if free.
        """
        raw = self._redis.get(self._k_pending)
        if raw is None:
            return
        if blocking is False:
            lock = self._redis.lock(self._k_lock, timeout=self.lock_ttl_s)
            if not lock.acquire(blocking=False):
                return  # a live writer: its journal is in use
            try:
                self._recover(blocking=None)
            finally:
                lock.release()
            return
        journal = json.loads(raw)
        lsh = self._make_lsh(int(journal["bands"]), int(journal["rows"]))
        params = self.params or IndexParams.from_settings(self.settings)
        for start in range(0, len(journal["ids"]), _BATCH):
            ids: list[str] = journal["ids"][start : start + _BATCH]
            pipe = self._redis.pipeline(transaction=False)
            for doc_id in ids:
                pipe.hexists(self._k_lsh_keys, doc_id)  # datasketch's ``key in lsh``
            in_lsh = pipe.execute()
            blobs = cast(list[bytes | None], self._redis.hmget(self._k_sig, ids))
            for doc_id, present in zip(ids, in_lsh, strict=True):
                if present:
                    lsh.remove(doc_id.encode())
            with lsh.insertion_session(buffer_size=_BATCH) as session:
                for doc_id, blob in zip(ids, blobs, strict=True):
                    if blob is not None:
                        values = np.frombuffer(blob, dtype=params.dtype)
                        session.insert(
                            doc_id.encode(), self._minhash(values, params), check_duplication=False
                        )
        self._redis.delete(self._k_pending)

    def _journal(self, ids: list[str], params: IndexParams) -> None:
        self._redis.set(
            self._k_pending,
            json.dumps({"ids": ids, "bands": params.bands, "rows": params.rows}),
        )

    def _check_not_rebuilding(self) -> None:
        if self._redis.hget(self._k_meta, "rebuilding"):
            raise IndexError_(
                f"{self.location}: a rebuild is running or was interrupted; "
                "run `audit index rebuild` to finish it"
            )

    # -- the interface ---------------------------------------------------------

    @_guard
    def query(
        self,
        doc_ids: Sequence[str],
        signatures: np.ndarray,
        lengths: Sequence[int | None] | np.ndarray | None = None,
    ) -> list[IndexMatch]:
        """See :meth:`CorpusIndex.query`."""
        params = self.params or IndexParams.from_settings(self.settings)
        sig = check_signatures(signatures, len(doc_ids), params)
        if self.params is None or not len(doc_ids):
            return []
        self._check_not_rebuilding()
        qi = np.nonzero(nonempty(sig, params))[0]
        if not len(qi):
            return []
        keys = band_keys(sig[qi], params.bands, params.rows, params.width)
        pairs: set[tuple[int, bytes]] = set()
        for band, table in enumerate(self._lsh.hashtables):
            found = table.getmany(*[key_bytes(k) for k in keys[:, band]])
            for q, members in zip(qi.tolist(), found, strict=True):
                pairs.update((q, m) for m in members)
        if not pairs:
            return []
        members = sorted({m for _, m in pairs})
        pipe = self._redis.pipeline(transaction=True)
        pipe.hmget(self._k_sig, members)
        pipe.hmget(self._k_rec, members)
        blobs, recs = pipe.execute()
        originals = {
            m: (m.decode(), blob, json.loads(rec))
            for m, blob, rec in zip(members, blobs, recs, strict=True)
            if blob is not None and rec is not None
        }
        kept = sorted((q, m) for q, m in pairs if m in originals)
        if not kept:
            return []
        q_idx = np.array([q for q, _ in kept])
        rows = [originals[m] for _, m in kept]
        c_sigs = np.stack([np.frombuffer(r[1], dtype=params.dtype) for r in rows]).astype(np.uint64)
        c_len = np.array([float(r[2].get("length") or 1) for r in rows])
        q_len = resolve_lengths(sig, lengths, params)[q_idx]
        keep, jac, con = verify(sig[q_idx], q_len, c_sigs, c_len, self.settings)
        matches = [
            IndexMatch(
                doc_id=doc_ids[int(q_idx[i])],
                original=rows[i][0],
                jaccard=float(jac[i]),
                containment=float(con[i]),
                original_source=rows[i][2].get("source"),
                original_published=rows[i][2].get("published"),
                admitted_at=rows[i][2].get("admitted_at"),
            )
            for i in np.nonzero(keep)[0]
        ]
        return rank_matches(matches)

    @_guard
    def admit(self, records: Sequence[IndexRecord], signatures: np.ndarray) -> AdmitResult:
        """See :meth:`CorpusIndex.admit`: journal, buckets, then one MULTI/EXEC commit."""
        params = self.params or IndexParams.from_settings(self.settings)
        sig = check_signatures(signatures, len(records), params)
        if not records:
            return AdmitResult(0, 0, self._count())
        last = {r.doc_id: i for i, r in enumerate(records)}
        keep = sorted(last.values())
        records = [records[i] for i in keep]
        sig = sig[keep]
        with self._locked():
            meta = self._read_meta()
            new_meta: dict[Any, Any] = {}
            if meta:
                self._adopt(meta)
                self._check_not_rebuilding()
            else:
                new_meta = {
                    "format": FORMAT_NAME,
                    "format_version": str(FORMAT_VERSION),
                    "created_at": now_iso(),
                    **params.to_meta(),
                }
                self.params = params
                self._lsh = self._make_lsh(params.bands, params.rows)
            p = self.params
            assert p is not None
            ids = [r.doc_id for r in records]
            self._journal(ids, p)
            present = [
                d for d, v in zip(ids, self._redis.hmget(self._k_sig, ids), strict=True) if v
            ]
            for doc_id in present:
                if doc_id.encode() in self._lsh:
                    self._lsh.remove(doc_id.encode())
            mask = nonempty(sig, p)
            with self._lsh.insertion_session(buffer_size=_BATCH) as session:
                for i in np.nonzero(mask)[0]:
                    session.insert(
                        ids[i].encode(), self._minhash(sig[i], p), check_duplication=False
                    )
            lengths = resolve_lengths(sig, [r.length for r in records], p)
            stamp = now_iso()
            pipe = self._redis.pipeline(transaction=True)
            if new_meta:
                pipe.hset(self._k_meta, mapping=new_meta)
            for start in range(0, len(records), _BATCH):
                part = range(start, min(start + _BATCH, len(records)))
                pipe.hset(
                    self._k_sig, mapping={ids[i]: sig[i].astype(p.dtype).tobytes() for i in part}
                )
                pipe.hset(
                    self._k_rec,
                    mapping={
                        ids[i]: json.dumps(
                            {
                                "source": records[i].source,
                                "published": records[i].published,
                                "length": round(float(lengths[i])),
                                "admitted_at": stamp,
                            }
                        )
                        for i in part
                    },
                )
            pipe.hset(self._k_meta, "last_admit_at", stamp)
            pipe.delete(self._k_pending)
            pipe.hlen(self._k_sig)
            count = int(pipe.execute()[-1])
        return AdmitResult(
            added=len(records) - len(present), replaced=len(present), documents=count
        )

    @_guard
    def remove(self, doc_ids: Iterable[str]) -> list[str]:
        """See :meth:`CorpusIndex.remove`."""
        wanted = list(dict.fromkeys(doc_ids))
        if self.params is None or not wanted:
            return []
        with self._locked():
            present = [
                d for d, v in zip(wanted, self._redis.hmget(self._k_sig, wanted), strict=True) if v
            ]
            if not present:
                return []
            self._journal(present, self.params)
            pipe = self._redis.pipeline(transaction=True)
            pipe.hdel(self._k_sig, *present)
            pipe.hdel(self._k_rec, *present)
            pipe.execute()
            for doc_id in present:
                if doc_id.encode() in self._lsh:
                    self._lsh.remove(doc_id.encode())
            self._redis.delete(self._k_pending)
        return present

    @_guard
    def stats(self) -> IndexStats:
        """See :meth:`CorpusIndex.stats`."""
        meta = self._read_meta()
        params = self.params or IndexParams.from_settings(self.settings)
        if meta.get("bands"):
            params = IndexParams.from_meta(meta)
        return IndexStats(
            location=self.location,
            backend=self.backend,
            exists=bool(meta),
            documents=int(self._redis.hlen(self._k_sig)),
            format_version=int(meta.get("format_version", FORMAT_VERSION)),
            num_perm=params.num_perm,
            seed=params.seed,
            scheme=params.scheme,
            shingle_size=params.shingle_size,
            bands=params.bands,
            rows=params.rows,
            threshold=params.threshold,
            created_at=meta.get("created_at"),
            last_admit_at=meta.get("last_admit_at"),
            size_bytes=None,
        )

    @_guard
    def rebuild(self) -> IndexStats:
        """See :meth:`CorpusIndex.rebuild`: re-bands every signature and drops stray buckets."""
        if self.params is None:
            raise IndexError_(f"{self.location}: no corpus index to rebuild")
        with self._locked():
            self._redis.hset(self._k_meta, "rebuilding", "1")
            for pattern in (f"{self.name}_bucket_*", f"{self.name}_keys*"):
                batch: list[bytes] = []
                for key in self._redis.scan_iter(match=pattern, count=1000):
                    batch.append(key)
                    if len(batch) >= _BATCH:
                        self._redis.delete(*batch)
                        batch = []
                if batch:
                    self._redis.delete(*batch)
            b, r = band_params(self.settings.threshold, self.settings.num_perm)
            self.params = dataclasses.replace(
                self.params, bands=b, rows=r, threshold=self.settings.threshold
            )
            p = self.params
            self._lsh = self._make_lsh(b, r)
            with self._lsh.insertion_session(buffer_size=_BATCH) as session:
                for doc_id, blob in self._redis.hscan_iter(self._k_sig, count=1000):
                    values = np.frombuffer(blob, dtype=p.dtype).astype(np.uint64)
                    if nonempty(values[None, :], p)[0]:
                        session.insert(doc_id, self._minhash(values, p), check_duplication=False)
            meta: dict[Any, Any] = p.to_meta()
            self._redis.hset(self._k_meta, mapping=meta)
            self._redis.hdel(self._k_meta, "rebuilding")
        return self.stats()

    def close(self) -> None:
        """See :meth:`CorpusIndex.close`."""
        self._redis.close()
        self._lsh = None

    def _count(self) -> int:
        return int(self._redis.hlen(self._k_sig)) if self.params is not None else 0
