"""Signal functions on small chunks written here, and on the seeds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from audit.config import Settings, SignalSettings
from audit.model import Chunk
from audit.signals import SIGNAL_TYPES, check_registry, compute_signals
from audit.signals.dates import read_date, to_date, url_date
from audit.signals.language import detect
from audit.signals.text import ends_sentence
from tests.conftest import S000, S001, S002, S003

NOW = dt.date(2026, 1, 15)


def chunk_of(text: str, **doc: Any) -> Chunk:
    """A one-document chunk: every non-blank line of ``text`` is a paragraph.

    A line may start with ``role|reason|`` to set its role (default body).
    """
    paras = []
    lines = []
    for n, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            lines.append("")
            continue
        role, reason, line = "body", "body", raw
        if raw.count("|") >= 2 and raw.split("|", 1)[0] in (
            "title",
            "boilerplate",
            "related",
            "metadata",
            "credit",
            "summary",
            "dateline",
        ):
            role, reason, line = raw.split("|", 2)
        lines.append(line)
        paras.append(
            {
                "doc_id": doc.get("doc_id", "d"),
                "idx": len(paras),
                "text": line,
                "role": role,
                "reason": reason,
                "start": 0,
                "end": len(line),
                "line": n,
            }
        )
    record = {"doc_id": "d", "source": "t.txt", "text": "\n".join(lines), **doc}
    return Chunk.from_records([record], paras)


def signals_of(chunk: Chunk, settings: Settings | None = None) -> dict[str, Any]:
    """Compute signals and return the first document's row."""
    compute_signals(chunk, settings or Settings(), NOW)
    return dict(chunk.documents.iloc[0])


BODY = (
    "The minister said on Tuesday that the talks with the officials would continue next week.\n"
    "Critics argue that the plan does little for the families and the small businesses here.\n"
)


# --- dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "weekday"),
    [
        ("Oct. 5, 2022", dt.date(2022, 10, 5), None),
        ("2022/10/05 07:30", dt.date(2022, 10, 5), None),
        ("Monday, June 5, 2023", dt.date(2023, 6, 5), 0),
        ("5 June 2023", dt.date(2023, 6, 5), None),
        ("2022-10-05T23:30:00-05:00", dt.date(2022, 10, 5), None),
        ("October 5th, 2022", dt.date(2022, 10, 5), None),
        ("1664955000", dt.date(2022, 10, 5), None),
        ("Wed, 05 Oct 2022 07:30:00 GMT", dt.date(2022, 10, 5), 2),
        ("June 2023", None, None),
        ("yesterday", None, None),
        ("2022-13-45", None, None),
        ("", None, None),
    ],
)
def test_read_date_formats(raw: str, expected: dt.date | None, weekday: int | None) -> None:
    assert read_date(raw) == (expected, weekday)


def test_dayfirst_and_date_objects() -> None:
    assert read_date("05/10/2022")[0] == dt.date(2022, 5, 10)
    assert read_date("05/10/2022", dayfirst=True)[0] == dt.date(2022, 10, 5)
    assert to_date(pd.Timestamp("2022-10-05 07:30")) == dt.date(2022, 10, 5)
    assert to_date(dt.datetime(2022, 10, 5, 7, 30)) == dt.date(2022, 10, 5)
    assert to_date(float("nan")) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www3.nhk.or.jp/nhkworld/en/news/20221005_02/", dt.date(2022, 10, 5)),
        ("https://example.com/2022/10/05/some-story", dt.date(2022, 10, 5)),
        ("https://example.com/news/2022-10-05-some-story.html", dt.date(2022, 10, 5)),
        ("https://example.com/article/120221005123", None),
        ("https://20221005.example.com/story", None),
        ("https://example.com/2022/10/story", None),
        (None, None),
    ],
)
def test_url_date(url: str | None, expected: dt.date | None) -> None:
    assert url_date(url) == expected


def test_publication_date_from_metadata_with_its_line() -> None:
    chunk = chunk_of(
        BODY + "metadata|metadata_field|Date: Oct. 5, 2022\n"
        "metadata|metadata_field|Created: 2022/10/05 07:30\n"
        "metadata|metadata_field|Updated: 2025/12/09 13:08\n"
        "metadata|metadata_field|Last Read: 2022/10/05 07:30",
        published="Oct. 5, 2022",
        url="https://www3.nhk.or.jp/nhkworld/en/news/20221005_02/",
        meta={
            "date": "Oct. 5, 2022",
            "created": "2022/10/05 07:30",
            "updated": "2025/12/09 13:08",
            "last_read": "2022/10/05 07:30",
        },
    )
    row = signals_of(chunk)
    assert row["published_date"] == "2022-10-05"
    assert row["published_source"] == "metadata"
    assert row["url_date"] == "2022-10-05"
    assert row["created_date"] == "2022-10-05"
    assert row["updated_date"] == "2025-12-09"
    assert row["last_read_date"] == "2022-10-05"
    assert row["url_published_delta_days"] == 0
    assert row["update_lag_days"] == 1161
    assert row["future_days"] == (dt.date(2025, 12, 9) - NOW).days
    ev = row["evidence"]["date_inconsistent"]
    assert ev["published"] == {
        "value": "2022-10-05",
        "raw": "Oct. 5, 2022",
        "field": "date",
        "line": 3,
        "text": "Date: Oct. 5, 2022",
    }
    assert ev["updated"]["line"] == 5
    assert ev["text_weekdays"] == {"Tuesday": "2022-10-04"}


def test_url_date_stands_in_for_a_missing_published_date() -> None:
    row = signals_of(chunk_of(BODY, url="https://example.com/2021/03/04/story"))
    assert row["published_date"] == "2021-03-04"
    assert row["published_source"] == "url"
    assert row["url_published_delta_days"] is None


def test_unreadable_dates_are_evidence_for_missing_date() -> None:
    row = signals_of(chunk_of(BODY, published="sometime last spring", meta={"updated": "soon"}))
    assert row["published_date"] is None and row["has_date"] is False
    unread = row["evidence"]["missing_date"]["unreadable"]
    assert {u["raw"] for u in unread} == {"sometime last spring", "soon"}


def test_chrome_date_is_never_the_publication_date() -> None:
    row = signals_of(
        chunk_of(
            "boilerplate|chrome_weather|30.1 C\nboilerplate|chrome_date|Monday, June 5, 2023\n"
            + BODY
        )
    )
    assert row["published_date"] is None
    assert row["chrome_date"] == "2023-06-05"
    assert row["weekday_mismatches"] == 0
    chrome = row["evidence"]["missing_date"]["chrome_dates"]
    assert chrome == [
        {
            "line": 2,
            "text": "Monday, June 5, 2023",
            "date": "2023-06-05",
            "role": "boilerplate",
            "reason": "chrome_date",
        }
    ]


def test_weekday_that_contradicts_its_date() -> None:
    row = signals_of(
        chunk_of(
            "boilerplate|chrome_date|Tuesday, June 5, 2023\n"
            "The meeting on Monday, June 6, 2023 was postponed until further notice by the board.\n"
            "It had been planned since 4 May 2023, officials said in a short statement today.",
            published="2023-06-07",
        )
    )
    assert row["weekday_mismatches"] == 2
    assert row["text_dates"] == ["2023-05-04", "2023-06-06"]
    assert row["text_date_lead_days"] == -1
    bad = row["evidence"]["date_inconsistent"]["weekday_mismatches"]
    assert [(b["line"], b["weekday"], b["actual"]) for b in bad] == [
        (1, "tuesday", "monday"),
        (2, "monday", "tuesday"),
    ]


def test_text_naming_dates_long_after_publication() -> None:
    row = signals_of(
        chunk_of(
            "The summit held on March 3, 2024 ended with a joint statement on trade and energy.",
            published="2021-01-01",
        )
    )
    assert row["text_date_lead_days"] == (dt.date(2024, 3, 3) - dt.date(2021, 1, 1)).days


def test_html_page_dates_that_disagree() -> None:
    html = {"html_dates": {"jsonld_published": "2024-03-01", "url_date": "2024-03-09"}}
    row = signals_of(chunk_of(BODY, meta=html))
    assert (row["html_dates_agree"], row["html_dates_max_diff_days"]) == (False, 8.0)
    ev = row["evidence"]["date_inconsistent"]["html_dates"]
    assert ev["disagreements"][0]["sources"] == ["jsonld_published", "url_date"]
    assert signals_of(chunk_of(BODY))["html_dates_agree"] is None


# --- word counts -----------------------------------------------------------------


def test_word_counts_with_exact_repeats_and_a_claim() -> None:
    text = (
        "title|headline|A title here\nA title here\n"
        + BODY
        + BODY
        + "metadata|statistics_block|Statistics\nmetadata|statistics_block|33"
    )
    row = signals_of(chunk_of(text, title="A title here", claimed_word_count=33))
    assert row["word_count"] == 3 + 2 * 30
    assert row["word_count_dedup"] == 30
    assert row["claimed_word_count"] == 33
    assert row["word_count_ratio"] == round(63 / 33, 4)
    assert row["repeated_paragraphs"] == 3
    assert row["dup_paragraph_fraction"] == 0.6
    ev = row["evidence"]["word_count_mismatch"]
    assert ev["claimed_line"] == 8
    assert [(r["line"], r["repeats_line"]) for r in ev["repeated_paragraphs"]] == [
        (2, 1),
        (5, 3),
        (6, 4),
    ]


def test_word_counts_use_the_dedup_stage_repeat_of_when_present() -> None:
    chunk = chunk_of(BODY + BODY.replace("next week", "next week!"))
    chunk.paragraphs["repeat_of"] = [None, None, 0, None]  # a near repeat found by dedup
    chunk.documents["dup_paragraph_fraction"] = [0.25]
    row = signals_of(chunk)
    assert row["word_count"] == 60
    assert row["word_count_dedup"] == 60 - 15
    assert row["dup_paragraph_fraction"] == 0.25  # the dedup stage's column is kept


def test_claimed_count_as_text_and_missing() -> None:
    assert signals_of(chunk_of(BODY, claimed_word_count="1,234"))["claimed_word_count"] == 1234
    row = signals_of(chunk_of(BODY))
    assert row["claimed_word_count"] is None and row["word_count_ratio"] is None
    assert "word_count_mismatch" not in row["evidence"]


# --- chrome, truncation, encoding, language ---------------------------------------


def test_boilerplate_lines_ratio_and_exempt_appendix() -> None:
    text = (
        "boilerplate|share_print_button|print PRINT\n"
        + BODY
        + "related|also_read|Also read: Something else happened\n"
        + "related|similar_readings|Similar Readings (1 items)\n"
        + "related|similar_readings|Another headline"
    )
    row = signals_of(chunk_of(text))
    assert row["boilerplate_lines"] == 2
    ev = row["evidence"]["boilerplate"]
    assert [line["line"] for line in ev["lines"]] == [1, 4]
    assert row["boilerplate_ratio"] == round(
        ev["chrome_chars"] / (ev["chrome_chars"] + ev["body_chars"]), 4
    )
    strict = signals_of(
        chunk_of(text), Settings(signals=SignalSettings(boilerplate_exempt_reasons=()))
    )
    assert strict["boilerplate_lines"] == 4


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ('He said "yes."', True),
        ("It ended (AP)", True),
        ("It ends here.”", True),
        ("and pledged cooperation for North Korea's", False),
        ("Read the rest…", False),
        ("Read the rest...", False),
        ("The list:", False),
        ("終わり。", True),
    ],
)
def test_ends_sentence(text: str, complete: bool) -> None:
    s = Settings().signals
    assert ends_sentence(text, s.sentence_end, s.closing_quotes) is complete


def test_truncated_body_and_summary() -> None:
    text = (
        BODY
        + "The minister said that the talks would continue and that the\n"
        + "summary|summary_section|Summary\n"
        + "summary|summary_section|The talks went well and the plan will be"
    )
    row = signals_of(chunk_of(text))
    assert row["body_truncated"] is True and row["summary_truncated"] is True
    ev = row["evidence"]["truncated_text"]
    assert ev["body"]["line"] == 3 and ev["summary"]["line"] == 5
    clean = signals_of(chunk_of(BODY, meta={"description": "A complete summary of the story."}))
    assert clean["body_truncated"] is False and clean["summary_truncated"] is False
    assert signals_of(chunk_of(BODY))["summary_truncated"] is None


def test_mojibake_and_replacement_characters() -> None:
    bad = signals_of(chunk_of("The café’s owner said â€œhelloâ€\x9d to everyone there today."))
    assert bad["mojibake"] is True
    line = bad["evidence"]["mojibake"]["lines"][0]
    assert line["reason"] == "mojibake" and "“hello”" in line["fixed"]
    assert signals_of(chunk_of("Broken \ufffd bytes in this line here."))["mojibake"] is True
    typographic = "He said “hello” — it’s fine… São Paulo, Zürich, Москва."
    assert signals_of(chunk_of(typographic))["mojibake"] is False


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (BODY, "en"),
        ("Les deux dirigeants se sont entretenus par téléphone pendant environ une heure.", "fr"),
        ("Die beiden Politiker telefonierten am Dienstagabend etwa eine Stunde lang.", "de"),
        (
            "Los dos líderes hablaron por teléfono durante unos minutos el martes por la noche.",
            "es",
        ),
        ("Два лидера разговаривали по телефону около часа во вторник вечером.", "ru"),
        ("岸田首相とバイデン大統領は火曜日の夜、電話で会談しました。", "ja"),
        ("两国领导人周二晚上通电话约二十五分钟。", "zh"),
    ],
)
def test_language_detection(text: str, lang: str) -> None:
    assert detect(text).language == lang


def test_language_confidence_grows_with_length() -> None:
    short, long = detect("the minister said"), detect(BODY * 3)
    assert short.language == long.language == "en"
    assert short.confidence < 0.5 <= long.confidence
    assert detect("12345 67890").language is None


# --- presence, other stages, the table as a whole ----------------------------------


def test_presence_flags_and_record_id() -> None:
    row = signals_of(chunk_of(BODY, title="T", meta={"id": "abc-1"}))
    assert (row["has_title"], row["has_url"], row["has_source"], row["has_date"]) == (
        True,
        False,
        True,
        False,
    )
    assert row["record_id"] == "abc-1"
    assert row["evidence"]["missing_metadata"] == {"missing": ["url"]}
    table = signals_of(chunk_of(BODY, line=7))
    assert table["record_id"] == "d"


def test_garble_score_defaults_and_is_kept_with_its_spans() -> None:
    assert signals_of(chunk_of(BODY))["garble_score"] == 0.0
    chunk = chunk_of(BODY)
    chunk.documents["garble_score"] = [0.9]
    chunk.documents["garble_spans"] = [[{"start": 0, "end": 5, "score": 0.9}]]
    row = signals_of(chunk)
    assert row["garble_score"] == 0.9
    assert row["evidence"]["garbled_text"]["spans"][0]["end"] == 5


def test_existing_evidence_is_merged_not_replaced() -> None:
    chunk = chunk_of(BODY)
    chunk.documents["evidence"] = [{"garbled_text": {"model": "x"}}]
    row = signals_of(chunk)
    assert row["evidence"]["garbled_text"] == {"model": "x"}
    assert "unexpected_language" in row["evidence"]


def test_documents_sharing_an_id_keep_their_own_paragraphs() -> None:
    a, b = (
        chunk_of("First document body line that is long enough to count here."),
        chunk_of("Second one, shorter."),
    )
    chunk = Chunk(
        pd.concat([a.documents, b.documents], ignore_index=True),
        pd.concat([a.paragraphs, b.paragraphs], ignore_index=True),
    )
    compute_signals(chunk, Settings(), NOW)
    assert chunk.documents["word_count"].tolist() == [11, 3]


def test_unsorted_paragraphs_and_empty_chunks() -> None:
    chunk = chunk_of(BODY + "The end of the story is here.")
    chunk.paragraphs = chunk.paragraphs.iloc[::-1].reset_index(drop=True)
    row = signals_of(chunk)
    assert row["body_truncated"] is False and row["word_count"] == 30 + 7
    empty = Chunk.from_records([])
    compute_signals(empty, Settings(), NOW)
    assert "word_count" in empty.documents.columns and len(empty.documents) == 0
    no_paragraphs = Chunk.from_records([{"doc_id": "x", "text": ""}])
    row = signals_of(no_paragraphs)
    assert row["word_count"] == 0 and row["body_truncated"] is None and row["language"] is None


def test_registry_is_consistent() -> None:
    assert check_registry() == []
    chunk = chunk_of(BODY)
    compute_signals(chunk, Settings(), NOW)
    for column in SIGNAL_TYPES:
        assert column in chunk.documents.columns, column


# --- the seeds ---------------------------------------------------------------------


def test_seed_signals(seed_chunk: Chunk) -> None:
    compute_signals(seed_chunk, Settings(), NOW)
    d = seed_chunk.documents.set_index("doc_id")
    s000 = d.loc[S000]
    assert s000["published_date"] == "2022-10-05" == s000["url_date"]
    assert (s000["word_count"], s000["word_count_dedup"], s000["claimed_word_count"]) == (
        465,
        245,
        245,
    )
    assert s000["update_lag_days"] == 1161
    assert s000["summary_truncated"] is True and s000["body_truncated"] is False
    assert s000["boilerplate_lines"] == 0  # the reader app's appendix is not chrome
    assert s000["language"] == "en"
    ev = s000["evidence"]["word_count_mismatch"]
    assert ev["claimed_line"] == 25
    assert [r["line"] for r in ev["repeated_paragraphs"]] == list(range(9, 16))
    for doc_id in (S001, S002, S003):
        assert d.loc[doc_id, "published_date"] is None
    assert d.loc[S002, "chrome_date"] == "2023-06-05"
    lines = {
        doc_id: [x["line"] for x in d.loc[doc_id, "evidence"]["boilerplate"]["lines"]]
        for doc_id in (S001, S002, S003)
    }
    assert lines == {
        S001: [1, 17, 18, 19, 20],
        S002: [1, 2, 37, 39, 41, 43, 45],
        S003: [25, 27, 29],
    }
    assert d.loc[S003, "word_count_dedup"] == d.loc[S003, "word_count"] - 8  # repeated title
