"""The scraped-dump parser on the seeds and on small texts."""

from __future__ import annotations

import pytest

from audit.config import ConfigError
from audit.model import Chunk
from audit.parse import domain_of, parse_records
from audit.parse.patterns import load_patterns
from audit.parse.scraped import parse_text
from tests.conftest import S000, S001, S002, S003


def roles(chunk: Chunk, doc_id: str) -> dict[int, tuple[str, str]]:
    """Line number -> (role, reason) for one document."""
    p = chunk.paragraphs[chunk.paragraphs["doc_id"] == doc_id]
    return {int(r.line): (r.role, r.reason) for r in p.itertuples()}


def doc(chunk: Chunk, doc_id: str) -> dict:
    """One documents-table row as a dict."""
    return chunk.documents.set_index("doc_id").loc[doc_id].to_dict()


def test_000_body_appendix_and_metadata(seed_chunk: Chunk) -> None:
    r = roles(seed_chunk, S000)
    assert all(r[n][0] == "body" for n in range(1, 16))
    assert r[16] == ("related", "similar_readings")
    assert all(r[n] == ("related", "similar_readings") for n in range(17, 22))
    assert r[22][0] == "summary" and r[23] == ("summary", "summary_section")
    assert all(r[n][0] == "metadata" for n in range(24, 35))
    assert r[31] == ("metadata", "metadata_field")
    d = doc(seed_chunk, S000)
    assert d["title"] is None
    assert d["claimed_word_count"] == 245
    assert d["url"] == "https://www3.nhk.or.jp/nhkworld/en/news/20221005_02/"
    assert d["published"] == "Oct. 5, 2022"
    assert d["domain"] == "nhk.or.jp"
    assert d["meta"]["created"] == "2022/10/05 07:30"
    assert d["meta"]["updated"] == "2025/12/09 13:08"
    assert d["meta"]["last_read"] == "2022/10/05 07:30"
    assert d["meta"]["category_id"] == "nhk"


def test_001_print_button_title_and_nav_tags(seed_chunk: Chunk) -> None:
    r = roles(seed_chunk, S001)
    assert r[1] == ("boilerplate", "share_print_button")
    assert r[4] == ("title", "headline")
    assert [r[n][0] for n in (6, 9, 12, 15)] == ["body"] * 4
    assert all(r[n] == ("boilerplate", "tail_bullet_list") for n in range(17, 21))
    assert doc(seed_chunk, S001)["title"].startswith("President Biden, PM Kishida agree")


def test_002_chrome_is_not_the_title_or_body(seed_chunk: Chunk) -> None:
    r = roles(seed_chunk, S002)
    assert r[1] == ("boilerplate", "chrome_weather")
    assert r[2] == ("boilerplate", "chrome_date")
    assert r[4] == ("title", "headline")
    assert r[35] == ("body", "body")
    assert [r[n] for n in (37, 39)] == [("boilerplate", "donation_widget")] * 2
    assert [r[n][0] for n in (41, 43, 45)] == ["boilerplate"] * 3
    assert doc(seed_chunk, S002)["published"] is None


def test_003_repeated_title_dateline_credits_related(seed_chunk: Chunk) -> None:
    r = roles(seed_chunk, S003)
    assert r[1] == ("title", "headline")
    assert r[3] == ("body", "repeated_title")
    assert r[5] == ("body", "dateline")
    assert r[23] == ("credit", "credit_line")
    assert r[25] == ("related", "also_read") and r[27] == ("related", "also_read")
    assert r[29] == ("related", "tail_headline")
    assert r[31] == ("credit", "credit_line") and r[32] == ("credit", "credit_line")
    assert r[34] == ("credit", "credit_line")
    assert r[36] == ("credit", "source_link")
    meta = doc(seed_chunk, S003)["meta"]
    assert meta["dateline_place"] == "Karuizawa, Japan"
    assert meta["dateline_agency"] == "Reportase One"


def test_every_line_has_one_paragraph_with_exact_offsets(seed_chunk: Chunk) -> None:
    for d in seed_chunk.documents.itertuples():
        text = d.text
        lines = [ln for ln in text.split("\n") if ln.strip()]
        p = seed_chunk.paragraphs[seed_chunk.paragraphs["doc_id"] == d.doc_id]
        assert len(p) == len(lines)
        for row in p.itertuples():
            assert text[row.start : row.end] == row.text
            assert text.split("\n")[row.line - 1] == row.text


def test_crlf_and_empty_text() -> None:
    parsed = parse_text(
        "A title\r\n\r\n" + "Words in a sentence here. " * 4 + "\r\n", load_patterns()
    )
    assert [p["role"] for p in parsed.paragraphs] == ["title", "body"]
    assert not parsed.paragraphs[0]["text"].endswith("\r")
    assert parse_text("", load_patterns()).paragraphs == []


def test_chrome_only_body_has_no_body_line() -> None:
    parsed = parse_text("View Comments", load_patterns())
    assert [p["role"] for p in parsed.paragraphs] == ["boilerplate"]


def test_user_pattern_file_comes_first(tmp_path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[[line]]\nname = "house_promo"\nrole = "boilerplate"\nwhere = "any"\n'
        "pattern = 'read the daily bugle'\n"
    )
    body = "Something happened in the city today and people saw it happen. " * 2
    chunk = parse_records(
        [{"doc_id": "x", "text": f"{body}\nRead the Daily Bugle\n{body}"}], (str(extra),)
    )
    assert list(chunk.paragraphs["reason"]) == ["body", "house_promo", "body"]


def test_bad_pattern_file_is_a_config_error(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[line]]\nname = "x"\nrole = "nonsense"\npattern = "a"\n')
    with pytest.raises(ConfigError, match="unknown role"):
        load_patterns((str(bad),))
    worse = tmp_path / "worse.toml"
    worse.write_text('[[line]]\nname = "x"\nrole = "body"\npattern = "(unclosed"\n')
    with pytest.raises(ConfigError, match="invalid pattern"):
        load_patterns((str(worse),))


def test_domain_of() -> None:
    assert domain_of("https://www.example.com/a") == "example.com"
    assert domain_of("not a url") is None
    assert domain_of("http://[::1") is None
