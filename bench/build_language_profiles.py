"""Regenerate audit/data/language_profiles.json: the most frequent words per language.

The language detector (audit/signals/language.py) scores a text by the frequent
function words it contains. The word lists come from the `wordfreq` package's
frequency data (Robyn Speer et al., https://github.com/rspeer/wordfreq; data
under CC-BY-SA 4.0); only the top words of each language are kept.

Usage:
    python bench/build_language_profiles.py [--words 120]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

# Languages told apart by their words, grouped by the script they are written in.
# Languages whose script is their own (ja, zh, ko, th, he, el, hi, bn, ta) are told
# by the script alone and need no word list.
SCRIPTED = {
    "latin": [
        "en",
        "fr",
        "de",
        "es",
        "it",
        "pt",
        "nl",
        "id",
        "ms",
        "tr",
        "pl",
        "sv",
        "da",
        "nb",
        "fi",
        "ro",
        "cs",
        "sk",
        "hu",
        "ca",
        "vi",
        "fil",
        "lt",
        "lv",
        "sl",
        "sh",
        "is",
    ],
    "cyrillic": ["ru", "uk", "bg", "mk"],
    "arabic": ["ar", "fa", "ur"],
}
OUT = Path(__file__).resolve().parents[1] / "audit" / "data" / "language_profiles.json"
WORD = re.compile(r"^[^\W\d_]+$")


def build(n_words: int) -> dict[str, object]:
    """The profiles document: per script, per language, its top words."""
    import wordfreq

    profiles: dict[str, dict[str, str]] = {}
    for script, langs in SCRIPTED.items():
        profiles[script] = {}
        for lang in langs:
            words = [w for w in wordfreq.top_n_list(lang, n_words * 2) if WORD.match(w)]
            profiles[script][lang] = " ".join(words[:n_words])
    return {
        "_origin": (
            "Top words per language from the wordfreq package's frequency data "
            "(https://github.com/rspeer/wordfreq), CC-BY-SA 4.0; regenerate with "
            "bench/build_language_profiles.py"
        ),
        "words_per_language": n_words,
        "profiles": profiles,
    }


def main() -> None:
    """Write the profiles file and print what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=120)
    args = parser.parse_args()
    doc = build(args.words)
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    n = sum(len(v) for v in doc["profiles"].values())  # type: ignore[union-attr]
    print(f"wrote {OUT} ({n} languages, {OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
