"""``audit index stats | remove | rebuild`` on both backends."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from redis_server import redis_server
from typer.testing import CliRunner

from audit.config import DedupSettings
from audit.index import IndexRecord, open_index
from audit.index.cli import index_app

RUNNER = CliRunner()


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        loc = str(tmp_path / "corpus.db")
    else:
        loc = f"{request.getfixturevalue('redis_url')}?name=c-{uuid.uuid4().hex[:10]}"
    sigs = np.random.default_rng(3).integers(0, 2**32 - 1, size=(4, 128), dtype=np.uint64)
    with open_index(loc, DedupSettings(), create=True) as ix:
        ix.admit([IndexRecord(f"doc-{i}", "feed", None, 300) for i in range(4)], sigs)
    return loc


def run(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(index_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_stats_text_and_json(location: str) -> None:
    code, out, _ = run("stats", "--index", location)
    assert code == 0
    assert "documents:  4" in out and "25 bands x 5 rows (threshold 0.5)" in out
    code, out, _ = run("stats", "--index", location, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["documents"] == 4 and data["exists"] is True


def test_remove_reports_missing_ids(location: str) -> None:
    code, out, err = run("remove", "--index", location, "doc-1", "doc-2")
    assert code == 0 and "removed 2 document(s)" in out
    code, out, err = run("remove", "--index", location, "doc-1", "doc-3")
    assert code == 1 and "removed 1 document(s)" in out and "not in the index: doc-1" in err
    code, _, _ = run("remove", "--index", location, "doc-1", "--missing-ok")
    assert code == 0
    assert json.loads(run("stats", "--index", location, "--format", "json")[1])["documents"] == 1


def test_rebuild_uses_the_threshold_from_the_config(location: str, tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text("[dedup]\nthreshold = 0.8\n")
    code, out, _ = run("rebuild", "--index", location, "--config", str(config))
    assert code == 0 and "4 documents, 9 bands x 13 rows (threshold 0.8)" in out


def test_index_from_the_config_file(location: str, tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text(f"index = {json.dumps(location)}\n")
    code, out, _ = run("stats", "--config", str(config))
    assert code == 0 and "documents:  4" in out


def test_unusable_index_or_settings_exit_2(tmp_path: Path) -> None:
    code, _, err = run("stats", "--index", str(tmp_path / "none.db"))
    assert code == 2 and err.startswith("audit: ") and "none.db: no corpus index here" in err
    assert err.count("\n") == 1
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00" * 100)
    code, _, err = run("remove", "--index", str(junk), "x")
    assert code == 2 and "junk.db: not an audit corpus index" in err
    code, _, err = run("stats")
    assert code == 2 and "no corpus index given" in err
    bad = tmp_path / "bad.toml"
    bad.write_text("[gate]\nindex_duplicate_severity = 'fatal'\n")
    code, _, err = run("stats", "--index", "x.db", "--config", str(bad))
    assert code == 2 and "index_duplicate_severity" in err
    code, _, err = run("stats", "--index", "x.db", "--format", "yaml")
    assert code == 2 and "--format" in err


def test_a_corrupt_sqlite_index_is_named_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.db"
    sigs = np.random.default_rng(3).integers(0, 2**32 - 1, size=(300, 128), dtype=np.uint64)
    with open_index(str(path), DedupSettings(), create=True) as ix:
        ix.admit([IndexRecord(f"doc-{i}", "feed", None, 300) for i in range(300)], sigs)
    with path.open("r+b") as fh:  # a page of the tables overwritten
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 64)
    code, _, err = run("rebuild", "--index", str(path))
    assert code == 2 and "corpus.db: corrupt index: " in err
    assert err.count("\n") == 1, err  # SQLite's own report spans several lines
