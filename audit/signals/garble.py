"""Garbled-translation detector: a calibrated ``garble_score`` with evidence spans.

Two kinds of evidence are combined (docs/garble.md explains the choices and the
measurements behind them):

* a sentence model: logistic regression over hashed "style" n-grams (frequent
  English words kept as they are, every other word reduced to its case and a
  frequency band) plus a few dense rarity features, trained on human-scored
  machine translations by ``python -m bench.garble_train``;
* span detectors for the surface damage that machine translation and article
  spinners leave: reduplication ("withdrawal and withdrawal"), broken sentence
  boundaries ("by directors. country"), unbalanced quotes, bursts of rare
  words, and the n-grams the sentence model finds most improbable.

Everything is loaded once per process from ``audit/data/garble_model.npz`` and
``audit/data/garble_rules.toml``; nothing is downloaded.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from audit.signals.substitutions import get_table

if TYPE_CHECKING:
    from audit.config import SignalSettings
    from audit.model import Chunk

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MODEL_PATH = DATA_DIR / "garble_model.npz"
RULES_PATH = DATA_DIR / "garble_rules.toml"

# Words (letters with inner apostrophes), dotted acronyms (U.S.), numbers, single symbols.
TOKEN_RE = re.compile(
    r"(?=[^\W\d_]\.[^\W\d_]\.)(?:[^\W\d_]\.)+"
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,:]\d+)*|[^\w\s]|_"
)
PUNCTUATION: tuple[str, ...] = (
    *(".", ",", ";", ":", "(", ")", '"', "'", "?", "!", "-", "–", "—"),
    *("“", "”", "‘", "’", "/", "&", "%", "$", "[", "]"),
)
TERMINALS = (".", "!", "?")
OPENERS = ('"', "“", "‘", "(", "'")

# Case codes of a word token.
LOWER, TITLE, UPPER = 0, 1, 2
# Frequency bands of words outside the style vocabulary (by wordfreq rank).
BAND_EDGES = (5_000, 20_000)  # band 0: < 5k, band 1: < 20k, band 2: in vocabulary, band 3: OOV
N_BANDS = 4
RARE_BAND = 2  # bands >= this count as rare
CID_BITS = 16  # low bits of a packed token: class id; high bits: word identity
CID_MASK = (1 << CID_BITS) - 1
BATCH_DOCS = 256  # documents encoded together by score_documents
# Reasons a span can give.
REASONS = (
    "reduplication",
    "repeated_word",
    "broken_sentence_boundary",
    "unbalanced_quotes",
    "rare_word_burst",
    "improbable_word_sequence",
    "improbable_substitution",
)


@dataclass
class GarbleResult:
    """The garble verdict for one document.

    Attributes:
        score: document score in [0, 1] (0 clean .. 1 garbled), calibrated so that
            0.5 is exceeded by the stated share of clean news (docs/garble.md).
        paragraph_scores: one score in [0, 1] per input paragraph, calibrated the
            same way on news paragraphs (0.5 is passed by about 1% of clean ones).
        spans: evidence, each ``{"paragraph", "start", "end", "text", "reason", "score"}``
            with character offsets into that paragraph's text.
    """

    score: float
    paragraph_scores: list[float] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)


class Vocabulary:
    """Maps tokens to class ids: frequent words keep their identity, others a band.

    Example:
        >>> v = Vocabulary(["the", "of", "arrow"], n_style=2)
        >>> v.cid("the") == v.cid("the") != v.cid("The")
        True
    """

    def __init__(self, words: list[str], n_style: int, extra_style: tuple[str, ...] = ()) -> None:
        self.words = words
        self.rank: dict[str, int] = {}
        for i, w in enumerate(words):
            self.rank.setdefault(w, i)
        style = list(dict.fromkeys([*words[:n_style], *extra_style]))
        self.style: dict[str, int] = {w: i for i, w in enumerate(style)}
        self.n_style = len(style)
        base = 3 * self.n_style
        self.band_base = base
        self.num_id = base + 3 * N_BANDS
        self.punct_ids = {p: self.num_id + 1 + i for i, p in enumerate(PUNCTUATION)}
        self.other_id = self.num_id + 1 + len(PUNCTUATION)
        self.bos = self.other_id + 1
        self.eos = self.bos + 1
        self.size = self.eos + 1
        if self.size >= 1 << CID_BITS:
            raise ValueError(f"vocabulary too large: {self.size} classes")
        self._cache: dict[str, int] = {}
        self._wids: dict[str, int] = {}
        self._build_tables()

    def _build_tables(self) -> None:
        size = self.size
        self.case_of = np.full(size, -1, np.int8)  # -1: not a word
        self.band_of = np.full(size, -1, np.int8)  # -1: style word or not a word
        for c in range(3):
            self.case_of[c : 3 * self.n_style : 3] = c
            self.case_of[self.band_base + c : self.num_id : 3] = c
        for b in range(N_BANDS):
            self.band_of[self.band_base + 3 * b : self.band_base + 3 * b + 3] = b
        self.is_word = self.case_of >= 0
        self.is_rare = self.band_of >= RARE_BAND
        self.is_oov = self.band_of == N_BANDS - 1
        self.is_terminal = np.zeros(size, bool)
        for t in TERMINALS:
            self.is_terminal[self.punct_ids[t]] = True
        self.starts_sentence = (self.case_of >= TITLE) | (np.arange(size) == self.num_id)
        for t in OPENERS:
            if t in self.punct_ids:
                self.starts_sentence[self.punct_ids[t]] = True

    def cid(self, token: str) -> int:
        """The class id of one token."""
        return self.packed(token) & CID_MASK

    def packed(self, token: str) -> int:
        """Class id and word identity of one token in one int (cached).

        The high bits number the token's lower-cased form, so that two tokens
        are the same word (ignoring case) exactly when their high bits agree.
        """
        got = self._cache.get(token)
        if got is not None:
            return got
        low = token.lower()
        wid = self._wids.get(low)
        if wid is None:
            wid = self._wids[low] = len(self._wids)
        value = (wid << CID_BITS) | self._classify(token)
        self._cache[token] = value
        return value

    @property
    def word_ids(self) -> dict[str, int]:
        """Lower-cased form -> word identity, for the tokens encoded since the last trim."""
        return self._wids

    def trim_cache(self, limit: int = 500_000) -> None:
        """Forget cached tokens when there are more than ``limit`` (bounds memory)."""
        if len(self._cache) > limit or len(self._wids) > limit:
            self._cache.clear()
            self._wids.clear()

    def _classify(self, token: str) -> int:
        first = token[0]
        if first.isdigit():
            return self.num_id
        if not first.isalpha():
            return self.punct_ids.get(token, self.other_id)
        low = token.lower().replace("’", "'")
        if token.isupper() and len(token) > 1 and "." not in token:
            case = UPPER
        elif first.isupper():
            case = TITLE
        else:
            case = LOWER
        key = low.rstrip(".") if "." in low else low
        sid = self.style.get(key)
        if sid is not None:
            return 3 * sid + case
        r = self.rank.get(key)
        if r is None:
            band = N_BANDS - 1
        elif r < BAND_EDGES[0]:
            band = 0
        elif r < BAND_EDGES[1]:
            band = 1
        else:
            band = 2
        return self.band_base + 3 * band + case

    def encode(self, text: str) -> list[int]:
        """Packed class ids and word identities (see :meth:`packed`) of the tokens of ``text``."""
        tokens = tokenize(text)
        values = list(map(self._cache.get, tokens, itertools.repeat(-1)))
        if -1 in values:  # tokens not seen yet: classify them once
            values = [v if v != -1 else self.packed(t) for v, t in zip(values, tokens, strict=True)]
        return values


def tokenize(text: str) -> list[str]:
    """The tokens of ``text``, as ``TOKEN_RE.findall(text)`` gives them, about 3x faster.

    No token spans whitespace, and a whitespace-separated word made only of letters
    is one token, so the regular expression runs only on the other words.
    """
    words = text.split()
    if all(map(str.isalpha, words)):
        return words
    find = TOKEN_RE.findall
    out: list[str] = []
    for w in words:
        if w.isalpha():
            out.append(w)
        else:
            out.extend(find(w))
    return out


DENSE_FEATURES = (
    "log_words",  # log(1 + words in the sentence)
    "rare_share",  # share of lower-case words outside the 20k most frequent
    "oov_share",  # share of lower-case words outside the vocabulary (60k words)
    "oov_title_share",  # share of capitalised words outside the vocabulary
    "title_share",  # share of capitalised words
)


@dataclass
class Encoded:
    """A batch of paragraphs as flat arrays of class ids, sentences and n-gram hashes."""

    ids: npt.NDArray[np.int64]  # class id per token
    wids: npt.NDArray[np.int64]  # word identity per token (equal iff same lower-cased form)
    para: npt.NDArray[np.int64]  # paragraph index per token
    sent: npt.NDArray[np.int64]  # sentence index per token (global over the batch)
    sent_para: npt.NDArray[np.int64]  # paragraph index per sentence
    n_sent: int
    hashes: npt.NDArray[np.int64]  # hashed n-gram index, one row per n-gram
    hash_sent: npt.NDArray[np.int64]  # sentence of each n-gram
    hash_pos: npt.NDArray[np.int64]  # token index (within the batch) where each n-gram ends
    hash_order: npt.NDArray[np.int8]  # 1, 2 or 3; 0 for n-grams with a sentence boundary
    dense: npt.NDArray[np.float64]  # (n_sent, len(DENSE_FEATURES))


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _hash(keys: npt.NDArray[np.uint64], bits: int) -> npt.NDArray[np.int64]:
    """Multiplicative hash of integer keys into ``2**bits`` buckets."""
    with np.errstate(over="ignore"):
        mixed = keys * _MIX
    return (mixed >> np.uint64(64 - bits)).astype(np.int64)


def encode_batch(
    vocab: Vocabulary, texts: list[str], bits: int, orders: tuple[int, ...] = (1, 2)
) -> Encoded:
    """Tokenize, split into sentences and hash the n-grams of a list of paragraphs."""
    vocab.trim_cache()
    per_para = [vocab.encode(t) for t in texts]
    lengths = np.fromiter((len(p) for p in per_para), np.int64, len(per_para))
    n_tok = int(lengths.sum())
    packed = np.fromiter(itertools.chain.from_iterable(per_para), np.int64, n_tok)
    ids = packed & CID_MASK
    wids = packed >> CID_BITS
    para = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    # A sentence starts at a paragraph start, or after a terminal followed by a capital/opener.
    start = np.zeros(n_tok, bool)
    if n_tok:
        start[0] = True
        start[1:] = para[1:] != para[:-1]
        start[1:] |= vocab.is_terminal[ids[:-1]] & vocab.starts_sentence[ids[1:]]
    sent = np.cumsum(start) - 1
    n_sent = int(sent[-1]) + 1 if n_tok else 0
    sent_para = para[start]
    end = np.empty(n_tok, bool)
    if n_tok:
        end[:-1] = start[1:]
        end[-1] = True

    size = np.uint64(vocab.size + 1)
    u = ids.astype(np.uint64)
    prev = np.empty(n_tok, np.uint64)
    if n_tok:
        prev[1:] = u[:-1]
        prev[start] = vocab.bos
    pos = np.arange(n_tok, dtype=np.int64)
    keys = [u + np.uint64(1)]
    kpos = [pos]
    korder = [np.ones(n_tok, np.int8)]
    if 2 in orders:
        keys.append(((prev + np.uint64(1)) * size + u) * np.uint64(4) + np.uint64(2))
        kpos.append(pos)
        korder.append(np.where(start, 0, 2).astype(np.int8))
        # the closing bigram (last token, end of sentence)
        keys.append(((u[end] + np.uint64(1)) * size + np.uint64(vocab.eos)) * np.uint64(4) + 2)
        kpos.append(pos[end])
        korder.append(np.zeros(int(end.sum()), np.int8))
    if 3 in orders and n_tok:
        prev2 = np.full(n_tok, vocab.bos, np.uint64)
        if n_tok > 2:
            prev2[2:] = u[:-2]
        second = np.zeros(n_tok, bool)
        second[1:] = start[:-1]
        prev2[start | second] = vocab.bos
        keys.append((((prev2 + 1) * size + prev + 1) * size + u) * np.uint64(4) + 3)
        kpos.append(pos)
        korder.append(np.full(n_tok, 3, np.int8))
    allkeys = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
    hpos = np.concatenate(kpos)
    hashes = _hash(allkeys, bits)

    # dense features per sentence
    is_word = vocab.is_word[ids]
    case = vocab.case_of[ids]
    lower = is_word & (case == LOWER)
    title = is_word & (case != LOWER)
    words = np.bincount(sent, weights=is_word, minlength=n_sent)
    nlower = np.maximum(np.bincount(sent, weights=lower, minlength=n_sent), 1.0)
    ntitle = np.bincount(sent, weights=title, minlength=n_sent)
    rare = np.bincount(sent, weights=lower & vocab.is_rare[ids], minlength=n_sent)
    oov = np.bincount(sent, weights=lower & vocab.is_oov[ids], minlength=n_sent)
    oov_t = np.bincount(sent, weights=title & vocab.is_oov[ids], minlength=n_sent)
    nw = np.maximum(words, 1.0)
    dense = (
        np.column_stack([np.log1p(words), rare / nlower, oov / nlower, oov_t / nw, ntitle / nw])
        if n_sent
        else np.zeros((0, len(DENSE_FEATURES)))
    )
    return Encoded(
        ids=ids,
        wids=wids,
        para=para,
        sent=sent,
        sent_para=sent_para,
        n_sent=n_sent,
        hashes=hashes,
        hash_sent=sent[hpos] if n_tok else np.zeros(0, np.int64),
        hash_pos=hpos,
        hash_order=np.concatenate(korder) if korder else np.zeros(0, np.int8),
        dense=dense,
    )


@dataclass(frozen=True)
class Rules:
    """Tunable patterns of the span detectors (``audit/data/garble_rules.toml``)."""

    allowed_reduplication: frozenset[str]
    allowed_suffixes: tuple[str, ...]
    min_reduplication_length: int
    abbreviations: frozenset[str]
    max_fragment_words: int
    min_fragment_words: int
    min_rare: int
    rare_window: int
    min_sentence_probability: float
    min_ngram_weight: float

    @classmethod
    def load(cls, path: Path = RULES_PATH) -> Rules:
        """Read the rules file."""
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        red = data["reduplication"]
        bsb = data["broken_sentence_boundary"]
        rwb = data["rare_word_burst"]
        iws = data["improbable_word_sequence"]
        return cls(
            allowed_reduplication=frozenset(w.lower() for w in red["allowed"]),
            allowed_suffixes=tuple(red.get("allowed_suffixes", ())),
            min_reduplication_length=int(red.get("min_length", 3)),
            abbreviations=frozenset(w.lower() for w in bsb["abbreviations"]),
            max_fragment_words=int(bsb["max_fragment_words"]),
            min_fragment_words=int(bsb["min_fragment_words"]),
            min_rare=int(rwb["min_rare"]),
            rare_window=int(rwb["window"]),
            min_sentence_probability=float(iws["min_sentence_probability"]),
            min_ngram_weight=float(iws["min_ngram_weight"]),
        )


_WORD = r"[^\W\d_]+(?:['’][^\W\d_]+)*"
_COORDINATED = re.compile(rf"\b({_WORD})\s+(?:and|or|&)\s+\1(?![\w-])")
_REPEATED_WORD = re.compile(rf"\b({_WORD})\s+\1(?![\w-])", re.IGNORECASE)
_REPEATED_PAIR = re.compile(rf"\b({_WORD}\s+{_WORD})\s+\1(?![\w-])", re.IGNORECASE)
_LOWER_AFTER_STOP = re.compile(rf"(?<![\w.])({_WORD})\.\s+([a-z][^\W\d_]*)")
_FRAGMENT = re.compile(
    r"(?:(?<=[.!?]\s)|(?<=[.!?][”\"’]\s))((?:[A-Z][\w’'.-]*\s+)+[A-Z][\w’'-]*\.)(?=\s|$)"
)
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?][”\"’]?\s$")
_OPEN_THEN_PUNCT = re.compile(r"[“‘]\s*[,.;:]")
_SPACE_THEN_CLOSE = re.compile(r"(?<=\s)”(?=\w)")
_CURLY = re.compile("[“”]")
_LONE_STRAIGHT = re.compile(r"(?<=\s)\"(?=\s|$)")


def find_reduplication(text: str, rules: Rules) -> list[tuple[int, int, str]]:
    """Spans where a word or word pair is doubled.

    "withdrawal and withdrawal" and "the ruling the ruling" are ``reduplication``;
    a plain doubled word ("the the"), common as a typo in clean text too, is
    ``repeated_word``.

    Example:
        >>> find_reduplication("based on principles and principles", get_detector().rules)
        [(9, 34, 'reduplication')]
    """
    out: list[tuple[int, int, str]] = []
    for rx, min_len, reason in (
        (_COORDINATED, rules.min_reduplication_length, "reduplication"),
        (_REPEATED_WORD, 1, "repeated_word"),
    ):
        for m in rx.finditer(text):
            word = m.group(1).lower()
            if len(word) < min_len or word in rules.allowed_reduplication:
                continue
            if any(word.endswith(s) and len(word) > len(s) + 2 for s in rules.allowed_suffixes):
                continue
            out.append((m.start(), m.end(), reason))
    for m in _REPEATED_PAIR.finditer(text):
        words = m.group(1).lower().split()
        if all(w in rules.allowed_reduplication for w in words):
            continue
        out.append((m.start(), m.end(), "reduplication"))
    return out


def find_broken_boundaries(text: str, rules: Rules) -> list[tuple[int, int, str]]:
    """Spans where a sentence is cut: ". country", or a verbless capitalised fragment.

    Example:
        >>> find_broken_boundaries("inspection by directors. country since", get_detector().rules)
        [(14, 32, 'broken_sentence_boundary')]
    """
    out: list[tuple[int, int, str]] = []
    for m in _LOWER_AFTER_STOP.finditer(text):
        word = m.group(1)
        if len(word) < 2 or word.lower() in rules.abbreviations:
            continue
        out.append((m.start(), m.end(), "broken_sentence_boundary"))
    for m in _FRAGMENT.finditer(text):
        words = m.group(1).split()
        if not rules.min_fragment_words <= len(words) <= rules.max_fragment_words:
            continue
        before = _WORD_BEFORE.search(text, max(0, m.start(1) - 40), m.start(1))
        if before and before.group(1).rstrip(".").lower() in rules.abbreviations:
            continue
        if words[0].rstrip(".").lower() in rules.abbreviations:
            continue
        out.append((m.start(1), m.end(1), "broken_sentence_boundary"))
    return out


def find_unbalanced_quotes(text: str, continued: bool = False) -> list[tuple[int, int, str]]:
    """Spans of quotation marks that do not pair up or sit in the wrong place.

    ``continued`` says the next paragraph opens with a quotation mark, in which case
    a quote left open at the end is the usual news style, not an error.

    Example:
        >>> find_unbalanced_quotes('he cited “coercion and discrimination “, as well')
        [(9, 18, 'unbalanced_quotes'), (38, 41, 'unbalanced_quotes')]
    """
    out: list[tuple[int, int, str]] = []
    flagged: set[int] = set()

    def add(i: int, j: int) -> None:
        if i not in flagged:
            flagged.add(i)
            out.append((max(0, i), min(len(text), j), "unbalanced_quotes"))

    for m in _OPEN_THEN_PUNCT.finditer(text):
        add(m.start(), m.end() + 1)
    for m in _SPACE_THEN_CLOSE.finditer(text):
        add(m.start(), m.end() + 1)
    open_at = -1
    for m in _CURLY.finditer(text):
        i, ch = m.start(), m.group()
        if ch == "“":
            if open_at >= 0:
                add(open_at, _word_end(text, open_at))
            open_at = i
        elif ch == "”":
            if open_at < 0:
                add(_word_start(text, i), i + 1)
            open_at = -1
    if open_at >= 0 and not continued:
        add(open_at, _word_end(text, open_at))
    for m in _LONE_STRAIGHT.finditer(text):
        add(_word_start(text, m.start() - 1), m.end())
    out.sort()
    return out


def _word_end(text: str, i: int) -> int:
    """End of the word after position ``i`` (at most 40 characters on)."""
    m = re.compile(r"\s*\S+").match(text, i + 1)
    return min(m.end() if m else i + 1, i + 40)


def _word_start(text: str, i: int) -> int:
    """Start of the word that ends at position ``i``."""
    j = i
    while j > 0 and not text[j - 1].isspace() and i - j < 40:
        j -= 1
    return j


def _sigmoid(z: float) -> float:
    """Logistic function, safe for large arguments."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Calibration:
    """How model and span evidence become a score (fitted by the training command).

    The odds that a text is garbled are the sum of two odds: the sentence
    model's, ``exp(beta * (A - a_thr))`` with ``A`` the token-weighted mean
    sentence logit, and the spans', ``exp(S - span_threshold)`` with ``S`` the
    summed weights of the text's spans (at most ``span_cap`` per reason). The
    score is ``odds / (1 + odds)``; it passes 0.5 when either kind of evidence
    passes its threshold.
    """

    a_thr: float
    beta: float
    a_thr_paragraph: float  # a_thr for a single paragraph (calibrated on paragraphs)
    span_threshold: float
    span_weights: dict[str, float]
    span_cap: int

    def log_odds(self, a: float, span_evidence: float, paragraph: bool = False) -> float:
        """Log-odds of garbling from model evidence ``a`` and span evidence."""
        thr = self.a_thr_paragraph if paragraph else self.a_thr
        return float(np.logaddexp(self.beta * (a - thr), span_evidence - self.span_threshold))


class GarbleDetector:
    """Scores paragraphs for machine-translation / spinner damage.

    Load it once per process with :func:`get_detector`; scoring is thread-safe
    apart from a shared token cache, and holds no per-document state.

    Example:
        >>> det = get_detector()
        >>> res = det.score_paragraphs(["He called for the withdrawal and withdrawal of troops."])
        >>> res.spans[0]["reason"], res.spans[0]["text"]
        ('reduplication', 'withdrawal and withdrawal')
    """

    def __init__(self, model_path: Path = MODEL_PATH, rules_path: Path = RULES_PATH) -> None:
        with np.load(model_path, allow_pickle=False) as npz:
            words = bytes(npz["vocab"]).decode("utf-8").split("\n")
            self.meta: dict[str, Any] = json.loads(bytes(npz["meta"]).decode("utf-8"))
            q = npz["weights"]
        m = self.meta
        self.bits = int(m["bits"])
        self.orders = tuple(int(o) for o in m["orders"])
        self.vocab = Vocabulary(words, int(m["n_style"]), tuple(m.get("extra_style", ())))
        self.weights = q.astype(np.float64) * float(m["weight_scale"])
        self.dense_mean = np.asarray(m["dense_mean"], np.float64)
        self.dense_std = np.asarray(m["dense_std"], np.float64)
        self.dense_weights = np.asarray(m["dense_weights"], np.float64)
        self.bias = float(m["bias"])
        c = m["calibration"]
        self.calibration = Calibration(
            a_thr=float(c["a_thr"]),
            a_thr_paragraph=float(c.get("a_thr_paragraph", c["a_thr"])),
            beta=float(c["beta"]),
            span_threshold=float(c["span_threshold"]),
            span_weights={k: float(v) for k, v in c["span_weights"].items()},
            span_cap=int(c["span_cap"]),
        )
        self.rules = Rules.load(rules_path)
        self._conj_ids = np.array(
            [self.vocab.cid(w) for w in ("and", "or", "&", "And", "Or")], dtype=np.int64
        )
        self._period_id = self.vocab.punct_ids["."]

    def sentence_logits(self, enc: Encoded) -> npt.NDArray[np.float64]:
        """Model log-odds of each sentence of an encoded batch."""
        s = np.bincount(enc.hash_sent, weights=self.weights[enc.hashes], minlength=enc.n_sent)
        out: npt.NDArray[np.float64] = s.astype(np.float64) + self.bias
        if enc.n_sent:
            out += ((enc.dense - self.dense_mean) / self.dense_std) @ self.dense_weights
        return out

    def span_evidence(self, spans: list[dict[str, Any]]) -> float:
        """Summed weights of ``spans`` (at most ``span_cap`` per reason)."""
        c = self.calibration
        counts: dict[str, int] = {}
        total = 0.0
        for sp in spans:
            n = counts.get(sp["reason"], 0)
            if n < c.span_cap:
                total += c.span_weights.get(sp["reason"], 0.0)
            counts[sp["reason"]] = n + 1
        return total

    def score_paragraphs(self, texts: list[str]) -> GarbleResult:
        """Score a document given as the texts of its body paragraphs.

        Args:
            texts: the body paragraphs, in order.

        Returns:
            The document score, one score per paragraph, and the evidence spans.
        """
        return self.score_documents([texts])[0]

    def score_documents(self, docs: list[list[str]]) -> list[GarbleResult]:
        """Score many documents at once (faster than one by one: numpy work is shared).

        Args:
            docs: each document as the texts of its body paragraphs.

        Returns:
            One :class:`GarbleResult` per document, in order.
        """
        if len(docs) > BATCH_DOCS:  # bound the size of the token arrays
            out: list[GarbleResult] = []
            for i in range(0, len(docs), BATCH_DOCS):
                out.extend(self._score_batch(docs[i : i + BATCH_DOCS]))
            return out
        return self._score_batch(docs)

    def _score_batch(self, docs: list[list[str]]) -> list[GarbleResult]:
        """Score a batch of documents with one set of token arrays."""
        texts: list[str] = []
        doc_of: list[int] = []
        first_para: list[int] = []
        for d, paras in enumerate(docs):
            first_para.append(len(texts))
            for t in paras:
                texts.append(t if isinstance(t, str) else "")
                doc_of.append(d)
        if not texts:
            return [GarbleResult(score=0.0) for _ in docs]
        enc = encode_batch(self.vocab, texts, self.bits, self.orders)
        logits = self.sentence_logits(enc)
        ntok = np.bincount(enc.sent, minlength=enc.n_sent).astype(np.float64)
        para_w = np.bincount(enc.sent_para, weights=ntok, minlength=len(texts))
        para_a = np.bincount(enc.sent_para, weights=ntok * logits, minlength=len(texts))
        doc_idx = np.asarray(doc_of, dtype=np.int64)
        doc_w = np.bincount(doc_idx, weights=para_w, minlength=len(docs))
        doc_a = np.bincount(doc_idx, weights=para_a, minlength=len(docs))
        last = {first_para[d] + len(p) - 1 for d, p in enumerate(docs) if p}
        c = self.calibration
        by_para: list[list[dict[str, Any]]] = [[] for _ in texts]
        for sp in self._spans(texts, enc, logits, last, doc_idx):
            by_para[sp["paragraph"]].append(sp)
        results: list[GarbleResult] = []
        for d, paras in enumerate(docs):
            base = first_para[d]
            para_scores: list[float] = []
            spans: list[dict[str, Any]] = []
            for i in range(base, base + len(paras)):
                found = by_para[i]
                if para_w[i] == 0 and not found:
                    para_scores.append(0.0)
                    continue
                a = para_a[i] / para_w[i] if para_w[i] else -np.inf
                z = c.log_odds(a, self.span_evidence(found), paragraph=True)
                para_scores.append(_sigmoid(z))
                for sp in found:
                    sp["paragraph"] = i - base
                    spans.append(sp)
            if doc_w[d] == 0 and not spans:
                results.append(GarbleResult(score=0.0, paragraph_scores=para_scores))
                continue
            a = doc_a[d] / doc_w[d] if doc_w[d] else -np.inf
            z = c.log_odds(a, self.span_evidence(spans))
            results.append(
                GarbleResult(score=_sigmoid(z), paragraph_scores=para_scores, spans=spans)
            )
        return results

    def _spans(
        self,
        texts: list[str],
        enc: Encoded,
        logits: npt.NDArray[np.float64],
        last: set[int],
        doc_idx: npt.NDArray[np.int64],
    ) -> list[dict[str, Any]]:
        """Evidence spans of all paragraphs (``last``: paragraphs that end a document;
        ``doc_idx``: the document of each paragraph)."""
        rules = self.rules
        out: list[dict[str, Any]] = []
        redup, broken = self._candidates(enc)
        for i, text in enumerate(texts):
            found = find_reduplication(text, rules) if i in redup else []
            if i in broken:
                found += find_broken_boundaries(text, rules)
            if "“" in text or "”" in text or '"' in text:
                nxt = "" if i in last else texts[i + 1].lstrip()
                found += find_unbalanced_quotes(text, continued=nxt[:1] in ("“", '"'))
            w = self.calibration.span_weights
            for start, end, reason in found:
                out.append(_span(i, text, start, end, reason, _sigmoid(w.get(reason, 0.0))))
        out.extend(self._token_spans(texts, enc, logits))
        out.extend(self._substitution_spans(texts, enc, doc_idx))
        out.sort(key=lambda s: (s["paragraph"], s["start"], s["end"]))
        return out

    def _substitution_spans(
        self, texts: list[str], enc: Encoded, doc_idx: npt.NDArray[np.int64]
    ) -> list[dict[str, Any]]:
        """Nouns swapped in for the wrong sense of a word the same document uses."""
        table = get_table()  # see audit.signals.substitutions
        seen = self.vocab.word_ids
        lemma_of = {
            wid: lemma for form, lemma in table.forms.items() if (wid := seen.get(form)) is not None
        }
        if not lemma_of:
            return []
        lower = self.vocab.case_of[enc.ids] == LOWER
        hits = np.flatnonzero(np.isin(enc.wids, np.fromiter(lemma_of, np.int64)) & lower)
        by_doc: dict[int, dict[str, set[int]]] = {}
        for pos in hits.tolist():
            p = int(enc.para[pos])
            lemma = lemma_of[int(enc.wids[pos])]
            by_doc.setdefault(int(doc_idx[p]), {}).setdefault(lemma, set()).add(p)
        out: list[dict[str, Any]] = []
        weight = _sigmoid(self.calibration.span_weights.get("improbable_substitution", 0.0))
        for where in by_doc.values():
            if len(where) < 2:
                continue
            for word, stands_for, via in table.find(set(where)):
                for p in sorted(where[word]):
                    for a, b in table.spans(word, texts[p]):
                        sp = _span(p, texts[p], a, b, "improbable_substitution", weight)
                        sp["stands_for"] = stands_for
                        sp["via"] = via
                        out.append(sp)
        return out

    def _candidates(self, enc: Encoded) -> tuple[set[int], set[int]]:
        """Paragraphs that may hold a reduplication, or a broken boundary (cheap filter).

        The regular expressions are exact but slow; the token arrays tell in one
        pass which paragraphs can match at all.
        """
        ids = enc.ids
        n = len(ids)
        if n < 2:
            return set(), set()
        v = self.vocab
        word = v.is_word[ids]
        base = enc.wids  # the word, ignoring case
        para = enc.para
        same1 = para[1:] == para[:-1]
        rep = word[:-1] & word[1:] & (base[:-1] == base[1:]) & same1
        redup = set(para[:-1][rep].tolist())
        if n >= 3:
            conj = np.isin(ids[1:-1], self._conj_ids)
            coord = word[:-2] & word[2:] & (base[:-2] == base[2:]) & conj & same1[1:] & same1[:-1]
            redup.update(para[:-2][coord].tolist())
        if n >= 4:
            pair = word[:-3] & (base[:-3] == base[2:-1]) & (base[1:-2] == base[3:])
            pair &= word[1:-2] & same1[:-2] & same1[1:-1] & same1[2:]
            redup.update(para[:-3][pair].tolist())
        lower_next = (ids[:-1] == self._period_id) & word[1:] & (v.case_of[ids[1:]] == LOWER)
        broken = set(para[:-1][lower_next & same1].tolist())
        # capitalised-only sentences that are not the first of their paragraph
        lower = word & (v.case_of[ids] == LOWER)
        n_lower = np.bincount(enc.sent, weights=lower, minlength=enc.n_sent)
        n_words = np.bincount(enc.sent, weights=word, minlength=enc.n_sent)
        first = np.ones(enc.n_sent, bool)
        first[1:] = enc.sent_para[1:] != enc.sent_para[:-1]
        frag = (n_lower == 0) & (n_words >= self.rules.min_fragment_words) & ~first
        broken.update(enc.sent_para[frag].tolist())
        return redup, broken

    def _token_spans(
        self, texts: list[str], enc: Encoded, logits: npt.NDArray[np.float64]
    ) -> list[dict[str, Any]]:
        """Rare-word bursts and improbable n-grams: spans found on the token arrays."""
        rules = self.rules
        vocab = self.vocab
        out: list[dict[str, Any]] = []
        lower_rare = vocab.is_rare[enc.ids] & (vocab.case_of[enc.ids] == LOWER)
        with np.errstate(over="ignore"):  # exp overflows to inf: a probability of 0
            probs = 1.0 / (1.0 + np.exp(-logits))
        hot = np.flatnonzero(probs >= rules.min_sentence_probability)
        hot_paras = set(enc.sent_para[hot].tolist())
        rare_counts = np.bincount(enc.para, weights=lower_rare, minlength=len(texts))
        burst_paras = set(np.flatnonzero(rare_counts >= rules.min_rare).tolist())
        if not hot_paras and not burst_paras:
            return out
        para_start = np.searchsorted(enc.para, np.arange(len(texts)))
        for p in sorted(hot_paras | burst_paras):
            text = texts[p]
            offsets = [(m.start(), m.end()) for m in TOKEN_RE.finditer(text)]
            base = int(para_start[p])
            if p in burst_paras:
                flags = lower_rare[base : base + len(offsets)]
                word_pos = [k for k in range(len(offsets)) if vocab.is_word[enc.ids[base + k]]]
                rare_pos = [j for j, k in enumerate(word_pos) if flags[k]]
                j = 0
                while j < len(rare_pos):
                    k = j
                    while (
                        k + 1 < len(rare_pos) and rare_pos[k + 1] - rare_pos[j] < rules.rare_window
                    ):
                        k += 1
                    if k - j + 1 >= rules.min_rare:
                        a = offsets[word_pos[rare_pos[j]]][0]
                        b = offsets[word_pos[rare_pos[k]]][1]
                        score = _sigmoid(self.calibration.span_weights.get("rare_word_burst", 0.0))
                        out.append(_span(p, text, a, b, "rare_word_burst", score))
                        j = k + 1
                    else:
                        j += 1
            for s in hot[enc.sent_para[hot] == p]:
                sel = np.flatnonzero((enc.hash_sent == s) & (enc.hash_order >= 2))
                if not len(sel):
                    continue
                wts = self.weights[enc.hashes[sel]]
                best = int(np.argmax(wts))
                if wts[best] < rules.min_ngram_weight:
                    continue
                end_tok = int(enc.hash_pos[sel[best]]) - base
                order = int(enc.hash_order[sel[best]])
                first_tok = int(np.flatnonzero(enc.sent == s)[0]) - base
                start_tok = max(first_tok, end_tok - order + 1)
                if end_tok >= len(offsets):
                    continue
                a, b = offsets[start_tok][0], offsets[end_tok][1]
                out.append(_span(p, text, a, b, "improbable_word_sequence", float(probs[s])))
        return out


def _span(p: int, text: str, start: int, end: int, reason: str, score: float) -> dict[str, Any]:
    """One evidence span as stored in a finding."""
    return {
        "paragraph": p,
        "start": start,
        "end": end,
        "text": text[start:end],
        "reason": reason,
        "score": round(score, 4),
    }


@functools.lru_cache(maxsize=1)
def get_detector() -> GarbleDetector:
    """The process-wide detector, loaded on first use."""
    return GarbleDetector()


def annotate_chunk(chunk: Chunk, settings: SignalSettings | None = None) -> None:
    """The garble stage: score every document of ``chunk`` from its body paragraphs.

    Adds to the documents table ``garble_score`` (float in [0, 1]) and
    ``garble_spans`` (the evidence spans, at most ``settings.garble_max_spans``,
    each ``{"paragraph", "line", "start", "end", "text", "reason", "score"}`` with
    ``paragraph`` the paragraph's ``idx`` in the document and ``start``/``end``
    offsets in that paragraph's text), and to the paragraphs table
    ``garble_score`` (body paragraphs; NaN for the others). The signals stage
    turns these into the ``garbled_text`` evidence, and the translation suite
    gates on ``garble_score``.

    Args:
        chunk: a parsed chunk (paragraphs carry ``role``).
        settings: the signal settings; the defaults if None.

    Example:
        >>> from audit.model import Chunk
        >>> ch = Chunk.from_records(
        ...     [{"doc_id": "a"}],
        ...     [{"doc_id": "a", "idx": 0, "text": "It called for withdrawal and withdrawal.",
        ...       "role": "body", "start": 0, "end": 40, "line": 1}],
        ... )
        >>> annotate_chunk(ch)
        >>> ch.documents.loc[0, "garble_spans"][0]["text"]
        'withdrawal and withdrawal'
    """
    from audit.config import SignalSettings

    settings = settings or SignalSettings()
    det = get_detector()
    docs = chunk.documents
    paras = chunk.paragraphs
    order = [str(d) for d in docs["doc_id"]]
    rows: dict[str, list[int]] = {d: [] for d in order}  # positions in ``paras``, in idx order
    if len(paras) and "role" in paras.columns:
        body = np.flatnonzero((paras["role"] == "body").to_numpy(dtype=bool))
        if "idx" in paras.columns:
            body = body[np.argsort(paras["idx"].to_numpy()[body], kind="stable")]
        doc_col = _column(paras, "doc_id")
        for pos in body.tolist():
            key = str(doc_col[pos])
            if key in rows:
                rows[key].append(pos)
    text_col = _column(paras, "text")
    texts = [[_text(text_col[pos]) for pos in rows[d]] for d in order]
    results = det.score_documents(texts)
    para_scores = np.full(len(paras), np.nan)
    idx_col, line_col = _column(paras, "idx"), _column(paras, "line")
    spans_col: list[list[dict[str, Any]]] = []
    for d, r in zip(order, results, strict=True):
        positions = rows[d]
        for pos, score in zip(positions, r.paragraph_scores, strict=True):
            para_scores[pos] = round(score, 4)
        spans_col.append(
            [_doc_span(idx_col, line_col, positions[s["paragraph"]], s) for s in r.spans][
                : settings.garble_max_spans
            ]
        )
    docs["garble_score"] = pd_series([round(r.score, 4) for r in results], docs.index)
    docs["garble_spans"] = pd_series(spans_col, docs.index)
    paras["garble_score"] = para_scores


def pd_series(values: list[Any], index: Any) -> Any:
    """A pandas Series of Python objects on ``index`` (pandas imported lazily)."""
    import pandas as pd

    return pd.Series(values, index=index, dtype=object)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    try:
        return None if value is None or value != value else int(value)
    except (TypeError, ValueError):
        return None


def _column(frame: Any, name: str) -> list[Any]:
    """A column as a list of Python values (all None if the column is absent)."""
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _doc_span(idx: list[Any], line: list[Any], pos: int, span: dict[str, Any]) -> dict[str, Any]:
    """A span named by its paragraph's ``idx`` and line in the document."""
    return {
        "paragraph": _int(idx[pos]),
        "line": _int(line[pos]),
        "start": span["start"],
        "end": span["end"],
        "text": span["text"],
        "reason": span["reason"],
        "score": span["score"],
        **{k: span[k] for k in ("stands_for", "via") if k in span},
    }
