"""The embedded corpus index: one SQLite file in WAL mode.

Schema (format version 1):

* ``meta(key, value)``: format name and version, the signature parameters
  (num_perm, seed, scheme, shingle_size), the LSH parameters (bands, rows,
  threshold), the document count and timestamps.
* ``docs(id, doc_id, source, published, length, admitted_at, signature)``: one
  row per admitted document; ``signature`` is the hash values as a little-endian
  blob of the scheme's width.
* ``bands(band, key, doc)``: one row per band of every non-empty signature,
  the primary key (band, key, doc) serving candidate lookups.

Every admit, remove and rebuild is one ``BEGIN IMMEDIATE`` transaction: a
process killed in the middle leaves the file as it was, and a second writer
waits (up to ``timeout_s``) for the first.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np

from audit.config import DedupSettings
from audit.index.bands import band_keys, band_params
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

SQLITE_MAGIC = b"SQLite format 3\x00"
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit
_REBUILD_CHUNK = 50_000

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS docs ("
    " id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, source TEXT, published TEXT,"
    " length INTEGER NOT NULL, admitted_at TEXT NOT NULL, signature BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bands ("
    " band INTEGER NOT NULL, key INTEGER NOT NULL, doc INTEGER NOT NULL,"
    " PRIMARY KEY (band, key, doc)) WITHOUT ROWID",
)

F = TypeVar("F", bound=Callable[..., Any])


def _one_line(said: object) -> str:
    """SQLite's message (an exception, a check's report) on one line: some span several."""
    return " ".join(str(said).split()) or type(said).__name__


def _guard(method: F) -> F:
    """Turn SQLite errors into one-line IndexError_ naming the index."""

    @functools.wraps(method)
    def wrapper(self: SQLiteIndex, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            return method(self, *args, **kwargs)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                if time.monotonic() - started >= self.timeout_s:
                    raise IndexError_(
                        f"{self.location}: index busy: another run held it for more than "
                        f"{self.timeout_s:g} s"
                    ) from None
                # SQLite gave up without its busy wait (a lock it cannot wait for)
                raise IndexError_(f"{self.location}: index busy: {_one_line(exc)}") from None
            raise IndexError_(f"{self.location}: cannot use the index: {_one_line(exc)}") from None
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{self.location}: corrupt index: {_one_line(exc)}") from None
        except OSError as exc:
            raise IndexError_(f"{self.location}: {exc.strerror or exc}") from None

    return cast(F, wrapper)


class SQLiteIndex(CorpusIndex):
    """A corpus index in one SQLite file (see the module docstring for the schema)."""

    backend = "sqlite"

    def __init__(
        self, path: str | Path, settings: DedupSettings, create: bool, timeout_s: float = 30.0
    ) -> None:
        super().__init__(str(path), settings)
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._conn: sqlite3.Connection | None = None
        self.params: IndexParams | None = None
        self._open(create)

    # -- opening -------------------------------------------------------------

    def _open(self, create: bool) -> None:
        loc = self.location
        try:
            if self.path.is_dir():
                raise IndexOpenError(f"{loc}: is a folder, not a corpus index")
            exists = self.path.is_file() and self.path.stat().st_size > 0
            if not exists:
                if not create:
                    raise IndexOpenError(
                        f"{loc}: no corpus index here (admit documents with --admit to create one)"
                    )
                if not self.path.parent.is_dir():
                    raise IndexOpenError(f"{loc}: folder {self.path.parent} does not exist")
                return  # the file is made by the first admit, so a failed run leaves no trace
            with self.path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise IndexOpenError(f"{loc}: cannot read: {exc.strerror or exc}") from None
        if head != SQLITE_MAGIC:
            raise IndexOpenError(f"{loc}: not an audit corpus index (not a SQLite database)")
        try:
            self._connect()
            assert self._conn is not None
            if self._is_blank(self._conn):
                # left by a first admit that never committed: no index yet
                if not create:
                    raise IndexOpenError(
                        f"{loc}: no corpus index here (admit documents with --admit to create one)"
                    )
                return
            self._load_meta(self._conn)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise IndexOpenError(f"{loc}: corrupt index: {_one_line(exc)}") from None
        except IndexOpenError:
            self.close()
            raise

    def _connect(self) -> None:
        conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
        try:
            self._set_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("PRAGMA temp_store=MEMORY")
        except sqlite3.DatabaseError:
            conn.close()
            raise
        self._conn = conn

    def _set_wal(self, conn: sqlite3.Connection) -> None:
        """Switch to WAL, waiting (up to ``timeout_s``) while another run creates the file."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                # SQLite answers "locked" at once here, without its busy wait, when a
                # second run switches a new file to WAL while the first one writes it
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    @staticmethod
    def _is_blank(conn: sqlite3.Connection) -> bool:
        return conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0

    def _load_meta(self, conn: sqlite3.Connection) -> None:
        loc = self.location
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"meta", "docs", "bands"} <= tables:
            raise IndexOpenError(f"{loc}: a SQLite database, but not an audit corpus index")
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT_NAME:
            raise IndexOpenError(f"{loc}: a SQLite database, but not an audit corpus index")
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

    # -- transactions --------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self._conn is None:
            self._connect()
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _read(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        for statement in _SCHEMA:
            conn.execute(statement)
        meta = {
            "format": FORMAT_NAME,
            "format_version": str(FORMAT_VERSION),
            "created_at": now_iso(),
            "documents": "0",
            **IndexParams.from_settings(self.settings).to_meta(),
        }
        conn.executemany("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", meta.items())

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
        if self._conn is None or self.params is None or not len(doc_ids):
            return []
        mask = nonempty(sig, params)
        qi = np.nonzero(mask)[0]
        if not len(qi):
            return []
        keys = band_keys(sig[qi], params.bands, params.rows, params.width)
        rows = zip(
            np.repeat(qi, params.bands).tolist(),
            np.tile(np.arange(params.bands), len(qi)).tolist(),
            keys.ravel().tolist(),
            strict=True,
        )
        conn = self._conn
        with self._read(conn):
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS q (qi INTEGER, band INTEGER, key INTEGER)"
            )
            conn.execute("DELETE FROM temp.q")
            conn.executemany("INSERT INTO temp.q VALUES (?, ?, ?)", rows)
            pairs = conn.execute(
                "SELECT DISTINCT q.qi, b.doc FROM temp.q AS q CROSS JOIN bands AS b"
                " ON b.band = q.band AND b.key = q.key"
            ).fetchall()
            conn.execute("DELETE FROM temp.q")
            originals = self._fetch_docs(conn, sorted({d for _, d in pairs}))
        pairs = [(q, d) for q, d in pairs if d in originals]
        if not pairs:
            return []
        q_idx = np.array([q for q, _ in pairs])
        c_rows = [originals[d] for _, d in pairs]
        c_sigs = np.stack([np.frombuffer(r[5], dtype=params.dtype) for r in c_rows]).astype(
            np.uint64
        )
        c_len = np.array([r[3] for r in c_rows], dtype=np.float64)
        q_len = resolve_lengths(sig, lengths, params)[q_idx]
        keep, jac, con = verify(sig[q_idx], q_len, c_sigs, c_len, self.settings)
        matches = [
            IndexMatch(
                doc_id=doc_ids[int(q_idx[i])],
                original=c_rows[i][0],
                jaccard=float(jac[i]),
                containment=float(con[i]),
                original_source=c_rows[i][1],
                original_published=c_rows[i][2],
                admitted_at=c_rows[i][4],
            )
            for i in np.nonzero(keep)[0]
        ]
        return rank_matches(matches)

    def _fetch_docs(self, conn: sqlite3.Connection, ids: list[int]) -> dict[int, tuple[Any, ...]]:
        out: dict[int, tuple[Any, ...]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                "SELECT id, doc_id, source, published, length, admitted_at, signature"
                f" FROM docs WHERE id IN ({marks})",
                chunk,
            ):
                out[row[0]] = row[1:]
        return out

    def _existing(self, conn: sqlite3.Connection, doc_ids: list[str]) -> list[tuple[int, bytes]]:
        found: list[tuple[int, bytes]] = []
        for start in range(0, len(doc_ids), _CHUNK):
            chunk = doc_ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found.extend(
                conn.execute(f"SELECT id, signature FROM docs WHERE doc_id IN ({marks})", chunk)
            )
        return found

    def _delete(self, conn: sqlite3.Connection, rows: list[tuple[int, bytes]]) -> None:
        """Delete docs rows and their band rows (keys recomputed from the stored signatures)."""
        if not rows:
            return
        assert self.params is not None
        p = self.params
        sigs = np.stack([np.frombuffer(s, dtype=p.dtype) for _, s in rows]).astype(np.uint64)
        ids = np.array([i for i, _ in rows], dtype=np.int64)
        keys = band_keys(sigs, p.bands, p.rows, p.width)
        conn.executemany(
            "DELETE FROM bands WHERE band = ? AND key = ? AND doc = ?",
            zip(
                np.tile(np.arange(p.bands), len(ids)).tolist(),
                keys.ravel().tolist(),
                np.repeat(ids, p.bands).tolist(),
                strict=True,
            ),
        )
        conn.executemany("DELETE FROM docs WHERE id = ?", [(int(i),) for i in ids])

    def _insert_bands(self, conn: sqlite3.Connection, ids: np.ndarray, sigs: np.ndarray) -> None:
        assert self.params is not None
        p = self.params
        mask = nonempty(sigs, p)
        ids, sigs = ids[mask], sigs[mask]
        if not len(ids):
            return
        keys = band_keys(sigs, p.bands, p.rows, p.width).ravel()
        band = np.tile(np.arange(p.bands), len(ids))
        doc = np.repeat(ids, p.bands)
        order = np.lexsort((doc, keys, band))  # insert in key order: B-tree friendly
        conn.executemany(
            "INSERT OR IGNORE INTO bands(band, key, doc) VALUES (?, ?, ?)",
            zip(band[order].tolist(), keys[order].tolist(), doc[order].tolist(), strict=True),
        )

    @_guard
    def admit(self, records: Sequence[IndexRecord], signatures: np.ndarray) -> AdmitResult:
        """See :meth:`CorpusIndex.admit`: one transaction; an id already present is replaced."""
        params = self.params or IndexParams.from_settings(self.settings)
        sig = check_signatures(signatures, len(records), params)
        if not records:
            return AdmitResult(0, 0, self._count())
        last: dict[str, int] = {r.doc_id: i for i, r in enumerate(records)}
        keep = sorted(last.values())
        records = [records[i] for i in keep]
        sig = sig[keep]
        with self._write() as conn:
            if self.params is None:
                self._create_schema(conn)
                self._load_meta(conn)
            assert self.params is not None
            p = self.params
            old = self._existing(conn, [r.doc_id for r in records])
            self._delete(conn, old)
            (top,) = conn.execute("SELECT COALESCE(MAX(id), 0) FROM docs").fetchone()
            ids = np.arange(top + 1, top + 1 + len(records), dtype=np.int64)
            lengths = resolve_lengths(sig, [r.length for r in records], p)
            stamp = now_iso()
            conn.executemany(
                "INSERT INTO docs(id, doc_id, source, published, length, admitted_at, signature)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        int(ids[i]),
                        r.doc_id,
                        r.source,
                        r.published,
                        round(float(lengths[i])),
                        stamp,
                        sig[i].astype(p.dtype).tobytes(),
                    )
                    for i, r in enumerate(records)
                ),
            )
            self._insert_bands(conn, ids, sig)
            count = int(self._meta_value(conn, "documents", "0")) + len(records) - len(old)
            self._set_meta(conn, {"documents": str(count), "last_admit_at": stamp})
        return AdmitResult(added=len(records) - len(old), replaced=len(old), documents=count)

    @_guard
    def remove(self, doc_ids: Iterable[str]) -> list[str]:
        """See :meth:`CorpusIndex.remove`."""
        wanted = list(dict.fromkeys(doc_ids))
        if self._conn is None or self.params is None or not wanted:
            return []
        with self._write() as conn:
            present: list[str] = []
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                present.extend(
                    r[0]
                    for r in conn.execute(
                        f"SELECT doc_id FROM docs WHERE doc_id IN ({marks})", chunk
                    )
                )
            old = self._existing(conn, present)
            self._delete(conn, old)
            count = int(self._meta_value(conn, "documents", "0")) - len(old)
            self._set_meta(conn, {"documents": str(count)})
        found = set(present)
        return [d for d in wanted if d in found]

    @_guard
    def stats(self) -> IndexStats:
        """See :meth:`CorpusIndex.stats`."""
        params = self.params or IndexParams.from_settings(self.settings)
        meta: dict[str, str] = {}
        if self._conn is not None and self.params is not None:
            meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        size = None
        if self.path.is_file():
            wal = Path(f"{self.path}-wal")
            size = self.path.stat().st_size + (wal.stat().st_size if wal.is_file() else 0)
        return IndexStats(
            location=self.location,
            backend=self.backend,
            exists=bool(meta),
            documents=int(meta.get("documents", 0)),
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
            size_bytes=size,
        )

    @_guard
    def rebuild(self) -> IndexStats:
        """See :meth:`CorpusIndex.rebuild`: checks integrity, re-bands, counts, vacuums."""
        if self._conn is None or self.params is None:
            raise IndexError_(f"{self.location}: no corpus index to rebuild")
        conn = self._conn
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise IndexError_(f"{self.location}: corrupt index: {_one_line(check)}")
        b, r = band_params(self.settings.threshold, self.settings.num_perm)
        with self._write() as conn:
            conn.execute("DROP TABLE bands")
            conn.execute(_SCHEMA[2])
            self._set_meta(
                conn, {"bands": str(b), "rows": str(r), "threshold": str(self.settings.threshold)}
            )
            self._load_meta(conn)
            p = self.params
            last = 0
            while True:
                rows = conn.execute(
                    "SELECT id, signature FROM docs WHERE id > ? ORDER BY id LIMIT ?",
                    (last, _REBUILD_CHUNK),
                ).fetchall()
                if not rows:
                    break
                ids = np.array([i for i, _ in rows], dtype=np.int64)
                sigs = np.stack([np.frombuffer(s, dtype=p.dtype) for _, s in rows])
                self._insert_bands(conn, ids, sigs.astype(np.uint64))
                last = int(ids[-1])
            (count,) = conn.execute("SELECT COUNT(*) FROM docs").fetchone()
            self._set_meta(conn, {"documents": str(count)})
        conn.execute("VACUUM")
        conn.execute("ANALYZE")
        return self.stats()

    def close(self) -> None:
        """See :meth:`CorpusIndex.close`."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- helpers ---------------------------------------------------------------

    def _count(self) -> int:
        if self._conn is None or self.params is None:
            return 0
        return int(self._meta_value(self._conn, "documents", "0"))

    @staticmethod
    def _meta_value(conn: sqlite3.Connection, key: str, default: str) -> str:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, values: dict[str, str]) -> None:
        conn.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            values.items(),
        )
