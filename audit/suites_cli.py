"""``audit suites list|show`` and ``audit init``: look at the suites, start a project.

Mounted on the main app by :mod:`audit.cli`::

    app.add_typer(suites_app, name="suites")
    app.command("init")(init_command)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

# audit.expectations (pandas, GX) is imported inside the commands: `audit --help`
# must stay fast.
DEFAULT_SUITES = "expectations"

suites_app = typer.Typer(
    help="The expectation suites: what each checks, its severity, rationale and remedy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SuitesOption = Annotated[
    str,
    typer.Option(
        "--suites",
        help="Suites file or folder (default: expectations/, else the shipped suites).",
    ),
]

STARTER_TOML = """\
# Settings for `audit run` in this folder; options on the command line win.
# Every key is optional: a missing key keeps its default (see `audit run --help`).

paths = ["data"]            # files or folders to audit
out = "reports"             # where run folders go
suites = "expectations"     # the expectation suites this team owns (edit them freely)
fail_on = "error"           # error | warning | never
# index = "corpus-index.sqlite"   # persistent index of admitted documents
# jobs = 1

[inputs]
# include = ["**/*.jsonl", "**/*.txt"]
# exclude = ["**/drafts/**"]
# columns = { text = "body", published = "pub_date" }

[signals]
language = "en"             # expected language(s), comma-separated: "en, fr"
# dayfirst = false          # read 05/10/2022 as 5 October
# boilerplate_exempt_reasons = ["similar_readings"]
"""


def _fail(message: str) -> NoReturn:
    typer.echo(f"audit: {message}", err=True)
    raise typer.Exit(2)


def _load(suites: str) -> tuple[Path, list[Any]]:
    from audit.expectations import SuiteError, load_suites, resolve_suites

    try:
        path = resolve_suites(suites)
        return path, load_suites(path)
    except SuiteError as exc:
        _fail(str(exc))


@suites_app.command("list")
def list_suites(suites: SuitesOption = DEFAULT_SUITES) -> None:
    """List the suites: name, number of expectations, the checks they raise."""
    path, loaded = _load(suites)
    typer.echo(f"suites in {path}:")
    for suite in loaded:
        checks = sorted({e.meta["check"] for e in suite.expectations})
        severities = [str(getattr(e.severity, "value", e.severity)) for e in suite.expectations]
        counts = ", ".join(f"{severities.count(s)} {s}" for s in ("critical", "warning", "info"))
        typer.echo(f"  {suite.name:<12} {len(suite.expectations):>3} expectations ({counts})")
        typer.echo(f"  {'':<12} checks: {', '.join(checks)}")


@suites_app.command("show")
def show_suite(
    name: Annotated[str, typer.Argument(help="The suite's name, e.g. metadata.")],
    suites: SuitesOption = DEFAULT_SUITES,
    as_json: Annotated[bool, typer.Option("--json", help="Print the suite's JSON.")] = False,
) -> None:
    """Show one suite: each expectation's severity, check, rationale and remedy."""
    from audit.expectations import labels

    path, loaded = _load(suites)
    found = [s for s in loaded if s.name == name]
    if not found:
        known = ", ".join(s.name for s in loaded)
        _fail(f"no suite named {name!r} in {path} (suites: {known})")
    suite = found[0]
    if as_json:
        typer.echo(json.dumps(suite.to_json_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(f"{suite.name}: {len(suite.expectations)} expectations")
    if suite.notes:
        typer.echo(f"  {suite.notes}")
    for exp, label in zip(suite.expectations, labels(suite.expectations), strict=True):
        severity = str(getattr(exp.severity, "value", exp.severity))
        typer.echo(f"\n  [{severity}] {exp.meta['check']}: {label}")
        typer.echo(f"      why: {exp.meta['rationale']}")
        typer.echo(f"      fix: {exp.meta['remedy']}")


def init_command(
    directory: Annotated[
        Path, typer.Argument(help="Where to write audit.toml and expectations/ (default: here).")
    ] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Start a project: a starter audit.toml and a copy of the default suites to own."""
    from audit.expectations import packaged_suites, suite_files
    from audit.report.files import atomic_write_text

    target = directory / "expectations"
    toml = directory / "audit.toml"
    sources = suite_files(packaged_suites())
    existing = [p for p in (toml, *(target / s.name for s in sources)) if p.exists()]
    if existing and not force:
        _fail(f"{existing[0]} exists (use --force to overwrite)")
    try:
        target.mkdir(parents=True, exist_ok=True)
        atomic_write_text(toml, STARTER_TOML)  # never a half-written file after a crash
        for src in sources:
            atomic_write_text(target / src.name, src.read_text(encoding="utf-8"))
    except OSError as exc:
        _fail(f"cannot write to {directory}: {exc.strerror or exc}")
    typer.echo(f"wrote {toml} and {len(sources)} suites in {target}/")
    typer.echo("next: edit audit.toml (paths), tune the suites, then run `audit run`")
