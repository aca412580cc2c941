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

import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from audit.gate import quarantines
from audit.model import Check

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_EVIDENCE = 4000  # characters of evidence JSON per finding in the XML


def _clean(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _attr(value: Any) -> str:
    return quoteattr(_clean(value))


def _text(value: Any) -> str:
    return escape(_clean(value))


def check_names(results: Mapping[str, Any]) -> list[str]:
    """The catalogue's checks in order, then any other check a finding names."""
    names = [c.value for c in Check]
    extra = {
        str(f.get("check"))
        for doc in results.get("documents") or []
        for f in doc.get("findings") or []
    }
    return names + sorted(extra - set(names))


def _describe(finding: Mapping[str, Any]) -> str:
    evidence = json.dumps(
        finding.get("evidence") or {}, ensure_ascii=False, sort_keys=True, default=str
    )
    if len(evidence) > _MAX_EVIDENCE:
        evidence = evidence[:_MAX_EVIDENCE] + " ..."
    return f"[{finding.get('severity')}] {finding.get('message')}\nevidence: {evidence}"


class _Case:
    """What one (document, check) testcase holds."""

    __slots__ = ("attrs", "failing", "others", "skip_reason")

    def __init__(self, attrs: str, found: list[Any], fail_on: str) -> None:
        self.attrs = attrs
        self.failing = [f for f in found if quarantines(str(f.get("severity")), fail_on)]
        self.others = [f for f in found if not quarantines(str(f.get("severity")), fail_on)]
        self.skip_reason: str | None = None

    def xml(self) -> str:
        """The testcase element."""
        attrs = self.attrs
        if self.skip_reason:
            return f"<testcase {attrs}><skipped message={_attr(self.skip_reason)}/></testcase>"
        if not self.failing and not self.others:
            return f"<testcase {attrs}/>"
        parts = [f"<testcase {attrs}>"]
        if self.failing:
            message = str(self.failing[0].get("message"))
            if len(self.failing) > 1:
                message += f" (+{len(self.failing) - 1} more)"
            body = "\n\n".join(_describe(f) for f in self.failing)
            parts.append(
                f"<failure message={_attr(message)} type={_attr(self.failing[0].get('severity'))}>"
                f"{_text(body)}</failure>"
            )
        if self.others:
            text = "\n\n".join(_describe(f) for f in self.others)
            parts.append(f"<system-out>{_text(text)}</system-out>")
        parts.append("</testcase>")
        return "".join(parts)


_UNREAD = frozenset({Check.UNREADABLE_INPUT.value, Check.RESOURCE_LIMIT.value})


class _Suites:
    """The documents as the suites need them, computed once for every check.

    A document with no finding of a check is the same testcase in that suite as in
    every other but its ``classname``, so each suite looks only at the documents
    with a finding of its check (and at the unreadable ones); names and file
    attributes are escaped once (a large run has millions of testcases).
    """

    def __init__(self, results: Mapping[str, Any]) -> None:
        run = results.get("run") or {}
        self.fail_on = str((results.get("gate") or {}).get("fail_on", "error"))
        self.has_index = bool((run.get("settings") or {}).get("index"))
        files: dict[Any, str] = {}
        self.names: list[str] = []
        self.files: list[str] = []
        self.found: dict[Any, dict[int, list[Any]]] = {}  # check -> doc -> its findings
        self.unreadable: list[int] = []
        for i, doc in enumerate(results.get("documents") or []):
            self.names.append(_attr(doc.get("doc_id", "")))
            source = doc.get("source")
            if source not in files:
                files[source] = f" file={_attr(source)}" if source else ""
            self.files.append(files[source])
            unreadable = False
            for f in doc.get("findings") or []:
                self.found.setdefault(f.get("check"), {}).setdefault(i, []).append(f)
                unreadable = unreadable or f.get("check") in _UNREAD
            if unreadable:
                self.unreadable.append(i)

    def cases(self, check: str) -> dict[int, _Case]:
        """The testcases of ``check`` that are not a plain pass (or a plain skip)."""
        classname = _attr("audit." + check)
        found = self.found.get(check, {})
        out = {i: _Case(self._attrs(i, classname), f, self.fail_on) for i, f in found.items()}
        if check not in _UNREAD:
            for i in self.unreadable:
                if i not in out:
                    case = out[i] = _Case(self._attrs(i, classname), [], self.fail_on)
                    case.skip_reason = "the document could not be read"
        return dict(sorted(out.items()))

    def plain_skip(self, check: str) -> str | None:
        """Why a document without a finding of ``check`` skips it, or None."""
        if check == Check.INDEX_DUPLICATE.value and not self.has_index:
            return "no corpus index given (--index)"
        return None

    def _attrs(self, i: int, classname: str) -> str:
        return f'name={self.names[i]} classname={classname} time="0"{self.files[i]}'


def _write_suite(
    out: TextIO, number: int, check: str, suites: _Suites, results: Mapping[str, Any]
) -> None:
    run = results.get("run") or {}
    gate = results.get("gate") or {}
    special = suites.cases(check)
    plain_skip = suites.plain_skip(check)
    n = len(suites.names)
    failures = sum(1 for c in special.values() if c.failing)
    skipped = sum(1 for c in special.values() if c.skip_reason)
    if plain_skip:
        skipped += n - len(special)
    out.write(
        f'  <testsuite name={_attr(check)} tests="{n}" failures="{failures}"'
        f' errors="0" skipped="{skipped}" time="0" id="{number}"'
        f" timestamp={_attr(run.get('started_at') or '')}>\n"
        "    <properties>"
        f'<property name="run_id" value={_attr(run.get("id") or "")}/>'
        f'<property name="fail_on" value={_attr(gate.get("fail_on", "error"))}/>'
        f'<property name="gate_passed" value={_attr(str(bool(gate.get("passed"))).lower())}/>'
        "</properties>\n"
    )
    classname = _attr("audit." + check)
    tail = f"><skipped message={_attr(plain_skip)}/></testcase>\n" if plain_skip else "/>\n"
    lines: list[str] = []
    for i in range(n):
        case = special.get(i)
        if case is not None:
            lines.append(f"    {case.xml()}\n")
        else:
            lines.append(f"    <testcase {suites._attrs(i, classname)}{tail}")
        if len(lines) >= 4096:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))
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
    checks = check_names(results)
    n_docs = len(results.get("documents") or [])
    suites = _Suites(results)
    failures = sum(sum(1 for c in suites.cases(check).values() if c.failing) for check in checks)
    duration = (results.get("run") or {}).get("duration_s") or 0
    fd, tmp = tempfile.mkstemp(prefix=".junit-", suffix=".xml", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            out.write(
                f'<testsuites name="audit" tests="{n_docs * len(checks)}" failures="{failures}"'
                f' errors="0" time={_attr(duration)}>\n'
            )
            for number, check in enumerate(checks):
                _write_suite(out, number, check, suites, results)
            out.write("</testsuites>\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
