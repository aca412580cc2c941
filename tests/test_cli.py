"""The command line: run folder, exit codes, formats, settings files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audit.cli import app
from tests.conftest import ROOT

runner = CliRunner()
RUN_FILES = {
    "report.html",
    "results.json",
    "junit.xml",
    "accepted.jsonl",
    "quarantined.jsonl",
    "summary.md",
}


def run_cli(*args: str) -> tuple[int, str]:
    """Invoke ``audit`` in-process; returns (exit code, stdout)."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_run_on_seeds_writes_the_run_folder(tmp_path: Path, seeds_dir: Path) -> None:
    code, out = run_cli("run", str(seeds_dir), "--out", str(tmp_path), "--format", "json")
    assert code in (0, 1)
    results = json.loads(out)
    assert results["schema_version"] == 1
    assert {d["doc_id"] for d in results["documents"]} == {p.name for p in seeds_dir.iterdir()}
    runs = [p for p in tmp_path.iterdir() if p.is_dir() and p.name != "latest"]
    assert len(runs) == 1 and runs[0].name == results["run"]["id"]
    assert {p.name for p in runs[0].iterdir()} >= RUN_FILES
    assert {p.name for p in (tmp_path / "latest").iterdir()} >= RUN_FILES
    on_disk = json.loads((runs[0] / "results.json").read_text())
    assert on_disk["run"]["id"] == results["run"]["id"]
    for key in (
        "id",
        "started_at",
        "duration_s",
        "inputs",
        "n_documents",
        "n_paragraphs",
        "engine",
        "settings",
    ):
        assert key in on_disk["run"]
    dedup = on_disk["run"]["dedup"]  # the duplicate search's counts
    assert dedup["documents"] == len(on_disk["documents"])
    assert dedup["clusters"] == len(on_disk["clusters"])
    assert dedup["candidates"] == dedup["estimated_out"] + dedup["verified"] + dedup["rejected"]
    doc = on_disk["documents"][0]
    for key in (
        "doc_id",
        "source",
        "domain",
        "url",
        "title",
        "published",
        "word_count",
        "claimed_word_count",
        "signals",
        "verdict",
        "findings",
    ):
        assert key in doc
    for key in ("garble_score", "boilerplate_ratio", "dup_paragraph_fraction", "language"):
        assert key in doc["signals"]


def test_accepted_plus_quarantined_is_the_input(tmp_path: Path) -> None:
    batch = tmp_path / "in"
    batch.mkdir()
    (batch / "good.txt").write_text("A headline\n" + "A sentence of the story here. " * 20)
    (batch / "empty.txt").write_bytes(b"")
    (batch / "rows.jsonl").write_text('{"id": "r1", "text": "Row text."}\n{broken\n')
    code, _ = run_cli("run", str(batch), "--out", str(tmp_path / "out"), "-q")
    assert code == 1
    latest = tmp_path / "out" / "latest"
    accepted = [json.loads(x) for x in (latest / "accepted.jsonl").read_text().splitlines()]
    quarantined = [json.loads(x) for x in (latest / "quarantined.jsonl").read_text().splitlines()]
    ids = sorted(r["doc_id"] for r in accepted + quarantined)
    assert ids == ["empty.txt", "good.txt", "r1", "rows.jsonl:2"]
    bad = {r["doc_id"]: r for r in quarantined}
    assert bad["rows.jsonl:2"]["findings"][0]["check"] == "unreadable_input"
    assert "rows.jsonl:2: invalid JSON" in bad["rows.jsonl:2"]["findings"][0]["message"]
    row = next(r for r in accepted + quarantined if r["doc_id"] == "r1")
    assert row["record"] == {"id": "r1", "text": "Row text."}


def test_fail_on_never_passes_and_bad_options_exit_2(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    assert run_cli("run", missing, "--out", str(tmp_path), "-q")[0] == 1
    assert run_cli("run", missing, "--out", str(tmp_path), "-q", "--fail-on", "never")[0] == 0
    assert run_cli("run", "--fail-on", "bogus")[0] == 2
    assert run_cli("run", "--config", str(tmp_path / "missing.toml"))[0] == 2
    assert run_cli("run", "--admit", "--out", str(tmp_path))[0] == 2


def test_bad_output_folders_columns_and_jobs_are_one_line_errors(
    tmp_path: Path, seeds_dir: Path
) -> None:
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    for out, says in (
        (a_file, "afile: not a folder"),
        (a_file / "sub", "afile/sub: cannot write there: Not a directory"),
    ):
        result = runner.invoke(app, ["run", str(seeds_dir), "--out", str(out), "-q"])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1
        assert result.stderr.startswith("audit: --out ") and says in result.stderr
        assert "internal error" not in result.stderr
    for name in ("latest", "history.jsonl"):  # in a folder audit did not write: left alone
        foreign = tmp_path / f"foreign-{name}"
        foreign.mkdir()
        (foreign / name).write_text("the user's own")
        result = runner.invoke(app, ["run", str(seeds_dir), "--out", str(foreign), "-q"])
        assert (
            result.exit_code == 2 and f"holds a '{name}' that audit did not write" in result.stderr
        )
        assert (foreign / name).read_text() == "the user's own"
    ours = tmp_path / "ours"  # an output folder copied without its hidden marker
    assert runner.invoke(app, ["run", str(seeds_dir), "--out", str(ours), "-q"]).exit_code in (0, 1)
    (ours / ".audit-output").unlink()
    assert runner.invoke(app, ["run", str(seeds_dir), "--out", str(ours), "-q"]).exit_code in (0, 1)
    assert len((ours / "history.jsonl").read_text().splitlines()) == 2
    (ours / ".audit-output").unlink()  # and without latest/ either: its history says so
    shutil.rmtree(ours / "latest")
    assert runner.invoke(app, ["run", str(seeds_dir), "--out", str(ours), "-q"]).exit_code in (0, 1)
    assert len((ours / "history.jsonl").read_text().splitlines()) == 3
    for column, says in (
        ("bogus=x", "--column bogus=x: no field 'bogus' (fields: id, text, title"),
        ("=x", "--column =x: no field ''"),
        ("text=", "--column text=: which column holds text?"),
    ):
        result = runner.invoke(app, ["run", str(seeds_dir), "--column", column, "-q"])
        assert result.exit_code == 2 and says in result.stderr
    for jobs in ("0", "99999999999999999999"):
        result = runner.invoke(app, ["run", str(seeds_dir), "--jobs", jobs, "--out", str(tmp_path)])
        assert result.exit_code == 2 and f"jobs must be from 1 to 1024, not {jobs}" in result.stderr


def test_a_bad_index_stops_the_run_before_any_document_is_read(
    tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import audit.pipeline

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the input was read")

    monkeypatch.setattr(audit.pipeline, "read_chunks", never)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not an index")
    result = runner.invoke(
        app, ["run", str(seeds_dir), "--index", str(junk), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "junk.db: not an audit corpus index" in result.stderr
    missing = tmp_path / "missing.db"
    result = runner.invoke(
        app, ["run", str(seeds_dir), "--index", str(missing), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "missing.db: no corpus index here" in result.stderr


def test_settings_file_and_command_line_precedence(tmp_path: Path, seeds_dir: Path) -> None:
    cfg = tmp_path / "audit.toml"
    cfg.write_text(f'out = "{tmp_path / "from_config"}"\nfail_on = "never"\n')
    code, out = run_cli("run", str(seeds_dir), "--config", str(cfg), "--format", "json")
    assert code == 0
    assert json.loads(out)["gate"]["fail_on"] == "never"
    assert (tmp_path / "from_config" / "latest" / "results.json").is_file()
    code, out = run_cli(
        "run", str(seeds_dir), "--config", str(cfg), "--fail-on", "warning", "--format", "json"
    )
    assert json.loads(out)["gate"]["fail_on"] == "warning"
    cfg.write_text("fail_on = 3\n")
    assert run_cli("run", "--config", str(cfg))[0] == 2
    cfg.write_text("not toml [\n")
    assert run_cli("run", "--config", str(cfg))[0] == 2


def test_settings_files_of_the_wrong_shape_are_one_line_errors(
    tmp_path: Path, seeds_dir: Path
) -> None:
    from audit.index.cli import index_app

    cases = {
        "tool_int.toml": (b"tool = 5\n", "setting 'tool' must be a table"),
        "audit_int.toml": (b"[tool]\naudit = 5\n", "setting 'tool.audit' must be a table"),
        "latin1.toml": (b"# caf\xe9\nout = 'x'\n", "cannot read settings: not UTF-8"),
    }
    for name, (content, says) in cases.items():
        (tmp_path / name).write_bytes(content)
        config = str(tmp_path / name)
        for command, args in ((app, ["run", str(seeds_dir)]), (index_app, ["stats"])):
            result = runner.invoke(command, [*args, "--config", config, "--index", "x.db"])
            assert result.exit_code == 2, (name, result.output)
            assert says in result.stderr and result.stderr.count("\n") == 1, result.stderr
    for config in (str(tmp_path), "/dev/null"):
        result = runner.invoke(app, ["run", str(seeds_dir), "--config", config])
        assert (
            result.exit_code == 2 and "not a settings file (a folder or a device)" in result.stderr
        )


def test_console_script_one_line_errors_and_fast_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "audit", "run", "--fail-on", "bogus"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "audit", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0
    assert "great_expectations" not in proc.stderr and "dask" not in proc.stderr


def test_help_shows_bracketed_names_literally() -> None:
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "[tool.audit] in pyproject.toml" in result.output


def _suites_with(tmp_path: Path, change: str) -> Path:
    """A copy of the shipped suites with one expectation broken as ``change`` says."""
    folder = tmp_path / "suites"
    folder.mkdir(parents=True)
    for src in sorted((ROOT / "expectations").glob("*.json")):
        data = json.loads(src.read_text(encoding="utf-8"))
        if src.stem == "content":
            exp = data["expectations"][0]
            if change == "type":
                exp["type"] = "expect_column_values_to_be_bogus"
            else:
                del exp["meta"]["remedy"]
        (folder / src.name).write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_a_suite_error_stops_the_run_with_exit_2_on_every_path(tmp_path: Path) -> None:
    """Errors found without GX stop the run before reading; an unknown type (only GX can
    tell) after the first chunk, in-process and with a pool of workers alike."""
    docs = tmp_path / "in.jsonl"
    docs.write_text(
        "".join(json.dumps({"id": f"d{i}", "text": f"Story {i}. " * 30}) + "\n" for i in range(4)),
        encoding="utf-8",
    )
    config = tmp_path / "audit.toml"
    config.write_text("[inputs]\nchunk_size = 1\n", encoding="utf-8")
    meta = _suites_with(tmp_path / "a", "meta")
    code, out = run_cli("run", str(docs), "--suites", str(meta), "--out", str(tmp_path / "o"))
    assert code == 2 and "has no meta.remedy" in out
    bogus = _suites_with(tmp_path / "b", "type")
    for jobs in ("1", "2"):
        code, out = run_cli(
            "run", str(docs), "--suites", str(bogus), "--out", str(tmp_path / "o"),
            "--config", str(config), "--jobs", jobs,
        )  # fmt: skip
        assert code == 2, out
        assert "expect_column_values_to_be_bogus" in out
        assert "Traceback" not in out
