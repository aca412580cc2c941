"""Engines: the local pool and Dask give the same results as one process, in order."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit.config import ConfigError, Settings
from audit.engine import LocalEngine, get_engine
from audit.pipeline import run_audit
from tests.conftest import ROOT, SEEDS

distributed = pytest.importorskip("distributed")

# What may differ between two runs of the same batch on different engines.
VOLATILE_RUN_KEYS = ("id", "started_at", "duration_s", "engine", "stages", "stage_peak_mb")
VOLATILE_SETTINGS = ("engine", "scheduler", "jobs", "out")

WORDS = [
    "council",
    "budget",
    "river",
    "harbour",
    "minister",
    "school",
    "police",
    "report",
    "week",
    "city",
    "market",
    "rain",
    "station",
    "farmers",
    "election",
    "court",
    "families",
    "water",
    "price",
    "union",
    "hospital",
    "bridge",
]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 16))]
    return " ".join(words).capitalize() + "."


def _article(rng: random.Random) -> str:
    return "\n\n".join(" ".join(_sentence(rng) for _ in range(rng.randint(2, 4))) for _ in range(5))


def write_batch(folder: Path) -> Path:
    """A small batch with copies, chrome and a broken line, spread over many chunks."""
    rng = random.Random(8)
    rows: list[dict[str, Any]] = []
    for i in range(14):
        rows.append(
            {
                "id": f"n{i}",
                "title": f"Story {i}",
                "url": f"https://site{i % 3}.example/news/{i}",
                "published": f"2024-03-{i + 1:02d}",
                "text": f"Story {i}\n\n" + _article(rng) + "\n\nShare this article\nPrint",
            }
        )
    rows.append({**rows[2], "id": "exact-of-n2"})
    near = rows[5]["text"].replace("river", "lake", 2)
    rows.append({**rows[5], "id": "near-of-n5", "text": near})
    rows.append(
        {**rows[7], "id": "synd-of-n7", "url": "https://other.example/a/7", "text": rows[7]["text"]}
    )
    rows.append({"id": "empty", "title": "Nothing", "text": ""})
    rows.append({"id": "wrong-types", "title": 12, "published": 7, "text": "Short text."})
    lines = [json.dumps(r) for r in rows]
    lines.insert(9, "{not json")
    path = folder / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The seeds and the generated batch."""
    folder = tmp_path_factory.mktemp("batch")
    return [str(SEEDS), str(write_batch(folder))]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A real two-worker LocalCluster for the module; yields its scheduler address."""
    import logging

    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # no fixed port
        silence_logs=logging.ERROR,
    ) as lc:
        yield lc.scheduler_address


def comparable(run_dir: Path) -> dict[str, Any]:
    """results.json and the jsonl files of a run, without what may differ between runs."""
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    for key in VOLATILE_RUN_KEYS:
        results["run"].pop(key, None)
    for key in VOLATILE_SETTINGS:
        results["run"]["settings"].pop(key, None)
    return {
        "results": results,
        "accepted": (run_dir / "accepted.jsonl").read_text(encoding="utf-8"),
        "quarantined": (run_dir / "quarantined.jsonl").read_text(encoding="utf-8"),
    }


def audit(paths: list[str], out: Path, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the whole pipeline with a small chunk size; returns (results, comparable files)."""
    settings = Settings.load(
        overrides={"paths": tuple(paths), "out": str(out), "inputs": {"chunk_size": 3}, **kw}
    )
    result = run_audit(settings)
    assert result.run_dir is not None
    return result.results, comparable(Path(result.run_dir))


def test_dask_and_local_engines_give_identical_results(
    batch: list[str], cluster: str, tmp_path: Path
) -> None:
    base_results, base = audit(batch, tmp_path / "one", jobs=1)
    assert base_results["run"]["engine"] == "local"
    assert base_results["run"]["n_documents"] == 4 + 20
    # The batch must exercise more than the happy path for the comparison to mean much.
    checks = {f["check"] for d in base["results"]["documents"] for f in d["findings"]}
    assert {"unreadable_input", "malformed_record"} <= checks
    two_results, two = audit(batch, tmp_path / "two", jobs=2)
    assert two_results["run"]["engine"] == "local"
    dask_results, on_dask = audit(batch, tmp_path / "dask", engine="dask", scheduler=cluster)
    assert dask_results["run"]["engine"] == "dask"
    for other in (two, on_dask):
        assert other["results"]["documents"] == base["results"]["documents"]
        assert other["results"]["clusters"] == base["results"]["clusters"]
        assert other["results"]["gate"] == base["results"]["gate"]
        assert other == base


def test_scheduler_local_starts_and_stops_its_own_cluster(batch: list[str], tmp_path: Path) -> None:
    results, got = audit(batch, tmp_path / "lc", engine="dask", scheduler="local", jobs=2)
    _, base = audit(batch, tmp_path / "base")
    assert results["run"]["engine"] == "dask"
    assert got == base


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_map_keeps_order_and_bounds_work_in_flight(engine: str, cluster: str) -> None:
    pulled: list[int] = []

    def items() -> Iterator[int]:
        for i in range(12):
            pulled.append(i)
            yield i

    settings = Settings(engine=engine, jobs=2, scheduler=cluster if engine == "dask" else None)
    eng = get_engine(settings)
    try:
        window = getattr(eng, "window", 2 * settings.jobs)
        out = []
        for result in eng.map(_slow_square, items(), 0.3):
            out.append(result)
            assert len(pulled) <= len(out) + window
    finally:
        eng.close()
    assert out == [i * i for i in range(12)]


def test_map_raises_what_the_task_raised(cluster: str) -> None:
    eng = get_engine(Settings(engine="dask", scheduler=cluster))
    try:
        with pytest.raises(ZeroDivisionError):
            list(eng.map(_divide, [1, 0, 2], 1))
    finally:
        eng.close()
    with LocalEngine(2) as local, pytest.raises(ZeroDivisionError):
        list(local.map(_divide, [1, 0, 2], 1))


def test_unreachable_scheduler_is_a_config_error() -> None:
    from audit.engine.dask import DaskEngine

    started = time.perf_counter()
    with pytest.raises(ConfigError, match=r"cannot reach Dask scheduler tcp://127\.0\.0\.1:9"):
        DaskEngine("tcp://127.0.0.1:9", timeout=1)
    assert time.perf_counter() - started < 30
    with pytest.raises(ConfigError, match="--scheduler needs --engine dask"):
        get_engine(Settings(scheduler="tcp://127.0.0.1:9"))


def test_cli_unreachable_scheduler_and_missing_dask_exit_2(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "audit", "run", str(SEEDS), "--out", str(tmp_path)]
    env_path = {"PYTHONPATH": str(ROOT)}
    bad = subprocess.run(
        [*cmd, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"],
        capture_output=True,
        text=True,
        env=env_path,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert "cannot reach Dask scheduler" in bad.stderr and "Traceback" not in bad.stderr
    # Without dask installed: hide the package from the import system.
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('dask', 'distributed'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from audit.cli import main\n"
        "sys.argv = ['audit', *sys.argv[1:]]\n"
        "main()\n"
    )
    missing = subprocess.run(
        [sys.executable, "-c", blocker, *cmd[3:], "--engine", "dask"],
        capture_output=True,
        text=True,
        env=env_path,
        timeout=120,
    )
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "audit: the dask engine needs dask[distributed]: pip install 'audit[dask]'"
    )


def _slow_square(i: int, delay: float) -> int:
    """Square ``i``, the early items slowest so that workers finish out of order."""
    time.sleep(delay / (1 + i))
    return i * i


def _divide(i: int, by: int) -> float:
    return by / i


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_lsh_bands_sorted_on_an_engine_give_the_same_buckets(engine: str, cluster: str) -> None:
    import numpy as np

    from audit.dedup.lsh import BandIndex

    s = Settings().dedup
    rng = np.random.default_rng(3)
    sig = rng.integers(0, 4, size=(300, s.num_perm), dtype=np.uint32)  # many shared buckets
    keys = list(range(1000, 1300))
    here = BandIndex(keys, sig, s)
    eng = get_engine(
        Settings(engine=engine, jobs=2, scheduler=cluster if engine == "dask" else None)
    )
    try:
        there = BandIndex(keys, sig, s, map_bands=eng.map)
    finally:
        eng.close()
    assert all(here.neighbours(k) == there.neighbours(k) for k in keys)
    assert sum(len(here.neighbours(k)) > 1 for k in keys) > 100
