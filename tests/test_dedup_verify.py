"""Exact verification: profiles match signatures, scores, passages at the right offsets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.dedup import minhash as mh
from audit.dedup.verify import _WORD, compare, estimate, profile, profiles, shared_passages

STORY = " ".join(f"word{i}" for i in range(60))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=200) | st.text(st.characters(max_codepoint=127), max_size=200))
def test_profile_words_are_the_signature_words(text: str) -> None:
    p = profile(text, 1)
    tokens = [text[s:e] for s, e in zip(p.starts, p.ends, strict=True)]
    assert len(tokens) == len(mh.words(text))
    # the profile's shingles (k=1: one per word) hash the same words the signature does
    expected = [mh.shingle_hash(w) for w in mh.words(text)]
    assert p.shingles.tolist() == expected
    if text.isascii():  # offsets come straight from the normalized bytes
        assert [t.lower().encode() for t in tokens] == mh.words(text)
    else:  # the words are the runs of non-separators (of the lower-cased text, same length)
        lowered = text.lower()
        source = lowered if len(lowered) == len(text) else text
        spans = [m.span() for m in _WORD.finditer(source)]
        assert list(zip(p.starts.tolist(), p.ends.tolist(), strict=True)) == spans


def test_profiles_of_many_texts_are_each_texts_profile() -> None:
    texts = [
        "Plain ASCII words, with punctuation!",
        "",
        "İstanbul’s “quoted” words — and ｆｕｌｌ－ｗｉｄｔｈ ones",
        "lone \udc80 surrogate and 𝐛𝐨𝐥𝐝 letters here",
        "ß and ǅ: Σίσυφος ΣΊΣΥΦΟΣ",
        "a b",
    ] * 60  # more than one batch of texts hashed together
    for k in (1, 3):
        many = profiles(texts, k)
        for text, got in zip(texts, many, strict=True):
            one = profile(text, k)
            for field in ("shingles", "unique", "starts", "ends"):
                assert getattr(got, field).tolist() == getattr(one, field).tolist(), (text, field)


def test_profile_shingles_are_the_signature_shingles() -> None:
    text = "Kishida and Biden condemned the launch. They shared “the recognition” — twice."
    p = profile(text, 3)
    assert p.shingles.tolist() == [mh.shingle_hash(s) for s in mh.shingles(text, 3)]


def test_compare_exact_jaccard_and_containment() -> None:
    a = profile(STORY, 5)  # 56 shingles
    b = profile(" ".join(STORY.split()[:20]), 5)  # the first 16 of them
    j, c = compare(a, b)
    assert j == pytest.approx(16 / 56)
    assert c == pytest.approx(1.0)
    assert compare(a, profile("", 5)) == (0.0, 0.0)


def test_estimate_containment_from_jaccard() -> None:
    # |A| = 56, |B| = 16, B inside A: J = 16/56, containment 1
    assert float(estimate(16 / 56, 56, 16)) == pytest.approx(1.0)
    assert float(estimate(0.0, 56, 16)) == 0.0
    assert estimate(np.array([1.0, 0.5]), 10, np.array([10, 10])) == pytest.approx([1.0, 2 / 3])


def test_shared_passages_point_at_the_same_text_in_both_documents() -> None:
    shared = "the leaders spoke by phone for about twenty five minutes on tuesday night"
    doc = f"Menu Home.\n  {shared.upper()}, reporters were told. Unrelated closing words here."
    canonical = f"Some other opening sentence goes here first. {shared} and more after that."
    passages = shared_passages(profile(doc, 3), profile(canonical, 3), limit=5)
    assert len(passages) == 1
    p = passages[0]
    ds, de = p["doc"]
    cs, ce = p["canonical"]
    assert doc[ds:de].lower() == canonical[cs:ce].lower() == shared
    assert p["words"] == len(shared.split())


def test_shared_passages_longest_first_and_limited() -> None:
    a = "alpha beta gamma delta epsilon zeta eta theta"
    b = "one two three four five six seven eight nine ten eleven"
    c = "red green blue cyan magenta yellow black white grey"
    doc = f"{a} filler words break here {b} filler again {c}"
    canonical = f"{c} something {a} and then {b}"
    out = shared_passages(profile(doc, 3), profile(canonical, 3), limit=2)
    assert [p["words"] for p in out] == [11, 9]
    assert shared_passages(profile(doc, 3), profile("nothing in common", 3), limit=2) == []
