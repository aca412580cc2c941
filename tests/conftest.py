"""Shared fixtures: the seeds folder and a parsed chunk of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.config import InputSettings
from audit.ingest import read_chunks
from audit.model import Chunk
from audit.parse import parse_records

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
S000 = "000_47d7c464364b9f17.txt"
S001 = "001_b23b02f86b4cdb33.txt"
S002 = "002_907f819419d8924e.txt"
S003 = "003_f03b14ade0a012dc.txt"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The seeds folder of the repository."""
    return SEEDS


@pytest.fixture()
def seed_chunk() -> Chunk:
    """The four seeds, read and parsed."""
    records = next(read_chunks([str(SEEDS)], InputSettings()))
    return parse_records(records)
