"""The gate: verdicts, --fail-on, counts, exit codes."""

from __future__ import annotations

import pytest

from audit.gate import blocks, decide, quarantine_level, quarantines
from audit.model import Finding, Severity, Verdict


def f(doc: str, severity: str, check: str = "boilerplate") -> Finding:
    return Finding(doc, check, Severity(severity), f"{check} in {doc}", {"line": 1})


DOCS = ["clean", "info", "warned", "broken", "both"]
FINDINGS = [
    f("info", "info", "syndicated_copy"),
    f("warned", "warning"),
    f("broken", "error", "exact_duplicate"),
    f("both", "warning"),
    f("both", "error", "garbled_text"),
]


def test_fail_on_error_quarantines_errors_and_warns_warnings() -> None:
    d = decide(DOCS, FINDINGS, "error")
    assert d.verdicts == {
        "clean": "accept",
        "info": "accept",
        "warned": "warn",
        "broken": "quarantine",
        "both": "quarantine",
    }
    assert not d.passed and d.exit_code == 1
    assert d.counts == {"error": 2, "warning": 2, "info": 1}
    assert d.accepted == ["clean", "info", "warned"]
    assert d.quarantined == ["broken", "both"]


def test_fail_on_warning_makes_warnings_block_and_quarantine() -> None:
    d = decide(DOCS, FINDINGS, "warning")
    assert d.verdicts["warned"] == Verdict.QUARANTINE
    assert d.verdicts["info"] == Verdict.ACCEPT
    assert d.verdict_counts() == {"accept": 2, "warn": 0, "quarantine": 3}
    only_warning = decide(["a", "b"], [f("a", "warning")], "warning")
    assert not only_warning.passed and only_warning.exit_code == 1
    assert decide(["a", "b"], [f("a", "warning")], "error").passed


def test_fail_on_never_passes_but_still_quarantines_errors() -> None:
    d = decide(DOCS, FINDINGS, "never")
    assert d.passed and d.exit_code == 0
    assert d.quarantined == ["broken", "both"]
    assert d.verdicts["warned"] == Verdict.WARN


def test_gate_passes_exactly_when_nothing_is_quarantined() -> None:
    for fail_on in ("error", "warning"):
        for findings in ([], FINDINGS, FINDINGS[:2], FINDINGS[:1]):
            d = decide(DOCS, findings, fail_on)
            assert d.passed == (not d.quarantined), (fail_on, findings)


def test_info_only_batch_passes_even_under_warning() -> None:
    d = decide(["a"], [f("a", "info")], "warning")
    assert d.passed and d.verdicts["a"] == Verdict.ACCEPT


def test_findings_for_unknown_documents_still_count() -> None:
    d = decide(["a"], [f("ghost", "error")], "error")
    assert not d.passed
    assert d.counts["error"] == 1
    assert d.verdicts == {"a": "accept"}


def test_to_dict_has_the_contract_keys() -> None:
    out = decide(DOCS, FINDINGS, "error").to_dict()
    assert out["passed"] is False and out["fail_on"] == "error"
    assert out["counts"] == {"error": 2, "warning": 2, "info": 1}
    assert out["verdicts"] == {"accept": 2, "warn": 1, "quarantine": 2}


def test_empty_batch_passes() -> None:
    d = decide([], [], "error")
    assert d.passed and d.verdicts == {} and d.counts == {"error": 0, "warning": 0, "info": 0}


def test_helpers_agree_with_the_rule() -> None:
    assert quarantine_level("warning") is Severity.WARNING
    assert quarantine_level("never") is Severity.ERROR
    assert blocks("error", "error") and not blocks("warning", "error")
    assert blocks("warning", "warning") and not blocks("info", "warning")
    assert not blocks("error", "never")
    assert quarantines("error", "never") and not quarantines("warning", "never")


def test_unknown_fail_on_is_rejected() -> None:
    with pytest.raises(ValueError, match="--fail-on"):
        decide(["a"], [], "sometimes")
