"""The gate: a verdict per document and pass/fail for the batch."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from audit.model import Finding, Severity

FAIL_ON = ("error", "warning", "never")


@dataclass(frozen=True)
class GateDecision:
    """Verdicts and the batch outcome."""

    verdicts: dict[str, str]
    passed: bool
    fail_on: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when the gate passed, 1 when it failed."""
        return 0 if self.passed else 1

    def to_dict(self) -> dict[str, Any]:
        """The gate as it appears in results.json."""
        verdict_counts = Counter(self.verdicts.values())
        return {
            "passed": self.passed,
            "fail_on": self.fail_on,
            "counts": dict(self.counts),
            "verdicts": {v: verdict_counts.get(v, 0) for v in ("accept", "warn", "quarantine")},
        }


def decide(doc_ids: list[str], findings: list[Finding], fail_on: str) -> GateDecision:
    """Quarantine documents with an error, warn on a warning; fail at ``fail_on``.

    Example:
        >>> decide(["a"], [Finding("a", "boilerplate", Severity.WARNING, "x")], "error").passed
        True
    """
    worst: dict[str, int] = {}
    counts = Counter(f.severity.value for f in findings)
    for f in findings:
        worst[f.doc_id] = max(worst.get(f.doc_id, -1), f.severity.rank)
    verdicts = {}
    for doc_id in doc_ids:
        rank = worst.get(doc_id, -1)
        verdicts[doc_id] = (
            "quarantine"
            if rank >= Severity.ERROR.rank
            else "warn"
            if rank == Severity.WARNING.rank
            else "accept"
        )
    if fail_on == "never":
        passed = True
    else:
        threshold = Severity(fail_on).rank
        passed = not any(f.severity.rank >= threshold for f in findings)
    return GateDecision(
        verdicts, passed, fail_on, {s: counts.get(s, 0) for s in ("error", "warning", "info")}
    )
