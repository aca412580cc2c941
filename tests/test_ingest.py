"""Readers: text dumps, JSONL, CSV/TSV, Parquet, gzip, and bad input."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pandas as pd

from audit.config import InputSettings
from audit.ingest import iter_records, read_chunks
from audit.ingest.decode import decode_bytes


def records(*paths: Path | str, **kw) -> list[dict]:
    """Every record read from ``paths``."""
    return list(iter_records([str(p) for p in paths], InputSettings(**kw)))


def test_text_dumps_recursive_with_globs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("First article.")
    (tmp_path / "two.txt").write_text("Second article.")
    (tmp_path / "skip.txt").write_text("Skipped.")
    got = records(tmp_path, exclude=("skip*",))
    assert [r["doc_id"] for r in got] == ["a/one.txt", "two.txt"]
    assert got[0]["text"] == "First article." and got[0]["encoding"] == "utf-8"
    only = records(tmp_path, include=("a/*",))
    assert [r["doc_id"] for r in only] == ["a/one.txt"]


def test_encodings_are_detected_and_recorded(tmp_path: Path) -> None:
    text = "Le café de la gare a rouvert ses portes après des années de travaux."
    (tmp_path / "cp.txt").write_bytes(text.encode("cp1252"))
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))
    got = {r["doc_id"]: r for r in records(tmp_path)}
    assert got["cp.txt"]["text"] == text and got["cp.txt"]["encoding"] != "utf-8"
    assert got["u16.txt"]["text"] == text and got["u16.txt"]["encoding"] == "utf-16"
    assert decode_bytes(b"").error == "empty file"


def test_bad_files_become_error_records(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "data.xyz").write_text("?")
    got = {r["doc_id"]: r for r in records(tmp_path, tmp_path / "missing")}
    assert got["empty.txt"]["read_error"] == "empty file"
    assert got["bin.txt"]["read_error"].startswith("binary file")
    assert "unsupported file type .xyz" in got["data.xyz"]["read_error"]
    assert got[str(tmp_path / "missing")]["read_error"] == "no such file or folder"


def test_jsonl_with_a_malformed_line_and_wrong_types(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    rows = [
        json.dumps(
            {
                "id": "a",
                "text": "Body a.",
                "headline": "T",
                "link": "https://x.org/1",
                "date": "2024-01-02",
                "word_count": 2,
                "extra": {"k": 1},
            }
        ),
        "{not json",
        json.dumps({"id": "c", "text": "Body c.", "published": 12}),
        json.dumps(["a", "list"]),
    ]
    path.write_text("\n".join(rows) + "\n")
    got = records(path)
    assert [r["doc_id"] for r in got] == ["a", "batch.jsonl:2", "c", "batch.jsonl:4"]
    a = got[0]
    assert (a["title"], a["url"], a["published"], a["claimed_word_count"]) == (
        "T",
        "https://x.org/1",
        "2024-01-02",
        2,
    )
    assert a["meta"] == {"extra": {"k": 1}} and a["record"]["headline"] == "T"
    assert "batch.jsonl:2: invalid JSON" in got[1]["read_error"]
    assert got[2]["published"] is None and "published is int" in got[2]["problems"][0]
    assert "record is list" in got[3]["read_error"]


def test_jsonl_values_read_as_the_standard_library_reads_them(tmp_path: Path) -> None:
    wide = "123456789012345678901234567890"
    lines = [
        '{"id": ' + wide + ', "text": "Body.", "n": -9223372036854775809}',
        '{"id": "f", "text": "Body.", "x": [0.1, -0.0, 1.5e300, 2e-400, 18446744073709551615]}',
        '{"id": "d", "text": "Body.", "d": ' + "[" * 99 + "]" * 99 + "}",
        '{"id": "e", "text": "Body.", "d": ' + "[" * 100 + "]" * 100 + "}",
    ]
    path = tmp_path / "values.jsonl"
    path.write_text("\n".join(lines) + "\n")
    got = records(path)
    assert got[0]["doc_id"] == wide  # every digit, not a float's 17
    assert got[0]["meta"]["n"] == -9223372036854775809
    assert got[1]["meta"]["x"] == json.loads(lines[1])["x"]
    assert [type(v) for v in got[1]["meta"]["x"]] == [float, float, float, float, int]
    assert "d" in got[2]["meta"]  # 100 levels with the record itself: read
    assert "nested more than 100" in got[3]["read_error"]


def test_csv_tsv_and_column_mapping(tmp_path: Path) -> None:
    csv_path = tmp_path / "a.csv"
    pd.DataFrame({"story": ['He said "hi",\nthen left.'], "key": ["k1"]}).to_csv(
        csv_path, index=False
    )
    got = records(csv_path, columns={"text": "story"})
    assert got[0]["doc_id"] == "k1" and got[0]["text"] == 'He said "hi",\nthen left.'
    tsv = tmp_path / "b.tsv"
    tsv.write_text("id\tbody\n1\tHello there.\n")
    assert records(tsv)[0]["text"] == "Hello there."
    no_text = tmp_path / "c.csv"
    no_text.write_text("id,title\n1,x\n")
    err = records(no_text)
    assert len(err) == 1 and err[0]["read_error"].startswith("no text column")


def test_parquet_and_gzip(tmp_path: Path) -> None:
    pq = tmp_path / "t.parquet"
    pd.DataFrame(
        {
            "id": ["p1", "p2"],
            "text": ["One.", "Two."],
            "published": pd.to_datetime(["2023-01-01", "2023-02-01"]),
        }
    ).to_parquet(pq)
    got = records(pq)
    assert [r["doc_id"] for r in got] == ["p1", "p2"]
    assert got[0]["published"].startswith("2023-01-01")
    gz = tmp_path / "z.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"id": "g", "text": "Zipped."}\n'))
    txt = tmp_path / "d.txt.gz"
    txt.write_bytes(gzip.compress(b"Zipped text."))
    got = {r["doc_id"]: r for r in records(gz, txt)}
    assert got["g"]["text"] == "Zipped." and got["d.txt.gz"]["text"] == "Zipped text."
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 nope")
    assert records(tmp_path / "broken.parquet")[0]["read_error"].startswith("not a readable")


def test_duplicate_ids_are_made_unique_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "x", "text": "a"}\n{"id": "x", "text": "b"}\n')
    got = records(path)
    assert [r["doc_id"] for r in got] == ["x", "x#2"]
    assert "already used" in got[1]["problems"][0]


def test_chunks_and_limits(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": "t"}) + "\n" for i in range(25)))
    sizes = [len(c) for c in read_chunks([str(path)], InputSettings(chunk_size=10))]
    assert sizes == [10, 10, 5]
    limited = records(path, max_documents=20)
    assert len(limited) == 21  # the unread rest of the file is one record
    assert limited[20]["resource_limit"] and limited[20]["doc_id"] == "many.jsonl:21"
    assert "max_documents (20) reached" in limited[20]["read_error"]
    big = tmp_path / "big.txt"
    big.write_text("x " * 100)
    assert "exceeds max_doc_bytes" in records(big, max_doc_bytes=50)[0]["read_error"]


def test_utf8_tables_are_streamed_with_the_same_lines_as_a_whole_read(tmp_path: Path) -> None:
    from audit.ingest.readers import stream_lines, streamable_encoding

    rows = [{"id": "a", "text": "line\u2028separator inside"}, {"id": "b", "text": "café"}]
    body = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n{bad\r\n"
    plain = tmp_path / "s.jsonl"
    plain.write_bytes(codecs.BOM_UTF8 + body.encode("utf-8"))
    gz = tmp_path / "s2.jsonl.gz"
    gz.write_bytes(gzip.compress(body.encode("utf-8")))
    assert streamable_encoding(plain) == "utf-8-sig" and streamable_encoding(gz) == "utf-8"
    assert list(stream_lines(gz, "utf-8")) == body.split("\n")[:-1]
    got = records(plain)
    assert [r["doc_id"] for r in got] == ["a", "b", "s.jsonl:4"]
    assert got[0]["text"] == rows[0]["text"] and got[0]["encoding"] == "utf-8-sig"
    assert "invalid JSON" in got[2]["read_error"]
    assert [r["text"] for r in records(gz)][:2] == [r["text"] for r in rows]
    legacy = tmp_path / "l.jsonl"
    legacy.write_bytes(body.replace("café", "caf\xe9").encode("latin-1", errors="replace"))
    assert streamable_encoding(legacy) is None
    assert [r["doc_id"] for r in records(legacy)] == ["a", "b", "l.jsonl:4"]
    csv_path = tmp_path / "m.csv"
    csv_path.write_text('id,text\r\nx,"two\nlines"\r\ny,plain\r\n', encoding="utf-8")
    streamed = [(r["doc_id"], r["text"], r["line"]) for r in records(csv_path)]
    assert streamed == [("x", "two\nlines", 2), ("y", "plain", 4)]
    whole = tmp_path / "w.csv"  # one windows-1252 byte: read whole, the same rows come out
    whole.write_bytes(csv_path.read_bytes().replace(b"plain", b"plain\xe9"))
    got = [(r["doc_id"], r["text"], r["line"]) for r in records(whole)]
    assert got == [("x", "two\nlines", 2), ("y", "plainé", 4)]


def test_a_large_jsonl_file_is_read_in_bounded_memory(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "big.jsonl"
    line = json.dumps({"text": "word " * 2000}) + "\n"
    path.write_text(line * 3000, encoding="utf-8")  # 30 MB
    tracemalloc.start()
    try:
        n = sum(1 for _ in iter_records([str(path)], InputSettings()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 3000
    assert peak < 3_000_000
