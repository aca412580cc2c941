"""`audit suites list|show` and `audit init`, driven through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from audit.config import Settings
from audit.expectations import load_suites, packaged_suites
from audit.suites_cli import init_command, suites_app
from tests.conftest import ROOT

app = typer.Typer()
app.add_typer(suites_app, name="suites")
app.command("init")(init_command)


@pytest.fixture()
def runner() -> CliRunner:
    """A runner for the sub-commands."""
    return CliRunner()


def test_list_names_each_suite_with_its_checks(runner: CliRunner) -> None:
    result = runner.invoke(app, ["suites", "list", "--suites", str(ROOT / "expectations")])
    assert result.exit_code == 0, result.output
    n = len(json.loads((ROOT / "expectations" / "metadata.json").read_text())["expectations"])
    assert f"{'metadata':<12} {n:>3} expectations" in result.output
    assert "checks: garbled_text" in result.output


def test_show_prints_rationale_and_remedy_or_json(runner: CliRunner) -> None:
    suites = str(ROOT / "expectations")
    result = runner.invoke(app, ["suites", "show", "content", "--suites", suites])
    assert result.exit_code == 0, result.output
    assert "[critical] empty_body: expect_column_values_to_be_between(word_count)" in result.output
    assert "why: " in result.output and "fix: " in result.output
    raw = runner.invoke(app, ["suites", "show", "translation", "--suites", suites, "--json"])
    assert json.loads(raw.output)["name"] == "translation"


def test_unknown_suite_or_folder_exits_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["suites", "show", "nope", "--suites", str(ROOT / "expectations")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "no suite named 'nope'" in result.output
    missing = runner.invoke(app, ["suites", "list", "--suites", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no such suites" in missing.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "s.json").write_text(
        json.dumps(
            {
                "name": "s",
                "expectations": [
                    {
                        "type": "expect_column_values_to_be_purple",
                        "kwargs": {"column": "x"},
                        "meta": {"check": "a", "rationale": "r", "remedy": "f"},
                    }
                ],
            }
        )
    )
    unknown = runner.invoke(app, ["suites", "list", "--suites", str(bad)])
    assert unknown.exit_code == 2 and "expect_column_values_to_be_purple" in unknown.output


def test_init_writes_a_working_starter_and_refuses_to_overwrite(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    settings = Settings.load(cwd=tmp_path)
    assert settings.suites == "expectations" and settings.signals.language == "en"
    copied = sorted(p.name for p in (tmp_path / "expectations").glob("*.json"))
    assert copied == sorted(p.name for p in packaged_suites().glob("*.json"))
    assert [s.name for s in load_suites(tmp_path / "expectations")] == [
        "content",
        "metadata",
        "translation",
    ]
    again = runner.invoke(app, ["init", str(tmp_path)])
    assert again.exit_code == 2 and "exists" in again.output
    forced = runner.invoke(app, ["init", str(tmp_path), "--force"])
    assert forced.exit_code == 0
