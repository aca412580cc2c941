"""Improbable substitutions: a noun swapped in for the wrong sense of the word it replaces.

Article spinners and weak machine translation replace a word by a "synonym" of
one of its *other* senses: a missile (a rocket with a warhead) becomes an
"arrow", which WordNet files under "missile" in its second sense, "projectile".
Each word reads as correct English. What gives the swap away is that the same
document also uses the word it stands for, in the sense the two do not share.

The pairs come from ``audit/data/garble_substitutions.tsv``, built from WordNet
by ``python -m bench.garble_substitutions``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "garble_substitutions.tsv"


def plural_forms(word: str) -> tuple[str, ...]:
    """The word and its regular plural (``arrow`` -> ``arrows``, ``city`` -> ``cities``)."""
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word, word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word, word + "es"
    return word, word + "s"


@dataclass
class SubstitutionTable:
    """Which nouns stand in for which, and the lower-case forms that name them.

    Example:
        >>> t = SubstitutionTable.from_rows([("arrow", "missile", "projectile")])
        >>> t.find({"arrow", "missile", "launch"})
        [('arrow', 'missile', 'projectile')]
        >>> t.find({"arrow", "target"})
        []
    """

    stands_for: dict[str, dict[str, str]] = field(default_factory=dict)  # w -> {h: via}
    forms: dict[str, str] = field(default_factory=dict)  # lower-case form -> lemma

    @classmethod
    def from_rows(cls, rows: list[tuple[str, str, str]]) -> SubstitutionTable:
        """A table from ``(substitute, stands for, via sense)`` rows."""
        table = cls()
        by_word: dict[str, dict[str, str]] = defaultdict(dict)
        for w, h, via in rows:
            by_word[w][h] = via
            for lemma in (w, h):
                for form in plural_forms(lemma):
                    table.forms.setdefault(form, lemma)
        table.stands_for = dict(by_word)
        return table

    @classmethod
    def load(cls, path: Path = TABLE_PATH) -> SubstitutionTable:
        """Read the tab-separated table (``#`` lines are comments); empty if absent."""
        if not path.is_file():
            return cls()
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                w, h, via = line.split("\t")
                rows.append((w, h, via))
        return cls.from_rows(rows)

    def find(self, lemmas: set[str]) -> list[tuple[str, str, str]]:
        """``(substitute, stands for, via)`` for each pair of words both in ``lemmas``."""
        found = []
        for w in sorted(lemmas & self.stands_for.keys()):
            for h, via in sorted(self.stands_for[w].items()):
                if h in lemmas:
                    found.append((w, h, via))
                    break
        return found

    def spans(self, word: str, text: str) -> list[tuple[int, int]]:
        """Where ``word`` (or its plural) stands in ``text``, in lower case, as a whole word."""
        return [m.span() for m in _form_pattern(word).finditer(text)]


@lru_cache(maxsize=4096)
def _form_pattern(word: str) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(f) for f in sorted(plural_forms(word), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


@lru_cache(maxsize=1)
def get_table() -> SubstitutionTable:
    """The shipped table, loaded on first use."""
    return SubstitutionTable.load()
