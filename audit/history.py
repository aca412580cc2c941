"""Run history: one line per run in ``OUT/history.jsonl``, and baselines from passing runs.

The report draws its trend from the history; a baseline (what a normal batch
looks like) is drawn only from runs whose gate passed, so a bad batch never
shifts what counts as normal. Runs made with ``--fail-on never`` pass by
definition, so they count only when they had no error findings.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

HISTORY_FILE = "history.jsonl"


def history_entry(results: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of one run that goes into the history, from its results.json document.

    Example:
        >>> entry = history_entry({"run": {"id": "r1"}, "gate": {"passed": True}})
        >>> entry["passed"], entry["n_documents"]
        (True, 0)
    """
    run = results.get("run") or {}
    gate = results.get("gate") or {}
    documents = results.get("documents") or []
    verdicts: Counter[str] = Counter()
    checks: Counter[str] = Counter()
    for doc in documents:  # one pass: a large run's documents are decoded as they are read
        verdicts[str(doc.get("verdict"))] += 1
        checks.update({str(f.get("check")) for f in doc.get("findings") or []})
    return {
        "run_id": run.get("id"),
        "started_at": run.get("started_at"),
        "duration_s": run.get("duration_s"),
        "n_documents": run.get("n_documents", len(documents)),
        "passed": bool(gate.get("passed")),
        "fail_on": gate.get("fail_on"),
        "counts": dict(gate.get("counts") or {}),
        "verdicts": {v: verdicts.get(v, 0) for v in ("accept", "warn", "quarantine")},
        "checks": dict(sorted(checks.items())),
    }


@contextlib.contextmanager
def _exclusive(fd: int) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: O_APPEND alone keeps whole-line writes apart
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def append_history(out_dir: str | Path, summary: Mapping[str, Any]) -> Path:
    """Append one run's summary to ``out_dir/history.jsonl`` as a single line.

    The line is written with one locked append, so concurrent runs never
    interleave; if an earlier writer died mid-line, the new line still starts
    on a line of its own.

    Returns:
        The history file's path.
    """
    path = Path(out_dir) / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (
        json.dumps(dict(summary), ensure_ascii=False, sort_keys=True, default=str) + "\n"
    ).encode()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        with _exclusive(fd):
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
    finally:
        os.close(fd)
    return path


def read_history(out_dir: str | Path) -> list[dict[str, Any]]:
    """Every readable run summary in ``out_dir/history.jsonl``, oldest first.

    Lines that are not JSON objects (cut short, edited by hand) are skipped.
    """
    path = Path(out_dir) / HISTORY_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    entries = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _clean(entry: Mapping[str, Any]) -> bool:
    """Whether a run may shape the baseline: it passed, and had no errors if it could not fail."""
    if entry.get("passed") is not True:
        return False
    n = entry.get("n_documents")
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        return False
    counts = entry.get("counts") or {}
    return entry.get("fail_on") != "never" or not counts.get("error")


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def baseline(history: Sequence[Mapping[str, Any]], runs: int = 10) -> dict[str, Any] | None:
    """What a normal batch looks like: medians over the last ``runs`` passing runs.

    Args:
        history: run summaries, oldest first (see :func:`read_history`).
        runs: how many of the most recent passing runs to use.

    Returns:
        ``{"runs", "run_ids", "n_documents", "quarantine_rate", "warn_rate",
        "counts": {severity: median}, "check_rates": {check: median share of
        documents}}``, or None when no run passed yet.
    """
    chosen = [e for e in history if _clean(e)][-runs:] if runs > 0 else []
    if not chosen:
        return None

    def median(values: list[float]) -> float:
        return float(statistics.median(values))

    sizes = [float(e["n_documents"]) for e in chosen]
    checks = sorted({str(c) for e in chosen for c in (e.get("checks") or {})})

    def rates(group: str, key: str) -> float:
        values = [
            _number((e.get(group) or {}).get(key)) / n for e, n in zip(chosen, sizes, strict=True)
        ]
        return median(values)

    return {
        "runs": len(chosen),
        "run_ids": [e.get("run_id") for e in chosen],
        "n_documents": median(sizes),
        "quarantine_rate": rates("verdicts", "quarantine"),
        "warn_rate": rates("verdicts", "warn"),
        "counts": {
            s: median([_number((e.get("counts") or {}).get(s)) for e in chosen])
            for s in ("error", "warning", "info")
        },
        "check_rates": {c: rates("checks", c) for c in checks},
    }
