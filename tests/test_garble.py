"""Tests of the garbled-text detector (audit/signals/garble.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.config import Settings
from audit.model import Chunk, Role
from audit.signals import garble
from audit.signals.garble import (
    GarbleResult,
    Rules,
    find_broken_boundaries,
    find_reduplication,
    find_unbalanced_quotes,
    get_detector,
)
from bench import garble_data

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = Settings().signals.garble_threshold


@pytest.fixture(scope="module")
def det() -> garble.GarbleDetector:
    """The shipped detector."""
    return get_detector()


@pytest.fixture(scope="module")
def rules() -> Rules:
    """The shipped span rules."""
    return Rules.load()


def _bodies(chunk: Chunk) -> dict[str, list[str]]:
    """Body paragraph texts per seed number, as the parser marks them."""
    p = chunk.paragraphs
    body = p[p["role"] == Role.BODY.value].sort_values(["doc_id", "idx"])
    return {str(d)[:3]: g["text"].tolist() for d, g in body.groupby("doc_id")}


def _texts(result: GarbleResult) -> list[str]:
    return [s["text"] for s in result.spans]


# --- seeds -------------------------------------------------------------------------


def test_seed_002_is_flagged_with_the_damage_as_evidence(
    det: garble.GarbleDetector, seed_chunk: Chunk
) -> None:
    body = _bodies(seed_chunk)["002"]
    res = det.score_paragraphs(body)
    assert res.score > THRESHOLD
    texts = " | ".join(_texts(res))
    for expected in (
        "withdrawal and withdrawal",
        "principles and principles",
        "directors. country",
        "Prime Minister Cabinet Minister",
        "recent. massive",
    ):
        assert expected in texts, f"{expected!r} not among {texts!r}"
    reasons = {s["reason"] for s in res.spans}
    assert {"reduplication", "broken_sentence_boundary", "unbalanced_quotes"} <= reasons
    swaps = [s for s in res.spans if s["reason"] == "improbable_substitution"]
    assert [(s["text"], s["stands_for"]) for s in swaps] == [("arrow", "missile")] * 2
    contexts = [body[s["paragraph"]][s["start"] - 12 : s["end"] + 9] for s in swaps]
    assert contexts == [" Hwasong-12 arrow, apparen", "orth Korean arrow launches"]
    quote = next(s for s in res.spans if s["reason"] == "unbalanced_quotes")
    assert body[quote["paragraph"]][quote["start"] : quote["end"]] == quote["text"]
    assert "discrimination “," in body[quote["paragraph"]][quote["start"] - 15 : quote["end"]]


@pytest.mark.parametrize("seed", ["000", "001", "003"])
def test_clean_seeds_are_not_flagged(
    det: garble.GarbleDetector, seed_chunk: Chunk, seed: str
) -> None:
    res = det.score_paragraphs(_bodies(seed_chunk)[seed])
    assert res.score < THRESHOLD
    assert not [s for s in res.spans if s["reason"] != "improbable_word_sequence"]


def test_bench_seed_bodies_match_the_parser(seed_chunk: Chunk) -> None:
    parsed = _bodies(seed_chunk)
    listed = garble_data.seed_bodies()
    for key in ("000", "001", "002"):
        assert listed[key] == parsed[key]
    assert set(listed["003"]) <= set(parsed["003"])


# --- result shape ------------------------------------------------------------------


def test_result_shape_and_offsets(det: garble.GarbleDetector) -> None:
    paras = [
        "The talks were held on Monday. Officials said the meeting went well.",
        "He called for the “immediate” withdrawal and withdrawal of troops by directors. country",
        "",
    ]
    res = det.score_paragraphs(paras)
    assert 0.0 <= res.score <= 1.0
    assert len(res.paragraph_scores) == 3
    assert res.paragraph_scores[2] == 0.0
    assert all(0.0 <= s <= 1.0 for s in res.paragraph_scores)
    assert res.paragraph_scores[1] > res.paragraph_scores[0]
    for s in res.spans:
        assert set(s) == {"paragraph", "start", "end", "text", "reason", "score"}
        assert paras[s["paragraph"]][s["start"] : s["end"]] == s["text"]
        assert 0.0 <= s["score"] <= 1.0


def test_empty_and_odd_input_never_raise(det: garble.GarbleDetector) -> None:
    assert det.score_paragraphs([]).score == 0.0
    res = det.score_paragraphs(["", "   ", "—", "12 34", None])  # type: ignore[list-item]
    assert res.score == 0.0 or 0.0 <= res.score <= 1.0
    assert len(res.paragraph_scores) == 5
    assert det.score_paragraphs(["“ ” “"]).spans


def test_batch_equals_one_by_one(det: garble.GarbleDetector) -> None:
    docs = [
        ["A fire burned near the town. Residents left their homes."],
        ["the the cat", "“Quoted text continues", "“and goes on.”"],
        [],
        ["Ram offered the arrows to the bow, and left the arrows to the arrows to the bow."],
    ]
    batch = det.score_documents(docs)
    for d, r in zip(docs, batch, strict=True):
        one = det.score_paragraphs(d)
        assert r.score == pytest.approx(one.score)
        assert r.paragraph_scores == pytest.approx(one.paragraph_scores)
        assert r.spans == one.spans


def test_detector_is_loaded_once() -> None:
    assert get_detector() is get_detector()


def test_shipped_model_is_small() -> None:
    assert garble.MODEL_PATH.stat().st_size < 1_000_000


# --- span detectors ----------------------------------------------------------------


def test_reduplication(rules: Rules) -> None:
    assert find_reduplication("based on principles and principles", rules) == [
        (9, 34, "reduplication")
    ]
    assert find_reduplication("the ruling the ruling party", rules)[0][2] == "reduplication"
    assert find_reduplication("the the 3rd Battalion", rules) == [(0, 7, "repeated_word")]
    for fine in (
        "more and more people",
        "bigger and bigger crowds",
        "again and again",
        "Police and police dogs searched",  # different case: two senses
        "south and south-west of Sydney",
        "he had had enough",
    ):
        assert find_reduplication(fine, rules) == [], fine


def test_broken_sentence_boundary(rules: Rules) -> None:
    text = "the seventh round of inspection by directors. country since the beginning"
    ((start, end, reason),) = find_broken_boundaries(text, rules)
    assert (text[start:end], reason) == ("directors. country", "broken_sentence_boundary")
    frag = "Emanuel told Hayashi in their meeting. Prime Minister Cabinet Minister Fumio Kishida."
    spans = find_broken_boundaries(frag, rules)
    assert [frag[a:b] for a, b, _ in spans] == ["Prime Minister Cabinet Minister Fumio Kishida."]
    for fine in (
        "He met Mr. Smith. Then he left.",
        "U.S. officials said so. White House Press Secretary Jen Psaki agreed.",
        "The team won, e.g. against rivals.",
        "He arrived at 5 p.m. local time.",
        "Foreign Minister Yoshimasa Hayashi.",  # a fragment standing alone is a caption
    ):
        assert find_broken_boundaries(fine, rules) == [], fine


def test_unbalanced_quotes() -> None:
    text = "citing China’s” coercion and discrimination “, as well"
    spans = find_unbalanced_quotes(text)
    assert [text[a:b] for a, b, _ in spans] == ["China’s”", "“, "]
    stray = "He said it was fine” and left."
    assert [stray[a:b] for a, b, _ in find_unbalanced_quotes(stray)] == ["fine”"]
    assert find_unbalanced_quotes("“It is done,” he said.") == []
    # a quote left open at the end of a paragraph is news style when the next one reopens
    assert find_unbalanced_quotes("“We will go on,", continued=True) == []
    assert find_unbalanced_quotes("“We will go on,", continued=False) != []
    assert find_unbalanced_quotes('as a matter of priority. "') != []


def test_quote_continuation_uses_the_next_paragraph(det: garble.GarbleDetector) -> None:
    res = det.score_paragraphs(["“We will go on with the work,", "“and we will finish it.”"])
    assert not [s for s in res.spans if s["reason"] == "unbalanced_quotes"]
    res = det.score_paragraphs(["“We will go on with the work,", "He left."])
    assert [s["paragraph"] for s in res.spans if s["reason"] == "unbalanced_quotes"] == [0]


def test_rare_word_burst(det: garble.GarbleDetector) -> None:
    text = "The grant was given to the penitentiary hunan in big worthyarnew near the river."
    res = det.score_paragraphs([text])
    bursts = [s["text"] for s in res.spans if s["reason"] == "rare_word_burst"]
    assert bursts and "worthyarnew" in bursts[0] and "hunan" in bursts[0]
    plain = det.score_paragraphs(["The minister met the new ambassador on Tuesday in Tokyo."])
    assert not [s for s in plain.spans if s["reason"] == "rare_word_burst"]


def test_improbable_word_sequence(det: garble.GarbleDetector) -> None:
    text = "And the army of the king's commandment went out of the bonds, and spoiled the cattle."
    res = det.score_paragraphs([text])
    spans = [s for s in res.spans if s["reason"] == "improbable_word_sequence"]
    assert spans and spans[0]["score"] >= det.rules.min_sentence_probability
    assert text[spans[0]["start"] : spans[0]["end"]] == spans[0]["text"]
    plain = det.score_paragraphs(["The minister met the new ambassador on Tuesday in Tokyo."])
    assert not [s for s in plain.spans if s["reason"] == "improbable_word_sequence"]


def test_a_span_alone_does_not_flag_but_two_kinds_do(det: garble.GarbleDetector) -> None:
    clean = (
        "The minister met the new ambassador on Tuesday in Tokyo, officials said. "
        "They discussed trade, security and the economy during the hour-long talks."
    )
    one = det.score_paragraphs([clean.replace("the economy", "the economy and economy")])
    assert one.score < THRESHOLD
    damaged = clean.replace("the economy", "the economy and economy")
    damaged = damaged.replace("talks.", "talks. country")
    two = det.score_paragraphs(
        [damaged, "Prime Minister Cabinet Minister Fumio Kishida said. Chief Cabinet Secretary."]
    )
    assert two.score > THRESHOLD


# --- quality floor ----------------------------------------------------------------


def test_dev_auc_holds_the_quality_floor(det: garble.GarbleDetector) -> None:
    floors = json.loads((ROOT / "bench" / "quality_floors.json").read_text(encoding="utf-8"))
    floor = floors["garble"]
    dev_path = garble_data.MLQE_DIR / "dev.tsv"
    assert garble_data.sha256(dev_path) == floor["dev_sha256"], "dev.tsv changed: re-set floor"
    dev = garble_data.load_mlqe("dev")
    assert len(dev.texts) == 2520
    scores = [r.score for r in det.score_documents([[t] for t in dev.texts])]
    auc = garble_data.roc_auc(dev.labels, scores)
    assert auc >= floor["auc_floor"], f"AUC {auc:.4f} under the floor {floor['auc_floor']}"


def test_roc_auc_helper() -> None:
    assert garble_data.roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert garble_data.roc_auc([0, 1], [0.5, 0.5]) == 0.5
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = rng.random(500)
    pos, neg = s[y == 1], s[y == 0]
    brute = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (
        len(pos) * len(neg)
    )
    assert garble_data.roc_auc(list(y), list(s)) == pytest.approx(brute)


# --- the garble stage --------------------------------------------------------------


def test_annotate_chunk_adds_scores_and_spans(seed_chunk: Chunk) -> None:
    garble.annotate_chunk(seed_chunk)
    docs = seed_chunk.documents.set_index("doc_id")
    scores = {str(d)[:3]: float(s) for d, s in docs["garble_score"].items()}
    assert scores["002"] > THRESHOLD
    assert all(scores[k] < THRESHOLD for k in ("000", "001", "003"))
    assert not [f for f in seed_chunk.findings if f.check == "garbled_text"]  # suites gate
    doc_id = next(d for d in docs.index if str(d).startswith("002"))
    spans = docs.loc[doc_id, "garble_spans"]
    paras = seed_chunk.paragraphs
    mine = paras[paras["doc_id"] == doc_id].set_index("idx")
    for span in spans:
        para = mine.loc[span["paragraph"]]
        assert para["line"] == span["line"]
        assert para["text"][span["start"] : span["end"]] == span["text"]
    dup = next(s for s in spans if s["text"] == "withdrawal and withdrawal")
    assert dup["line"] == 17 and dup["reason"] == "reduplication"
    body = paras["role"] == Role.BODY.value
    assert paras.loc[body, "garble_score"].notna().all()
    assert paras.loc[~body, "garble_score"].isna().all()


def test_translation_suite_flags_only_seed_002(seed_chunk: Chunk, tmp_path: Path) -> None:
    import datetime as dt
    import shutil

    from audit.config import Settings as AllSettings
    from audit.expectations import load_suites, validate
    from audit.signals import compute_signals

    garble.annotate_chunk(seed_chunk)
    compute_signals(seed_chunk, AllSettings(), dt.date(2026, 1, 1))
    suites = tmp_path / "suites"
    suites.mkdir()
    shutil.copy(ROOT / "audit" / "data" / "suites" / "translation.json", suites)
    _, findings = validate(seed_chunk.documents, load_suites(suites))
    flagged = [f for f in findings if f.check == "garbled_text"]
    assert [f.doc_id[:3] for f in flagged] == ["002"]
    failed = flagged[0].evidence["expectations"]
    assert any(e["severity"] == "warning" for e in failed)  # the 0.5 level
    texts = [s["text"] for s in flagged[0].evidence["spans"]]
    assert "principles and principles" in texts
    assert flagged[0].evidence["garble_score"] > THRESHOLD


def test_annotate_chunk_settings_and_empty_chunks(seed_chunk: Chunk) -> None:
    from audit.config import SignalSettings

    garble.annotate_chunk(seed_chunk, SignalSettings(garble_max_spans=2))
    assert max(len(s) for s in seed_chunk.documents["garble_spans"]) == 2
    chunk = Chunk.from_records([{"doc_id": "a"}, {"doc_id": "b"}])
    garble.annotate_chunk(chunk)
    assert list(chunk.documents["garble_score"]) == [0.0, 0.0]
    assert list(chunk.documents["garble_spans"]) == [[], []]


def test_large_batches_are_split(det: garble.GarbleDetector) -> None:
    docs = [[f"Report {i} said the the talks went well."] for i in range(garble.BATCH_DOCS + 5)]
    results = det.score_documents(docs)
    assert len(results) == len(docs)
    assert results[-1].spans == det.score_paragraphs(docs[-1]).spans
    assert results[-1].spans[0]["reason"] == "repeated_word"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=300),
            st.lists(
                st.sampled_from(["a", "b", "A", " ", ".", "“", "”", '"', "’", "-", "and", "Mr."]),
                max_size=40,
            ).map(" ".join),
        ),
        max_size=5,
    )
)
def test_any_text_scores_without_error(paras: list[str]) -> None:
    res = get_detector().score_paragraphs(paras)
    assert 0.0 <= res.score <= 1.0
    assert len(res.paragraph_scores) == len(paras)
    for s in res.spans:
        assert paras[s["paragraph"]][s["start"] : s["end"]] == s["text"]


def test_tokenize_gives_the_tokens_of_the_regular_expression() -> None:
    from audit.signals.garble import TOKEN_RE, tokenize

    texts = [
        "The U.S. and U.K. said: “don’t”, it's 3.5% (x_y) — ok",
        "naïve café ² ½ straße ΑΘΗΝΑ  tabs\tand\nnewlines\u00a0nbsp",
        "",
        "words only here",
        "e.g. a.b. 10,000.5 ...!? “quoted” 'single' O'Neil’s",
    ]
    for text in texts:
        assert tokenize(text) == TOKEN_RE.findall(text)


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_tokenize_matches_the_regular_expression_on_any_text(text: str) -> None:
    from audit.signals.garble import TOKEN_RE, tokenize

    assert tokenize(text) == TOKEN_RE.findall(text)


def test_a_sentence_of_extreme_odds_scores_without_a_numpy_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "overflow encountered in exp"
        text = "a " * 20_000 + "!" + "Share " * 20_000 + "Print" * 2
        (result,) = get_detector().score_documents([[text]])
    assert 0.0 <= result.score <= 1.0
