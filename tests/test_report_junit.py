"""junit.xml as a JUnit consumer reads it (parsed with junitparser)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from junitparser import Failure, JUnitXml, Skipped

from audit.model import Check
from audit.report.junit import write_junit


def finding(check: str, severity: str, message: str, **evidence: Any) -> dict[str, Any]:
    return {"check": check, "severity": severity, "message": message, "evidence": evidence}


def results(fail_on: str = "error", index: str | None = None) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "run": {
            "id": "20240101T000000Z",
            "started_at": "2024-01-01T00:00:00+00:00",
            "duration_s": 2.5,
            "settings": {"index": index},
        },
        "gate": {
            "passed": False,
            "fail_on": fail_on,
            "counts": {"error": 3, "warning": 2, "info": 1},
        },
        "documents": [
            {
                "doc_id": "copy.txt",
                "source": "batch/copy.txt",
                "verdict": "quarantine",
                "findings": [
                    finding("exact_duplicate", "error", "copy of orig.txt", canonical="orig.txt"),
                    finding("boilerplate", "warning", "2 chrome lines", lines=[3, 9]),
                    finding("syndicated_copy", "info", "credits Reuters", credit="Reuters"),
                ],
            },
            {
                "doc_id": "orig.txt",
                "source": "batch/orig.txt",
                "verdict": "warn",
                "findings": [
                    finding("boilerplate", "warning", "share buttons\x07 <b>&", lines=[1])
                ],
            },
            {
                "doc_id": "broken.bin",
                "source": "batch/broken.bin",
                "verdict": "quarantine",
                "findings": [
                    finding("unreadable_input", "error", "not UTF-8 nor any known encoding"),
                    finding("custom_check", "error", "a check outside the catalogue"),
                ],
            },
        ],
    }


def suites(path: Path) -> dict[str, Any]:
    xml = JUnitXml.fromfile(str(path))
    return {s.name: s for s in xml}


def outcome(case: Any) -> str:
    if case.is_skipped:
        return "skipped"
    return "failed" if any(isinstance(r, Failure) for r in case.result) else "passed"


def test_one_suite_per_check_one_case_per_document(tmp_path: Path) -> None:
    path = write_junit(results(), tmp_path / "junit.xml")
    xml = JUnitXml.fromfile(str(path))
    by_name = suites(path)
    assert list(by_name) == [c.value for c in Check] + ["custom_check"]
    for suite in by_name.values():
        assert [c.name for c in suite] == ["copy.txt", "orig.txt", "broken.bin"]
        assert suite.tests == 3
    assert xml.tests == 3 * len(by_name)
    assert xml.failures == 3  # exact_duplicate, unreadable_input, custom_check
    # the suites' testcases waited in unnamed files: nothing else is left behind
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]


def test_failures_are_the_findings_that_quarantine(tmp_path: Path) -> None:
    by_name = suites(write_junit(results("error"), tmp_path / "junit.xml"))
    dup = {c.name: c for c in by_name["exact_duplicate"]}
    assert outcome(dup["copy.txt"]) == "failed"
    failure = dup["copy.txt"].result[0]
    assert failure.message == "copy of orig.txt" and failure.type == "error"
    assert '"canonical": "orig.txt"' in failure.text
    assert by_name["exact_duplicate"].failures == 1
    boiler = {c.name: c for c in by_name["boilerplate"]}
    assert outcome(boiler["copy.txt"]) == "passed"  # a warning under --fail-on error only warns
    assert "2 chrome lines" in boiler["copy.txt"].system_out
    assert "share buttons\ufffd <b>&" in boiler["orig.txt"].system_out
    synd = {c.name: c for c in by_name["syndicated_copy"]}
    assert outcome(synd["copy.txt"]) == "passed" and "Reuters" in synd["copy.txt"].system_out


def test_fail_on_warning_turns_warnings_into_failures(tmp_path: Path) -> None:
    by_name = suites(write_junit(results("warning"), tmp_path / "junit.xml"))
    assert by_name["boilerplate"].failures == 2
    assert all(outcome(c) == "failed" for c in list(by_name["boilerplate"])[:2])
    assert by_name["syndicated_copy"].failures == 0


def test_checks_that_could_not_run_are_skipped(tmp_path: Path) -> None:
    by_name = suites(write_junit(results(), tmp_path / "junit.xml"))
    broken = {s: {c.name: c for c in suite}["broken.bin"] for s, suite in by_name.items()}
    assert outcome(broken["unreadable_input"]) == "failed"
    assert outcome(broken["garbled_text"]) == "skipped"
    assert isinstance(broken["garbled_text"].result[0], Skipped)
    assert all(outcome(c) == "skipped" for c in by_name["index_duplicate"])
    assert by_name["index_duplicate"].skipped == 3
    with_index = suites(write_junit(results(index="corpus.db"), tmp_path / "j2.xml"))
    cases = {c.name: outcome(c) for c in with_index["index_duplicate"]}
    assert cases == {"copy.txt": "passed", "orig.txt": "passed", "broken.bin": "skipped"}


def test_properties_and_file_attributes(tmp_path: Path) -> None:
    path = write_junit(results(), tmp_path / "out" / "junit.xml")
    suite = suites(path)["exact_duplicate"]
    props = {p.name: p.value for p in suite.properties()}
    assert props == {"run_id": "20240101T000000Z", "fail_on": "error", "gate_passed": "false"}
    assert next(iter(suite))._elem.get("file") == "batch/copy.txt"


def test_an_empty_batch_is_still_valid(tmp_path: Path) -> None:
    res = results()
    res["documents"] = []
    xml = JUnitXml.fromfile(str(write_junit(res, tmp_path / "junit.xml")))
    assert xml.tests == 0 and len(list(xml)) == len(Check)


def test_evidence_that_is_not_plain_json_is_written_as_text(tmp_path: Path) -> None:
    res = results()
    res["documents"][0]["findings"][0]["evidence"] = {"lines": {3}, "path": Path("a")}
    path = tmp_path / "junit.xml"
    path.write_text("old")
    case = next(iter(suites(write_junit(res, path))["exact_duplicate"]))
    assert '"lines": "{3}"' in case.result[0].text
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]
