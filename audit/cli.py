"""The ``audit`` command: parses options into Settings, calls the library, maps exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from audit.config import ConfigError, Settings

app = typer.Typer(
    name="audit",
    help="Audit a batch of scraped articles: duplicates, metadata, garbled text, chrome.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class FailOn(StrEnum):
    """Gate threshold."""

    error = "error"
    warning = "warning"
    never = "never"


class OutputFormat(StrEnum):
    """What goes to stdout."""

    text = "text"
    json = "json"


class EngineName(StrEnum):
    """Where the per-chunk work runs."""

    local = "local"
    dask = "dask"


def _version(value: bool) -> None:
    if value:
        from audit import __version__

        typer.echo(f"audit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Audit a batch of scraped articles: duplicates, metadata, garbled text, chrome."""


@app.command()
def run(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Files or folders to audit (default: seeds/).", show_default=False),
    ] = None,
    out: Annotated[str | None, typer.Option("--out", help="Where run folders go.")] = None,
    suites: Annotated[str | None, typer.Option(help="Expectation suites folder.")] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Fail the gate on findings at or above this severity."),
    ] = None,
    index: Annotated[
        str | None, typer.Option(help="Corpus index: SQLite file path or redis://host:port/db.")
    ] = None,
    admit: Annotated[
        bool,
        typer.Option("--admit", help="After a passing gate, add accepted documents to --index."),
    ] = False,
    output_format: Annotated[
        OutputFormat | None, typer.Option("--format", help="What goes to stdout.")
    ] = None,
    jobs: Annotated[int | None, typer.Option(help="Local worker processes.")] = None,
    engine: Annotated[EngineName | None, typer.Option(help="Where the work runs.")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, or 'local' for a LocalCluster.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="Settings file (TOML); default audit.toml, and \\[tool.audit] in pyproject.toml."
        ),
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option(help="Only files whose relative path matches this glob (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Skip files whose relative path matches this glob (repeatable)."),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(help="Column mapping for tables, FIELD=COLUMN, e.g. text=story (repeatable)."),
    ] = None,
    patterns: Annotated[
        list[str] | None, typer.Option(help="Extra parser pattern file (TOML, repeatable).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Audit PATHs and write a run folder; exit 0 if the gate passed, 1 if not, 2 on a
    bad option."""
    overrides: dict[str, Any] = {
        "paths": tuple(paths) if paths else None,
        "out": out,
        "suites": suites,
        "fail_on": fail_on.value if fail_on else None,
        "index": index,
        "admit": admit or None,
        "format": output_format.value if output_format else None,
        "jobs": jobs,
        "engine": engine.value if engine else None,
        "scheduler": scheduler,
        "progress": False if quiet else None,
    }
    inputs: dict[str, Any] = {}
    if include:
        inputs["include"] = include
    if exclude:
        inputs["exclude"] = exclude
    if column:
        inputs["columns"] = dict(_pair(c) for c in column)
    if inputs:
        overrides["inputs"] = inputs
    if patterns:
        overrides["parse"] = {"patterns": patterns}
    settings = _guard(lambda: Settings.load(config, overrides))
    from audit.pipeline import run_audit

    result = _guard(lambda: run_audit(settings))
    if settings.format == "json":
        _print_json(result)
    else:
        _print_text(result.results, result.run_dir)
    raise typer.Exit(result.exit_code)


def _print_json(result: Any) -> None:
    """The results document: the run folder's results.json (paragraphs and all) as written."""
    path = Path(result.run_dir) / "results.json" if result.run_dir else None
    if path is not None and path.is_file():
        with path.open(encoding="utf-8") as fh:
            for block in iter(lambda: fh.read(1 << 20), ""):
                sys.stdout.write(block)
        return
    from audit.report.files import dumps_line

    sys.stdout.write(dumps_line(result.results) + "\n")


def _pair(text: str) -> tuple[str, str]:
    if "=" not in text:
        _fail(f"--column wants FIELD=COLUMN, not {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def _guard(fn: Any) -> Any:
    """Run ``fn``; a ConfigError (or any crash) becomes a one-line message and exit 2."""
    try:
        return fn()
    except ConfigError as exc:
        _fail(str(exc))
    except Exception as exc:
        if os.environ.get("AUDIT_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set AUDIT_DEBUG=1 for details)")


def _fail(message: str) -> None:
    typer.echo(f"audit: {printable(message, 2000)}", err=True)
    raise typer.Exit(2)


_ID_WIDTH = 60  # longer document ids are cut in the text listing (results.json has them whole)


def printable(text: str, limit: int = _ID_WIDTH) -> str:
    """``text`` safe for a terminal or CI log: control characters escaped, cut to ``limit``.

    Document ids come from file names and input records; printed raw, a newline
    or an escape sequence in one could forge lines of the log.

    Example:
        >>> print(printable("a\\nb\\x1b[2J"))
        a\\nb\\x1b[2J
    """
    if text.isprintable():
        return text if len(text) <= limit else text[: limit - 1] + "…"
    out = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _listing(documents: Any) -> Iterator[tuple[str, str, str]]:
    """(verdict, id, checks) per document: kept as the results were built, else decoded."""
    from audit.report.documents import EncodedDocuments, Listing, bare_documents

    if isinstance(documents, EncodedDocuments) and documents.listing is not None:
        return iter(documents.listing)
    listing = Listing()
    for doc in bare_documents(documents):
        listing.add(
            doc["doc_id"], doc["verdict"], [(f["check"], f["severity"]) for f in doc["findings"]]
        )
    return iter(listing)


def _print_text(results: dict[str, Any], run_dir: str | None) -> None:
    gate = results["gate"]
    rows = [(v, printable(doc_id), checks) for v, doc_id, checks in _listing(results["documents"])]
    width = max((len(doc_id) for _, doc_id, _ in rows), default=10)
    for at in range(0, len(rows), 1000):  # a thousand lines per write
        block = rows[at : at + 1000]
        typer.echo("\n".join(f"{v:<10} {d:<{width}}  {c}" for v, d, c in block))
    counts = gate["counts"]
    status = "passed" if gate["passed"] else "FAILED"
    typer.echo(
        f"\ngate {status} (fail on {gate['fail_on']}): {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} info "
        f"in {results['run']['n_documents']} documents"
    )
    if run_dir:
        typer.echo(f"report: {Path(run_dir) / 'report.html'}")


def _mount() -> None:
    """Commands that live beside the stage they belong to."""
    from audit.index.cli import index_app
    from audit.report.cli import report_command
    from audit.suites_cli import init_command, suites_app

    app.command("report")(report_command)
    app.add_typer(suites_app, name="suites")
    app.command("init")(init_command)
    app.add_typer(index_app, name="index")


_mount()


def main() -> None:
    """Entry point of the ``audit`` console script: usage errors are one line, exit 2."""
    try:
        from typer._click import exceptions as cx  # typer >= 0.24 vendors click
    except ImportError:  # pragma: no cover - older typer
        from click import exceptions as cx  # type: ignore[no-redef]

    try:
        code = app(standalone_mode=False)
    except cx.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else "usage: audit COMMAND")
        sys.exit(0)
    except cx.UsageError as exc:
        typer.echo(f"audit: {exc.format_message()}", err=True)
        sys.exit(2)
    except cx.ClickException as exc:
        typer.echo(f"audit: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("audit: aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
