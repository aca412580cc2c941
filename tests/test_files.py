"""Safe outputs: atomic writes, strict JSON, run folders that never collide, latest/
that always holds one whole run, and no writer that bypasses these."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from audit.config import ConfigError, Settings
from audit.pipeline import run_audit
from audit.report.files import (
    atomic_write_lines,
    atomic_write_text,
    dumps,
    dumps_line,
    refresh_latest,
)
from audit.report.outputs import claim_run_dir
from tests.conftest import ROOT, SEEDS


def strict_json(text: str) -> Any:
    """Parse ``text`` refusing NaN and Infinity, which are not JSON."""

    def refuse(name: str) -> Any:
        raise ValueError(name)

    return json.loads(text, parse_constant=refuse)


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "accepted.jsonl"
    atomic_write_text(target, "old\n")

    def rows() -> Any:
        yield {"doc_id": "a"}
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write_lines(target, rows())
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["accepted.jsonl"]
    assert atomic_write_lines(target, iter([{"a": 1}, {"b": 2}])) == 2
    assert target.read_text() == '{"a":1}\n{"b":2}\n'


def test_outputs_are_strict_json_on_one_line_each() -> None:
    data = {"x": float("nan"), "y": [float("inf"), 1.5], "t": "a\u2028b\x85c\u2029d\n"}
    assert strict_json(dumps(data)) == {"x": None, "y": [None, 1.5], "t": "a\u2028b\x85c\u2029d\n"}
    line = dumps_line(data)
    assert len(line.splitlines()) == 1 and strict_json(line)["t"] == data["t"]
    assert strict_json(dumps_line({"ok": 1.0})) == {"ok": 1.0}


def test_run_folders_never_collide(tmp_path: Path) -> None:
    out = tmp_path / "out"
    runs = [{"id": "20240101T000000Z-abcdef"} for _ in range(200)]
    folders = [claim_run_dir(out, run) for run in runs]
    assert len({f.name for f in folders}) == 200
    assert all(f.is_dir() and f.name == run["id"] for f, run in zip(folders, runs, strict=True))
    assert folders[0].name == "20240101T000000Z-abcdef"
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot create"):
        claim_run_dir(tmp_path / "file", {"id": "x"})


def test_runs_at_the_same_time_keep_their_own_folders_and_a_whole_latest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    settings = Settings(paths=(str(SEEDS),), out=str(out), progress=False, fail_on="never")
    results: list[Any] = []
    errors: list[BaseException] = []

    def one_run() -> None:
        try:
            results.append(run_audit(settings))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = {r.results["run"]["id"] for r in results}
    assert len(ids) == 4 and {p.name for p in out.iterdir()} == ids | {
        "latest",
        "history.jsonl",
        ".audit-output",
    }
    history = [json.loads(x) for x in (out / "history.jsonl").read_text().splitlines()]
    assert {h["run_id"] for h in history} == ids
    latest = json.loads((out / "latest" / "results.json").read_text())
    assert latest["run"]["id"] in ids
    source = out / latest["run"]["id"]
    for name in ("results.json", "accepted.jsonl", "quarantined.jsonl", "report.html"):
        assert (out / "latest" / name).read_bytes() == (source / name).read_bytes()


def test_refresh_latest_under_contention(tmp_path: Path) -> None:
    runs = []
    for n in range(3):
        run = tmp_path / f"run{n}"
        run.mkdir()
        for name in ("a.txt", "b.txt"):
            (run / name).write_text(f"{n}-{name}")
        runs.append(run)
    errors: list[BaseException] = []

    def refresh(run: Path) -> None:
        try:
            for _ in range(15):
                refresh_latest(run)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    latest = tmp_path / "latest"
    contents = {(latest / "a.txt").read_text(), (latest / "b.txt").read_text()}
    assert contents in [{f"{n}-a.txt", f"{n}-b.txt"} for n in range(3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run0", "run1", "run2"]


# Writing a file anywhere but through audit/report/files.py (temp file, fsync, rename).
_RAW_WRITE = re.compile(
    r"""\.write_(text|bytes)\(|\bopen\([^)]*["'][rwab+]*[wax][rwab+]*["']|shutil\.copy"""
    r"""|\bfdopen\(|\bos\.open\("""
)
# Not run-folder outputs, and written as they must be: appending to the CI's step
# summary and to the run history (one locked append per run), the chart bundle
# cache under ~/.cache (temp file and rename, a failure only means no cache), and
# the spool's working files in its own temporary folder (appended while the run
# streams, read back, and deleted with the folder), junit.xml's suites and
# results.json's documents copied from their unnamed working files into the file
# atomic_open gives, and the pipe that brings the side writers' outcome back.
_ALLOWED = {
    ("audit/report/outputs.py", "shutil.copyfileobj(documents.buffer, fh.buffer, 1 << 22)"),
    ("audit/parallel.py", 'with os.fdopen(write, "wb") as fh:'),
    ("audit/parallel.py", 'with os.fdopen(self._read, "rb") as fh:'),
    ("audit/parallel.py", "null = os.open(os.devnull, os.O_WRONLY)"),  # a stopped child's stderr
    ("audit/report/junit.py", "shutil.copyfileobj(self._raw, out.buffer, 1 << 20)"),
    ("audit/report/summary.py", 'with open(step, "a", encoding="utf-8") as fh:'),
    ("audit/history.py", "fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)"),
    ("audit/report/charts.py", 'with os.fdopen(fd, "w", encoding="utf-8") as fh:'),
    ("audit/spool.py", 'self._out = path.open("wb")'),
    ("audit/spool.py", "self._fd = os.open(self.path, os.O_RDONLY)"),
    ("audit/spool.py", 'out = (self.folder / f"{name}.mat").open("wb")'),
}


def test_every_writer_goes_through_the_atomic_helpers() -> None:
    offenders = []
    for path in sorted((ROOT / "audit").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "audit/report/files.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if _RAW_WRITE.search(line) and (rel, line.strip()) not in _ALLOWED:
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "write through audit.report.files instead:\n" + "\n".join(offenders)


def test_dumps_line_falls_back_to_json_for_what_orjson_refuses() -> None:
    """A huge integer or a lone surrogate (hostile input) is still written, not a crash."""
    assert json.loads(dumps_line({"n": 10**30})) == {"n": 10**30}
    assert dumps_line({"s": "\udc80"}) == '{"s": "\udc80"}'
    assert json.loads(dumps_line({"n": 10**30, "x": float("nan")})) == {"n": 10**30, "x": None}


def test_dumps_line_writes_numpy_floats_as_numbers_and_other_values_as_text() -> None:
    import datetime as dt

    import numpy as np

    line = dumps_line({"f": np.float64(1.5), "i": np.int64(3), "d": dt.datetime(2024, 1, 2, 3, 4)})
    assert json.loads(line) == {"f": 1.5, "i": "3", "d": "2024-01-02 03:04:00"}
    assert json.loads(dumps_line({1: "a", None: "b"})) == {"1": "a", "null": "b"}
