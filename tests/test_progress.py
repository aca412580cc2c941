"""Stage timings and the progress display."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.file_proxy import FileProxy

from audit.config import Settings
from audit.progress import Stages, take_times, timed
from tests.conftest import ROOT, SEEDS


def test_stages_are_timed_in_order_and_chunk_times_summed() -> None:
    stages = Stages(enabled=False)
    items = list(stages.track(iter([2, 3]), "read_parse", lambda n: n))
    stages.start("gate")
    time.sleep(0.02)
    stages.stop()
    stages.add_chunk_times({"parse": 1.5})
    stages.add_chunk_times({"parse": 0.5, "pack": 0.25})
    assert items == [2, 3]
    assert list(stages.times) == ["read_parse", "gate"]
    assert stages.times["gate"] >= 0.02
    assert stages.to_dict()["chunks.parse"] == 2.0
    assert stages.to_dict()["chunks.pack"] == 0.25


def test_timed_blocks_add_up_per_process() -> None:
    take_times()
    with timed("x"):
        time.sleep(0.01)
    with timed("x"):
        pass
    got = take_times()
    assert set(got) == {"x"} and got["x"] >= 0.01
    assert take_times() == {}


def test_progress_draws_each_stage_on_a_terminal() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    stages = Stages(enabled=True, console=console)
    for _ in stages.track(iter(range(3)), "read_parse", lambda _: 1000):
        pass
    stages.start("dedup")
    stages.stop()
    out = buffer.getvalue()
    assert "read_parse" in out and "3,000 documents" in out and "dedup" in out


def test_progress_is_off_for_json_quiet_and_pipes() -> None:
    assert Stages.for_settings(Settings(format="json"))._progress is None
    assert Stages.for_settings(Settings(progress=False))._progress is None
    # pytest captures stderr, so it is not a terminal here
    assert Stages.for_settings(Settings())._progress is None


def test_a_run_writes_stage_timings_and_nothing_to_a_piped_stderr(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "audit", "run", str(SEEDS), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert proc.returncode in (0, 1)
    assert proc.stderr == ""
    run = json.loads((tmp_path / "latest" / "results.json").read_text())["run"]
    assert {"read_parse", "gate", "results", "chunks.parse", "write.report"} <= set(run["stages"])
    assert sum(v for k, v in run["stages"].items() if "." not in k) <= run["duration_s"] + 0.01


def test_the_duplicate_search_runs_beside_the_suites_with_two_jobs(tmp_path: Path) -> None:
    from audit.parallel import can_fork
    from audit.pipeline import run_audit

    one = run_audit(Settings(paths=(str(SEEDS),), jobs=1), write=False).results["run"]
    two = run_audit(Settings(paths=(str(SEEDS),), jobs=2), write=False).results["run"]
    # with one job the search is the dedup stage; with two it runs in a fork and the
    # driver waits for it after the suites
    assert "dedup.search" in one["stages"] and "dedup.wait" not in one["stages"]
    assert one["stages"]["dedup"] >= one["stages"]["dedup.search"]
    assert ("dedup.wait" in two["stages"]) == can_fork()
    assert two["dedup"] == one["dedup"]
    for run in (one, two):
        assert sum(v for k, v in run["stages"].items() if "." not in k) <= run["duration_s"] + 0.01


def test_a_child_forked_while_the_display_draws_can_still_write() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    stages = Stages(enabled=True, console=console)
    stages.start("dedup")
    live = stages._progress.live
    held = threading.Event()

    def drawing() -> None:  # what rich's refresh thread does: draw while holding the lock
        with live._lock:
            held.set()
            time.sleep(0.3)

    thread = threading.Thread(target=drawing)
    try:
        thread.start()
        held.wait()
        pid = os.fork()  # waits for the drawing to end
        if pid == 0:
            signal.alarm(5)  # a child that blocks is killed, and the test fails
            code = 1
            try:
                print("from the child", file=sys.stderr)
                code = 0 if not isinstance(sys.stderr, FileProxy) else 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        thread.join()
    finally:
        stages.stop()  # later tests fork too: no display of this one may stay registered
    assert os.waitstatus_to_exitcode(status) == 0
