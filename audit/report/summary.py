"""summary.md: the gate in a few lines of Markdown, also appended to ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audit.history import baseline, history_entry
from audit.report.documents import EncodedDocuments
from audit.report.files import atomic_write_text

log = logging.getLogger(__name__)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~&])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEVERITIES = ("error", "warning", "info")


def _md(value: Any, limit: int = 160) -> str:
    """Plain text made safe for a Markdown table cell (no markup, no HTML, one line)."""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _MD_SPECIAL.sub(r"\\\1", text)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _tally(
    results: Mapping[str, Any], max_documents: int
) -> tuple[int, Counter[str], dict[str, Counter[str]], list[tuple[Any, str]]]:
    """Documents, documents per verdict, findings per check and severity, and the
    (doc_id, reasons) of the first ``max_documents`` quarantined documents."""
    docs = results.get("documents") or []
    verdicts: Counter[str]
    by_check: dict[str, Counter[str]]
    quarantined: list[tuple[Any, str]]
    if isinstance(docs, EncodedDocuments) and docs.listing is not None:
        # kept as the results were built: only the few quarantined listed are read
        listing = docs.listing
        verdicts, by_check = listing.tally()
        first = itertools.islice(listing.positions("quarantine"), max(max_documents, 0))
        quarantined = [_reasons(docs.decoded(i)) for i in first]
        return len(listing), verdicts, by_check, quarantined
    # one pass over the documents (a large run reads them one at a time)
    n_documents = 0
    verdicts = Counter()
    by_check = {}
    quarantined = []
    for doc in docs:
        n_documents += 1
        verdict = str(doc.get("verdict"))
        verdicts[verdict] += 1
        for f in doc.get("findings") or []:
            by_check.setdefault(str(f.get("check")), Counter())[str(f.get("severity"))] += 1
        if verdict == "quarantine" and len(quarantined) < max_documents:
            quarantined.append(_reasons(doc))
    return n_documents, verdicts, by_check, quarantined


def _reasons(doc: Mapping[str, Any]) -> tuple[Any, str]:
    """A quarantined document's id and its errors and warnings, as the summary lists them."""
    reasons = "; ".join(
        f"{f.get('check')}: {f.get('message')}"
        for f in doc.get("findings") or []
        if f.get("severity") in ("error", "warning")
    )
    return doc.get("doc_id"), reasons


def render_summary(
    results: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] | None = None,
    max_documents: int = 20,
    baseline_runs: int = 10,
) -> str:
    """The Markdown summary of a results.json document.

    Args:
        results: the results document.
        history: earlier runs (``read_history``), for a line against the baseline.
        max_documents: quarantined documents listed at most.
        baseline_runs: passing runs the baseline is drawn from.
    """
    run = results.get("run") or {}
    gate = results.get("gate") or {}
    passed = bool(gate.get("passed"))
    fail_on = gate.get("fail_on", "error")
    counts = {s: int((gate.get("counts") or {}).get(s, 0)) for s in _SEVERITIES}
    n_documents, verdicts, by_check, quarantined = _tally(results, max_documents)
    inputs = ", ".join(map(str, run.get("inputs") or [])) or "-"

    lines = [
        f"### audit: gate {'PASSED' if passed else 'FAILED'} (fail-on {_md(fail_on)})",
        "",
        f"{n_documents} documents from {_md(inputs)}"
        f" · run {_md(run.get('id', '-'))} · {float(run.get('duration_s') or 0):.1f} s",
        "",
        "| verdict | documents |",
        "| --- | ---: |",
        f"| accepted | {verdicts.get('accept', 0)} |",
        f"| warned | {verdicts.get('warn', 0)} |",
        f"| quarantined | {verdicts.get('quarantine', 0)} |",
        "",
        "Findings: " + " · ".join(f"**{counts[s]}** {s}" for s in _SEVERITIES),
    ]

    if by_check:
        lines += ["", "| check | error | warning | info |", "| --- | ---: | ---: | ---: |"]
        order = sorted(
            by_check.items(), key=lambda kv: (*tuple(-kv[1][s] for s in _SEVERITIES), kv[0])
        )
        for check, c in order:
            lines.append(f"| {_md(check)} | {c['error']} | {c['warning']} | {c['info']} |")

    n_quarantined = verdicts.get("quarantine", 0)
    if n_quarantined:
        more = f", first {len(quarantined)}" if len(quarantined) < n_quarantined else ""
        lines += [
            "",
            f"#### Quarantined ({n_quarantined}{more})",
            "",
            "| document | reasons |",
            "| --- | --- |",
        ]
        for doc_id, reasons in quarantined:
            lines.append(f"| {_md(doc_id, 80)} | {_md(reasons, 240)} |")

    index = results.get("index")
    if isinstance(index, Mapping) and index.get("location"):
        admitted = index.get("admitted")
        lines += [
            "",
            f"Corpus index {_md(index['location'])}: {int(index.get('matches') or 0)} documents"
            " duplicate admitted ones; "
            + ("nothing admitted" if not admitted else f"{int(admitted)} admitted")
            + (
                f"; {int(index['documents'])} in the index"
                if index.get("documents") is not None
                else ""
            ),
        ]

    base = baseline(history or [], runs=baseline_runs)
    if base is not None and n_documents:
        now = history_entry(results)
        rate = now["verdicts"]["quarantine"] / max(n_documents, 1)
        lines += [
            "",
            f"Against the baseline of the last {base['runs']} passing runs: quarantined "
            f"{_pct(rate)} (baseline {_pct(base['quarantine_rate'])}), errors {counts['error']}"
            f" (baseline {base['counts']['error']:g}), warnings {counts['warning']}"
            f" (baseline {base['counts']['warning']:g}).",
        ]
    return "\n".join(lines) + "\n"


def write_summary(
    results: Mapping[str, Any],
    path: str | Path,
    history: Sequence[Mapping[str, Any]] | None = None,
    max_documents: int = 20,
    baseline_runs: int = 10,
) -> Path:
    """Write summary.md and append it to ``$GITHUB_STEP_SUMMARY`` when that is set.

    A step summary that cannot be written is logged, not fatal: the run's own
    files are what count.

    Returns:
        The path written.
    """
    text = render_summary(results, history, max_documents, baseline_runs)
    target = Path(path)
    atomic_write_text(target, text)
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        try:
            with open(step, "a", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            log.warning("cannot append to $GITHUB_STEP_SUMMARY (%s): %s", step, exc)
    return target
