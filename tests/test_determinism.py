"""The same inputs and settings give the same results, whatever the worker count, the
engine, the hash seed of the process, or the order in which files were created on disk."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CONTROL_TEXT, ROOT, SEEDS, audit_run

# What may differ between two runs of the same batch: when and how long (in all and per
# stage), and the run's name.
VOLATILE_RUN_KEYS = ("id", "started_at", "duration_s", "stages", "stage_peak_mb")


def comparable(results: dict[str, Any], *ignore_settings: str) -> dict[str, Any]:
    """``results`` without what may legitimately differ between two runs."""
    out = json.loads(json.dumps(results))
    for key in VOLATILE_RUN_KEYS:
        out["run"].pop(key)
    for key in ignore_settings:
        out["run"]["settings"].pop(key)
    return out


def make_batch(folder: Path, reverse: bool = False) -> Path:
    """A batch with copies, near copies, bad rows and several formats, written to
    ``folder`` in one order or the other."""
    files: list[tuple[str, str | bytes]] = [
        (p.name, p.read_bytes()) for p in sorted(SEEDS.iterdir()) if p.is_file()
    ]
    files += [
        ("copy_of_seed.txt", (SEEDS / sorted(os.listdir(SEEDS))[0]).read_bytes()),
        ("control.txt", CONTROL_TEXT),
        ("control_again.txt", CONTROL_TEXT.replace("Tuesday", "Wednesday")),
        (
            "rows.jsonl",
            "\n".join(
                [json.dumps({"id": f"r{i}", "text": CONTROL_TEXT * (i % 3 + 1)}) for i in range(9)]
                + ["{broken", json.dumps({"id": "r1", "text": "Duplicate id."})]
            ),
        ),
        ("rows.csv", 'id,text\nc1,"Line one\nline two"\nc2,Plain.\n'),
        ("sub/deeper.txt", CONTROL_TEXT.upper()),
        ("empty.txt", b""),
    ]
    folder.mkdir(parents=True)
    for name, content in reversed(files) if reverse else files:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return folder


def small_chunks(tmp_path: Path) -> str:
    """A settings file with chunks of 4 documents, so that two workers share the batch."""
    cfg = tmp_path / "chunks.toml"
    cfg.write_text("[inputs]\nchunk_size = 4\n")
    return str(cfg)


def test_one_or_two_workers_give_the_same_results(tmp_path: Path) -> None:
    folder = make_batch(tmp_path / "in")
    cfg = small_chunks(tmp_path)
    one = audit_run(str(folder), "--config", cfg, "--jobs", "1", out=tmp_path / "out")
    two = audit_run(str(folder), "--config", cfg, "--jobs", "2", out=tmp_path / "out")
    assert one.results["run"]["n_documents"] == 22
    assert comparable(one.results, "jobs") == comparable(two.results, "jobs")
    for name in ("accepted.jsonl", "quarantined.jsonl"):
        assert (one.run_dir / name).read_bytes() == (two.run_dir / name).read_bytes()


def test_hash_seed_and_file_creation_order_do_not_matter(tmp_path: Path) -> None:
    """Two processes with different hash seeds (set and dict-of-str ordering differ) over
    the same folder, created in opposite orders."""
    folder = tmp_path / "in"
    outputs = []
    out = tmp_path / "out"
    options = ["--out", str(out), "--config", small_chunks(tmp_path), "--format", "json", "-q"]
    for seed, reverse in (("1", False), ("2", True)):
        shutil.rmtree(folder, ignore_errors=True)
        make_batch(folder, reverse=reverse)
        proc = subprocess.run(
            [sys.executable, "-m", "audit", "run", str(folder), *options, "--jobs", "2"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
        )
        assert proc.returncode in (0, 1), proc.stderr
        results = json.loads(proc.stdout)
        outputs.append((results, out / results["run"]["id"]))
    (first, first_dir), (second, second_dir) = outputs
    assert comparable(first) == comparable(second)
    for name in ("accepted.jsonl", "quarantined.jsonl"):
        assert (first_dir / name).read_bytes() == (second_dir / name).read_bytes()


def test_runs_written_inside_the_audited_folder_are_not_read_back(tmp_path: Path) -> None:
    """``audit run . --out reports`` twice: the second run must not audit the first's
    accepted.jsonl, history.jsonl or report.html."""
    folder = make_batch(tmp_path / "in")
    out = folder / "reports"
    first = audit_run(str(folder), out=out)
    second = audit_run(str(folder), out=out)
    assert not any(d.startswith("reports/") for d in second.docs)
    assert comparable(first.results) == comparable(second.results)


def test_dask_engine_gives_the_same_results_on_a_hostile_batch(tmp_path: Path) -> None:
    """The hostile-ish batch on a real two-worker LocalCluster, against one local process."""
    distributed = pytest.importorskip("distributed")
    folder = make_batch(tmp_path / "in")
    cfg = small_chunks(tmp_path)
    local = audit_run(str(folder), "--config", cfg, "--jobs", "1", out=tmp_path / "out")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    ) as cluster:
        dask = audit_run(
            str(folder),
            "--config",
            cfg,
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
            out=tmp_path / "out",
        )
    assert dask.results["run"]["engine"] == "dask"
    ignore = ("jobs", "engine", "scheduler")
    local_results, dask_results = (
        comparable(local.results, *ignore),
        comparable(dask.results, *ignore),
    )
    local_results["run"].pop("engine")
    dask_results["run"].pop("engine")
    assert local_results == dask_results
    for name in ("accepted.jsonl", "quarantined.jsonl"):
        assert (local.run_dir / name).read_bytes() == (dask.run_dir / name).read_bytes()
