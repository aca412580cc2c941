"""junit.xml: one testsuite per check, one testcase per document, for CI test views.

Design (docs/ci.md):

* every check of the catalogue (and any other check a finding names) is a
  ``<testsuite name="CHECK">``; every document is a ``<testcase
  name="DOC_ID" classname="audit.CHECK" file="SOURCE">`` in each of them;
* a testcase **fails** (``<failure>``) when the document has a finding of that
  check that quarantines it under the run's ``--fail-on`` (errors always,
  warnings too under ``--fail-on warning``): so the CI's failed tests are
  exactly the reasons documents were quarantined, and under ``error`` and
  ``warning`` the job fails exactly when some test fails;
* other findings of that check (warnings that only warn, info) are listed in
  the testcase's ``<system-out>``; the testcase passes;
* a testcase is ``<skipped>`` when the check could not run: every other check
  of a document that could not be read (``unreadable_input``, ``resource_limit``), and
  ``index_duplicate`` when the run had no ``--index``.

The file is written as a stream (no tree in memory) to a temporary file that
replaces ``path`` when complete.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from audit.gate import quarantines
from audit.model import Check
from audit.report.files import atomic_open

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_EVIDENCE = 4000  # characters of evidence JSON per finding in the XML


def _clean(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _attr(value: Any) -> str:
    return quoteattr(_clean(value))


def _text(value: Any) -> str:
    return escape(_clean(value))


def check_names(found: Iterable[Any]) -> list[str]:
    """The catalogue's checks in order, then any other check of ``found`` (the checks
    the findings name)."""
    names = [c.value for c in Check]
    return names + sorted({str(c) for c in found} - set(names))


def _describe(finding: Mapping[str, Any]) -> str:
    evidence = json.dumps(
        finding.get("evidence") or {}, ensure_ascii=False, sort_keys=True, default=str
    )
    if len(evidence) > _MAX_EVIDENCE:
        evidence = evidence[:_MAX_EVIDENCE] + " ..."
    return f"[{finding.get('severity')}] {finding.get('message')}\nevidence: {evidence}"


_UNREAD = frozenset({Check.UNREADABLE_INPUT.value, Check.RESOURCE_LIMIT.value})


@functools.cache
def _quarantines(severity: Any, fail_on: str) -> bool:
    return quarantines(str(severity), fail_on)


class _Doc:
    """What every testcase of one document shares, worked out once per document.

    Findings are kept as (severity, position) and read again from the document when
    their testcase is written: a large run's documents are decoded one at a time.
    """

    __slots__ = ("attrs", "by_check", "position", "source", "unreadable")

    def __init__(self, doc: Mapping[str, Any], source: Sequence[Any], position: int) -> None:
        self.source = source
        self.position = position
        attrs = f"name={_attr(doc.get('doc_id', ''))} classname="
        self.attrs = (
            attrs,
            f' time="0" file={_attr(doc["source"])}' if doc.get("source") else ' time="0"',
        )
        self.by_check: dict[str, list[tuple[Any, int]]] = {}
        for n, f in enumerate(doc.get("findings") or []):
            self.by_check.setdefault(f.get("check"), []).append((f.get("severity"), n))
        self.unreadable = any(c in _UNREAD for c in self.by_check)

    def findings(self, *picked: list[tuple[Any, int]]) -> list[list[Mapping[str, Any]]]:
        """The findings at each list of ``picked`` positions, read from the document once."""
        read = getattr(self.source, "decoded", None)  # skip the lazy-paragraphs wrapper
        doc = read(self.position) if read is not None else self.source[self.position]
        found = doc.get("findings") or []
        return [[found[n] for _, n in p] for p in picked]


class _Case:
    """What one (document, check) testcase holds."""

    __slots__ = ("doc", "failing", "others", "skip_reason")

    def __init__(self, doc: _Doc, check: str, fail_on: str, has_index: bool) -> None:
        self.doc = doc
        found = doc.by_check.get(check, [])
        self.failing = [f for f in found if _quarantines(f[0], fail_on)]
        self.others = [f for f in found if not _quarantines(f[0], fail_on)]
        self.skip_reason: str | None = None
        if not found:
            if doc.unreadable and check not in _UNREAD:
                self.skip_reason = "the document could not be read"
            elif check == Check.INDEX_DUPLICATE.value and not has_index:
                self.skip_reason = "no corpus index given (--index)"

    def xml(self, classname: str) -> str:
        """The testcase element; ``classname`` is the quoted ``audit.CHECK`` attribute."""
        head, tail = self.doc.attrs
        attrs = head + classname + tail
        if self.skip_reason:
            return f"<testcase {attrs}><skipped message={_attr(self.skip_reason)}/></testcase>"
        if not self.failing and not self.others:
            return f"<testcase {attrs}/>"
        parts = [f"<testcase {attrs}>"]
        failing, others = self.doc.findings(self.failing, self.others)
        if failing:
            message = str(failing[0].get("message"))
            if len(failing) > 1:
                message += f" (+{len(failing) - 1} more)"
            body = "\n\n".join(_describe(f) for f in failing)
            parts.append(
                f"<failure message={_attr(message)} type={_attr(failing[0].get('severity'))}>"
                f"{_text(body)}</failure>"
            )
        if others:
            text = "\n\n".join(_describe(f) for f in others)
            parts.append(f"<system-out>{_text(text)}</system-out>")
        parts.append("</testcase>")
        return "".join(parts)


def _cases(results: Mapping[str, Any], docs: list[_Doc], check: str) -> list[_Case | _Doc]:
    """The testcases of one check; a document with nothing to say (no finding of the
    check, nothing skipped) stands for its own passing testcase."""
    run = results.get("run") or {}
    fail_on = str((results.get("gate") or {}).get("fail_on", "error"))
    has_index = bool((run.get("settings") or {}).get("index"))
    index_skip = check == Check.INDEX_DUPLICATE.value and not has_index
    unread_check = check in _UNREAD
    return [
        _Case(doc, check, fail_on, has_index)
        if check in doc.by_check or index_skip or (doc.unreadable and not unread_check)
        else doc
        for doc in docs
    ]


def _write_suite(
    out: TextIO, number: int, check: str, results: Mapping[str, Any], cases: list[_Case | _Doc]
) -> None:
    run = results.get("run") or {}
    gate = results.get("gate") or {}
    failures = sum(1 for c in cases if isinstance(c, _Case) and c.failing)
    skipped = sum(1 for c in cases if isinstance(c, _Case) and c.skip_reason)
    out.write(
        f'  <testsuite name={_attr(check)} tests="{len(cases)}" failures="{failures}"'
        f' errors="0" skipped="{skipped}" time="0" id="{number}"'
        f" timestamp={_attr(run.get('started_at') or '')}>\n"
        "    <properties>"
        f'<property name="run_id" value={_attr(run.get("id") or "")}/>'
        f'<property name="fail_on" value={_attr(gate.get("fail_on", "error"))}/>'
        f'<property name="gate_passed" value={_attr(str(bool(gate.get("passed"))).lower())}/>'
        "</properties>\n"
    )
    classname = _attr("audit." + check)
    for case in cases:
        if isinstance(case, _Doc):
            head, tail = case.attrs
            out.write(f"    <testcase {head}{classname}{tail}/>\n")
        else:
            out.write(f"    {case.xml(classname)}\n")
    out.write("  </testsuite>\n")


def write_junit(results: Mapping[str, Any], path: str | Path) -> Path:
    """Write junit.xml for a results.json document.

    Args:
        results: the results document (schema_version 1).
        path: where to write; replaced atomically.

    Returns:
        The path written.

    Example:
        >>> write_junit(results, "reports/latest/junit.xml")  # doctest: +SKIP
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = results.get("documents") or []
    docs = [_Doc(doc, source, i) for i, doc in enumerate(source)]
    checks = check_names({c for d in docs for c in d.by_check})
    n_docs = len(docs)
    failures = sum(
        sum(1 for c in _cases(results, docs, check) if isinstance(c, _Case) and c.failing)
        for check in checks
        if any(check in d.by_check for d in docs)  # only a finding of the check can fail it
    )
    duration = (results.get("run") or {}).get("duration_s") or 0
    with atomic_open(target) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            f'<testsuites name="audit" tests="{n_docs * len(checks)}" failures="{failures}"'
            f' errors="0" time={_attr(duration)}>\n'
        )
        for number, check in enumerate(checks):
            _write_suite(out, number, check, results, _cases(results, docs, check))
        out.write("</testsuites>\n")
    return target
