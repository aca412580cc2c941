"""Build ``audit/data/garble_substitutions.tsv``: nouns a spinner swaps in for a wrong sense.

    python -m bench.garble_substitutions [--wordnet /usr/share/wordnet] [--out PATH]

Article spinners and weak machine translation replace a word by a "synonym" of
one of its other senses: *missile* (a rocket with a warhead) becomes *arrow*,
which WordNet files under *missile* in its second sense, "projectile". Such a
word reads as correct English; what gives it away is that the document also uses
the word it stands for, in the sense it does not share.

For every noun ``h`` with more than one sense, this lists the nouns ``w`` that
are direct hyponyms (kinds) of one of ``h``'s *other* senses, name a concrete
thing (``CONCRETE``), and have nothing to do with ``h``'s first (most frequent)
sense: not among its synonyms, hypernyms, hyponyms or their hyponyms. The
detector reports ``w`` as an ``improbable_substitution`` when a document uses
both ``w`` and ``h`` in lower case. Both words must be specific: wordfreq Zipf
frequency between ``--min-zipf`` and ``--max-zipf``, one word each, letters only.

Needs WordNet 3.0's database files (Debian: ``apt-get install wordnet-base``) and
wordfreq. The licence of WordNet is in ``audit/data/NOTICE-garble.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "audit" / "data" / "garble_substitutions.tsv"
WORDNET = Path("/usr/share/wordnet")
# lexicographer files of things one can point at (animal, artifact, body, food, object,
# plant, substance): a swap among them changes what the sentence is about; abstract
# nouns share senses too freely to tell
CONCRETE = frozenset({5, 6, 8, 13, 17, 20, 27})


def read_index(wordnet: Path) -> dict[str, list[str]]:
    """Noun lemma -> its synset offsets, most frequent sense first."""
    senses: dict[str, list[str]] = {}
    for line in (wordnet / "index.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        parts = line.split()
        n_synsets, n_pointers = int(parts[2]), int(parts[3])
        senses[parts[0]] = parts[4 + n_pointers + 2 :][:n_synsets]
    return senses


def read_synsets(
    wordnet: Path,
) -> tuple[dict[str, list[str]], dict[str, dict[str, set[str]]], dict[str, int]]:
    """Synset offset -> its lemmas, its pointers by kind (``@`` hypernym, ``~`` hyponym) and
    its lexicographer file (the kind of thing it names: 6 artifact, 5 animal, ...)."""
    lemmas: dict[str, list[str]] = {}
    lexfile: dict[str, int] = {}
    links: dict[str, dict[str, set[str]]] = {}
    for line in (wordnet / "data.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        parts = line.split(" | ")[0].split()
        offset, n_words = parts[0], int(parts[3], 16)
        lexfile[offset] = int(parts[1])
        lemmas[offset] = [parts[4 + 2 * i].lower() for i in range(n_words)]
        k = 4 + 2 * n_words
        n_ptr = int(parts[k])
        kinds: dict[str, set[str]] = defaultdict(set)
        for i in range(n_ptr):
            symbol, target, pos = parts[k + 1 + 4 * i : k + 4 + 4 * i]
            if pos == "n":
                kinds[symbol[:1] if symbol[:1] in "@~" else symbol].add(target)
        links[offset] = kinds
    return lemmas, links, lexfile


def substitutions(wordnet: Path, min_zipf: float, max_zipf: float) -> list[tuple[str, str, str]]:
    """``(substitute, word it stands for, the sense that links them)``, sorted."""
    from wordfreq import zipf_frequency

    senses = read_index(wordnet)
    lemmas, links, lexfile = read_synsets(wordnet)

    def common(word: str) -> bool:
        return word.isalpha() and min_zipf <= zipf_frequency(word, "en") <= max_zipf

    def near(offset: str) -> set[str]:
        """The words of a synset, its hypernyms, hyponyms and their hyponyms."""
        around = {offset} | links[offset]["@"] | links[offset]["~"]
        for o in list(links[offset]["~"]):
            around |= links[o]["~"]
        return {w for o in around for w in lemmas[o]}

    rows: set[tuple[str, str, str]] = set()
    for h, offsets in senses.items():
        if len(offsets) < 2 or not common(h):
            continue
        first = near(offsets[0])
        for other in offsets[1:]:
            via = lemmas[other][0]
            for o in links[other]["~"]:
                if lexfile[o] not in CONCRETE:
                    continue
                for w in lemmas[o]:
                    if w != h and w not in first and common(w) and not _inflected(w, h):
                        rows.add((w, h, via))
    return sorted(rows)


def _inflected(a: str, b: str) -> bool:
    """One word is the other plus a suffix (a plural, a derived form)."""
    short, long = sorted((a, b), key=len)
    return long.startswith(short)


def main(argv: list[str] | None = None) -> int:
    """Write the table and print how many pairs it holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wordnet", type=Path, default=WORDNET)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--min-zipf", type=float, default=3.0)
    parser.add_argument("--max-zipf", type=float, default=4.6)
    args = parser.parse_args(argv)
    if not (args.wordnet / "index.noun").is_file():
        print(
            f"{args.wordnet}: no WordNet database (apt-get install wordnet-base)", file=sys.stderr
        )
        return 2
    rows = substitutions(args.wordnet, args.min_zipf, args.max_zipf)
    header = "# substitute\tstands for\tvia sense (built by python -m bench.garble_substitutions)\n"
    args.out.write_text(header + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    words = {r[0] for r in rows}
    print(f"{args.out}: {len(rows):,} pairs, {len(words):,} substitutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
