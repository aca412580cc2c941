"""Credited syndication: agencies named where a credit stands, and only there."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.config import ConfigError, DedupSettings
from audit.dedup.credits import credited_syndication, find_credits, load_credits
from audit.model import Chunk

BODY = "The ministers agreed to work closely together on the matter, officials said."


def found(text: str, role: str = "body", domain: str | None = None) -> list[str]:
    credits = load_credits(DedupSettings())
    lines = [(0, 1, "body", BODY, 0), (1, 3, role, text, 100)]
    return [c["agency"] for c in find_credits(lines, domain, credits)]


def lead(text: str, domain: str | None = None) -> list[str]:
    credits = load_credits(DedupSettings())
    return [c["agency"] for c in find_credits([(0, 1, "body", text, 0)], domain, credits)]


@pytest.mark.parametrize(
    ("text", "role", "agencies"),
    [
        ("Source: Kyodo-OANA", "credit", ["Kyodo News", "OANA"]),
        ("source: www.antaranews.com", "credit", ["ANTARA"]),
        ("Reuters", "body", ["Reuters"]),
        ("— AFP", "boilerplate", ["Agence France-Presse"]),
        ("(With inputs from PTI)", "body", ["Press Trust of India"]),
        (
            "This article includes reporting from the Associated Press.",
            "body",
            ["Associated Press"],
        ),
        ("via kyodonews.net", "credit", ["Kyodo News"]),
        ("Originally published by example-wire.org", "body", ["example-wire.org"]),
        ("Photo: Reuters", "credit", []),
        ("Kishida told AP reporters the talks went well.", "body", []),
        ("The ap said nothing.", "body", []),
        ("Reuters reported the deal earlier this week.", "body", []),
        ("Source: Japan Times", "credit", []),
    ],
)
def test_credit_lines(text: str, role: str, agencies: list[str]) -> None:
    assert found(text, role) == agencies


def test_dateline_credits_only_in_the_lead() -> None:
    assert lead("WASHINGTON (AP) — The president said on Monday ...") == ["Associated Press"]
    assert lead("TOKYO, March 3 (Reuters) - Japan's economy grew.") == ["Reuters"]
    assert lead("Karuizawa, Japan (Reportase One) – The ministers met.") == []
    credits = load_credits(DedupSettings())
    later = [(0, 1, "body", BODY, 0), (1, 3, "body", "TOKYO (Reuters) - More.", 90)]
    assert find_credits(later, None, credits) == []


def test_own_agency_is_not_a_credit() -> None:
    assert lead("WASHINGTON (AP) — The president said ...", domain="apnews.com") == []
    assert found("Source: www.antaranews.com", "credit", domain="en.antaranews.com") == []


def test_chunk_gets_column_finding_and_evidence() -> None:
    paras = [
        {"doc_id": "d", "idx": 0, "text": BODY, "role": "body", "line": 1, "start": 0},
        {
            "doc_id": "d",
            "idx": 1,
            "text": "Source: Kyodo",
            "role": "credit",
            "line": 3,
            "start": 80,
        },
        {"doc_id": "e", "idx": 0, "text": BODY, "role": "body", "line": 1, "start": 0},
    ]
    c = Chunk.from_records([{"doc_id": "d"}, {"doc_id": "e"}], paras)
    credited_syndication(c, DedupSettings())
    assert c.documents["credited"].tolist() == [["Kyodo News"], []]
    (f,) = c.findings
    assert (f.doc_id, f.check, f.severity) == ("d", "syndicated_copy", "info")
    assert f.message == "credits Kyodo News as its origin (line 3)"
    (credit,) = f.evidence["credits"]
    assert credit == {
        "agency": "Kyodo News",
        "idx": 1,
        "line": 3,
        "text": "Source: Kyodo",
        "span": [88, 93],
        "rule": "credit_line",
    }
    c = Chunk.from_records([{"doc_id": "d"}], paras[:2])
    credited_syndication(c, DedupSettings(credited_syndication_severity="warning"))
    assert c.findings[0].severity == "warning"


def test_users_extend_the_agency_list(tmp_path: Path) -> None:
    extra = tmp_path / "credits.toml"
    extra.write_text(
        '[[agency]]\nname = "Example Wire"\naliases = ["EXW", "Example Wire"]\n'
        'domains = ["examplewire.test"]\n'
    )
    s = DedupSettings(credit_files=(str(extra),))
    credits = load_credits(s)
    lines = [(0, 1, "body", "LONDON (EXW) - Markets fell.", 0)]
    assert [c["agency"] for c in find_credits(lines, None, credits)] == ["Example Wire"]
    assert "Reuters" in credits.agencies  # the shipped list still applies


def test_bad_credit_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_credits(DedupSettings(credit_files=(str(tmp_path / "missing.toml"),)))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "x"\nwhere = "line"\npattern = "(unclosed {agency}"\n')
    with pytest.raises(ConfigError, match="bad pattern"):
        load_credits(DedupSettings(credit_files=(str(bad),)))
    bad.write_text('[[rule]]\nname = "x"\nwhere = "nowhere"\npattern = "{agency}"\n')
    with pytest.raises(ConfigError, match="where"):
        load_credits(DedupSettings(credit_files=(str(bad),)))
