"""The corpus index: the same behaviour tests against SQLite and a real Redis server."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasketch import MinHash
from redis_server import redis_server

from audit.config import DedupSettings
from audit.gate import decide
from audit.index import (
    IndexError_,
    IndexMatch,
    IndexOpenError,
    IndexRecord,
    admit_batch,
    index_findings,
    open_index,
)
from audit.model import Finding, Severity

REPO = Path(__file__).resolve().parents[1]
SETTINGS = DedupSettings()
RNG = np.random.default_rng(7)
VOCAB = [f"w{i}" for i in range(20_000)]


def words(n: int, rng: np.random.Generator = RNG) -> list[str]:
    return [str(w) for w in rng.choice(VOCAB, n)]


def shingles(ws: list[str], k: int = SETTINGS.shingle_size) -> set[bytes]:
    return {" ".join(ws[i : i + k]).encode() for i in range(len(ws) - k + 1)}


def signature(ws: list[str]) -> np.ndarray:
    m = MinHash(num_perm=SETTINGS.num_perm, seed=SETTINGS.seed)
    m.update_batch(list(shingles(ws)))
    return m.hashvalues.astype(np.uint64)


def batch(texts: list[list[str]]) -> tuple[np.ndarray, list[int]]:
    return np.stack([signature(t) for t in texts]), [len(shingles(t)) for t in texts]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "corpus.db")
    url = request.getfixturevalue("redis_url")
    return f"{url}?name=t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def corpus() -> dict[str, list[str]]:
    rng = np.random.default_rng(11)
    return {f"orig-{i}.txt": words(400, rng) for i in range(6)}


def admit_corpus(location: str, corpus: dict[str, list[str]]) -> None:
    sigs, lengths = batch(list(corpus.values()))
    records = [
        IndexRecord(doc_id, "wire/feed.jsonl", "2024-05-0" + str(i + 1), lengths[i])
        for i, doc_id in enumerate(corpus)
    ]
    with open_index(location, SETTINGS, create=True) as ix:
        result = ix.admit(records, sigs)
    assert (result.added, result.replaced, result.documents) == (len(corpus), 0, len(corpus))


# -- behaviour shared by both backends -----------------------------------------


def test_missing_index_is_created_only_by_the_first_admit(location: str) -> None:
    with pytest.raises(IndexOpenError, match="no corpus index"):
        open_index(location, SETTINGS, create=False)
    sigs, _ = batch([words(100)])
    with open_index(location, SETTINGS, create=True) as ix:
        assert ix.query(["a"], sigs) == []
        stats = ix.stats()
        assert not stats.exists and stats.documents == 0
    with pytest.raises(IndexOpenError, match="no corpus index"):
        open_index(location, SETTINGS, create=False)
    if "://" not in location:
        assert not Path(location).exists()


def test_copies_match_their_admitted_originals(location: str, corpus: dict[str, list[str]]) -> None:
    admit_corpus(location, corpus)
    originals = list(corpus.values())
    exact = originals[0]
    trimmed = originals[1][50:330]  # a cut-down copy: contained in its original
    edited = originals[2][:360] + words(40)
    unrelated = words(400)
    sigs, lengths = batch([exact, trimmed, edited, unrelated])
    with open_index(location, SETTINGS, create=False) as ix:
        matches = ix.query(["exact", "trimmed", "edited", "new"], sigs, lengths)
    by_doc = {m.doc_id: m for m in matches}
    assert set(by_doc) == {"exact", "trimmed", "edited"}
    assert by_doc["exact"].original == "orig-0.txt"
    assert by_doc["exact"].jaccard == 1.0 and by_doc["exact"].containment == 1.0
    assert by_doc["trimmed"].original == "orig-1.txt"
    assert by_doc["trimmed"].containment > 0.9  # true containment 1.0
    assert 0.55 < by_doc["trimmed"].jaccard < 0.85  # true Jaccard 276/396 = 0.70
    assert by_doc["edited"].original == "orig-2.txt"
    true_j = len(shingles(edited) & shingles(originals[2])) / len(
        shingles(edited) | shingles(originals[2])
    )
    assert abs(by_doc["edited"].jaccard - true_j) < 0.12
    assert by_doc["exact"].original_source == "wire/feed.jsonl"
    assert by_doc["exact"].original_published == "2024-05-01"
    assert by_doc["exact"].admitted_at


def test_lengths_are_estimated_when_not_given(location: str, corpus: dict[str, list[str]]) -> None:
    admit_corpus(location, corpus)
    trimmed = list(corpus.values())[1][50:330]
    sigs, _ = batch([trimmed])
    with open_index(location, SETTINGS, create=False) as ix:
        (match,) = ix.query(["trimmed"], sigs)
    assert match.original == "orig-1.txt" and match.containment > 0.8


def test_admitting_an_id_again_replaces_its_entry(
    location: str, corpus: dict[str, list[str]]
) -> None:
    admit_corpus(location, corpus)
    replacement = words(400)
    sigs, lengths = batch([replacement, next(iter(corpus.values()))])
    with open_index(location, SETTINGS, create=False) as ix:
        result = ix.admit([IndexRecord("orig-0.txt", "b", None, lengths[0])], sigs[:1])
        assert (result.added, result.replaced, result.documents) == (0, 1, len(corpus))
        found = ix.query(["new", "old"], sigs, lengths)
    assert [(m.doc_id, m.original) for m in found] == [("new", "orig-0.txt")]
    assert found[0].original_source == "b"


def test_remove_and_stats(location: str, corpus: dict[str, list[str]]) -> None:
    admit_corpus(location, corpus)
    sigs, lengths = batch([list(corpus.values())[3]])
    with open_index(location, SETTINGS, create=False) as ix:
        assert ix.remove(["orig-3.txt", "nope", "orig-3.txt"]) == ["orig-3.txt"]
        assert ix.query(["x"], sigs, lengths) == []
        assert ix.remove(["nope"]) == []
        stats = ix.stats()
    assert stats.exists and stats.documents == len(corpus) - 1
    assert (stats.num_perm, stats.seed, stats.shingle_size) == (128, 1, 5)
    assert (stats.bands, stats.rows, stats.threshold) == (25, 5, 0.5)
    assert stats.scheme == "affine32" and stats.last_admit_at


def test_rebuild_rebands_for_a_new_threshold(location: str, corpus: dict[str, list[str]]) -> None:
    admit_corpus(location, corpus)
    strict = DedupSettings(threshold=0.8)
    with open_index(location, strict, create=False) as ix:
        assert ix.stats().bands == 25  # the index keeps its own bands until rebuilt
        stats = ix.rebuild()
    assert (stats.bands, stats.rows, stats.threshold) == (9, 13, 0.8)
    assert stats.documents == len(corpus)
    sigs, lengths = batch([list(corpus.values())[4]])
    with open_index(location, strict, create=False) as ix:
        (match,) = ix.query(["copy"], sigs, lengths)
        assert match.original == "orig-4.txt"
        assert ix.stats().bands == 9


def test_settings_that_make_other_signatures_are_refused(
    location: str, corpus: dict[str, list[str]]
) -> None:
    admit_corpus(location, corpus)
    for other in (DedupSettings(num_perm=64), DedupSettings(seed=2), DedupSettings(shingle_size=3)):
        with pytest.raises(IndexOpenError, match="index was built with"):
            open_index(location, other, create=True)


def test_empty_documents_are_kept_but_never_match(location: str) -> None:
    empty = np.full((2, SETTINGS.num_perm), (1 << 32) - 1, dtype=np.uint64)
    with open_index(location, SETTINGS, create=True) as ix:
        assert ix.admit([IndexRecord("e1"), IndexRecord("e2")], empty).documents == 2
        assert ix.query(["e3"], empty[:1]) == []


def test_bad_signatures_are_a_programming_error(location: str) -> None:
    with open_index(location, SETTINGS, create=True) as ix:
        with pytest.raises(ValueError, match="shape"):
            ix.query(["a", "b"], np.zeros((1, 128), dtype=np.uint64))
        with pytest.raises(ValueError, match="range"):
            ix.admit([IndexRecord("a")], np.full((1, 128), 1 << 40, dtype=np.uint64))


def test_duplicate_ids_in_one_admit_keep_the_last(location: str) -> None:
    a, b = words(300), words(300)
    sigs, lengths = batch([a, b])
    with open_index(location, SETTINGS, create=True) as ix:
        result = ix.admit(
            [IndexRecord("x", length=lengths[0]), IndexRecord("x", length=lengths[1])], sigs
        )
        assert result.documents == 1
        assert [m.doc_id for m in ix.query(["qa", "qb"], sigs, lengths)] == ["qb"]


# -- findings and admission ------------------------------------------------------


def test_index_findings_name_the_original_with_scores() -> None:
    matches = [
        IndexMatch(
            "new.txt", "old-b.txt", 0.62, 0.91, "feed", "2024-01-02", "2024-02-01T00:00:00+00:00"
        ),
        IndexMatch(
            "new.txt", "old-a.txt", 0.97, 0.99, "feed", "2024-01-01", "2024-02-01T00:00:00+00:00"
        ),
        IndexMatch("dup.txt", "old-a.txt", 1.0, 1.0),
    ]
    findings = index_findings(matches, severity="warning")
    assert [(f.doc_id, f.check, f.severity) for f in findings] == [
        ("new.txt", "index_duplicate", Severity.WARNING),
        ("dup.txt", "index_duplicate", Severity.WARNING),
    ]
    first = findings[0]
    assert first.evidence["original"] == "old-a.txt"
    assert first.evidence["jaccard"] == 0.97 and first.evidence["containment"] == 0.99
    assert first.evidence["original_published"] == "2024-01-01"
    assert first.evidence["n_matches"] == 2
    assert [m["original"] for m in first.evidence["matches"]] == ["old-a.txt", "old-b.txt"]
    assert "near copy of already-admitted old-a.txt" in first.message and "1 more" in first.message
    assert findings[1].message.startswith("copy of already-admitted old-a.txt")
    assert index_findings([]) == []


def test_admit_batch_only_after_a_passing_gate(location: str) -> None:
    texts = [words(300) for _ in range(3)]
    sigs, lengths = batch(texts)
    docs: list[dict[str, str | None]] = [
        {"doc_id": "ok.txt", "source": "in/ok.txt", "published": "2024-03-01"},
        {"doc_id": "warn.txt", "source": "in/warn.txt", "published": None},
        {"doc_id": "bad.txt", "source": "in/bad.txt", "published": None},
    ]
    ids = [str(d["doc_id"]) for d in docs]
    warn = Finding("warn.txt", "boilerplate", Severity.WARNING, "chrome")
    bad = Finding("bad.txt", "garbled_text", Severity.ERROR, "garbled")
    with open_index(location, SETTINGS, create=True) as ix:
        failed = decide(ids, [warn, bad], "error")
        assert admit_batch(ix, failed, docs, sigs, lengths) is None
        assert ix.stats().documents == 0
        passed = decide(ids, [warn, bad], "never")  # passes; bad.txt is still quarantined
        result = admit_batch(ix, passed, docs, sigs, lengths)
        assert result is not None and result.added == 2
        found = {m.doc_id: m.original for m in ix.query(ids, sigs, lengths)}
    assert found == {"ok.txt": "ok.txt", "warn.txt": "warn.txt"}


# -- bad input: exit 2 material -------------------------------------------------


def test_a_file_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("hello, not a database\n")
    with pytest.raises(IndexOpenError, match=r"notes\.db: not an audit corpus index"):
        open_index(str(text), SETTINGS, create=True)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE things (x)")
    conn.close()
    with pytest.raises(IndexOpenError, match=r"other\.sqlite: a SQLite database, but not an audit"):
        open_index(str(other), SETTINGS, create=True)
    with pytest.raises(IndexOpenError, match="is a folder"):
        open_index(str(tmp_path), SETTINGS, create=True)
    with pytest.raises(IndexOpenError, match="does not exist"):
        open_index(str(tmp_path / "no" / "such.db"), SETTINGS, create=True)
    with pytest.raises(IndexOpenError, match="unsupported index URL"):
        open_index("postgres://db/x", SETTINGS, create=True)


def test_a_corrupt_sqlite_index_is_refused(tmp_path: Path, corpus: dict[str, list[str]]) -> None:
    path = tmp_path / "corpus.db"
    admit_corpus(str(path), corpus)
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the schema page
    path.write_bytes(bytes(data))
    Path(f"{path}-wal").unlink(missing_ok=True)
    with pytest.raises(IndexOpenError, match=r"corpus\.db: corrupt index"):
        open_index(str(path), SETTINGS, create=False)


def test_redis_keys_of_another_kind_are_refused(redis_url: str) -> None:
    import redis

    name = f"t-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url)
    client.set(f"{name}:meta", "something else")
    client.hset(f"{name}2:meta", mapping={"format": "not-ours"})
    client.close()
    with pytest.raises(IndexOpenError, match="not an audit corpus index"):
        open_index(f"{redis_url}?name={name}", SETTINGS, create=True)
    with pytest.raises(IndexOpenError, match="not an audit corpus index"):
        open_index(f"{redis_url}?name={name}2", SETTINGS, create=True)


def test_redis_down_is_one_line_naming_the_index() -> None:
    from redis_server import free_port

    url = f"redis://:secret@127.0.0.1:{free_port()}/3"
    with pytest.raises(IndexOpenError) as err:
        open_index(url, SETTINGS, create=True, timeout_s=2)
    message = str(err.value)
    assert message.startswith("redis://127.0.0.1:") and "/3: cannot reach Redis" in message
    assert "secret" not in message and "\n" not in message
    with pytest.raises(IndexOpenError, match="index name"):
        open_index("redis://127.0.0.1:6379/0?name=bad_name", SETTINGS, create=True)


# -- crashes and concurrency: real processes ---------------------------------------

CHILD = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path

    import numpy as np
    from audit.config import DedupSettings
    from audit.index import IndexRecord, open_index

    location, prefix, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    go = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 2**32 - 1, size=(n, 128), dtype=np.uint64)
    records = [IndexRecord(f"{prefix}{i}", "gen", None, 500) for i in range(n)]
    with open_index(location, DedupSettings(), create=True, timeout_s=120, lock_ttl_s=3) as ix:
        print("ready", flush=True)
        while go is not None and not go.exists():
            time.sleep(0.005)
        print("admitting", flush=True)
        result = ix.admit(records, sigs)
        print("done", result.added, flush=True)
    """
)


def child(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, text=True, env=env
    )


def random_sigs(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32 - 1, size=(n, 128), dtype=np.uint64)


def test_a_run_killed_mid_admit_leaves_the_index_as_it_was(
    location: str, corpus: dict[str, list[str]], tmp_path: Path
) -> None:
    admit_corpus(location, corpus)
    n = 5000 if "://" in location else 60000  # long enough to be killed in the middle
    proc = child(tmp_path, location, "killed-", str(n), "5")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    assert proc.stdout.readline().strip() == "admitting"
    if "://" in location:
        import redis

        name = location.split("name=")[1]
        client = redis.Redis.from_url(location.split("?")[0])
        deadline = time.monotonic() + 60
        while not client.exists(f"{name}:pending") and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # well inside the bucket writes
    else:
        time.sleep(0.5)
    assert proc.poll() is None, "the admit finished before it could be killed"
    proc.kill()
    proc.wait()
    probe = random_sigs(n, 5)[:50]
    with open_index(location, SETTINGS, create=False, timeout_s=30, lock_ttl_s=3) as ix:
        assert ix.stats().documents == len(corpus)
        assert ix.query([f"q{i}" for i in range(50)], probe) == []
        sigs, lengths = batch([next(iter(corpus.values()))])
        assert ix.query(["copy"], sigs, lengths)[0].original == "orig-0.txt"
        # the next writer waits out the dead one's lock and rolls its journal back
        assert ix.admit([IndexRecord("after")], random_sigs(1, 99)).documents == len(corpus) + 1
    if "://" in location:
        import redis

        name = location.split("name=")[1]
        client = redis.Redis.from_url(location.split("?")[0])
        assert not client.exists(f"{name}:pending")
        assert client.hlen(f"{name}_keys") == len(corpus) + 1  # no stray LSH entries
    else:
        with sqlite3.connect(location) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert (
                conn.execute("SELECT COUNT(DISTINCT doc) FROM bands").fetchone()[0]
                == len(corpus) + 1
            )
        conn.close()


def test_two_runs_admitting_at_once_both_succeed(location: str, tmp_path: Path) -> None:
    n = 300 if "://" in location else 3000
    go = tmp_path / "go"
    procs = [
        child(tmp_path, location, p, str(n), str(k), str(go)) for p, k in (("a-", 1), ("b-", 2))
    ]
    for proc in procs:  # both open the (not yet existing) index, then admit together
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    out = [proc.communicate(timeout=300)[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), out
    assert all(f"done {n}" in o for o in out)
    with open_index(location, SETTINGS, create=False) as ix:
        assert ix.stats().documents == 2 * n
        found = ix.query(["x", "y"], np.stack([random_sigs(n, 1)[17], random_sigs(n, 2)[n - 1]]))
    assert [(m.doc_id, m.original, m.jaccard) for m in found] == [
        ("x", "a-17", 1.0),
        ("y", f"b-{n - 1}", 1.0),
    ]


def test_a_busy_sqlite_index_times_out_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.db"
    with open_index(str(path), SETTINGS, create=True) as ix:
        ix.admit([IndexRecord("a")], random_sigs(1, 1))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with open_index(str(path), SETTINGS, create=False, timeout_s=0.2) as ix:
            with pytest.raises(IndexError_, match=r"corpus\.db: index busy: .* more than 0\.2 s"):
                ix.admit([IndexRecord("b")], random_sigs(1, 2))
            assert ix.stats().documents == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_lock_sqlite_refuses_at_once_is_not_reported_as_a_long_wait(tmp_path: Path) -> None:
    from audit.index.sqlite_index import _guard

    @_guard
    def refused(ix: Any) -> None:
        raise sqlite3.OperationalError("database table is locked")

    path = str(tmp_path / "corpus.db")
    with (
        open_index(path, SETTINGS, create=True, timeout_s=30) as ix,
        pytest.raises(IndexError_) as err,
    ):
        refused(ix)
    assert str(err.value).endswith("corpus.db: index busy: database table is locked")


def _admit_at(path: Path, key: int, start: float, out: Any) -> None:
    """A run's admit to ``path``, begun at the time ``start`` (for a race)."""
    ix = open_index(str(path), SETTINGS, create=True, timeout_s=30)
    records, sigs = [IndexRecord(f"doc-{key}")], random_sigs(1, key)
    while time.time() < start:  # both runs switch the new file to WAL at the same moment
        pass
    try:
        ix.admit(records, sigs)
        out.put("ok")
    except Exception as exc:
        out.put(str(exc))
    finally:
        ix.close()


def test_two_runs_creating_the_sqlite_index_at_the_same_moment_both_succeed(
    tmp_path: Path,
) -> None:
    ctx = multiprocessing.get_context("fork")
    for round_ in range(20):
        path = tmp_path / f"corpus-{round_}.db"
        out = ctx.Queue()
        start = time.time() + 0.05
        procs = [ctx.Process(target=_admit_at, args=(path, k, start, out)) for k in (1, 2)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        assert [out.get(timeout=5) for _ in procs] == ["ok", "ok"], f"round {round_}"
