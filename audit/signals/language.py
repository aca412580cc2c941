"""A small offline language detector: the script first, then frequent-word profiles.

Languages with a script of their own (Japanese, Chinese, Korean, Thai, Greek,
Hebrew, Hindi, Bengali, Tamil) are told by the script. Latin, Cyrillic and
Arabic-script languages are told by how many of each language's most frequent
words (``audit/data/language_profiles.json``) the text uses; a word shared by
several languages counts for each in proportion. The confidence is the winner's
margin over the runner-up, scaled down for texts of fewer than 40 words.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from audit.signals.base import Batch, Evidence, Output

_PUNCTUATION = ".,;:!?\"'()[]{}“”‘’«»-–—…/"
_NON_LATIN = re.compile(r"[\u0370-\u1fff\u3040-\u9fff\uac00-\ud7af]")
_SCRIPTS = re.compile(
    r"(?P<latin>[A-Za-z\u00c0-\u024f]+)|(?P<cyrillic>[\u0400-\u04ff]+)"
    r"|(?P<greek>[\u0370-\u03ff]+)|(?P<arabic>[\u0600-\u06ff\u0750-\u077f]+)"
    r"|(?P<hebrew>[\u0590-\u05ff]+)|(?P<devanagari>[\u0900-\u097f]+)"
    r"|(?P<bengali>[\u0980-\u09ff]+)|(?P<tamil>[\u0b80-\u0bff]+)|(?P<thai>[\u0e00-\u0e7f]+)"
    r"|(?P<hangul>[\uac00-\ud7af\u1100-\u11ff]+)|(?P<kana>[\u3040-\u30ff]+)"
    r"|(?P<han>[\u4e00-\u9fff]+)"
)
_SCRIPT_LANGUAGE = {
    "greek": "el",
    "hebrew": "he",
    "devanagari": "hi",
    "bengali": "bn",
    "tamil": "ta",
    "thai": "th",
    "hangul": "ko",
    "kana": "ja",
    "han": "zh",
}
_FULL_CONFIDENCE_WORDS = 40


@dataclass(frozen=True, slots=True)
class Detection:
    """A detected language, the confidence (0..1) and the top scores behind it."""

    language: str | None
    confidence: float
    scores: dict[str, float]


@lru_cache(maxsize=1)
def _profiles() -> dict[str, dict[str, dict[str, float]]]:
    """Per script: word -> {language: weight}, a word's weight split among its languages."""
    raw = json.loads(
        (resources.files("audit") / "data" / "language_profiles.json").read_text("utf-8")
    )
    out: dict[str, dict[str, dict[str, float]]] = {}
    for script, langs in raw["profiles"].items():
        owners: dict[str, list[str]] = {}
        for lang, words in langs.items():
            for w in words.split():
                owners.setdefault(w, []).append(lang)
        out[script] = {w: {lang: 1.0 / len(ls) for lang in ls} for w, ls in owners.items()}
    return out


def _script_of(sample: str) -> tuple[str, float]:
    """The dominant script of ``sample`` and its share of the letters."""
    if sample.isascii() or not _NON_LATIN.search(sample):
        return "latin", 1.0
    counts: Counter[str] = Counter()
    for m in _SCRIPTS.finditer(sample):
        counts[m.lastgroup or ""] += len(m.group(0))
    if counts["kana"] and counts["kana"] >= 0.1 * (counts["kana"] + counts["han"]):
        counts["kana"] += counts.pop("han", 0)  # Japanese mixes kanji with kana
    total = sum(counts.values())
    if not total:
        return "latin", 0.0
    script, n = counts.most_common(1)[0]
    return script, n / total


def detect(text: str, sample_chars: int = 400) -> Detection:
    """Detect the language of ``text`` (an ISO 639-1 code where there is one).

    Example:
        >>> detect("The leaders said that they will meet again in the spring.").language
        'en'
    """
    sample = text[:sample_chars]
    script, share = _script_of(sample)
    if script in _SCRIPT_LANGUAGE:
        return Detection(_SCRIPT_LANGUAGE[script], round(share, 3), {})
    profile = _profiles().get(script)
    if not profile:
        return Detection(None, 0.0, {})
    words = sample.lower().split()
    scores: dict[str, float] = {}
    for word, n in Counter(words).items():
        owners = profile.get(word) or profile.get(word.strip(_PUNCTUATION))
        if owners:
            for lang, weight in owners.items():
                scores[lang] = scores.get(lang, 0.0) + weight * n
    if not scores:
        return Detection(None, 0.0, {})
    (best, s1), *rest = sorted(scores.items(), key=lambda kv: -kv[1])[:3]
    s2 = rest[0][1] if rest else 0.0
    margin = (s1 - s2) / s1
    size = min(1.0, len(words) / _FULL_CONFIDENCE_WORDS)
    top = {lang: round(v, 2) for lang, v in [(best, s1), *rest]}
    return Detection(best, round(margin * size * share, 3), top)


def language(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """The body's language and the detector's confidence."""
    limit = b.settings.language_sample_chars
    langs: list[str | None] = []
    conf: list[float] = []
    ev: list[Evidence | None] = []
    texts = b.p_text
    for rows in b.body:
        parts: list[str] = []
        size = 0
        for j in rows:
            parts.append(texts[j])
            size += len(texts[j])
            if size >= limit:
                break
        sample = "\n".join(parts)
        d = detect(sample, limit)
        langs.append(d.language)
        conf.append(d.confidence)
        ev.append({"language": d.language, "confidence": d.confidence, "scores": d.scores})
    return Output({"language": langs, "language_confidence": conf}, {"unexpected_language": ev})
