"""``audit index stats | remove ID... | rebuild``: look after the persistent corpus index.

Exit codes: 0 done; 1 ``remove`` named ids that are not in the index (unless
``--missing-ok``); 2 the index or the settings could not be used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from audit.config import ConfigError, Settings
from audit.index import CorpusIndex, IndexError_, IndexStats, open_index

index_app = typer.Typer(
    name="index",
    help="Inspect and maintain the persistent corpus index (--index).",
    no_args_is_help=True,
    add_completion=False,
)

IndexOption = Annotated[
    str | None,
    typer.Option(
        "--index",
        help="SQLite file or redis://host:port/db (default: `index` in audit.toml).",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Settings file (TOML).", show_default=False),
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"audit: {message}", err=True)
    raise typer.Exit(2)


def _open(index: str | None, config: Path | None) -> CorpusIndex:
    """Open the index named on the command line or in the settings, or exit 2."""
    try:
        settings = Settings.load(config, overrides={"index": index})
    except ConfigError as exc:
        _fail(str(exc))
    if not settings.index:
        _fail("no corpus index given: use --index PATH_OR_URL or set `index` in audit.toml")
    try:
        return open_index(
            settings.index,
            settings.dedup,
            create=False,
            timeout_s=settings.gate.index_timeout_s,
            lock_ttl_s=settings.gate.index_lock_ttl_s,
        )
    except IndexError_ as exc:
        _fail(str(exc))


def format_stats(stats: IndexStats) -> str:
    """Human-readable ``audit index stats`` output."""
    size = ""
    if stats.size_bytes is not None:
        size = (
            f" ({stats.size_bytes / 1e6:.1f} MB)"
            if stats.size_bytes >= 1e6
            else (f" ({stats.size_bytes / 1e3:.1f} kB)")
        )
    lines = [
        f"index:      {stats.location} [{stats.backend}, format {stats.format_version}]{size}",
        f"documents:  {stats.documents}",
        f"signatures: num_perm={stats.num_perm} seed={stats.seed} scheme={stats.scheme} "
        f"shingle_size={stats.shingle_size}",
        f"lsh:        {stats.bands} bands x {stats.rows} rows (threshold {stats.threshold:g})",
        f"created:    {stats.created_at or '-'}",
        f"last admit: {stats.last_admit_at or '-'}",
    ]
    return "\n".join(lines)


@index_app.command("stats")
def stats_command(
    index: IndexOption = None,
    config: ConfigOption = None,
    output: Annotated[
        str, typer.Option("--format", help="text or json.", show_default=True)
    ] = "text",
) -> None:
    """Show how many documents the index holds and how it was built."""
    if output not in ("text", "json"):
        _fail(f"--format must be text or json, not {output!r}")
    with _open(index, config) as ix:
        try:
            stats = ix.stats()
        except IndexError_ as exc:
            _fail(str(exc))
    if output == "json":
        typer.echo(json.dumps(stats.to_dict(), indent=2))
    else:
        typer.echo(format_stats(stats))


@index_app.command("remove")
def remove_command(
    ids: Annotated[
        list[str], typer.Argument(help="Ids of admitted documents.", show_default=False)
    ],
    index: IndexOption = None,
    config: ConfigOption = None,
    missing_ok: Annotated[
        bool, typer.Option("--missing-ok", help="Exit 0 even if some ids are not in the index.")
    ] = False,
) -> None:
    """Remove documents from the index (in one transaction)."""
    with _open(index, config) as ix:
        try:
            removed = ix.remove(ids)
        except IndexError_ as exc:
            _fail(str(exc))
        location = ix.location
    typer.echo(f"removed {len(removed)} document(s) from {location}")
    gone = set(removed)
    missing = [i for i in dict.fromkeys(ids) if i not in gone]
    if missing:
        typer.echo(f"not in the index: {', '.join(missing)}", err=True)
        if not missing_ok:
            raise typer.Exit(1)


@index_app.command("rebuild")
def rebuild_command(index: IndexOption = None, config: ConfigOption = None) -> None:
    """Recompute LSH band keys from the stored signatures (after changing dedup.threshold)."""
    with _open(index, config) as ix:
        try:
            stats = ix.rebuild()
        except IndexError_ as exc:
            _fail(str(exc))
    typer.echo(
        f"rebuilt {stats.location}: {stats.documents} documents, "
        f"{stats.bands} bands x {stats.rows} rows (threshold {stats.threshold:g})"
    )
