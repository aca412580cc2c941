"""Load the Great Expectations suites, validate the signals table, turn failures into findings.

The suites are GX Core 1.x JSON files (``ExpectationSuite(**json.load(f))``).
Each expectation names, in its ``meta``, the contract ``check`` its failures
become, a one-line ``rationale`` and a ``remedy`` (and optionally a ``message``
template filled from the failing document's signals); its GX ``severity``
(critical / warning / info) becomes the finding's (error / warning / info).

Great Expectations is imported inside the functions that need it, so that
importing this module (and ``audit --help``) stays fast.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import re
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Formatter
from typing import TYPE_CHECKING, Any

import pandas as pd

from audit.config import ConfigError
from audit.model import ExpectationOutcome, Finding, Severity, StoredFinding
from audit.signals.registry import SIGNAL_TYPES

if TYPE_CHECKING:
    from great_expectations.core.expectation_suite import ExpectationSuite

SEVERITY = {"critical": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}
REQUIRED_META = ("check", "rationale", "remedy")
# Values the suites may reference as {"$PARAMETER": name}, and their defaults.
DEFAULT_PARAMETERS: dict[str, Any] = {"languages": ["en"]}
DEFAULT_SUITES = "expectations"
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ["doc_id"],
    "exclude_unexpected_values": True,
}
_CHECK_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_COLUMN_KWARGS = ("column", "column_A", "column_B")
# datetime64[ns] cannot hold dates outside these; earlier or later dates are clamped
_MIN_DATE, _MAX_DATE = "1678-01-01", "2261-12-31"


class SuiteError(ConfigError):
    """A suite that cannot be used; the run stops with exit 2 and this one-line message."""


def packaged_suites() -> Path:
    """The default suites shipped inside the package (a copy of ``expectations/``)."""
    return Path(str(resources.files("audit") / "data" / "suites"))


def resolve_suites(value: str | Path | None = None) -> Path:
    """The suites path to use for ``--suites VALUE``.

    An existing file or folder is used as given. The default, ``expectations``,
    falls back to the copy shipped inside the package when there is no such
    folder in the working directory (an installed ``audit`` run elsewhere).

    Raises:
        SuiteError: the path does not exist (and is not the default).
    """
    path = Path(value) if value else Path(DEFAULT_SUITES)
    if path.exists():
        return path
    if str(value or DEFAULT_SUITES) == DEFAULT_SUITES:
        return packaged_suites()
    raise SuiteError(f"{path}: no such suites file or folder")


def suite_files(path: Path) -> list[Path]:
    """The suite files at ``path``: the file itself, or a folder's ``*.json`` in name order."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.is_file())
        if not files:
            raise SuiteError(f"{path}: no suites (*.json) in this folder")
        return files
    raise SuiteError(f"{path}: no such suites file or folder")


# GX's expression parser (pyparsing) learns how to call its parse actions on first
# use, and two threads doing that at once can leave it broken for the process (a
# TypeError on every later validation): validations in one process take turns.
_ONE_AT_A_TIME = threading.Lock()


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small objects are made.

    Building hundreds of thousands of findings otherwise triggers full collections
    over every live object again and again (measured: 40% of the time).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _quiet_gx() -> Iterator[None]:
    """Keep GX's logging and warnings off the terminal for the duration."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logger = logging.getLogger("great_expectations")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def _read_json(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{file}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{file}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise SuiteError(f"{file}: not an expectation suite (no 'expectations' list)")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise SuiteError(f"{file}: the suite has no 'name'")
    return data


def _check_entries(file: Path, data: dict[str, Any]) -> None:
    """Each expectation has a type, our meta, and only parameters we can supply."""
    for n, exp in enumerate(data["expectations"], start=1):
        if not isinstance(exp, dict) or not isinstance(exp.get("type"), str):
            raise SuiteError(f"{file}: expectation {n} has no 'type'")
        meta = exp.get("meta")
        label = f"{file}: expectation {n} ({exp['type']})"
        if not isinstance(meta, dict):
            raise SuiteError(f"{label} has no meta (check, rationale, remedy)")
        for key in REQUIRED_META:
            if not isinstance(meta.get(key), str) or not meta[key].strip():
                raise SuiteError(f"{label} has no meta.{key}")
        if not _CHECK_NAME.match(meta["check"]):
            raise SuiteError(f"{label}: meta.check {meta['check']!r} is not a check name")
        for name in _parameters(exp.get("kwargs")):
            if name not in DEFAULT_PARAMETERS:
                known = ", ".join(sorted(DEFAULT_PARAMETERS))
                raise SuiteError(f"{label}: unknown parameter ${name} (known: {known})")


def _parameters(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("$PARAMETER"), str):
            yield value["$PARAMETER"]
        for v in value.values():
            yield from _parameters(v)
    elif isinstance(value, list):
        for v in value:
            yield from _parameters(v)


def _dropped(file: Path, data: dict[str, Any], loaded: ExpectationSuite) -> SuiteError:
    """Name the expectation GX dropped: an unknown type, or a configuration it refused."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    n_json, n_loaded = len(data["expectations"]), len(loaded.expectations)
    for n, exp in enumerate(data["expectations"], start=1):
        try:
            get_expectation_impl(exp["type"])
        except Exception:
            return SuiteError(
                f"{file}: unknown expectation type '{exp['type']}' (expectation {n}; "
                f"{n_loaded} of {n_json} loaded)"
            )
        try:
            ExpectationConfiguration(**exp).to_domain_obj()
        except Exception as exc:  # GX raises many kinds here
            return SuiteError(f"{file}: expectation {n} ({exp['type']}) is invalid: {_line(exc)}")
    return SuiteError(f"{file}: only {n_loaded} of {n_json} expectations loaded")


def _line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


def check_suites(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The checks of :func:`load_suites` that need no Great Expectations (fast).

    A run calls this first, so that an unreadable suite, a missing ``meta`` or a
    shared suite name stops it at once; GX itself is imported later, while the
    first chunks are being processed.

    Returns:
        Each suite file with its JSON, in load order.

    Raises:
        SuiteError: as :func:`load_suites`, except for what only GX can tell (an
            unknown expectation type, an invalid configuration).
    """
    checked: list[tuple[Path, dict[str, Any]]] = []
    names: dict[str, Path] = {}
    for file in suite_files(Path(path)):
        data = _read_json(file)
        _check_entries(file, data)
        if data["name"] in names:
            raise SuiteError(
                f"{file}: suite name '{data['name']}' is also used by {names[data['name']]}"
            )
        names[data["name"]] = file
        checked.append((file, data))
    return checked


def load_suites(path: Path) -> list[ExpectationSuite]:
    """Load every suite at ``path`` (a ``.json`` file or a folder of them).

    GX silently drops expectations whose type it does not know; the number loaded
    is checked against the JSON so that a typo cannot switch a rule off unnoticed.

    Raises:
        SuiteError: a file is not a suite, an expectation lacks ``meta``
            (check, rationale, remedy), has an unknown type or an invalid
            configuration, or two suites share a name. The message is one line
            naming the file and the expectation.

    Example:
        >>> [s.name for s in load_suites(packaged_suites())]
        ['content', 'metadata', 'translation']
    """
    from great_expectations.core.expectation_suite import ExpectationSuite

    suites: list[ExpectationSuite] = []
    for file, data in check_suites(path):
        with _quiet_gx():
            try:
                suite = ExpectationSuite(**data)
            except Exception as exc:  # GX raises many kinds here
                raise SuiteError(f"{file}: not a valid suite: {_line(exc)}") from None
            if len(suite.expectations) != len(data["expectations"]):
                raise _dropped(file, data, suite)
            _require_per_document(file, suite)
        suites.append(suite)
    return suites


def _require_per_document(file: Path, suite: ExpectationSuite) -> None:
    """Refuse an expectation that judges the batch as a whole (a row count, a column's
    mean): it names no document, so it could fail without a finding or a verdict."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    per_row = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    for n, exp in enumerate(suite.expectations, start=1):
        if not isinstance(exp, per_row):
            raise SuiteError(
                f"{file}: expectation {n} ({exp.expectation_type}) judges the batch as a "
                "whole; suites hold per-document expectations (column values, column "
                "pairs, several columns)"
            )


def suite_parameters(languages: str | Sequence[str] = "en") -> dict[str, Any]:
    """The values for the suites' ``$PARAMETER`` references.

    Example:
        >>> suite_parameters("en, fr")
        {'languages': ['en', 'fr']}
    """
    if isinstance(languages, str):
        languages = [x.strip() for x in languages.split(",") if x.strip()]
    return {**DEFAULT_PARAMETERS, "languages": list(languages)}


def labels(expectations: Sequence[Any]) -> list[str]:
    """Short names for a suite's expectations: type and columns, plus bounds when needed.

    Two expectations on the same column with the same type (a warning and an
    error threshold, say) are told apart by their other arguments.

    Example:
        >>> from great_expectations.expectations import ExpectColumnValuesToBeBetween as B
        >>> names = labels([B(column="g", max_value=0.5), B(column="g", max_value=0.8)])
        >>> [n.split("(")[1] for n in names]
        ['g; max_value=0.5)', 'g; max_value=0.8)']
    """
    base: list[str] = []
    extra: list[str] = []
    for exp in expectations:
        kwargs = dict(exp.configuration.kwargs)
        cols = [str(kwargs.pop(k)) for k in _COLUMN_KWARGS if kwargs.get(k)]
        cols += [str(c) for c in kwargs.pop("column_list", None) or []]
        base.append(f"{exp.expectation_type}({', '.join(cols)})")
        rest = sorted(
            f"{k}={v}"
            for k, v in kwargs.items()
            if v is not None and k not in ("batch_id", "row_condition", "condition_parser")
        )
        extra.append("; ".join(rest))
    counts: dict[str, int] = {}
    for b in base:
        counts[b] = counts.get(b, 0) + 1
    return [
        f"{b[:-1]}; {x})" if counts[b] > 1 and x else b for b, x in zip(base, extra, strict=True)
    ]


def _columns_of(suite: ExpectationSuite) -> set[str]:
    cols: set[str] = set()
    for exp in suite.expectations:
        kwargs = exp.configuration.kwargs
        cols.update(str(kwargs[k]) for k in _COLUMN_KWARGS if kwargs.get(k))
        cols.update(str(c) for c in kwargs.get("column_list") or [])
    return cols


def signal_frame(signals: pd.DataFrame, needed: set[str]) -> pd.DataFrame:
    """The narrow, typed table GX validates: the scalar signal columns, indexed by doc_id.

    Dates become datetime64 (GX compares them vectorized), numbers floats, flags
    objects holding True/False/None. Unreadable documents are left out: they
    already carry an ``unreadable_input`` finding and have no signals.

    Raises:
        SuiteError: a suite checks a column the signals table does not have.
    """
    missing = sorted(c for c in needed if c not in signals.columns)
    if missing:
        raise SuiteError(
            f"the suites check column(s) {', '.join(missing)}, which no signal provides"
        )
    if "doc_id" not in signals.columns:
        raise SuiteError("the signals table has no doc_id column")
    rows = signals
    if "read_error" in signals.columns:
        readable = [not _present(e) for e in signals["read_error"].tolist()]
        rows = signals.loc[readable]
    wanted = set(needed) | {c for c, kind in SIGNAL_TYPES.items() if kind != "list"}
    cols = sorted(c for c in wanted if c in rows.columns and c != "doc_id")
    index = pd.Index([str(d) for d in rows["doc_id"].tolist()], name="doc_id", dtype=object)
    data: dict[str, pd.Series] = {}
    for c in cols:
        values = rows[c].tolist()
        kind = SIGNAL_TYPES.get(c, "object")
        if kind == "date":
            data[c] = _dates(values)
        elif kind == "number":
            data[c] = pd.to_numeric(
                pd.Series([v if _present(v) else None for v in values], dtype=object),
                errors="coerce",
            ).astype("float64")
        elif kind == "bool":
            data[c] = pd.Series([bool(v) if _present(v) else None for v in values], dtype=object)
        else:
            data[c] = pd.Series([v if _present(v) else None for v in values], dtype=object)
    if not data:
        return pd.DataFrame(index=index)
    # each column keeps its own type: text stays Python objects shared with the documents
    # table (pandas would copy it into a string array of its own)
    return pd.DataFrame(
        {
            c: pd.Series(v.to_numpy(), index=index, dtype=v.dtype, copy=False)
            for c, v in data.items()
        }
    )


def _dates(values: list[Any]) -> pd.Series:
    clean: list[str | None] = []
    for v in values:
        s = str(v)[:10] if _present(v) else None
        if s is not None:
            s = min(max(s, _MIN_DATE), _MAX_DATE)
        clean.append(s)
    return pd.to_datetime(
        pd.Series(clean, dtype=object), format="%Y-%m-%d", errors="coerce"
    ).astype("datetime64[ns]")


def _present(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return False
    if isinstance(v, float) and math.isnan(v):
        return False
    return not (isinstance(v, str) and not v.strip())


@dataclass(slots=True)
class _Spec:
    """What a failure of one expectation becomes."""

    suite: str
    expectation: str
    check: str
    severity: Severity
    template: str
    fields: tuple[str, ...]  # signal columns the message template names
    columns: tuple[str, ...]  # the columns the expectation checks
    rationale: str
    remedy: str


def _spec(suite: str, name: str, exp: Any) -> _Spec:
    meta = exp.meta or {}
    kwargs = exp.configuration.kwargs
    template = meta.get("message") or meta.get("rationale", "")
    try:
        fields = tuple(
            dict.fromkeys(
                f.split(".")[0].split("[")[0] for _, f, _, _ in Formatter().parse(template) if f
            )
        )
    except ValueError:
        template, fields = meta.get("rationale", ""), ()
    columns = [str(kwargs[k]) for k in _COLUMN_KWARGS if kwargs.get(k)]
    columns += [str(c) for c in kwargs.get("column_list") or []]
    return _Spec(
        suite,
        name,
        meta["check"],
        SEVERITY[str(getattr(exp.severity, "value", exp.severity))],
        template,
        fields,
        tuple(columns),
        meta.get("rationale", ""),
        meta.get("remedy", ""),
    )


def validate(
    signals: pd.DataFrame,
    suites: Sequence[ExpectationSuite],
    run_dir: Path | None = None,
    parameters: Mapping[str, Any] | None = None,
    gx_results: list[dict[str, Any]] | None = None,
    evidence: Sequence[Any] | None = None,
    spill: str | Path | None = None,
) -> tuple[list[ExpectationOutcome], list[Finding]]:
    """Validate the signals table with every suite; one finding per failing document and check.

    Runs GX in an ephemeral context over a pandas data frame holding only the
    scalar signal columns, indexed by ``doc_id``, with ``result_format`` COMPLETE
    and ``unexpected_index_column_names=["doc_id"]`` (unexpected values are left
    out of GX's result: the findings take them from the signals). Results are
    matched to their expectation by id, never by position. The failures of one
    document under one check are merged into one finding: the most severe wins,
    every failed expectation is listed in its evidence with the values it saw,
    next to the document's ``evidence`` for that check.

    Args:
        signals: the documents table after :func:`audit.signals.compute_signals`.
        suites: from :func:`load_suites`.
        run_dir: where to write ``gx_validation.json`` (GX's own result JSON, a
            list with one result per suite); None writes nothing.
        parameters: values for ``$PARAMETER`` references (see :func:`suite_parameters`).
        gx_results: a list to append GX's result JSON to (one per suite), for a caller
            that writes the run folder later (see :func:`write_gx_validation`).
        evidence: the documents' evidence by row position, when it is not the
            ``evidence`` column of ``signals`` (a streaming run keeps it on disk:
            ``corpus.spool.column("evidence")``); read only for failing documents.
        spill: a folder where the findings' evidence waits in an unnamed file until
            it is read (:class:`audit.model.StoredFinding`), instead of memory.

    Returns:
        One outcome per expectation (in suite order) and the findings.

    Raises:
        SuiteError: a suite references a column that is not a signal, or an
            expectation cannot be evaluated (its message names it).
    """
    with _ONE_AT_A_TIME, _no_gc():
        return _validate(signals, suites, run_dir, parameters, gx_results, evidence, spill)


def _validate(
    signals: pd.DataFrame,
    suites: Sequence[ExpectationSuite],
    run_dir: Path | None,
    parameters: Mapping[str, Any] | None,
    gx_results: list[dict[str, Any]] | None,
    evidence: Sequence[Any] | None = None,
    spill: str | Path | None = None,
) -> tuple[list[ExpectationOutcome], list[Finding]]:
    from great_expectations.core.expectation_suite import ExpectationSuite

    needed: set[str] = set()
    for suite in suites:
        needed |= _columns_of(suite)
    frame = signal_frame(signals, needed)
    params = {**DEFAULT_PARAMETERS, **(parameters or {})}
    outcomes: list[ExpectationOutcome] = []
    specs: list[_Spec] = []
    failed: dict[tuple[str, str], list[int]] = {}
    raw_results: list[dict[str, Any]] = []
    with _quiet_gx():
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        source = context.data_sources.add_pandas("audit")
        batch: Any = None
        try:
            batch = (
                source.add_dataframe_asset("signals")
                .add_batch_definition_whole_dataframe("all")
                .get_batch(batch_parameters={"dataframe": frame})
            )
            for suite in suites:
                copy = context.suites.add(ExpectationSuite(**dict(suite.to_json_dict())))  # type: ignore[arg-type]
                by_id = {str(exp.id): exp for exp in copy.expectations}
                if len(by_id) != len(copy.expectations):
                    raise SuiteError(f"suite '{suite.name}': expectations share an id")
                names = labels(copy.expectations)
                position = {str(exp.id): n for n, exp in enumerate(copy.expectations)}
                result = batch.validate(
                    copy, result_format=RESULT_FORMAT, expectation_parameters=params
                )
                if run_dir is not None or gx_results is not None:
                    raw_results.append(result.to_json_dict())
                ids = [str(getattr(r.expectation_config, "id", None)) for r in result.results]
                for key, res in sorted(
                    zip(ids, result.results, strict=True), key=lambda kv: position[kv[0]]
                ):
                    spec = _spec(suite.name, names[position[key]], by_id[key])
                    _raise_on_error(spec, res)
                    doc_ids = _unexpected_ids(res)
                    outcomes.append(
                        ExpectationOutcome(
                            suite=spec.suite,
                            expectation=spec.expectation,
                            check=spec.check,
                            severity=spec.severity.value,
                            success=bool(res.success),
                            unexpected_count=len(doc_ids),
                            doc_ids=doc_ids,
                            rationale=spec.rationale,
                            remedy=spec.remedy,
                        )
                    )
                    n = len(specs)
                    specs.append(spec)
                    if res.success:  # met on its own terms (within `mostly`): no finding
                        continue
                    for doc_id in doc_ids:
                        failed.setdefault((doc_id, spec.check), []).append(n)
        finally:
            # GX's context outlives this call (GX keeps it as the current project) and
            # holds the batch's data frame: let it go, or it stays for the rest of the run
            context.data_sources.delete("audit")
            del source, batch
    rows = _Rows(signals, evidence)
    made = (
        _finding(doc_id, check, [specs[n] for n in ns], rows)
        for (doc_id, check), ns in failed.items()
    )
    findings = list(made) if spill is None else _stored(made, spill)
    if gx_results is not None:
        gx_results.extend(raw_results)
    if run_dir is not None:
        write_gx_validation(Path(run_dir), raw_results)
    return outcomes, findings


def write_gx_validation(run_dir: Path, gx_results: list[dict[str, Any]]) -> Path:
    """Write GX's validation results (one per suite) to ``run_dir/gx_validation.json``."""
    from audit.report.files import atomic_write_text, dumps

    path = run_dir / "gx_validation.json"
    atomic_write_text(path, dumps(gx_results))  # strict JSON: a NaN observed value is null
    return path


def _raise_on_error(spec: _Spec, res: Any) -> None:
    """Stop with a SuiteError when GX could not evaluate an expectation."""
    info = res.exception_info or {}
    errors = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    if info.get("raised_exception") is True:
        errors.append(info)
    if errors:
        message = errors[0].get("exception_message") or "unknown error"
        raise SuiteError(
            f"suite '{spec.suite}': {spec.expectation} could not be evaluated: "
            f"{_line(Exception(message))}"
        )


def _unexpected_ids(res: Any) -> list[str]:
    """The doc_ids of the rows that failed, in GX's order, each once."""
    found = (res.result or {}).get("unexpected_index_list") or []
    ids: list[Any] = []
    for item in found:
        if isinstance(item, dict):
            value = item.get("doc_id")
            if isinstance(value, list):
                ids.extend(value)
            elif value is not None:
                ids.append(value)
        else:
            ids.append(item)
    return list(dict.fromkeys(str(d) for d in ids))


class _Rows:
    """The signals table's columns as lists, looked up by doc_id."""

    def __init__(self, signals: pd.DataFrame, evidence: Sequence[Any] | None = None) -> None:
        ids = signals["doc_id"].astype(str).tolist()
        self.positions = {d: i for i, d in enumerate(ids)}
        self.signals = signals
        self._columns: dict[str, list[Any]] = {}
        self.evidence: Sequence[Any] | None = evidence
        if evidence is None and "evidence" in signals.columns:
            self.evidence = signals["evidence"].tolist()

    def value(self, doc_id: str, column: str) -> Any:
        """One signal of one document, as a plain value ('?' when unknown)."""
        values = self._columns.get(column)
        if values is None:
            if column not in self.signals.columns:
                return "?"
            values = self._columns[column] = self.signals[column].tolist()
        pos = self.positions.get(doc_id)
        return "?" if pos is None else _plain(values[pos])

    def evidence_of(self, doc_id: str, check: str) -> dict[str, Any]:
        """The document's evidence for ``check`` (a copy), or an empty dict."""
        pos = self.positions.get(doc_id)
        if self.evidence is None or pos is None:
            return {}
        found = self.evidence[pos]  # read from disk when spilled: once
        return dict(found.get(check) or {}) if isinstance(found, dict) else {}


def _message(spec: _Spec, doc_id: str, rows: _Rows) -> str:
    try:
        return spec.template.format_map({f: rows.value(doc_id, f) for f in spec.fields})
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        return spec.rationale


def _finding(doc_id: str, check: str, specs: list[_Spec], rows: _Rows) -> Finding:
    """One finding for a document's failures under one check (the most severe first)."""
    if len(specs) > 1:
        specs = sorted(specs, key=lambda s: -s.severity.rank)
    worst = specs[0]
    evidence = rows.evidence_of(doc_id, check)
    evidence["expectations"] = [
        {
            "suite": s.suite,
            "expectation": s.expectation,
            "severity": s.severity.value,
            "observed": {c: rows.value(doc_id, c) for c in s.columns},
        }
        for s in specs
    ]
    evidence["remedy"] = worst.remedy
    message = "; ".join(dict.fromkeys(_message(s, doc_id, rows) for s in specs))
    return Finding(doc_id, check, worst.severity, message, evidence)


def _stored(findings: Iterable[Finding], folder: str | Path) -> list[Finding]:
    """The findings, their evidence moved to an unnamed file in ``folder``."""
    from audit.report.documents import LineFile

    heads: list[tuple[str, str, Severity, str]] = []

    def evidence() -> Iterator[str]:
        for f in findings:
            heads.append((f.doc_id, f.check, f.severity, f.message))
            yield f.evidence_json

    lines = LineFile(evidence(), folder)
    return [StoredFinding(*head, lines, n) for n, head in enumerate(heads)]


def _plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars to Python, timestamps to dates, NaN to None."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else round(value, 4)
    return value
