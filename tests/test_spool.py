"""The spool: heavy columns on disk, compact tables in memory, outputs identical."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from audit.config import InputSettings, Settings
from audit.dedup import (
    INTERNAL_COLUMNS,
    apply_outcome,
    dedup_corpus,
    drop_internal,
    search_corpus,
)
from audit.gate import decide
from audit.ingest import read_chunks
from audit.model import Chunk, Corpus
from audit.parallel import SideTask
from audit.pipeline import process_chunk, run_audit
from audit.report.files import dumps
from audit.report.results import build_results
from audit.spool import Spool, SpooledDocument, pack, process_packed
from tests.conftest import SEEDS


def parsed_chunks(paths: list[str], chunk_size: int) -> list[Chunk]:
    """The per-chunk stages over ``paths``, chunk by chunk, without spilling."""
    settings = Settings(paths=tuple(paths), inputs=InputSettings(chunk_size=chunk_size))
    chunks = read_chunks(settings.paths, settings.inputs)
    return [process_chunk(r, settings, dt.date(2024, 6, 1)) for r in chunks]


def deduped_copy(chunks: list[Chunk], settings: Settings) -> Corpus:
    """The chunks joined from copies (the chunks stay as they are), deduplicated in memory."""
    corpus = Corpus.concat(
        [Chunk(c.documents.copy(), c.paragraphs.copy(), list(c.findings)) for c in chunks]
    )
    dedup_corpus(corpus, settings.dedup)
    return corpus


def odd_batch(folder: Path) -> str:
    """A JSONL batch with unicode, empty texts and nested records."""
    rows: list[dict[str, Any]] = [
        {"id": "u", "title": "Ünïcode", "text": "Café in Zürich\n\nA line — with dashes.\r\n"},
        {"id": "e", "text": ""},
        {"id": "n", "text": "Nested record here.", "extra": {"a": [1, 2, {"b": None}]}},
        {"id": "s", "text": "Emoji 🎉 and\u2028a line separator."},
        {"id": "w", "text": "Only a few words here, not five hundred.", "word_count": 500},
    ]
    path = folder / "odd.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return str(path)


def test_pack_and_spool_give_back_every_heavy_value(tmp_path: Path) -> None:
    chunks = parsed_chunks([str(SEEDS), odd_batch(tmp_path)], chunk_size=3)
    originals = Corpus.concat(chunks)
    with Spool(tmp_path / "spool") as spool:
        compact = Corpus.concat([spool.add(pack(c)) for c in chunks])
        assert "text" not in compact.documents.columns
        assert "text" not in compact.paragraphs.columns
        assert len(compact.documents) == spool.n_documents == len(originals.documents)
        rows = list(spool.documents(compact.paragraphs))
        for i, (doc, row) in enumerate(
            zip(originals.documents.to_dict("records"), rows, strict=True)
        ):
            assert row["doc_id"] == doc["doc_id"]
            assert row["text"] == doc["text"] and row["meta"] == doc["meta"]
            assert row["record"] == doc["record"]
            assert spool.row(i, compact.paragraphs) == row
            assert spool.column("text")[i] == doc["text"]
            want = originals.paragraphs[originals.paragraphs["doc_id"] == doc["doc_id"]]
            assert [p["text"] for p in row["paragraphs"]] == list(want["text"])
            assert [p["role"] for p in row["paragraphs"]] == list(want["role"])
            assert [p["line"] for p in row["paragraphs"]] == list(want["line"])
    assert not (tmp_path / "spool").exists()


def test_paragraphs_that_are_not_slices_or_out_of_order_are_kept(tmp_path: Path) -> None:
    docs = [{"doc_id": "a", "text": "one\ntwo"}, {"doc_id": "b", "text": "three"}]
    paras = [
        {"doc_id": "b", "idx": 0, "text": "three", "role": "body", "start": 0, "end": 5},
        {"doc_id": "a", "idx": 0, "text": "ONE", "role": "title", "start": 0, "end": 3},
        {"doc_id": "a", "idx": 1, "text": "two", "role": "body", "start": 4, "end": 7},
    ]
    chunk = Chunk.from_records(docs, paras)
    with Spool(tmp_path / "s") as spool:
        compact = spool.add(pack(chunk))
        assert list(compact.paragraphs["doc_id"]) == ["a", "a", "b"]
        got = {r["doc_id"]: r["paragraphs"] for r in spool.documents(compact.paragraphs)}
    assert [p["text"] for p in got["a"]] == ["ONE", "two"]
    assert [p["text"] for p in got["b"]] == ["three"]


def test_streamed_results_put_back_every_paragraph(tmp_path: Path) -> None:
    paths = [str(SEEDS), odd_batch(tmp_path)]
    full = Corpus.concat(parsed_chunks(paths, chunk_size=2))
    result = run_audit(
        Settings(paths=tuple(paths), out=str(tmp_path / "out"), inputs=InputSettings(chunk_size=2))
    )
    assert result.run_dir is not None
    on_disk = json.loads(Path(result.run_dir, "results.json").read_text(encoding="utf-8"))
    in_memory = json.loads(dumps(result.results))
    for doc in on_disk["documents"]:
        want = full.paragraphs[full.paragraphs["doc_id"] == doc["doc_id"]]
        paragraphs = doc.pop("paragraphs")
        assert [p["text"] for p in paragraphs] == list(want["text"])
        assert [(p["idx"], p["line"], p["start"], p["end"]) for p in paragraphs] == list(
            zip(want["idx"], want["line"], want["start"], want["end"], strict=True)
        )
    for doc in in_memory["documents"]:
        doc.pop("paragraphs", None)
    assert on_disk["documents"] == in_memory["documents"]
    assert on_disk["clusters"] == in_memory["clusters"]
    assert on_disk["expectations"] == in_memory["expectations"]
    lines = [
        json.loads(line)
        for name in ("accepted.jsonl", "quarantined.jsonl")
        for line in Path(result.run_dir, name).read_text(encoding="utf-8").split("\n")
        if line
    ]
    assert sorted(r["doc_id"] for r in lines) == sorted(full.documents["doc_id"])
    by_id = {r["doc_id"]: r for r in lines}
    assert by_id["n"]["record"]["extra"] == {"a": [1, 2, {"b": None}]}
    assert by_id["u"]["record"]["text"] == "Café in Zürich\n\nA line — with dashes.\r\n"
    assert not list((tmp_path / "out").glob(".audit-spool-*"))
    # a failed expectation's finding carries the evidence the spool kept on disk
    [mismatch] = [f for f in by_id["w"]["findings"] if f["check"] == "word_count_mismatch"]
    assert mismatch["evidence"]["claimed"] == 500 and mismatch["evidence"]["expectations"]


def test_chunk_size_does_not_change_the_results(tmp_path: Path) -> None:
    paths = (str(SEEDS), odd_batch(tmp_path))
    outs = []
    for size in (1, 3, 10_000):
        settings = Settings(paths=paths, inputs=InputSettings(chunk_size=size))
        results = run_audit(settings, write=False).results
        outs.append({k: v for k, v in results.items() if k != "run"})
    assert outs[0] == outs[1] == outs[2]


def test_results_documents_load_their_paragraphs_while_the_spool_is_open(
    tmp_path: Path,
) -> None:
    chunks = parsed_chunks([str(SEEDS)], chunk_size=2)
    spool = Spool(tmp_path / "s")
    compact = Corpus.concat([spool.add(pack(c)) for c in chunks])
    compact.spool = spool
    dedup_corpus(compact, Settings().dedup)
    gate = decide(list(compact.documents["doc_id"]), compact.findings, "error")
    results = build_results(compact, gate.verdicts, gate.to_dict(), {}, paragraphs=False)
    docs = results["documents"]
    assert "paragraphs" not in docs[0]
    spool.lazy_paragraphs(docs, compact.paragraphs)
    assert isinstance(docs[1], SpooledDocument)
    assert docs[1].get("paragraphs")[0]["text"]
    assert "paragraphs" in docs[2] and docs[2]["paragraphs"]
    spool.close()
    assert docs[3].get("paragraphs") is None and "paragraphs" not in docs[3]


def test_memory_grows_only_with_the_compact_data(tmp_path: Path) -> None:
    text = "\n".join(f"Paragraph {i} of a long document. " * 20 for i in range(30))
    chunk = Chunk.from_records(
        [{"doc_id": f"d{i}", "text": text, "record": {"text": text}} for i in range(200)]
    )
    packed = pack(chunk)
    with Spool(tmp_path / "s") as spool:
        spool.add(packed)  # first add opens the files
        tracemalloc.start()
        try:
            for _ in range(50):  # 10,000 documents of 20 KB: 200 MB of text
                spool.add(pack(chunk))
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert spool.bytes > 200_000_000
    # what stays per document is its offsets, not its text
    assert held < 10_000 * 100


def test_process_packed_reports_per_chunk_times(tmp_path: Path) -> None:
    records = next(read_chunks([str(SEEDS)], InputSettings()))
    packed = process_packed(records, (partial(process_chunk, today=dt.date.today()), Settings()))
    assert packed.n_documents == 4
    assert {"parse", "signals", "pack"} <= set(packed.times)
    assert all(v >= 0 for v in packed.times.values())


def test_spooled_column_refuses_slices(tmp_path: Path) -> None:
    with Spool(tmp_path / "s") as spool:
        spool.add(pack(Chunk.from_records([{"doc_id": "a", "text": "x"}])))
        col = spool.column("text")
        assert len(col) == 1 and col[-1] == "x" and list(col) == ["x"]
        with pytest.raises(TypeError):
            col[0:1]
        with pytest.raises(IndexError):
            col[1]
        assert pd.isna(spool.row(0)["meta"]) or spool.row(0)["meta"] is None


def test_a_compact_chunk_does_not_keep_the_heavy_columns_alive(tmp_path: Path) -> None:
    def compact_of_big_chunk() -> Chunk:
        text = "A fairly long paragraph of text that repeats. " * 400  # 18 KB
        docs = [
            {"doc_id": f"d{i}", "text": text + str(i), "record": {"text": text + str(i)}}
            for i in range(300)
        ]
        return pack(Chunk.from_records(docs)).chunk

    tracemalloc.start()
    try:
        compact = compact_of_big_chunk()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(compact.documents) == 300
    assert held < 300 * 2_000  # the 5 MB of text is gone; a few hundred bytes per row stay


def test_dedup_over_spilled_columns_equals_dedup_in_memory(tmp_path: Path) -> None:
    from tests.test_engine import write_batch

    batch = write_batch(tmp_path)
    footer = "Follow our newsroom on every social network for more local stories each day."
    rows = [
        {
            "id": f"t{i}",
            "url": f"https://templated.example/news/{i}",
            "text": f"Headline {i}\n\n{body}\n\n{footer}",
        }
        for i, body in enumerate(
            [
                "The council approved the budget for the new bridge after a long debate.",
                "Farmers say the late rain saved the harvest in the northern valleys.",
                "The hospital opened a second wing for children and their families.",
                "Police closed the harbour road after a truck lost its load of timber.",
            ]
        )
    ]
    templated = tmp_path / "templated.jsonl"
    templated.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    settings = Settings(paths=(str(batch), str(templated)), inputs=InputSettings(chunk_size=4))
    chunks = parsed_chunks(list(settings.paths), chunk_size=4)
    in_memory = deduped_copy(chunks, settings)
    with Spool(tmp_path / "s") as spool:
        streamed = Corpus.concat([spool.add(pack(c)) for c in chunks])
        streamed.spool = spool
        assert "body_text" not in streamed.documents.columns
        assert "signature" not in streamed.documents.columns and spool.has_matrix("signature")
        dedup_corpus(streamed, settings.dedup)
    assert [c.to_dict() for c in streamed.clusters] == [c.to_dict() for c in in_memory.clusters]
    assert {c.kind for c in streamed.clusters} >= {"exact", "near"}
    assert [f.to_dict() for f in streamed.findings] == [f.to_dict() for f in in_memory.findings]
    roles = ["doc_id", "idx", "role", "reason"]
    # the same values; the compact table keeps offsets and indexes as 32-bit integers,
    # roles and reasons as categories
    pd.testing.assert_frame_equal(
        streamed.paragraphs[roles].astype(object),
        in_memory.paragraphs[roles].astype(object),
        check_dtype=False,
    )
    assert "source_template" in set(streamed.paragraphs["reason"])
    # chunks with different reasons join into one categorical column (a byte a row)
    assert len({tuple(c.paragraphs["reason"].unique()) for c in chunks}) > 1
    assert all(streamed.paragraphs[c].dtype == "category" for c in ("role", "reason"))


def test_packed_paragraphs_keep_only_what_the_outputs_read() -> None:
    docs = [{"doc_id": "a", "text": "one\ntwo"}]
    paras = [
        {"doc_id": "a", "idx": 0, "text": "one", "role": "title", "start": 0, "end": 3, "line": 1},
        {"doc_id": "a", "idx": 1, "text": "two", "role": "body", "start": 4, "end": 7, "line": 2},
    ]
    chunk = Chunk.from_records(docs, paras)
    chunk.paragraphs["digest"] = np.array([1, 2], dtype=np.uint64)  # a per-chunk working column
    compact = pack(chunk).chunk.paragraphs
    assert "digest" not in compact.columns and "text" not in compact.columns
    assert {compact[c].dtype for c in ("idx", "line", "start", "end")} == {np.dtype(np.int32)}
    assert compact["end"].tolist() == [3, 7]


def test_equal_values_of_a_chunk_become_one_object_and_stay_equal() -> None:
    from audit.spool import _share_repeats

    n = 80
    docs = pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(n)],  # all different: left alone
            "source": ["".join(["batch", ".jsonl"]) for _ in range(n)],
            "count": [1000 + i % 3 for i in range(n)],
            "mixed": [[1, 1.0, True, 0.0, -0.0][i % 5] for i in range(n)],
            # equal but not the same: never merged
            "other": [
                [np.float64(0.0), np.float64(-0.0), (True,), (1.0,), Decimal("1.0"), None][i % 6]
                for i in range(n)
            ],
            "problems": [[] for _ in range(n)],
            "dates": [["2024-01-01"] for _ in range(n)],
            "score": np.linspace(0, 1, n),  # not an object column
        }
    ).astype({"source": object, "count": object, "mixed": object, "other": object})
    before = docs.copy(deep=True)
    shared = _share_repeats(docs.copy(deep=True))
    for c in docs.columns:
        pairs = zip(shared[c].tolist(), before[c].tolist(), strict=True)
        assert all(a == b and type(a) is type(b) for a, b in pairs), c
    for c in ("mixed", "other"):  # -0.0 kept, (1.0,) not made (True,), ...
        assert [repr(v) for v in shared[c]] == [repr(v) for v in before[c]]
    assert len({id(v) for v in shared["source"]}) == 1
    assert len({id(v) for v in shared["count"]}) == 3
    assert len({id(v) for v in shared["mixed"]}) == 5  # 1, 1.0 and True are not merged
    assert len({id(v) for v in shared["problems"]}) == 1
    assert len({id(v) for v in shared["dates"]}) == n  # a list with values is its own


def test_a_chunk_without_paragraphs_keeps_the_joined_roles_categorical(tmp_path: Path) -> None:
    texts = Chunk.from_records(
        [{"doc_id": "a", "text": "Hello."}],
        [
            {
                "doc_id": "a",
                "idx": 0,
                "text": "Hello.",
                "role": "body",
                "reason": "body",
                "line": 1,
                "start": 0,
                "end": 6,
            }
        ],
    )
    empty = Chunk.from_records([{"doc_id": "b", "text": ""}])
    with Spool(tmp_path / "s") as spool:
        joined = Corpus.concat([spool.add(pack(texts)), spool.add(pack(empty))])
    assert joined.paragraphs["role"].dtype == "category"
    assert joined.paragraphs["role"].tolist() == ["body"]


def test_a_forked_search_over_the_spool_finds_what_the_search_finds_here(tmp_path: Path) -> None:
    from tests.test_engine import write_batch

    settings = Settings(paths=(str(write_batch(tmp_path)),), inputs=InputSettings(chunk_size=4))
    chunks = parsed_chunks(list(settings.paths), chunk_size=4)
    in_memory = deduped_copy(chunks, settings)
    with Spool(tmp_path / "s") as spool:
        streamed = Corpus.concat([spool.add(pack(c)) for c in chunks])
        streamed.spool = spool
        columns, findings = list(streamed.documents.columns), len(streamed.findings)
        spool.flush()
        with SideTask(partial(search_corpus, streamed, settings.dedup), fork=True) as task:
            outcome = task.join()
        # the search left the corpus as it was; the run applies what it found
        assert list(streamed.documents.columns) == columns
        assert len(streamed.findings) == findings and not streamed.clusters
        drop_internal(streamed)
        apply_outcome(streamed, outcome)
    assert outcome.clusters and [c.to_dict() for c in streamed.clusters] == [
        c.to_dict() for c in in_memory.clusters
    ]
    assert [f.to_dict() for f in streamed.findings] == [f.to_dict() for f in in_memory.findings]
    assert not set(INTERNAL_COLUMNS) & set(streamed.documents.columns)


def test_a_forked_reader_does_not_write_the_spools_buffers_again(tmp_path: Path) -> None:
    batch = tmp_path / "short.jsonl"
    rows = [{"id": f"s{i}", "text": f"Short story number {i}.\n\nIt ends here."} for i in range(4)]
    batch.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    chunks = parsed_chunks([str(batch)], chunk_size=2)
    with Spool(tmp_path / "s") as spool:
        spool.add(pack(chunks[0]))  # small enough to wait in the files' buffers
        spool.flush()
        # the child's read flushes its copy of the buffers: empty, as they were flushed here
        with SideTask(lambda: spool.column("text")[1], fork=True) as task:
            second = task.join()
        spool.add(pack(chunks[1]))
        texts = [spool.column("text")[i] for i in range(spool.n_documents)]
    originals = Corpus.concat(chunks).documents["text"].tolist()
    assert second == originals[1]
    assert texts == originals
