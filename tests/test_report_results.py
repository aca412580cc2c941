"""The results document's entries: values made JSON-ready a column at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.report import results
from audit.report.results import _plain, _plain_rows


def table(n: int) -> pd.DataFrame:
    """A documents table with a column of every kind a run's table holds."""
    rng = np.random.default_rng(7)
    floats = rng.random(n)
    floats[::3] = np.nan
    return pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(n)],
            "f64": floats,
            "f32": floats.astype(np.float32),
            "i64": np.arange(n, dtype=np.int64),
            "u8": np.arange(n, dtype=np.uint8),
            "flag": np.arange(n) % 2 == 0,
            "nullable": pd.array([None if i % 4 == 0 else i for i in range(n)], dtype="Int64"),
            "text": pd.array([None if i % 5 == 0 else f"t{i}" for i in range(n)], dtype="string"),
            "when": pd.to_datetime(["2024-01-02" if i % 6 else None for i in range(n)]),
            "objects": [[i] if i % 2 else np.float64(i / 2) for i in range(n)],
        }
    )


@pytest.mark.parametrize("block", [3, 8192])
def test_plain_rows_give_what_plain_gives_value_by_value(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(results, "_BLOCK", block)
    docs = table(20)
    want = [tuple(_plain(v) for v in row) for row in docs.itertuples(index=False, name=None)]
    got = list(_plain_rows(docs))
    assert len(got) == 20
    for a, b in zip(got, want, strict=True):
        assert a == b
        assert [type(v) for v in a] == [type(v) for v in b]
    assert got[0][1] is None and got[0][6] is None and got[0][7] is None  # NaN, NA: None
    assert type(got[1][3]) is int and type(got[1][5]) is bool and type(got[2][9]) is float


def test_plain_rows_of_an_empty_table() -> None:
    assert list(_plain_rows(table(0))) == []
