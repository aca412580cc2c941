"""Findings: the stored kind reads, compares and pickles as a plain one."""

from __future__ import annotations

import pickle

from audit.model import Finding, Severity, StoredFinding


def test_a_stored_finding_reads_its_evidence_from_its_lines() -> None:
    lines = ['{"lines":[1]}', '{"lines":[2,3]}']
    f = StoredFinding("a", "boilerplate", Severity.WARNING, "2 lines", lines, 1)
    assert f.evidence == {"lines": [2, 3]}
    assert f.to_json() == (
        '{"check":"boilerplate","severity":"warning","message":"2 lines",'
        '"evidence":{"lines":[2,3]}}'
    )


def test_a_stored_finding_equals_and_hashes_as_the_plain_one() -> None:
    plain = Finding("a", "boilerplate", Severity.WARNING, "2 lines", {"lines": [2, 3]})
    stored = StoredFinding("a", "boilerplate", Severity.WARNING, "2 lines", ['{"lines":[2,3]}'], 0)
    other = StoredFinding("a", "boilerplate", Severity.WARNING, "2 lines", ['{"lines":[9]}'], 0)
    assert stored == plain and plain == stored and hash(stored) == hash(plain)
    assert stored != other and len({plain, stored, other}) == 2


def test_a_stored_finding_pickles_as_a_plain_one_with_its_evidence() -> None:
    stored = StoredFinding("a", "boilerplate", Severity.WARNING, "m", ['{"x":1}'], 0)
    back = pickle.loads(pickle.dumps(stored))
    assert type(back) is Finding and back == stored and back.evidence_json == '{"x":1}'
