"""The HTML quality report: one self-contained file that opens offline.

The page is rendered from a results document (``results.json``) by Jinja2
templates in ``audit/report/templates/``. Summary, checks and clusters are plain
HTML; the documents table, the document views and the side-by-side pair views
are drawn by a small inlined script from JSON embedded in the page; charts are
Vega-Lite specs drawn by the inlined Vega bundle. Every string from the results
is escaped (HTML by Jinja's autoescape, JSON by escaping ``<``, ``>`` and ``&``),
the script builds the DOM with text nodes only, and a Content-Security-Policy
allows no requests and only the page's own scripts.

Example:
    >>> from pathlib import Path
    >>> results = json.loads(Path("reports/latest/results.json").read_text())
    >>> write_report(results, Path("report.html"), read_history(Path("reports")))
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from audit.config import ReportSettings
from audit.report import charts
from audit.report.files import atomic_write_text
from audit.report.view import build_view, limits_from

HISTORY_FILE = "history.jsonl"


def render_report(
    results: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] | None = None,
    *,
    limits: ReportSettings | None = None,
) -> str:
    """Render the whole self-contained report page for a results document.

    Args:
        results: The results document (results.json schema, with optional
            ``paragraphs``, evidence spans and shared passages).
        history: Earlier runs of the same output folder, oldest first, each
            ``{"run_id", "started_at", "passed", "counts"}`` (see :func:`read_history`).
        limits: Caps for large runs; default ``run.settings.report`` or built-in defaults.

    Returns:
        The HTML page as a string.

    Example:
        >>> html = render_report({"schema_version": 1, "documents": []})
        >>> html.startswith("<!DOCTYPE html>")
        True
    """
    view = build_view(results, history, limits_from(results, limits))
    figures = view["figures"]
    chart_list = [
        ("trend", "Findings per run", charts.trend_chart(figures["trend"])),
        ("garble", "Garble score distribution", charts.garble_chart(figures["garble"])),
        (
            "similarity",
            "Similarity of verified pairs",
            charts.similarity_chart(figures["similarity"]),
        ),
        ("sources", "Findings per source", charts.sources_chart(figures["sources"])),
    ]
    specs = {key: spec for key, _, spec in chart_list if spec is not None}
    bundle = charts.vega_bundle() if specs else None
    if bundle is not None:
        bundle = bundle.replace("</script", "<\\/script").replace("<!--", "<\\!--")
    app_js = _asset("report.js")
    data_json = _script_json({**view["data"], "charts": specs if bundle else {}})
    scripts = [app_js] + ([bundle] if bundle else [])
    csp = _csp(scripts, eval_needed=bundle is not None)
    template = _environment().get_template("report.html.j2")
    html: str = template.render(
        v=view,
        charts={key: spec is not None for key, _, spec in chart_list},
        charts_drawn=bundle is not None,
        css=_asset("report.css"),
        app_js=app_js,
        vega_js=bundle,
        data_json=data_json,
        csp=csp,
    )
    try:
        html.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from a results file cannot be written as UTF-8
        html = html.encode("utf-8", "replace").decode("utf-8")
    return html


def write_report(
    results: Mapping[str, Any],
    path: Path,
    history: Sequence[Mapping[str, Any]] | None = None,
    *,
    limits: ReportSettings | None = None,
) -> None:
    """Render the report and write it atomically (temp file in the same folder, then rename).

    Args:
        results: The results document.
        path: Where the page goes (its folder is created if missing).
        history: Earlier runs for the trend chart, as from :func:`read_history`.
        limits: Caps for large runs (see :func:`render_report`).
    """
    atomic_write_text(Path(path), render_report(results, history, limits=limits))


def read_history(out_dir: Path) -> list[dict[str, Any]]:
    """Earlier runs' summaries from ``OUT/history.jsonl``, oldest first.

    Lines that are not JSON objects with a ``run_id`` are skipped; a missing or
    unreadable file gives an empty history.

    Example:
        >>> read_history(Path("reports"))  # doctest: +SKIP
        [{'run_id': '20240101T120000Z', 'started_at': '...', 'passed': True, 'counts': {...}}]
    """
    from audit.history import read_history as read_entries

    out = []
    for entry in read_entries(out_dir):
        if isinstance(entry.get("run_id"), str):
            if not isinstance(entry.get("counts"), dict):
                entry["counts"] = {}
            out.append(entry)
    return out


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no ``</script>``, ``<!--`` or line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _csp(scripts: Sequence[str], *, eval_needed: bool) -> str:
    """A policy that allows no requests, inline styles, and only these exact scripts."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in scripts
    )
    # Vega compiles its expressions with Function(); nothing else needs eval.
    script_src = hashes + (" 'unsafe-eval'" if eval_needed else "")
    return (
        "default-src 'none'; "
        f"script-src {script_src}; "
        "style-src 'unsafe-inline'; "
        "img-src data:; font-src data:; "
        "connect-src 'none'; base-uri 'none'; form-action 'none'"
    )


@functools.cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("audit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt_num"] = _fmt_num
    env.filters["pct"] = _pct
    env.filters["urlencode"] = _quote
    return env


@functools.cache
def _asset(name: str) -> str:
    """A static asset of the templates folder (CSS or JS), inlined verbatim."""
    return resources.files("audit.report").joinpath("templates", name).read_text(encoding="utf-8")


def _fmt_num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _quote(value: Any) -> str:
    """Percent-encode for a URL fragment, as the page script's encodeURIComponent does."""
    return quote(str(value), safe="-_.!~*'()", errors="replace")


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"
