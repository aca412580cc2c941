"""Tests for audit.report.cli: `audit report RESULTS.json [-o report.html]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from audit.report.cli import report_command
from bench.sample_results import build_history, build_results

app = typer.Typer()
app.command("report")(report_command)
app.command("noop", hidden=True)(lambda: None)  # keep `report` a subcommand, as in the main app


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["report", *args])
    return result.exit_code, result.output


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "reports" / "run1"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(build_results(12, seed=2)))
    return folder


def test_writes_report_beside_results_with_history(run_dir: Path) -> None:
    history = build_history(3)
    (run_dir.parent / "history.jsonl").write_text("\n".join(json.dumps(h) for h in history))
    code, out = run(str(run_dir / "results.json"))
    assert code == 0, out
    html = (run_dir / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert history[0]["run_id"] in html  # the trend's figures table lists earlier runs


def test_output_option(run_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.html"
    code, out = run(str(run_dir / "results.json"), "-o", str(target))
    assert code == 0, out
    assert target.is_file() and not (run_dir / "report.html").exists()
    assert str(target) in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2]", "not a results document"),
        (b"{}", "not a results document (no valid schema_version, run, gate, documents)"),
        (b'{"schema_version": true, "run": {}, "gate": {}, "documents": []}', "schema_version"),
        (b'{"schema_version": 1, "run": {}, "gate": {}}', "no valid documents"),
        (
            b'{"schema_version": 2, "run": {}, "gate": {}, "documents": []}',
            "schema_version 2 is not supported",
        ),
    ],
)
def test_bad_results_file_exits_2_with_one_line(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_bytes(content)
    code, out = run(str(path))
    assert code == 2
    assert message in out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1


def test_unwritable_output_exits_2(run_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    code, out = run(str(run_dir / "results.json"), "-o", str(tmp_path / "file" / "r.html"))
    assert code == 2
    assert "cannot write" in out
