"""The improbable-substitution table and its builder."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.signals.substitutions import TABLE_PATH, SubstitutionTable, get_table, plural_forms

ROWS = [("arrow", "missile", "projectile"), ("palace", "residence", "residence")]


def test_a_pair_is_found_only_when_the_document_uses_both_words() -> None:
    table = SubstitutionTable.from_rows(ROWS)
    assert table.find({"arrow", "missile"}) == [("arrow", "missile", "projectile")]
    assert table.find({"arrow", "target"}) == []
    assert table.find({"missile", "launch"}) == []


def test_plurals_name_the_same_word() -> None:
    assert plural_forms("arrow") == ("arrow", "arrows")
    assert plural_forms("city") == ("city", "cities")
    assert plural_forms("day") == ("day", "days")
    assert plural_forms("box") == ("box", "boxes")
    table = SubstitutionTable.from_rows(ROWS)
    assert table.forms["missiles"] == "missile" and table.forms["arrows"] == "arrow"


def test_spans_are_whole_lower_case_words() -> None:
    table = SubstitutionTable.from_rows(ROWS)
    text = "An arrow, two arrows, an arrowhead, Arrow-3 and arrow-like shapes."
    assert [text[a:b] for a, b in table.spans("arrow", text)] == ["arrow", "arrows"]


def test_the_detector_reports_a_swap_with_what_it_stands_for() -> None:
    from audit.signals.garble import get_detector

    body = [
        "North Korea fired what its media called the Hwasong-12 arrow on Sunday.",
        "It was the first launch of a mid-range missile since 2017.",
    ]
    [result] = get_detector().score_documents([body])
    [swap] = [s for s in result.spans if s["reason"] == "improbable_substitution"]
    assert (swap["paragraph"], swap["text"], swap["stands_for"]) == (0, "arrow", "missile")
    assert body[0][swap["start"] : swap["end"]] == "arrow"
    # the same words in other documents of the batch do not pair up
    [a, b] = get_detector().score_documents([body[:1], body[1:]])
    assert not [s for s in a.spans + b.spans if s["reason"] == "improbable_substitution"]


def test_capitalised_names_are_not_swaps() -> None:
    from audit.signals.garble import get_detector

    body = ["Israel tested its Arrow missile defence system.", "The missile hit its target."]
    [result] = get_detector().score_documents([body])
    assert not [s for s in result.spans if s["reason"] == "improbable_substitution"]


def test_a_missing_table_finds_nothing(tmp_path: Path) -> None:
    assert SubstitutionTable.load(tmp_path / "absent.tsv").find({"arrow", "missile"}) == []


@pytest.mark.skipif(
    not Path("/usr/share/wordnet/index.noun").is_file(), reason="WordNet not installed"
)
def test_the_shipped_table_is_what_the_build_command_makes(tmp_path: Path) -> None:
    from bench import garble_substitutions

    out = tmp_path / "table.tsv"
    assert garble_substitutions.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == TABLE_PATH.read_text(encoding="utf-8")
    assert ("arrow", "missile", "projectile") in [
        (w, h, via) for w, rows in get_table().stands_for.items() for h, via in rows.items()
    ]
