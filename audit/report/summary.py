"""summary.md: the short Markdown summary, also appended to $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from audit.report.files import atomic_write_text


def render_summary(results: dict[str, Any]) -> str:
    """The Markdown summary of a results document."""
    gate = results["gate"]
    run = results["run"]
    verdicts = Counter(d["verdict"] for d in results["documents"])
    by_check: Counter[tuple[str, str]] = Counter()
    for doc in results["documents"]:
        for f in doc["findings"]:
            by_check[(f["check"], f["severity"])] += 1
    status = "passed" if gate["passed"] else "FAILED"
    lines = [
        f"## audit: gate {status} (fail on {gate['fail_on']})",
        "",
        f"Run `{run['id']}`: {run['n_documents']} documents, {run['n_paragraphs']} paragraphs "
        f"in {run['duration_s']:.2f} s.",
        "",
        "| accepted | warned | quarantined | errors | warnings | info |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {verdicts.get('accept', 0)} | {verdicts.get('warn', 0)} | "
        f"{verdicts.get('quarantine', 0)} | {gate['counts']['error']} | "
        f"{gate['counts']['warning']} | {gate['counts']['info']} |",
        "",
    ]
    if by_check:
        lines += ["| check | severity | documents |", "| --- | --- | ---: |"]
        for (check, severity), n in sorted(by_check.items()):
            lines.append(f"| `{check}` | {severity} | {n} |")
        lines.append("")
    clusters = results.get("clusters", [])
    if clusters:
        lines.append(f"{len(clusters)} duplicate clusters.")
        lines.append("")
    return "\n".join(lines)


def write_summary(results: dict[str, Any], path: Path) -> None:
    """Write summary.md and append it to ``$GITHUB_STEP_SUMMARY`` when that is set."""
    text = render_summary(results)
    atomic_write_text(path, text)
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        try:
            with open(step, "a", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError:
            pass
