"""The side task: writers run in a forked process, their outcome brought back."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from audit.config import ConfigError
from audit.parallel import SideTask, can_fork
from audit.report.files import atomic_open

forks = pytest.mark.skipif(not can_fork(), reason="forks only on Linux")


@forks
def test_the_work_runs_in_another_process_and_its_value_comes_back(tmp_path: Path) -> None:
    def work() -> dict[str, int]:
        (tmp_path / "out.txt").write_text("written")
        return {"pid": os.getpid()}

    with SideTask(work) as task:
        got = task.join()
    assert got["pid"] != os.getpid()
    assert (tmp_path / "out.txt").read_text() == "written"


@forks
def test_an_error_in_the_child_is_raised_again_by_join() -> None:
    def work() -> None:
        raise ConfigError("out/junit.xml: no space left on device")

    with SideTask(work) as task, pytest.raises(ConfigError, match="no space left"):
        task.join()


@forks
def test_an_error_that_does_not_pickle_comes_back_as_its_type_and_message() -> None:
    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:
            super().__init__(f"{a}/{b}")

        def __reduce__(self) -> tuple[object, ...]:
            raise TypeError("no")

    def work() -> None:
        raise Odd(1, 2)

    with SideTask(work) as task, pytest.raises(RuntimeError, match="Odd: 1/2"):
        task.join()


def _refuse() -> None:
    raise TypeError("cannot be made again")


class _Rebuilt(Exception):
    """Pickles, but cannot be made again from what it pickles to."""

    def __reduce__(self) -> tuple[object, ...]:
        return (_refuse, ())


@forks
def test_an_error_that_cannot_be_made_again_comes_back_as_its_message() -> None:
    def work() -> None:
        raise _Rebuilt("1:2")

    with SideTask(work) as task, pytest.raises(RuntimeError, match="_Rebuilt: 1:2"):
        task.join()


@forks
def test_a_child_killed_by_a_signal_is_reported() -> None:
    def work() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with SideTask(work) as task, pytest.raises(RuntimeError, match="killed by signal 9"):
        task.join()


@forks
def test_a_caller_that_fails_before_joining_stops_the_child(tmp_path: Path) -> None:
    def work() -> None:
        time.sleep(30)
        (tmp_path / "late").write_text("x")

    t0 = time.perf_counter()
    with pytest.raises(KeyError), SideTask(work):
        raise KeyError("the caller's own failure")
    assert time.perf_counter() - t0 < 10
    assert not (tmp_path / "late").exists()


@forks
def test_a_stopped_child_removes_the_file_it_was_writing(tmp_path: Path) -> None:
    started = tmp_path / "started"

    def work() -> None:
        with atomic_open(tmp_path / "junit.xml") as fh:
            fh.write("<testsuites>")
            started.write_text("x")
            time.sleep(30)

    with pytest.raises(KeyError), SideTask(work):
        while not started.exists():
            time.sleep(0.01)
        raise KeyError("the caller's own failure")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["started"]


@forks
def test_a_stopped_child_prints_nothing_as_it_unwinds(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    started = tmp_path / "started"

    def work() -> None:
        try:
            started.write_text("x")
            time.sleep(30)
        finally:
            os.write(2, b"noise from the child\n")

    with pytest.raises(KeyError), SideTask(work):
        while not started.exists():
            time.sleep(0.01)
        raise KeyError("the caller's own failure")
    assert "noise" not in capfd.readouterr().err


def _swallow_stops(seconds: float) -> None:
    """Sleep ``seconds``, ignoring the stop, as when the signal lands in a callback
    (Python reports the exception there, then goes on)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(SystemExit):
            time.sleep(0.05)


@forks
def test_a_child_that_swallows_the_stop_is_killed_after_the_grace(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started = tmp_path / "started"

    def work() -> None:
        started.write_text("x")
        _swallow_stops(30)
        (tmp_path / "late").write_text("x")

    monkeypatch.setattr(SideTask, "stop_grace_s", 0.5)
    t0 = time.perf_counter()
    with pytest.raises(KeyError), SideTask(work):
        while not started.exists():
            time.sleep(0.01)
        raise KeyError("the caller's own failure")
    assert time.perf_counter() - t0 < 10
    assert not (tmp_path / "late").exists()


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed and waiting to be reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] != b"Z"


@forks
def test_a_killed_child_takes_the_processes_it_started_with_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started = tmp_path / "started"

    def work() -> None:
        pool = subprocess.Popen(["sleep", "60"])  # as a worker pool of its own
        started.write_text(str(pool.pid))
        _swallow_stops(30)

    monkeypatch.setattr(SideTask, "stop_grace_s", 0.5)
    with pytest.raises(KeyError), SideTask(work):
        while not started.exists() or not started.read_text():
            time.sleep(0.01)
        raise KeyError("the caller's own failure")
    grandchild = int(started.read_text())
    deadline = time.monotonic() + 5
    while _running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(grandchild)


def test_without_fork_the_work_runs_here_when_the_task_starts() -> None:
    calls: list[int] = []

    def work() -> int:
        calls.append(os.getpid())
        return 7

    task = SideTask(work, fork=False)
    assert not calls
    with task:
        assert calls == [os.getpid()]  # before anything the caller does inside
        assert task.join() == 7


def test_without_fork_an_error_stops_the_caller_at_once() -> None:
    def work() -> None:
        raise ConfigError("boom")

    reached = False
    with pytest.raises(ConfigError, match="boom"), SideTask(work, fork=False):
        reached = True
    assert not reached


@forks
def test_a_run_waits_for_the_chart_bundle_before_the_writers_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundle thread holds a lock while it builds; forked while held, the lock
    would stay held in the writer, whose report would wait for it for ever."""
    from audit.config import Settings
    from audit.pipeline import run_audit
    from audit.report import charts
    from tests.conftest import SEEDS

    def slow_bundle() -> None:
        time.sleep(3)

    monkeypatch.setattr(charts, "_vega_bundle", slow_bundle)
    settings = Settings(paths=(str(SEEDS),), out=str(tmp_path), jobs=2, progress=False)
    done: list[object] = []
    runner = threading.Thread(target=lambda: done.append(run_audit(settings)), daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert done and (tmp_path / "latest" / "report.html").exists()
