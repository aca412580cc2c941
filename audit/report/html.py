"""report.html: one self-contained page rendered from results.json with Jinja2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit.report.files import atomic_write_text


def render_report(results: dict[str, Any], history: list[dict[str, Any]] | None = None) -> str:
    """The whole report page for ``results``."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("audit", "report/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    return env.get_template("report.html.j2").render(r=results, history=history or [])


def write_report(
    results: dict[str, Any], path: Path, history: list[dict[str, Any]] | None = None
) -> None:
    """Render and write report.html atomically."""
    atomic_write_text(path, render_report(results, history))
