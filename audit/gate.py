"""The gate: a verdict per document and the pass/fail decision for the batch.

The rule (also in docs/ci.md):

* ``--fail-on`` names the lowest severity that *blocks*: ``error`` blocks
  errors, ``warning`` blocks errors and warnings, ``never`` blocks nothing.
* A document is **quarantined** when it has a finding at or above the
  quarantine level, which is ``warning`` under ``--fail-on warning`` and
  ``error`` otherwise. Errors therefore always quarantine, even under
  ``--fail-on never`` (that setting keeps the CI job green, it does not let
  broken documents into the accepted set).
* A document with a lower finding of severity ``warning`` is **warned**
  (``warn``); it is accepted, and flagged.
* Every other document (no findings, or ``info`` only) is **accepted**.
* The gate **passes** when no finding is at or above ``--fail-on`` (always
  under ``never``). So under ``error`` and ``warning`` the gate passes exactly
  when no document is quarantined.

Exit code: 0 when the gate passed, 1 when it failed (2, a run that could not be
done, is decided before the gate).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from audit.model import Finding, Severity, Verdict

FAIL_ON: tuple[str, ...] = ("error", "warning", "never")


def quarantine_level(fail_on: str) -> Severity:
    """The lowest severity that quarantines a document under ``fail_on``."""
    _check_fail_on(fail_on)
    return Severity.WARNING if fail_on == "warning" else Severity.ERROR


def blocks(severity: Severity | str, fail_on: str) -> bool:
    """Whether a finding of ``severity`` makes the gate fail under ``fail_on``."""
    _check_fail_on(fail_on)
    if fail_on == "never":
        return False
    return Severity(severity).rank >= Severity(fail_on).rank


def quarantines(severity: Severity | str, fail_on: str) -> bool:
    """Whether a finding of ``severity`` quarantines its document under ``fail_on``."""
    return Severity(severity).rank >= quarantine_level(fail_on).rank


@dataclass(frozen=True)
class GateDecision:
    """The gate's outcome for one batch.

    Attributes:
        fail_on: the threshold the decision was made with.
        passed: whether the batch passes.
        counts: findings by severity (``error``, ``warning``, ``info``).
        verdicts: doc_id -> verdict (``accept``, ``warn``, ``quarantine``), in input order.
    """

    fail_on: str
    passed: bool
    counts: dict[str, int]
    verdicts: dict[str, str]

    @property
    def exit_code(self) -> int:
        """0 when the gate passed, 1 when it failed."""
        return 0 if self.passed else 1

    @property
    def accepted(self) -> list[str]:
        """Documents that go to accepted.jsonl (verdict ``accept`` or ``warn``)."""
        return [d for d, v in self.verdicts.items() if v != Verdict.QUARANTINE]

    @property
    def quarantined(self) -> list[str]:
        """Documents that go to quarantined.jsonl."""
        return [d for d, v in self.verdicts.items() if v == Verdict.QUARANTINE]

    def verdict_counts(self) -> dict[str, int]:
        """Documents by verdict."""
        out = {v.value: 0 for v in Verdict}
        for verdict in self.verdicts.values():
            out[verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``gate`` object of results.json."""
        return {
            "passed": self.passed,
            "fail_on": self.fail_on,
            "counts": dict(self.counts),
            "verdicts": self.verdict_counts(),
        }


def decide(doc_ids: Iterable[str], findings: Iterable[Finding], fail_on: str) -> GateDecision:
    """Decide every document's verdict and whether the batch passes.

    Findings for ids not in ``doc_ids`` still count towards the gate.

    Args:
        doc_ids: every input document, in input order.
        findings: everything the stages found.
        fail_on: ``error``, ``warning`` or ``never``.

    Returns:
        The decision.

    Raises:
        ValueError: ``fail_on`` is not one of the three choices.

    Example:
        >>> f = Finding("b", "boilerplate", Severity.WARNING, "chrome")
        >>> d = decide(["a", "b"], [f], "error")
        >>> d.passed, d.verdicts["b"]
        (True, 'warn')
    """
    _check_fail_on(fail_on)
    worst: dict[str, int] = {d: -1 for d in doc_ids}
    counts = {s.value: 0 for s in Severity}
    passed = True
    for finding in findings:
        severity = Severity(finding.severity)
        counts[severity.value] += 1
        if blocks(severity, fail_on):
            passed = False
        if finding.doc_id in worst:
            worst[finding.doc_id] = max(worst[finding.doc_id], severity.rank)
    level = quarantine_level(fail_on).rank
    verdicts: dict[str, str] = {}
    for doc_id, rank in worst.items():
        if rank >= level:
            verdicts[doc_id] = Verdict.QUARANTINE.value
        elif rank >= Severity.WARNING.rank:
            verdicts[doc_id] = Verdict.WARN.value
        else:
            verdicts[doc_id] = Verdict.ACCEPT.value
    return GateDecision(fail_on=fail_on, passed=passed, counts=counts, verdicts=verdicts)


def _check_fail_on(fail_on: str) -> None:
    if fail_on not in FAIL_ON:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
