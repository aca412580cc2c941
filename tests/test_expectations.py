"""Loading suites safely, validating signals with GX, and the findings on the seeds."""

from __future__ import annotations

import datetime as dt
import gc
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from audit.config import ConfigError, Settings
from audit.expectations import (
    SuiteError,
    load_suites,
    packaged_suites,
    resolve_suites,
    signal_frame,
    suite_parameters,
    validate,
    write_gx_validation,
)
from audit.model import Check, Chunk, Severity, StoredFinding
from audit.signals import compute_signals
from tests.conftest import ROOT, S000, S001, S002, S003

SHIPPED = ROOT / "expectations"


def meta(check: str) -> dict[str, str]:
    """The meta every expectation needs."""
    return {"check": check, "rationale": f"why {check}", "remedy": f"fix {check}"}


def write_suite(folder: Path, name: str, expectations: list[dict[str, Any]]) -> Path:
    """A suite file in GX's serialized form."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"name": name, "expectations": expectations}), encoding="utf-8")
    return path


def signals(**columns: list[Any]) -> pd.DataFrame:
    """A small signals table; doc ids a, b, c, ... unless given."""
    n = len(next(iter(columns.values())))
    columns.setdefault("doc_id", [chr(ord("a") + i) for i in range(n)])
    return pd.DataFrame(columns)


# --- loading -----------------------------------------------------------------------


def test_shipped_suites_load_completely_with_meta_and_severity() -> None:
    suites = load_suites(SHIPPED)
    assert [s.name for s in suites] == ["content", "metadata", "translation"]
    checks = {str(c) for c in Check}
    for suite in suites:
        data = json.loads((SHIPPED / f"{suite.name}.json").read_text())
        assert len(suite.expectations) == len(data["expectations"])
        for exp in suite.expectations:
            assert exp.meta["check"] in checks
            assert exp.meta["rationale"] and exp.meta["remedy"] and exp.meta["message"]
            assert str(getattr(exp.severity, "value", exp.severity)) in (
                "critical",
                "warning",
                "info",
            )


def test_packaged_copy_is_identical_to_the_repository_suites() -> None:
    shipped = sorted(p.name for p in SHIPPED.glob("*.json"))
    packaged = sorted(p.name for p in packaged_suites().glob("*.json"))
    assert shipped == packaged
    for name in shipped:
        assert (SHIPPED / name).read_bytes() == (packaged_suites() / name).read_bytes(), (
            f"audit/data/suites/{name} differs from expectations/{name}: "
            "copy expectations/*.json into audit/data/suites/"
        )


def test_unknown_expectation_type_is_named(tmp_path: Path) -> None:
    good = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}}
    bad = {"type": "expect_column_values_to_be_garbled", "kwargs": {"column": "x"}}
    path = write_suite(tmp_path, "s", [{**good, "meta": meta("a")}, {**bad, "meta": meta("b")}])
    with pytest.raises(SuiteError) as err:
        load_suites(path)
    message = str(err.value)
    assert "expect_column_values_to_be_garbled" in message and str(path) in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}},
            "no meta",
        ),
        (
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "x"},
                "meta": {"check": "a", "rationale": "r"},
            },
            "meta.remedy",
        ),
        (
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "x"},
                "meta": {**meta("a"), "check": "Not A Check"},
            },
            "not a check name",
        ),
        (
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "x", "max_value": 1},
                "meta": meta("a"),
                "severity": "fatal",
            },
            "Invalid severity",
        ),
        (
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "x", "value_set": {"$PARAMETER": "colours"}},
                "meta": meta("a"),
            },
            "unknown parameter $colours",
        ),
        ({"kwargs": {"column": "x"}, "meta": meta("a")}, "no 'type'"),
    ],
)
def test_invalid_expectations_stop_with_one_line(
    tmp_path: Path, entry: dict[str, Any], words: str
) -> None:
    path = write_suite(tmp_path, "s", [entry])
    with pytest.raises(SuiteError, match=words.replace("$", r"\$")) as err:
        load_suites(path)
    assert "\n" not in str(err.value)


def test_a_suite_error_is_a_config_error_for_exit_2() -> None:
    assert issubclass(SuiteError, ConfigError)


def test_unusable_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{oops")
    with pytest.raises(SuiteError, match="not valid JSON"):
        load_suites(tmp_path / "broken.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(SuiteError, match="not an expectation suite"):
        load_suites(tmp_path / "list.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SuiteError, match="no suites"):
        load_suites(tmp_path / "empty")
    with pytest.raises(SuiteError, match="no such suites"):
        load_suites(tmp_path / "missing")
    twins = tmp_path / "twins"
    write_suite(twins, "a", [])
    (twins / "b.json").write_text(json.dumps({"name": "a", "expectations": []}))
    with pytest.raises(SuiteError, match="also used by"):
        load_suites(twins)


def test_resolve_suites_falls_back_to_the_packaged_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_suites(None) == packaged_suites()
    assert resolve_suites("expectations") == packaged_suites()
    with pytest.raises(SuiteError, match="no such suites"):
        resolve_suites("team-suites")
    (tmp_path / "expectations").mkdir()
    assert resolve_suites("expectations") == Path("expectations")


# --- validation ----------------------------------------------------------------------


def test_failures_become_findings_on_exactly_the_failing_documents(tmp_path: Path) -> None:
    folder = tmp_path / "suites"
    write_suite(
        folder,
        "s",
        [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "word_count", "min_value": 30},
                "meta": {**meta("empty_body"), "message": "only {word_count} words"},
                "severity": "critical",
            },
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "published_date"},
                "meta": meta("missing_date"),
                "severity": "warning",
            },
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {
                    "column_A": "updated_date",
                    "column_B": "published_date",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                "meta": {**meta("date_inconsistent"), "message": "updated {updated_date}"},
                "severity": "warning",
            },
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "update_lag_days", "max_value": 1095},
                "meta": {**meta("date_inconsistent"), "message": "lag {update_lag_days}"},
                "severity": "info",
            },
            {
                "type": "expect_column_values_to_be_unique",
                "kwargs": {"column": "url"},
                "meta": meta("duplicate_url"),
                "severity": "warning",
            },
        ],
    )
    table = signals(
        word_count=[500, 12, 400, 0],
        published_date=["2022-10-05", None, "2023-01-02", None],
        updated_date=["2022-10-04", "2020-01-01", "2027-01-05", None],
        update_lag_days=[2000, None, 10, None],
        url=["https://x.org/1", "https://x.org/1", "https://x.org/2", None],
        read_error=[None, None, None, "binary file"],
        evidence=[{"date_inconsistent": {"updated": {"line": 9}}}, {}, {}, {}],
    )
    outcomes, findings = validate(table, load_suites(folder), tmp_path, suite_parameters())
    assert [o.expectation for o in outcomes] == [
        "expect_column_values_to_be_between(word_count)",
        "expect_column_values_to_not_be_null(published_date)",
        "expect_column_pair_values_a_to_be_greater_than_b(updated_date, published_date)",
        "expect_column_values_to_be_between(update_lag_days)",
        "expect_column_values_to_be_unique(url)",
    ]
    assert [o.doc_ids for o in outcomes] == [["b"], ["b"], ["a"], ["a"], ["a", "b"]]
    assert [o.severity for o in outcomes] == ["error", "warning", "warning", "info", "warning"]
    by = {(f.doc_id, f.check): f for f in findings}
    assert set(by) == {
        ("b", "empty_body"),
        ("b", "missing_date"),
        ("a", "date_inconsistent"),
        ("a", "duplicate_url"),
        ("b", "duplicate_url"),
    }
    assert [(f.doc_id, f.check) for f in findings] == [  # in the order of first failure
        ("b", "empty_body"),
        ("b", "missing_date"),
        ("a", "date_inconsistent"),
        ("a", "duplicate_url"),
        ("b", "duplicate_url"),
    ]
    assert by[("b", "empty_body")].severity is Severity.ERROR
    assert by[("b", "empty_body")].message == "only 12 words"
    merged = by[("a", "date_inconsistent")]
    assert merged.severity is Severity.WARNING
    assert merged.message == "updated 2022-10-04; lag 2000"
    assert merged.evidence["updated"] == {"line": 9}
    assert [e["observed"] for e in merged.evidence["expectations"]] == [
        {"updated_date": "2022-10-04", "published_date": "2022-10-05"},
        {"update_lag_days": 2000},
    ]
    assert merged.evidence["remedy"] == "fix date_inconsistent"
    written = json.loads((tmp_path / "gx_validation.json").read_text())
    assert len(written) == 1 and written[0]["success"] is False
    kept: list[dict[str, Any]] = []
    validate(table, load_suites(folder), None, suite_parameters(), gx_results=kept)
    assert len(kept) == 1 and len(kept[0]["results"]) == 5
    later = write_gx_validation(tmp_path / "run", kept)
    assert json.loads(later.read_text())[0]["results"][0]["expectation_config"]["meta"]
    # with a spill folder, the same findings with their evidence read from disk
    spill = tmp_path / "spill"
    spill.mkdir()
    again, stored = validate(table, load_suites(folder), None, suite_parameters(), spill=spill)
    assert again == outcomes and stored == findings
    assert all(isinstance(f, StoredFinding) for f in stored)
    assert [f.to_json() for f in stored] == [f.to_json() for f in findings]
    assert not list(spill.iterdir())  # the file has no name
    # GX's context outlives the call; the table it validated does not stay with it
    gc.collect()
    kept_frames = [
        o for o in gc.get_objects() if isinstance(o, pd.DataFrame) and o.index.name == "doc_id"
    ]
    assert kept_frames == []


def test_language_parameter_and_row_condition() -> None:
    suites = load_suites(SHIPPED / "content.json")
    table = signals(
        language=["en", "fr", "fr", "de"],
        language_confidence=[0.9, 0.9, 0.2, 0.9],
        word_count=[100, 100, 100, 100],
    )
    table = _with_defaults(table)
    outcomes, _ = validate(table, suites, None, suite_parameters("en, de"))
    lang = next(o for o in outcomes if o.check == "unexpected_language")
    assert lang.doc_ids == ["b"]


def test_a_column_no_signal_provides_is_a_suite_error(tmp_path: Path) -> None:
    path = write_suite(
        tmp_path,
        "s",
        [
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "sentiment"},
                "meta": meta("missing_metadata"),
            }
        ],
    )
    with pytest.raises(SuiteError, match="sentiment"):
        validate(signals(word_count=[1]), load_suites(path))


def _with_defaults(table: pd.DataFrame) -> pd.DataFrame:
    """Fill every column the content suite checks with passing values."""
    defaults = {
        "word_count_ratio": 1.0,
        "boilerplate_lines": 0,
        "boilerplate_ratio": 0.0,
        "body_truncated": False,
        "summary_truncated": None,
        "mojibake": False,
    }
    for column, value in defaults.items():
        if column not in table.columns:
            table[column] = [value] * len(table)
    return table


# --- plain Great Expectations can use the shipped suites ---------------------------------


def test_interop_plain_great_expectations_validates_the_shipped_suites() -> None:
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite

    good = {
        "doc_id": ["a", "b"],
        "published_date": pd.to_datetime(["2022-10-05", "2023-01-02"]).astype("datetime64[ns]"),
        "created_date": pd.to_datetime(["2022-10-05", "2023-01-02"]).astype("datetime64[ns]"),
        "updated_date": pd.to_datetime(["2022-10-06", "2023-01-02"]).astype("datetime64[ns]"),
        "last_read_date": pd.to_datetime(["2022-10-07", "2023-01-03"]).astype("datetime64[ns]"),
        "url_date": pd.to_datetime(["2022-10-05", None]).astype("datetime64[ns]"),
        "has_title": [True, True],
        "has_source": [True, True],
        "has_url": [True, True],
        "url": ["https://a.example/2022/10/05/x", "https://b.example/y"],
        "record_id": ["1", "2"],
        "future_days": [-100.0, -50.0],
        "update_lag_days": [1.0, 0.0],
        "url_published_delta_days": [0.0, None],
        "html_dates_agree": [True, None],
        "weekday_mismatches": [0.0, 0.0],
        "text_date_lead_days": [None, -3.0],
        "word_count": [400.0, 250.0],
        "word_count_ratio": [1.02, None],
        "boilerplate_lines": [0.0, 0.0],
        "boilerplate_ratio": [0.0, 0.0],
        "body_truncated": [False, False],
        "summary_truncated": [None, False],
        "mojibake": [False, False],
        "language": ["en", "en"],
        "language_confidence": [0.9, 0.8],
        "garble_score": [0.1, 0.2],
    }
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("p").add_dataframe_asset("signals")
    definition = source.add_batch_definition_whole_dataframe("all")
    for path in sorted(SHIPPED.glob("*.json")):
        with path.open() as f:
            data = json.load(f)
        suite = context.suites.add(ExpectationSuite(**data))
        assert len(suite.expectations) == len(data["expectations"])
        batch = definition.get_batch(batch_parameters={"dataframe": pd.DataFrame(good)})
        result = batch.validate(suite, expectation_parameters={"languages": ["en"]})
        assert result.success, [r.expectation_config.type for r in result.results if not r.success]
        bad = pd.DataFrame(good)
        bad.loc[0, "garble_score"] = 0.95
        bad.loc[0, "word_count"] = 3.0
        bad.loc[1, "record_id"] = "1"
        batch = definition.get_batch(batch_parameters={"dataframe": bad})
        result = batch.validate(suite, expectation_parameters={"languages": ["en"]})
        assert result.success is False


# --- the seeds ---------------------------------------------------------------------------


@pytest.fixture()
def seed_findings(seed_chunk: Chunk) -> tuple[list[Any], dict[tuple[str, str], Any]]:
    """Outcomes and findings of the shipped suites over the parsed seeds."""
    compute_signals(seed_chunk, Settings(), dt.date(2026, 1, 15))
    outcomes, findings = validate(
        seed_chunk.documents, load_suites(SHIPPED), None, suite_parameters("en")
    )
    return outcomes, {(f.doc_id, f.check): f for f in findings}


def test_seed_000_word_count_and_dates(seed_findings: Any) -> None:
    outcomes, by = seed_findings
    wc = by[(S000, "word_count_mismatch")]
    assert (wc.evidence["claimed"], wc.evidence["word_count"], wc.evidence["word_count_dedup"]) == (
        245,
        465,
        245,
    )
    assert (
        wc.message == "claimed 245 words, body as stored has 465 (245 without repeated paragraphs)"
    )
    dates = by[(S000, "date_inconsistent")]
    assert dates.severity is Severity.WARNING
    assert "1161 days after created 2022-10-05 (more than three years)" in dates.message
    assert dates.evidence["updated"]["text"] == "Updated: 2025/12/09 13:08"
    url_check = next(o for o in outcomes if "url_published_delta_days" in o.expectation)
    assert url_check.success and S000 not in url_check.doc_ids
    assert (S000, "missing_date") not in by
    summary = by[(S000, "truncated_text")]
    assert summary.evidence["summary"]["line"] == 23


def test_seed_missing_dates_and_the_chrome_date(seed_findings: Any) -> None:
    _, by = seed_findings
    assert {d for d, c in by if c == "missing_date"} == {S001, S002, S003}
    chrome = by[(S002, "missing_date")].evidence["chrome_dates"]
    assert [(c["line"], c["text"]) for c in chrome] == [(2, "Monday, June 5, 2023")]


def test_seed_boilerplate_with_its_lines(seed_findings: Any) -> None:
    _, by = seed_findings
    assert {d for d, c in by if c == "boilerplate"} == {S001, S002, S003}
    lines = by[(S001, "boilerplate")].evidence["lines"]
    assert [(x["line"], x["text"]) for x in lines][:2] == [(1, "print PRINT"), (17, "• Ambassador")]


def test_seeds_have_no_errors_from_the_suites(seed_findings: Any) -> None:
    _, by = seed_findings
    assert [k for k, f in by.items() if f.severity is Severity.ERROR] == []


def test_the_validated_table_shares_its_text_with_the_signals() -> None:
    url = "https://example.org/a"
    table = signals(url=[url, None], word_count=[3, "4"], language=["en", ""])
    table["url"] = table["url"].astype(object)  # the documents table holds Python strings
    frame = signal_frame(table, {"url", "word_count", "language"})
    # text is not copied into a string array of pandas' own: the same objects
    assert frame["url"].dtype == object and frame["url"].iloc[0] is table["url"].iloc[0]
    assert frame["language"].tolist() == ["en", None]
    assert frame["word_count"].tolist() == [3.0, 4.0]
    assert frame.index.tolist() == ["a", "b"] and frame.index.name == "doc_id"


def test_a_signal_frame_without_signal_columns_is_still_indexed_by_doc_id() -> None:
    frame = signal_frame(signals(doc_id=["a", "b"]), set())
    assert frame.columns.tolist() == []
    assert frame.index.tolist() == ["a", "b"] and frame.index.name == "doc_id"


def test_a_gx_failure_while_loading_the_table_leaves_no_data_source_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context.data_context.context_factory import project_manager

    entry = {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "word_count", "min_value": 50},
        "meta": meta("empty_body"),
    }
    suites = load_suites(write_suite(tmp_path, "s", [entry]))
    table = signals(word_count=[500.0, 3.0])
    real = BatchDefinition.get_batch

    def broken(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(BatchDefinition, "get_batch", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        validate(table, suites)
    # GX keeps its context as the current project: the failed run's data source is gone
    assert "audit" not in project_manager.get_datasources()
    monkeypatch.setattr(BatchDefinition, "get_batch", real)
    outcomes, _ = validate(table, suites)
    assert [o.doc_ids for o in outcomes] == [["b"]]


@pytest.mark.parametrize(
    "entry",
    [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 10}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "x", "max_value": 1}},
    ],
)
def test_an_expectation_on_the_whole_batch_is_refused(
    tmp_path: Path, entry: dict[str, Any]
) -> None:
    path = write_suite(tmp_path, "s", [{**entry, "meta": meta("empty_body")}])
    with pytest.raises(SuiteError) as err:  # it could fail without naming a document
        load_suites(path)
    assert f"expectation 1 ({entry['type']}) judges the batch as a whole" in str(err.value)


def test_an_expectation_met_within_mostly_makes_no_finding(tmp_path: Path) -> None:
    def suite(mostly: float) -> list[Any]:
        entry = {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "garble_score", "max_value": 0.5, "mostly": mostly},
            "meta": meta("garbled_text"),
            "severity": "critical",
        }
        return load_suites(write_suite(tmp_path / str(mostly), "s", [entry]))

    table = signals(garble_score=[0.1, 0.9, 0.2, 0.3])
    outcomes, findings = validate(table, suite(0.5))  # 3 of 4 pass: met
    assert outcomes[0].success and outcomes[0].doc_ids == ["b"] and findings == []
    outcomes, findings = validate(table, suite(0.9))  # not met: b is named
    assert not outcomes[0].success
    assert [(f.doc_id, f.check, f.severity.value) for f in findings] == [
        ("b", "garbled_text", "error")
    ]
