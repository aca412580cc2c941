"""Data for the garbled-text detector: MLQE-PE sentences, Lee news articles, seed bodies.

All paths are inside the repository (``bench/data/``, ``seeds/``); see the
NOTICE files there for origin and licence.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MLQE_DIR = ROOT / "bench" / "data" / "mlqe-pe"
LEE_DIR = ROOT / "bench" / "data" / "lee"
SEEDS_DIR = ROOT / "seeds"

LEE_TRAIN = ("lee_background.cor",)  # training and calibration
LEE_HELD_OUT = ("lee.cor",)  # only for evaluation
GARBLED_BELOW = 30.0  # human mean score under this: garbled
CLEAN_FROM = 80.0  # human mean score at least this: clean

# 1-based line numbers of the article body of each seed (title, widgets, related
# links, metadata and credits left out), as a reader of the page would mark them.
SEED_BODY_LINES: dict[str, tuple[int, ...]] = {
    "000": tuple(range(1, 16)),
    "001": (6, 9, 12, 15),
    "002": (6, 8, 10, 12, 15, 17, 19, 21, 24, 26, 28, 30, 33, 35),
    "003": (5, 7, 9, 11, 13, 15, 17, 19, 21),
}


@dataclass(frozen=True)
class Labelled:
    """Sentences with a binary label (1 garbled, 0 clean) and their language pair."""

    texts: list[str]
    labels: list[int]
    pairs: list[str]
    means: list[float]


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_mlqe(split: str) -> Labelled:
    """Rows of ``bench/data/mlqe-pe/{split}.tsv`` with mean < 30 (garbled) or >= 80 (clean)."""
    texts: list[str] = []
    labels: list[int] = []
    pairs: list[str] = []
    means: list[float] = []
    with (MLQE_DIR / f"{split}.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            mean = float(row["mean"])
            if mean < GARBLED_BELOW:
                labels.append(1)
            elif mean >= CLEAN_FROM:
                labels.append(0)
            else:
                continue
            texts.append(row["translation"])
            pairs.append(row["pair"])
            means.append(mean)
    return Labelled(texts, labels, pairs, means)


def load_lee(files: tuple[str, ...] = ("lee_background.cor", "lee.cor")) -> list[str]:
    """Lee corpus ABC news articles, one string each (the corpus has no paragraph breaks)."""
    docs: list[str] = []
    for name in files:
        raw = (LEE_DIR / name).read_bytes().decode("utf-8", errors="replace")
        docs.extend(line.strip() for line in raw.splitlines() if line.strip())
    return docs


def seed_bodies() -> dict[str, list[str]]:
    """Body paragraphs of each seed document, keyed by the seed's number ("000")."""
    out: dict[str, list[str]] = {}
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        key = path.name[:3]
        lines = path.read_text(encoding="utf-8").splitlines()
        wanted = SEED_BODY_LINES.get(key, ())
        out[key] = [lines[i - 1].strip() for i in wanted if i - 1 < len(lines)]
    return out


def roc_auc(labels: list[int], scores: list[float]) -> float:
    """ROC AUC (probability a garbled item outscores a clean one; ties count half)."""
    import numpy as np

    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # average ranks over ties
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        raise ValueError("AUC needs both classes")
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))
