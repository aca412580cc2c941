"""Run-folder file helpers: atomic writes and the latest/ folder."""

from __future__ import annotations

from pathlib import Path

from audit.report.files import atomic_write_text, refresh_latest


def test_latest_mirrors_the_newest_run_and_shares_its_files(tmp_path: Path) -> None:
    first = tmp_path / "run1"
    atomic_write_text(first / "results.json", "{}\n")
    refresh_latest(first)
    second = tmp_path / "run2"
    atomic_write_text(second / "results.json", '{"run": 2}\n')
    atomic_write_text(second / "summary.md", "# two\n")
    latest = refresh_latest(second)
    assert sorted(p.name for p in latest.iterdir()) == ["results.json", "summary.md"]
    assert (latest / "results.json").read_text() == '{"run": 2}\n'
    assert (latest / "results.json").stat().st_ino == (second / "results.json").stat().st_ino
    assert (first / "results.json").read_text() == "{}\n"
    atomic_write_text(latest / "summary.md", "edited\n")  # replaced, not changed in place
    assert (second / "summary.md").read_text() == "# two\n"
    assert not list(tmp_path.glob(".latest.*"))


def test_written_files_are_ordinary_files_not_private_ones(tmp_path: Path) -> None:
    import os
    import stat

    mask = os.umask(0o022)
    os.umask(mask)
    path = tmp_path / "report.html"
    atomic_write_text(path, "<html></html>")  # a published CI artifact must be readable
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
