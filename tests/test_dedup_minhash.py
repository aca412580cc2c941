"""Bulk MinHash signatures: bit-compatible with datasketch, batch-independent, edge cases."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from audit.config import DedupSettings
from audit.dedup import minhash as mh

WORDS = (
    "the minister said talks would continue as government weighs measures against prices "
    "Ünïcödé Straße ΑΘΗΝΑ 東京 naïve café supercalifragilisticexpialidocious "
    "antidisestablishmentarianism 4:00pm U.S. don’t “quoted” — 2022/10/05 x"
).split()


def texts(n: int, seed: int = 1) -> list[str]:
    """Seeded texts of 0 to 80 words, some sharing runs of words."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(0, 80))]
        if i % 5 == 0 and out:
            words = out[-1].split()[: len(words)] + words[:10]
        out.append(" ".join(words))
    return out


def reference(text: str, s: DedupSettings) -> np.ndarray:
    m = MinHash(num_perm=s.num_perm, seed=s.seed, hashfunc=mh.shingle_hash)
    m.update_batch(mh.shingles(text, s.shingle_size))
    return m.hashvalues


@pytest.mark.parametrize(
    "settings",
    [DedupSettings(), DedupSettings(num_perm=64, seed=7, shingle_size=3)],
    ids=["default", "64perm-seed7-k3"],
)
def test_signatures_equal_datasketch_minhash(settings: DedupSettings) -> None:
    sample = [*texts(120), "", "one", "a b c d", "a b c d e", "x" * 40 + " y z w v"]
    sig = mh.signatures(sample, settings)
    assert sig.dtype == np.uint32
    assert sig.shape == (len(sample), settings.num_perm)
    for i, t in enumerate(sample):
        assert np.array_equal(sig[i], reference(t, settings)), t


def test_default_scheme_is_datasketch_default() -> None:
    assert MinHash().scheme == "affine32"
    a, b = mh.permutations(128, 1)
    da, db = MinHash(num_perm=128, seed=1).permutations
    assert np.array_equal(a, da) and np.array_equal(b, db)


def test_batches_do_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    sample = texts(60, seed=3)
    s = DedupSettings()
    whole = mh.sketch(sample, s)
    monkeypatch.setattr(mh, "_BATCH_BYTES", 200)
    split = mh.sketch(sample, s)
    for field in ("values", "shingles", "words", "digests"):
        assert np.array_equal(getattr(whole, field), getattr(split, field))


def test_short_and_empty_texts_have_the_empty_sketch() -> None:
    s = DedupSettings()
    sk = mh.sketch(["", "   \n ", "only four words here", "!!! ---"], s)
    assert mh.is_empty(sk.values).all()
    assert sk.shingles.tolist() == [0, 0, 0, 0]
    assert sk.words.tolist() == [0, 0, 4, 0]
    assert sk.digests[0] == 0 and sk.digests[2] != 0
    assert MinHash(num_perm=s.num_perm).is_empty()
    assert np.array_equal(sk.values[0], MinHash(num_perm=s.num_perm).hashvalues)


def test_sketch_counts_words_and_distinct_shingles() -> None:
    s = DedupSettings(shingle_size=2)
    sk = mh.sketch(["a b a b a b", "a b c d"], s)
    assert sk.words.tolist() == [6, 4]
    assert sk.shingles.tolist() == [2, 3]  # {a b, b a} and {a b, b c, c d}


def test_digest_is_equal_for_texts_equal_after_normalization() -> None:
    d = mh.text_digests(["Hello, World! It’s 4pm.", "hello world it s 4pm", "hello world"])
    assert d[0] == d[1] != d[2]


def test_normalize_folds_case_and_unicode_punctuation() -> None:
    assert mh.words("Don’t  PANIC—“now”…\u00a0ok") == [b"don", b"t", b"panic", b"now", b"ok"]
    assert mh.words("Ünïcödé ΑΘΗΝΑ") == ["ünïcödé".encode(), "αθηνα".encode()]


def test_word_hash_covers_every_byte_of_long_words() -> None:
    long_a = "a" * 20 + "b" + "c" * 20
    long_b = "a" * 20 + "x" + "c" * 20
    assert mh.word_hash(long_a.encode()) != mh.word_hash(long_b.encode())
    sig = mh.signatures([f"{long_a} w x y z", f"{long_b} w x y z"], DedupSettings())
    assert not np.array_equal(sig[0], sig[1])


def test_to_minhash_works_in_datasketch_lsh() -> None:
    s = DedupSettings()
    base = " ".join(f"w{i}" for i in range(100))
    sig = mh.signatures([base, base + " extra words at the end", "something else " * 10], s)
    wrapped = [mh.to_minhash(row, s) for row in sig]
    assert isinstance(wrapped[0], LeanMinHash)
    assert wrapped[0].jaccard(wrapped[1]) == pytest.approx(float((sig[0] == sig[1]).mean()))
    lsh = MinHashLSH(threshold=0.5, num_perm=s.num_perm)
    for i, m in enumerate(wrapped):
        lsh.insert(i, m)
    assert sorted(lsh.query(wrapped[0])) == [0, 1]


def test_lsh_params_are_datasketch_optimum() -> None:
    lsh = MinHashLSH(threshold=0.2, num_perm=128, weights=(0.1, 0.9))
    assert mh.lsh_params(0.2, 128, (0.1, 0.9)) == (lsh.b, lsh.r)
