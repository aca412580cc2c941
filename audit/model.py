"""The shapes data takes between stages: tables' columns, findings, clusters, results.

Stages exchange a :class:`Chunk`: a documents table (one row per input document)
and a paragraphs table (one row per non-blank line of a document's text), plus
the findings raised so far. Stages annotate: they add columns and findings and
never delete rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from audit.report.files import dumps_line, loads_line

if TYPE_CHECKING:  # pandas is imported where tables are built, keeping `audit --help` fast
    import pandas as pd

SCHEMA_VERSION = 1


class Severity(StrEnum):
    """How much a finding weighs at the gate."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Order for comparisons: error > warning > info."""
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Check(StrEnum):
    """Finding names fixed by the contract (new ones may be added, never renamed)."""

    DUPLICATE_PARAGRAPHS = "duplicate_paragraphs"
    EXACT_DUPLICATE = "exact_duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    SYNDICATED_COPY = "syndicated_copy"
    WORD_COUNT_MISMATCH = "word_count_mismatch"
    DATE_INCONSISTENT = "date_inconsistent"
    MISSING_DATE = "missing_date"
    MISSING_METADATA = "missing_metadata"
    GARBLED_TEXT = "garbled_text"
    BOILERPLATE = "boilerplate"
    TRUNCATED_TEXT = "truncated_text"
    MOJIBAKE = "mojibake"
    UNREADABLE_INPUT = "unreadable_input"
    INDEX_DUPLICATE = "index_duplicate"
    EMPTY_BODY = "empty_body"
    MALFORMED_RECORD = "malformed_record"
    RESOURCE_LIMIT = "resource_limit"
    INVALID_METADATA = "invalid_metadata"
    DUPLICATE_URL = "duplicate_url"
    DUPLICATE_ID = "duplicate_id"
    UNEXPECTED_LANGUAGE = "unexpected_language"
    LONG_TOKEN = "long_token"


class Role(StrEnum):
    """What a line of a scraped document is."""

    TITLE = "title"
    BODY = "body"
    BOILERPLATE = "boilerplate"
    METADATA = "metadata"
    CREDIT = "credit"
    SUMMARY = "summary"
    RELATED = "related"
    DATELINE = "dateline"


class Verdict(StrEnum):
    """What the gate decides for one document."""

    ACCEPT = "accept"
    WARN = "warn"
    QUARANTINE = "quarantine"


# Columns of the documents table, in order. Readers fill the first group;
# the parser fills the second; signal functions add ``sig_*`` columns.
DOCUMENT_COLUMNS: tuple[str, ...] = (
    "doc_id",  # stable id: relative path for files, id column (or source:line) for tables
    "source",  # file path or table it came from
    "line",  # 1-based line/row in the source for tables, None for files
    "text",  # the text as stored (decoded)
    "title",
    "url",
    "published",  # raw published value as given by the reader (parsed later)
    "domain",
    "claimed_word_count",
    "encoding",  # detected or declared encoding of the bytes
    "meta",  # dict: every other field of the input record
    "record",  # dict: the original record for tables, None for text files
    "read_error",  # why the input could not be read, or None
    "problems",  # list of str: fields of the record that had the wrong type or were missing
)

PARAGRAPH_COLUMNS: tuple[str, ...] = (
    "doc_id",
    "idx",  # 0-based index among the document's non-blank lines
    "text",
    "role",
    "reason",  # the name of the rule that gave the role
    "start",  # character offsets of the line in the document text
    "end",
    "line",  # 1-based line number in the document text
)


@dataclass(frozen=True, slots=True, init=False)
class Finding:
    """One thing wrong with one document, with the evidence a reviewer needs.

    The evidence is kept as the line of JSON it becomes in results.json: a large
    run holds a finding or more per document, and as dicts, lists and strings the
    evidence would take several times the room. :attr:`evidence` decodes a fresh
    copy (JSON values: a tuple comes back a list, NaN comes back None).

    Example:
        >>> f = Finding("a.txt", "boilerplate", Severity.WARNING, "2 lines", {"lines": [1, 2]})
        >>> f.evidence, f.evidence_json
        ({'lines': [1, 2]}, '{"lines":[1,2]}')
    """

    doc_id: str
    check: str
    severity: Severity
    message: str
    evidence_json: str

    def __init__(
        self,
        doc_id: str,
        check: str,
        severity: Severity,
        message: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> None:
        self._set(doc_id, check, severity, message)
        object.__setattr__(self, "evidence_json", dumps_line(dict(evidence or {})))

    def _set(self, doc_id: str, check: str, severity: Severity, message: str) -> None:
        """Set the fields but the evidence (the class is frozen)."""
        object.__setattr__(self, "doc_id", doc_id)
        object.__setattr__(self, "check", check)
        object.__setattr__(self, "severity", severity)
        object.__setattr__(self, "message", message)

    @property
    def evidence(self) -> dict[str, Any]:
        """The evidence, decoded (a new dict at every call)."""
        return dict(loads_line(self.evidence_json))

    def to_dict(self) -> dict[str, Any]:
        """The finding as it appears in results.json."""
        return {
            "check": self.check,
            "severity": self.severity.value,
            "message": self.message,
            "evidence": self.evidence,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as one line of JSON, the evidence as kept (not decoded)."""
        head = dumps_line({"check": self.check, "severity": self.severity.value})
        return f'{head[:-1]},"message":{dumps_line(self.message)},"evidence":{self.evidence_json}}}'


class StoredFinding(Finding):
    """A finding whose evidence waits on disk: line ``position`` of ``lines``.

    For the findings a run makes by the hundred thousand (a suite's warning on
    most documents), the evidence as a string would be most of their memory;
    ``lines`` is an unnamed file (:class:`audit.report.documents.LineFile`) that
    holds it until the results are written. Reads, compares and pickles as a
    :class:`Finding`.

    Example:
        >>> f = StoredFinding("a", "boilerplate", Severity.WARNING, "2 lines", ['{"x":1}'], 0)
        >>> f.evidence, f == Finding("a", "boilerplate", Severity.WARNING, "2 lines", {"x": 1})
        ({'x': 1}, True)
    """

    __slots__ = ("_lines", "_position")
    _lines: Sequence[str]
    _position: int

    def __init__(
        self,
        doc_id: str,
        check: str,
        severity: Severity,
        message: str,
        lines: Sequence[str],
        position: int,
    ) -> None:
        self._set(doc_id, check, severity, message)
        object.__setattr__(self, "_lines", lines)
        object.__setattr__(self, "_position", position)

    @property
    def evidence_json(self) -> str:
        """The evidence as one line of JSON, read from ``lines``."""
        return self._lines[self._position]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return _fields(self) == _fields(other)

    __hash__ = Finding.__hash__

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _finding_of_json,
            (self.doc_id, self.check, self.severity, self.message, self.evidence_json),
        )


def _fields(f: Finding) -> tuple[Any, ...]:
    return (f.doc_id, f.check, f.severity, f.message, f.evidence_json)


def _finding_of_json(
    doc_id: str, check: str, severity: Severity, message: str, evidence_json: str
) -> Finding:
    found = Finding(doc_id, check, severity, message)
    object.__setattr__(found, "evidence_json", evidence_json)
    return found


def _same_categories(tables: list[pd.DataFrame]) -> None:
    """Give a column that is categorical in every table the same categories in all of
    them (in place), so that joining the tables keeps it categorical."""
    if not tables:
        return
    for column in tables[0].columns:
        dtypes = [t[column].dtype if column in t.columns else None for t in tables]
        if not all(getattr(d, "name", None) == "category" for d in dtypes):
            continue
        union = sorted({v for t in tables for v in t[column].cat.categories})
        for t in tables:  # all of them: equal categories of another dtype would not join
            t[column] = t[column].cat.set_categories(union)


@dataclass(slots=True)
class Chunk:
    """A slice of the input flowing through the per-chunk stages."""

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)

    @classmethod
    def from_records(
        cls, docs: list[dict[str, Any]], paragraphs: list[dict[str, Any]] | None = None
    ) -> Chunk:
        """Build a chunk from row dicts, filling absent columns with None."""
        import pandas as pd

        documents = pd.DataFrame(
            {c: [d.get(c) for d in docs] for c in DOCUMENT_COLUMNS}, dtype=object
        )
        paras = paragraphs or []
        par = pd.DataFrame({c: [p.get(c) for p in paras] for c in PARAGRAPH_COLUMNS})
        return cls(documents=documents, paragraphs=par)


@dataclass(slots=True)
class Pair:
    """A verified similar pair of documents."""

    a: str
    b: str
    jaccard: float
    containment: float
    shared: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The pair as it appears in results.json."""
        out: dict[str, Any] = {
            "a": self.a,
            "b": self.b,
            "jaccard": round(self.jaccard, 4),
            "containment": round(self.containment, 4),
        }
        if self.shared:
            out["shared"] = self.shared
        return out


@dataclass(slots=True)
class Cluster:
    """A group of copies with one canonical original."""

    id: str
    kind: str  # exact | near | syndicated
    canonical: str
    members: list[str]
    pairs: list[Pair] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The cluster as it appears in results.json."""
        return {
            "id": self.id,
            "kind": self.kind,
            "canonical": self.canonical,
            "members": list(self.members),
            "size": len(self.members),
            "pairs": [p.to_dict() for p in self.pairs],
        }


@dataclass(slots=True)
class ExpectationOutcome:
    """The result of one expectation of one suite over the batch."""

    suite: str
    expectation: str
    check: str
    severity: str
    success: bool
    unexpected_count: int
    doc_ids: list[str]
    rationale: str = ""
    remedy: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The outcome as it appears in results.json."""
        return {
            "suite": self.suite,
            "expectation": self.expectation,
            "check": self.check,
            "severity": self.severity,
            "success": self.success,
            "unexpected_count": self.unexpected_count,
            "doc_ids": list(self.doc_ids),
            "rationale": self.rationale,
            "remedy": self.remedy,
        }


@dataclass(slots=True)
class AuditResult:
    """Everything a run found; ``results`` is the results.json document (but for each
    document's paragraphs), its ``documents`` a sequence decoded a document at a time."""

    results: dict[str, Any]
    run_dir: str | None
    exit_code: int

    @property
    def passed(self) -> bool:
        """Whether the gate passed."""
        return bool(self.results["gate"]["passed"])


@dataclass(slots=True)
class Corpus:
    """The whole batch after the per-chunk stages, for the global ones."""

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    expectations: list[ExpectationOutcome] = field(default_factory=list)
    # The spilled heavy columns (text, record, meta) by document position, when the
    # run streams (an audit.spool.Spool): spool.column("text")[i] is row i's text.
    spool: Any = None

    @classmethod
    def concat(cls, chunks: list[Chunk]) -> Corpus:
        """Join chunks in input order."""
        import pandas as pd

        if not chunks:
            empty = Chunk.from_records([])
            return cls(empty.documents, empty.paragraphs)
        docs = pd.concat([c.documents for c in chunks], ignore_index=True)
        # a chunk without paragraphs (only unreadable records) adds no rows, but its
        # columns are typed float64, and joining it would turn the others' offsets to floats
        tables = [c.paragraphs for c in chunks if len(c.paragraphs)] or [chunks[0].paragraphs]
        _same_categories(tables)
        paras = pd.concat(tables, ignore_index=True)
        return cls(docs, paras, [f for c in chunks for f in c.findings])
