"""``audit report RESULTS.json [-o report.html]``: re-render a report from a results file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer


def report_command(
    results: Annotated[
        Path,
        typer.Argument(help="A results.json written by `audit run`.", show_default=False),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the page (default: report.html beside RESULTS).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Re-render the HTML report from a results file.

    The trend chart reads ``history.jsonl`` from the output folder the run folder
    sits in (or from the results file's own folder). Exit code 2 when the results
    file cannot be read or the page cannot be written.
    """
    from audit.report.html import write_report

    data = _load(results)
    target = output if output is not None else results.parent / "report.html"
    history = _history_for(results)
    try:
        write_report(data, target, history)
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror or exc}")
    typer.echo(f"wrote {target}")


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        _fail(f"{path}: not UTF-8 text")
    try:
        data = json.loads(text)
    except ValueError as exc:
        _fail(f"{path}: not valid JSON ({exc})")
    shape = {"schema_version": int, "run": dict, "gate": dict, "documents": list}
    missing = [
        key
        for key, kind in shape.items()
        if not isinstance(data, dict)
        or not isinstance(data.get(key), kind)
        or isinstance(data.get(key), bool)
    ]
    if missing:
        _fail(f"{path}: not a results document (no valid {', '.join(missing)})")
    if data["schema_version"] != 1:
        _fail(f"{path}: schema_version {data['schema_version']!r} is not supported (expected 1)")
    return data


def _history_for(results: Path) -> list[dict[str, Any]]:
    from audit.report.html import HISTORY_FILE, read_history

    folder = results.resolve().parent
    for candidate in (folder.parent, folder):
        if (candidate / HISTORY_FILE).is_file():
            return read_history(candidate)
    return []


def _fail(message: str) -> NoReturn:
    typer.echo(f"audit: {message}", err=True)
    raise typer.Exit(2)
