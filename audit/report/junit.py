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
replaces ``path`` when complete. The documents are read once, in order; each
suite's testcases wait in an unnamed file of their own until the counts of its
header are known.
"""

from __future__ import annotations

import functools
import io
import json
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from audit.gate import quarantines
from audit.model import Check
from audit.report.documents import bare_documents
from audit.report.files import atomic_open

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_EVIDENCE = 4000  # characters of evidence JSON per finding in the XML
_PENDING = 512  # testcases of a suite joined into one write


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
    """What every testcase of one document shares: its attributes and findings by check."""

    __slots__ = ("attrs", "by_check", "unreadable")

    def __init__(self, doc: Mapping[str, Any]) -> None:
        attrs = f"name={_attr(doc.get('doc_id', ''))} classname="
        self.attrs = (
            attrs,
            f' time="0" file={_attr(doc["source"])}' if doc.get("source") else ' time="0"',
        )
        self.by_check: dict[Any, list[Mapping[str, Any]]] = {}
        for f in doc.get("findings") or []:
            self.by_check.setdefault(f.get("check"), []).append(f)
        self.unreadable = any(c in _UNREAD for c in self.by_check)


class _Suite:
    """One check's testsuite: its testcases go to an unnamed file as the documents pass,
    with the counts its header needs."""

    def __init__(self, check: str, fail_on: str, has_index: bool, folder: Path) -> None:
        self.check = check
        self.fail_on = fail_on
        self.classname = _attr("audit." + check)
        self.index_skip = check == Check.INDEX_DUPLICATE.value and not has_index
        self.unread_check = check in _UNREAD
        self.failures = 0
        self.skipped = 0
        self._raw = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (closed by copy_to)
        self._out = io.TextIOWrapper(
            self._raw, encoding="utf-8", errors="backslashreplace", newline="\n"
        )
        self._pending: list[str] = []  # testcases not yet written (one write per block)
        weakref.finalize(self, self._out.close)  # a write that failed midway

    def add(self, doc: _Doc) -> None:
        """The document's testcase of this check."""
        head, tail = doc.attrs
        attrs = head + self.classname + tail
        found = doc.by_check.get(self.check)
        if found:
            self._write(f"    {self._case(attrs, found)}\n")
            return
        if doc.unreadable and not self.unread_check:
            reason = "the document could not be read"
        elif self.index_skip:
            reason = "no corpus index given (--index)"
        else:
            self._write(f"    <testcase {attrs}/>\n")
            return
        self.skipped += 1
        self._write(f"    <testcase {attrs}><skipped message={_attr(reason)}/></testcase>\n")

    def _write(self, text: str) -> None:
        self._pending.append(text)
        if len(self._pending) >= _PENDING:
            self._flush()

    def _flush(self) -> None:
        self._out.write("".join(self._pending))
        self._pending.clear()

    def _case(self, attrs: str, found: list[Mapping[str, Any]]) -> str:
        """The testcase of a document with findings of this check."""
        failing = [f for f in found if _quarantines(f.get("severity"), self.fail_on)]
        others = [f for f in found if not _quarantines(f.get("severity"), self.fail_on)]
        parts = [f"<testcase {attrs}>"]
        if failing:
            self.failures += 1
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

    def copy_to(self, out: TextIO, number: int, results: Mapping[str, Any], tests: int) -> None:
        """Write the whole testsuite element to ``out`` and let the unnamed file go."""
        run = results.get("run") or {}
        gate = results.get("gate") or {}
        out.write(
            f'  <testsuite name={_attr(self.check)} tests="{tests}"'
            f' failures="{self.failures}" errors="0" skipped="{self.skipped}" time="0"'
            f' id="{number}" timestamp={_attr(run.get("started_at") or "")}>\n'
            "    <properties>"
            f'<property name="run_id" value={_attr(run.get("id") or "")}/>'
            f'<property name="fail_on" value={_attr(gate.get("fail_on", "error"))}/>'
            f'<property name="gate_passed" value={_attr(str(bool(gate.get("passed"))).lower())}/>'
            "</properties>\n"
        )
        self._flush()
        self._out.flush()
        self._raw.seek(0)
        out.flush()
        shutil.copyfileobj(self._raw, out.buffer, 1 << 20)
        self._out.close()
        out.write("  </testsuite>\n")


def _documents(source: Sequence[Any]) -> Iterator[_Doc]:
    """Each document's testcase data, the documents read once and in order."""
    return map(_Doc, bare_documents(source))


def write_junit(results: Mapping[str, Any], path: str | Path) -> Path:
    """Write junit.xml for a results.json document.

    The documents are read once: each check's testcases go to a file of their own
    as they pass, and the suites are put together at the end (memory stays flat
    with the number of documents).

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
    run = results.get("run") or {}
    fail_on = str((results.get("gate") or {}).get("fail_on", "error"))
    has_index = bool((run.get("settings") or {}).get("index"))
    catalogue = check_names(())
    suites = {c: _Suite(c, fail_on, has_index, target.parent) for c in catalogue}
    found: set[Any] = set()
    n_docs = 0
    for doc in _documents(source):
        n_docs += 1
        found.update(doc.by_check)
        for suite in suites.values():
            suite.add(doc)
    extra = check_names(found)[len(catalogue) :]
    if extra:  # checks outside the catalogue: a second pass for their suites
        more = [_Suite(c, fail_on, has_index, target.parent) for c in extra]
        for doc in _documents(source):
            for suite in more:
                suite.add(doc)
        suites |= {suite.check: suite for suite in more}
    failures = sum(suite.failures for suite in suites.values())
    duration = run.get("duration_s") or 0
    with atomic_open(target) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            f'<testsuites name="audit" tests="{n_docs * len(suites)}" failures="{failures}"'
            f' errors="0" time={_attr(duration)}>\n'
        )
        for number, suite in enumerate(suites.values()):
            suite.copy_to(out, number, results, n_docs)
        out.write("</testsuites>\n")
    return target
