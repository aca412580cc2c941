"""Hostile input: every case ends in a clear finding, the rest of the batch is audited,
and every input document is in exactly one of accepted.jsonl and quarantined.jsonl.

Each test builds a small batch next to an ordinary document (``control.txt``) and runs
``audit run`` on it through the command line (see ``tests.conftest.audit_run`` for the
invariants every run is held to).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import CONTROL_TEXT, ROOT, assert_control_audited, assert_read, audit_run

MB = 1_000_000


def batch(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    """A folder holding ``control.txt`` and ``files``."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "control.txt").write_text(CONTROL_TEXT)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return folder


def config(tmp_path: Path, text: str) -> str:
    """A settings file holding ``text``."""
    path = tmp_path / "audit.toml"
    path.write_text(text)
    return str(path)


def body(doc: dict) -> str:
    """The text of a document's paragraphs, one per line."""
    return "\n".join(p["text"] for p in doc["paragraphs"])


def test_empty_inputs(tmp_path: Path) -> None:
    folder = batch(
        tmp_path,
        {
            "empty.txt": b"",
            "blank.txt": " \n\n\t\n",
            "empty.jsonl": b"",
            "blank_lines.jsonl": "\n\n  \n",
            "header_only.csv": "id,text\n",
            "empty.csv": b"",
            "empty.txt.gz": gzip.compress(b""),
        },
    )
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}),
                   folder / "no_rows.parquet")  # fmt: skip
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=9)
    assert_control_audited(run)
    for doc_id in ("empty.txt", "empty.jsonl", "empty.csv", "empty.txt.gz"):
        assert "empty file" in run.finding(doc_id, "unreadable_input")["message"]
    for doc_id in ("blank_lines.jsonl", "header_only.csv", "no_rows.parquet"):
        assert run.finding(doc_id, "unreadable_input")["message"].endswith(
            "no documents in the file"
        )
    assert run.docs["blank.txt"]["paragraphs"] == []
    assert run.code == 1


def test_binary_files(tmp_path: Path) -> None:
    rng = random.Random(7)
    noise = rng.randbytes(20_000)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise[:2000]
    folder = batch(
        tmp_path,
        {
            "noise.txt": noise,
            "image.txt": png,
            "noise.jsonl": noise,
            "noise.csv": noise,
            "noise.parquet": noise,
            "noise.txt.gz": gzip.compress(noise),
            "corrupt.txt.gz": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + noise[:500],
            "truncated.jsonl.gz": gzip.compress(b'{"id": "z", "text": "x"}\n' * 50)[:40],
            "photo.jpg": b"\xff\xd8\xff\xe0" + noise[:1000],
        },
    )
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=10)
    assert_control_audited(run)
    for doc_id in ("noise.txt", "image.txt", "noise.jsonl", "noise.csv", "noise.txt.gz"):
        assert "binary file" in run.finding(doc_id, "unreadable_input")["message"], doc_id
    assert (
        "not a readable Parquet file" in run.finding("noise.parquet", "unreadable_input")["message"]
    )
    for doc_id in ("corrupt.txt.gz", "truncated.jsonl.gz"):
        assert "cannot read file" in run.finding(doc_id, "unreadable_input")["message"], doc_id
    assert "unsupported file type .jpg" in run.finding("photo.jpg", "unreadable_input")["message"]


def test_encodings_are_decoded_or_flagged(tmp_path: Path) -> None:
    french = (
        "Le café “Au Bon Coin” a rouvert après des années de travaux.\n"
        "Les élèves ont visité la forêt près du château où naît la rivière."
    )
    japanese = "東京都は本日、新しい交通政策を発表しました。市民の生活に大きな影響があります。"
    utf8 = "Un résumé des décisions prises lors de la réunion du conseil municipal."
    folder = batch(
        tmp_path,
        {
            "utf16le.txt": french.encode("utf-16"),
            "utf16be.txt": b"\xfe\xff" + french.encode("utf-16-be"),
            "utf8bom.txt": b"\xef\xbb\xbf" + french.encode(),
            "cp1252.txt": french.encode("cp1252"),
            "shift_jis.txt": (japanese * 3).encode("shift_jis"),
            # UTF-8 cut inside a multi-byte sequence, plus a windows-1252 quote
            "truncated_utf8.txt": utf8.encode() + b" \x93quoted\x94 caf\xc3",
            "bad_bom.txt": b"\xff\xfe" + b"\x00\xd8",  # UTF-16 BOM, then a lone surrogate
            "mixed.jsonl": b'{"id": "m1", "text": "caf\xc3\xa9 cr\xe8me na\xc3\xafve"}\n'
            + b'{"id": "m2", "text": "Plain line."}\n',
        },
    )
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=10)
    assert_control_audited(run)
    for doc_id, encoding in (
        ("utf16le.txt", "utf-16"),
        ("utf16be.txt", "utf-16"),
        ("utf8bom.txt", "utf-8-sig"),
        ("cp1252.txt", "cp1252"),
    ):
        assert run.docs[doc_id]["encoding"] == encoding, doc_id
        assert body(run.docs[doc_id]) == french, doc_id
    assert run.docs["shift_jis.txt"]["encoding"] in ("cp932", "shift_jis")
    assert body(run.docs["shift_jis.txt"]) == japanese * 3
    truncated = run.docs["truncated_utf8.txt"]
    assert truncated["encoding"] == "utf-8+cp1252"
    assert body(truncated) == utf8 + " “quoted” cafÃ"
    mojibake = run.finding("truncated_utf8.txt", "mojibake")
    assert mojibake["severity"] == "warning" and mojibake["evidence"]["count"] == 3
    assert mojibake["evidence"]["offsets"] == [len(utf8) + 1, len(utf8) + 8, len(utf8) + 13]
    assert "invalid utf-16" in run.finding("bad_bom.txt", "unreadable_input")["message"]
    assert run.docs["m1"]["encoding"] == "utf-8+cp1252"
    assert run.finding("m1", "mojibake")["evidence"]["lines"] == [1]
    assert body(run.docs["m1"]) == "café crème naïve"
    assert "mojibake" not in run.checks("m2")


def test_documents_over_max_doc_bytes_are_refused_in_every_format(tmp_path: Path) -> None:
    huge = ("All work and no play makes a very long document. " * (50 * MB // 50))[: 50 * MB]
    folder = batch(
        tmp_path,
        {
            "huge.txt": huge,
            "bomb.txt.gz": gzip.compress(b"a" * (50 * MB), compresslevel=1),
            "huge.jsonl": json.dumps({"id": "big-line", "text": huge}) + "\n"
            + json.dumps({"id": "small-line", "text": "A small row."}) + "\n",
            # the cell spans lines and is never held: it is skipped to its closing quote
            "huge.csv": f'id,text\nbig-cell,"{huge[:MB]}\n{huge}"\nsmall-cell,A small row.\n',
        },
    )  # fmt: skip
    pq.write_table(
        pa.table({"id": ["big-cell-pq", "small-pq"], "text": [huge, "A small row."]}),
        folder / "huge.parquet",
    )
    size = len(huge)
    del huge
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=9)
    assert_control_audited(run)
    for doc_id in ("huge.txt", "bomb.txt.gz", "huge.jsonl:1", "huge.csv:2", "big-cell-pq"):
        finding = run.finding(doc_id, "resource_limit")
        assert finding["severity"] == "error"
        assert "exceeds max_doc_bytes (20000000)" in finding["message"], doc_id
    assert f"document of {size} bytes" in run.finding("huge.txt", "resource_limit")["message"]
    for doc_id in ("small-line", "small-cell", "small-pq"):
        assert_read(run, doc_id)
    # what was refused is not carried into the outputs
    big = next(r for r in run.quarantined if r["doc_id"] == "big-cell-pq")
    assert big["record"] == {"id": "big-cell-pq"}
    assert (run.run_dir / "quarantined.jsonl").stat().st_size < MB


@pytest.mark.slow
def test_a_50_mb_document_under_a_raised_limit_completes(tmp_path: Path) -> None:
    paragraph = "The committee met on Tuesday to discuss the budget for the coming year. " * 6
    n = 50 * MB // (len(paragraph) + 2)
    folder = batch(tmp_path, {"huge.txt": "A very long page\n\n" + (paragraph + "\n\n") * n})
    cfg = config(tmp_path, "[inputs]\nmax_doc_bytes = 60_000_000\n")
    run = audit_run(str(folder), "--config", cfg, out=tmp_path / "out", n_inputs=2)
    assert_control_audited(run)
    doc = run.docs["huge.txt"]
    assert not run.checks("huge.txt") & {"resource_limit", "unreadable_input"}
    assert len(doc["paragraphs"]) == n + 1
    # a generous bound that only a quadratic step (not a slow machine) would break
    assert run.results["run"]["duration_s"] < 240


def test_a_megabyte_line_without_spaces(tmp_path: Path) -> None:
    letters = bytes(ord("a") + b % 10 for b in range(256))
    line = random.Random(3).randbytes(MB).translate(letters).decode()
    folder = batch(
        tmp_path,
        {
            "one_line.txt": line,
            "in_body.txt": CONTROL_TEXT + line + "\n" + CONTROL_TEXT,
            "digits.txt": CONTROL_TEXT + "Statistics\n" + "7" * MB + "\n",
            "row.jsonl": json.dumps({"id": "long-row", "text": line}) + "\n",
        },
    )
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=5)
    assert_control_audited(run)
    for doc_id in ("one_line.txt", "in_body.txt", "digits.txt", "long-row"):
        doc = run.docs[doc_id]
        assert any(p["text"] == line or p["text"] == "7" * MB for p in doc["paragraphs"])
    assert run.docs["digits.txt"]["claimed_word_count"] is None
    for doc_id in ("one_line.txt", "long-row"):  # one 1 MB "word" is not an article
        assert run.finding(doc_id, "empty_body")["severity"] == "error"
    for doc_id in ("one_line.txt", "in_body.txt", "digits.txt", "long-row"):
        (token,) = run.finding(doc_id, "long_token")["evidence"]["runs"]
        assert token["length"] == MB
    assert run.finding("in_body.txt", "long_token")["evidence"]["runs"][0]["line"] == 6
    assert "long_token" not in run.checks("control.txt")


def test_nul_bytes(tmp_path: Path) -> None:
    folder = batch(
        tmp_path,
        {
            "one_nul.txt": CONTROL_TEXT.replace("public", "pub\x00lic"),
            "many_nuls.txt": "\x00".join(CONTROL_TEXT),
            "escaped.jsonl": json.dumps({"id": "esc", "text": "A \x00.", "title": "a\x00b"}) + "\n",
            "raw.jsonl": b'{"id": "raw", "text": "raw \x00 byte"}\n{"id": "after", "text": "ok"}\n',
            "cell.csv": b"id,text\ncsv-nul,with \x00 a nul\n",
        },
    )  # fmt: skip
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=7)
    assert_control_audited(run)
    nul = run.finding("one_nul.txt", "mojibake")
    assert nul["severity"] == "error" and nul["evidence"]["offsets"] == [
        CONTROL_TEXT.index("public") + 3
    ]
    assert "binary file" in run.finding("many_nuls.txt", "unreadable_input")["message"]
    assert run.finding("esc", "mojibake")["evidence"]["nul_count"] == 1
    assert run.docs["esc"]["title"] == "a\x00b"  # kept, and escaped by JSON
    assert "invalid JSON" in run.finding("raw.jsonl:1", "unreadable_input")["message"]
    assert_read(run, "after")
    assert run.finding("csv-nul", "mojibake")["evidence"]["nul_count"] == 1
    ET.parse(run.run_dir / "junit.xml")  # NUL cannot be in XML: the writer replaced it


@pytest.mark.slow
def test_100000_one_word_documents(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    with (folder / "words.jsonl").open("w") as fh:
        for i in range(100_000):
            fh.write(f'{{"id": "w{i}", "text": "word{i}"}}\n')
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=100_000)
    assert run.results["run"]["n_paragraphs"] == 100_000
    assert [d["doc_id"] for d in run.results["documents"][:3]] == ["w0", "w1", "w2"]


def test_jsonl_malformed_lines_wrong_types_and_nesting(tmp_path: Path) -> None:
    deep = "[" * 150 + "]" * 150
    lines = [
        json.dumps({"id": "good", "text": CONTROL_TEXT}),
        "{not json",
        '{"id": "trailing", "text": "x",}',
        json.dumps({"id": "pub-int", "text": "Body.", "published": 12}),
        json.dumps({"id": "types", "text": ["a", "list"], "title": {"x": 1}, "url": ["u"]}),
        json.dumps({"id": {"nested": "id"}, "text": "Nested id."}),
        json.dumps({"id": "count", "text": "Body.", "word_count": "²"}),
        json.dumps({"id": "neg", "text": "Body.", "word_count": -4}),
        json.dumps({"id": "nested", "text": "Body.", "meta": {"a": {"b": [1, {"c": None}]}}}),
        '{"id": "nan", "text": "x", "score": NaN}',
        '{"id": "bigint", "text": "x", "n": ' + "9" * 5000 + "}",
        '{"id": "deep", "text": "x", "d": ' + deep + "}",
        '{"id": "sur\\ud800", "text": "lone \\udfff surrogate"}',
        json.dumps({"id": "sep", "text": "one\u2028record\u2029still"}),
        '"just a string"',
        "null",
        "[1, 2]",
        json.dumps({"text": "No id at all."}),
        json.dumps({"id": "dup", "text": "First."}),
        json.dumps({"id": "dup", "text": "Second."}),
        json.dumps({"id": "dup#2", "text": "Given the suffixed id."}),
        '{"id": "inf", "text": "x", "n": 1e309}',
        json.dumps({"id": "", "text": "An empty id."}),
    ]
    folder = batch(tmp_path, {"rows.jsonl": "\r\n".join(lines) + "\r\n"})
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=len(lines) + 1)
    assert_control_audited(run)
    assert_read(run, "good")
    for line in (2, 3, 10, 11, 12, 15, 16, 17):
        assert run.docs[f"rows.jsonl:{line}"]["verdict"] == "quarantine", line
    assert "NaN is not valid JSON" in run.finding("rows.jsonl:10", "unreadable_input")["message"]
    assert "nested more than 100" in run.finding("rows.jsonl:12", "unreadable_input")["message"]
    assert "published is int (12)" in run.finding("pub-int", "malformed_record")["message"]
    problems = run.finding("types", "malformed_record")["evidence"]["problems"]
    assert {p.split(" is ")[0] for p in problems} == {"text", "title", "url"}
    assert "rows.jsonl:6" in run.docs  # an object as id: the line names the record
    assert "not a whole number" in run.finding("count", "malformed_record")["message"]
    assert "out of range" in run.finding("neg", "malformed_record")["message"]
    assert_read(run, "nested")
    nested = next(r for r in run.accepted + run.quarantined if r["doc_id"] == "nested")
    assert nested["record"]["meta"] == {"a": {"b": [1, {"c": None}]}}
    assert "sur\ufffd" in run.docs
    assert "surrogate" in run.finding("sur\ufffd", "malformed_record")["message"]
    assert body(run.docs["sep"]) == "one\u2028record\u2029still"
    assert "rows.jsonl:18" in run.docs
    assert {"dup", "dup#2", "dup#2#2"} <= set(run.docs)
    assert "already used" in run.finding("dup#2#2", "malformed_record")["message"]
    # "dup" was given twice (the second became dup#2); "dup#2" was given once
    assert {d for d in ("dup", "dup#2", "dup#2#2") if "duplicate_id" in run.checks(d)} == {
        "dup",
        "dup#2",
    }
    beyond = run.finding("rows.jsonl:22", "unreadable_input")["message"]
    assert "the number 1e309 is beyond a 64-bit float" in beyond
    empty_id = run.finding("rows.jsonl:23", "malformed_record")["message"]
    assert "id is empty: the record is named by its place in the file" in empty_id


def test_a_chunk_of_unreadable_records_only(tmp_path: Path) -> None:
    lines = [json.dumps({"id": "good", "text": CONTROL_TEXT}), "{bad", "{worse"]
    folder = batch(tmp_path, {"rows.jsonl": "\n".join(lines) + "\n"})
    settings = config(tmp_path, "[inputs]\nchunk_size = 1\n")
    run = audit_run(str(folder), "--config", settings, out=tmp_path / "out", n_inputs=4)
    assert_control_audited(run)
    assert body(run.docs["good"]) == body(run.docs["control.txt"])
    assert run.docs["rows.jsonl:2"]["verdict"] == "quarantine"


def test_csv_embedded_newlines_and_quotes(tmp_path: Path) -> None:
    folder = batch(
        tmp_path,
        {
            "quotes.csv": (
                "id,title,text\n"
                '1,"A ""quoted"" title","First line\nsecond line, with a comma\n\nfourth"\n'
                '2,Plain,"He said ""hi"", then left."\n'
                "3,Ragged,too,many,fields\n"
                '4,"Bad quote"x,text\n'
                "5,After,Still read.\n"
                '6,Open,"never closed\n7,Lost,swallowed\n'
            ),
            "inches.csv": (
                'id,text\ntv,A 55" screen and a 40" one.\nnext,"Quoted ""twice"" here."\n'
            ),
            "bom.csv": b"\xef\xbb\xbfid,text\nb1,With a byte-order mark.\n",
            "tabs.tsv": "id\ttext\nt1\tA tab\u00a0separated row.\n",
        },
    )
    # the open quote of row 6 takes row 7 into its field: 11 records, the message says so
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=11)
    assert_control_audited(run)
    assert body(run.docs["1"]) == "First line\nsecond line, with a comma\nfourth"
    assert run.docs["1"]["title"] == 'A "quoted" title'
    assert body(run.docs["2"]) == 'He said "hi", then left.'
    assert run.docs["1"]["line"] == 2 and run.docs["2"]["line"] == 6  # where each row starts
    assert "row has 5 fields" in run.finding("quotes.csv:7", "unreadable_input")["message"]
    assert "malformed CSV" in run.finding("quotes.csv:8", "unreadable_input")["message"]
    assert_read(run, "5")
    unclosed = run.finding("quotes.csv:10", "unreadable_input")["message"]
    assert "lines 10-11" in unclosed and "unexpected end of data" in unclosed
    assert body(run.docs["b1"]) == "With a byte-order mark."
    assert body(run.docs["tv"]) == 'A 55" screen and a 40" one.'  # a quote mid-field is text
    assert body(run.docs["next"]) == 'Quoted "twice" here.'
    assert_read(run, "t1")


def test_tables_with_empty_rows_and_repeated_or_blank_column_names(tmp_path: Path) -> None:
    folder = batch(
        tmp_path,
        {  # a spreadsheet's export: blank header cells, rows of empty cells at the end
            "sheet.csv": "id,text,,\nr1,Read.,,x\n,,,\n,,,\n",
            "twice.csv": "id,id,text,text\nt1,t2,First text.,Second text.\n",
        },
    )
    table = pa.table([pa.array(["p1"]), pa.array(["First."]), pa.array(["Second."])],
                     names=["id", "text", "text"])  # fmt: skip
    pq.write_table(table, folder / "twice.parquet")
    blank = pa.table([pa.array(["b1"]), pa.array(["Text."]), pa.array(["x"]), pa.array(["y"])],
                     names=["id", "text", "", ""])  # fmt: skip
    pq.write_table(blank, folder / "blank.parquet")
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=5)
    kept = next(r for r in run.accepted + run.quarantined if r["doc_id"] == "b1")["record"]
    assert kept == {"id": "b1", "text": "Text.", "column_3": "x", "column_4": "y"}
    assert_control_audited(run)
    assert body(run.docs["r1"]) == "Read." and not run.checks("r1") & {"malformed_record"}
    sheet = next(r for r in run.accepted + run.quarantined if r["doc_id"] == "r1")["record"]
    assert sheet == {"id": "r1", "text": "Read.", "column_3": "", "column_4": "x"}
    assert body(run.docs["t1"]) == "First text." and body(run.docs["p1"]) == "First."
    twice = run.finding("t1", "malformed_record")["message"]
    assert "columns id, text named more than once" in twice and "id#2, text#2" in twice
    assert "column text named more than once" in run.finding("p1", "malformed_record")["message"]
    kept = next(r for r in run.accepted + run.quarantined if r["doc_id"] == "t1")["record"]
    assert kept == {"id": "t1", "id#2": "t2", "text": "First text.", "text#2": "Second text."}


def test_parquet_with_unexpected_column_types(tmp_path: Path) -> None:
    folder = batch(tmp_path, {})
    pq.write_table(
        pa.table(
            {
                "id": pa.array([1, 2, 3]),
                "text": pa.array([10, 20, None]),
                "title": pa.array([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, None]),
                "published": pa.array([20240101, None, 3]),
                "tags": pa.array([["a", "b"], [], None]),
                "blob": pa.array([b"\x00\xff", b"", None]),
            }
        ),
        folder / "odd.parquet",
    )
    pq.write_table(
        pa.table({"id": ["n1"], "text": pa.array([{"body": "Text in a struct."}])}),
        folder / "struct_text.parquet",
    )
    pq.write_table(
        pa.table({"id": ["x"], "story": ["No text column."]}), folder / "no_text.parquet"
    )
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=6)
    assert_control_audited(run)
    problems = run.finding("1", "malformed_record")["evidence"]["problems"]
    assert "text is int, not a string" in problems
    assert any(p.startswith("title is dict") for p in problems)
    assert any(p.startswith("published is int (20240101)") for p in problems)
    assert "no text field in this record" in run.finding("3", "malformed_record")["message"]
    assert "text is dict" in run.finding("n1", "malformed_record")["message"]
    assert "no text column" in run.finding("no_text.parquet", "unreadable_input")["message"]
    odd = next(r for r in run.accepted + run.quarantined if r["doc_id"] == "1")
    assert odd["record"]["tags"] == ["a", "b"]


def test_a_parquet_cell_python_cannot_hold_costs_only_that_cell(tmp_path: Path) -> None:
    folder = batch(tmp_path, {})
    year_10000 = 253_402_300_800  # seconds since 1970: past the last date Python knows
    stamps = pa.array([1_700_000_000, year_10000, 1_700_000_000], pa.timestamp("s"))
    pq.write_table(
        pa.table({"id": ["a", "b", "c"], "text": ["One.", "Two.", "Three."], "published": stamps}),
        folder / "dates.parquet",
    )
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=4)
    assert_control_audited(run)
    assert [body(run.docs[i]) for i in "abc"] == ["One.", "Two.", "Three."]
    message = run.finding("b", "malformed_record")["message"]
    assert "unreadable cell left out: published (" in message
    assert run.docs["a"]["published"] == "2023-11-14" and run.docs["b"]["published"] is None


def test_special_files_in_a_folder(tmp_path: Path) -> None:
    """Tests run as root here, and root reads files whatever their mode, so a file made
    unreadable with chmod would be read anyway. The unreadable entries are ones no
    permission makes readable: a FIFO (opening it would block forever), a dangling
    symlink, a symlink to itself, a symlink to its own folder, and a folder named like
    a text file. A chmod-000 file is added too: unreadable when not root, read as root."""
    folder = batch(tmp_path, {"sub/nested.txt": CONTROL_TEXT, "secret.txt": CONTROL_TEXT})
    os.mkfifo(folder / "pipe.txt")
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    (folder / "self.txt").symlink_to(folder / "self.txt")
    (folder / "sub" / "up").symlink_to(folder)
    (folder / "folder.txt").mkdir()
    (folder / "folder.txt" / "inside.txt").write_text(CONTROL_TEXT)
    (folder / "secret.txt").chmod(0)
    out = tmp_path / "out"
    proc = subprocess.run(  # a subprocess, so a hang is a failure, not a stuck test run
        [sys.executable, "-m", "audit", "run", str(folder), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 1, proc.stderr
    run = audit_run(str(folder), out=tmp_path / "out2", n_inputs=8)
    assert_control_audited(run)
    assert_control_audited(run, "sub/nested.txt")
    assert_control_audited(run, "folder.txt/inside.txt")
    expected = {
        "pipe.txt": "a FIFO (named pipe), not read",
        "dangling.txt": "broken symbolic link",
        "self.txt": "symlink loop",
        "sub/up": "folder already read (a symlink loop or a second link to it)",
    }
    for doc_id, reason in expected.items():
        assert run.finding(doc_id, "unreadable_input")["evidence"]["reason"] == reason
    if os.geteuid() == 0:
        assert_control_audited(run, "secret.txt")
    else:
        assert "Permission denied" in run.finding("secret.txt", "unreadable_input")["message"]
    assert "pipe.txt" in proc.stdout and "Traceback" not in proc.stderr


def test_special_paths_on_the_command_line(tmp_path: Path) -> None:
    folder = batch(tmp_path, {})
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    run = audit_run(
        str(folder / "control.txt"),
        str(tmp_path / "pipe.txt"),
        str(tmp_path / "loop.txt"),
        str(tmp_path / "missing.txt"),
        "/dev/null",
        out=tmp_path / "out",
        n_inputs=5,
    )
    assert_control_audited(run)
    reasons = {d: run.finding(d, "unreadable_input")["evidence"]["reason"] for d in run.docs
               if d != "control.txt"}  # fmt: skip
    assert sorted(reasons.values()) == [
        "a FIFO (named pipe), not read",
        "a device, not read",
        "no such file or folder",
        "symlink loop",
    ]


def test_a_folder_with_nothing_to_read_is_a_finding_not_an_empty_batch(tmp_path: Path) -> None:
    folder = batch(tmp_path, {"notes.md": "Not an input format."})
    (tmp_path / "empty").mkdir()
    run = audit_run(str(tmp_path / "empty"), str(folder), out=tmp_path / "out", n_inputs=3)
    assert_control_audited(run)
    empty = run.finding(str(tmp_path / "empty"), "unreadable_input")
    assert empty["evidence"]["reason"] == "no file to read here"
    run = audit_run(str(folder), "--include", "*.csv", out=tmp_path / "out2", n_inputs=1)
    reason = run.finding(str(folder), "unreadable_input")["evidence"]["reason"]
    assert reason == "no file to read matching --include/--exclude here"


def test_dates_that_are_not_dates(tmp_path: Path) -> None:
    rows = [
        {"id": "zero", "published": "0000-00-00"},
        {"id": "yesterday", "published": "yesterday"},
        {"id": "feb30", "published": "2024-02-30"},
        {"id": "ones", "published": "1-1-1"},
        {"id": "blank", "published": ""},
        {"id": "number", "published": 12},
        {"id": "future", "published": "2099-01-01"},
        {"id": "fine", "published": "2023-05-04"},
    ]
    text = "\n".join(
        json.dumps(
            {**r, "title": "A title", "text": CONTROL_TEXT, "url": f"https://x.org/{r['id']}"}
        )
        for r in rows
    )
    folder = batch(tmp_path, {"dates.jsonl": text + "\n"})
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=9)
    assert_control_audited(run)
    for row in rows[:6]:  # not a date: never taken as one, and said so
        assert run.docs[row["id"]]["published"] is None, row
        assert "missing_date" in run.checks(row["id"]), row
    assert run.docs["zero"]["published_raw"] == "0000-00-00"
    assert "published is int" in run.finding("number", "malformed_record")["message"]
    for doc_id, raw in (
        ("zero", "0000-00-00"),
        ("yesterday", "yesterday"),
        ("feb30", "2024-02-30"),
        ("ones", "1-1-1"),
    ):
        message = run.finding(doc_id, "malformed_record")["message"]
        assert f"published '{raw}' is not a date" in message
    assert "malformed_record" not in run.checks("blank") | run.checks("fine")
    future = run.finding("future", "date_inconsistent")
    assert "after the run date" in future["message"]
    assert not run.checks("fine") & {"missing_date", "date_inconsistent"}
    assert run.docs["fine"]["published"] == "2023-05-04"


IMG = "<img src=x onerror=alert(2)>"
HOSTILE_IDS = [
    "../../escape",
    "/etc/passwd",
    "..",
    ".",
    "latest",
    "a/b/../../c",
    "nul\x00id",
    "new\nline",
    "\x1b[2J\x1b[31mred",
    "<script>alert(1)</script>",
    "x" * 10_000,
    "C:\\Windows\\system32",
]


def test_hostile_ids_and_titles_never_become_paths(tmp_path: Path) -> None:
    rows = [
        {
            "id": doc_id,
            "title": doc_id + "\n" + IMG + "t" * 10_000,
            "text": f"Body {i}.",
            "url": ["javascript:alert(3)", 'https://x.org/" onmouseover="alert(4)'][i % 2],
        }
        for i, doc_id in enumerate(HOSTILE_IDS)
    ]
    folder = batch(tmp_path, {"ids.jsonl": "\n".join(json.dumps(r) for r in rows) + "\n"})
    before = {p for p in tmp_path.rglob("*")}
    out = tmp_path / "out"
    run = audit_run(str(folder), out=out, n_inputs=len(HOSTILE_IDS) + 1)
    assert_control_audited(run)
    written = {
        p.relative_to(out).as_posix() for p in tmp_path.rglob("*") if p not in before and p != out
    }
    files = {p.name for p in run.run_dir.iterdir()}
    assert files >= {"results.json", "report.html", "junit.xml", "summary.md"}
    top = {w.split("/")[0] for w in written}
    assert top == {run.run_dir.name, "latest", "history.jsonl", ".audit-output"}
    assert {w for w in written if "/" in w} == {
        f"{top}/{name}" for top in (run.run_dir.name, "latest") for name in files
    }
    assert set(HOSTILE_IDS) <= set(run.docs)  # kept exactly, escaped by JSON
    for doc_id in HOSTILE_IDS:
        assert run.docs[doc_id]["title"] == doc_id + "\n" + IMG + "t" * 10_000
    html = (run.run_dir / "report.html").read_text()
    assert "<script>alert(1)" not in html and IMG not in html
    assert not re.search(r"href\W{0,4}javascript:alert\(3\)", html, re.IGNORECASE)
    assert 'x.org/" onmouseover' not in html
    summary = (run.run_dir / "summary.md").read_text()
    assert "<script>" not in summary and "\x1b" not in summary and "\x00" not in summary
    rows = [line for line in summary.splitlines() if "empty\\_body: " in line]
    assert len(rows) == len(HOSTILE_IDS)  # one table row per quarantined id: no id broke one
    assert all(row.startswith("| ") for row in rows)
    junit = ET.parse(run.run_dir / "junit.xml")
    names = {case.get("name") for case in junit.iter("testcase")}
    assert {"new\nline", "nul\ufffdid", "\ufffd[2J\ufffd[31mred"} <= names  # XML has no NUL, ESC


def test_hostile_ids_are_escaped_in_the_text_listing(tmp_path: Path) -> None:
    rows = [{"id": doc_id, "text": f"Body {i}."} for i, doc_id in enumerate(HOSTILE_IDS)]
    folder = batch(tmp_path, {"ids.jsonl": "\n".join(json.dumps(r) for r in rows) + "\n"})
    proc = subprocess.run(
        [sys.executable, "-m", "audit", "run", str(folder), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode in (0, 1), proc.stderr
    listing = proc.stdout.split("\n\n")[0].splitlines()
    assert len(listing) == len(HOSTILE_IDS) + 1  # no id broke a line
    assert "\x1b" not in proc.stdout and "\x00" not in proc.stdout
    assert any("new\\nline" in line for line in listing)
    assert max(len(line) for line in listing) < 200  # a 10 KB id is cut


def test_max_documents_stops_reading_with_a_finding(tmp_path: Path) -> None:
    rows = "".join(json.dumps({"id": f"r{i}", "text": f"Row {i}."}) + "\n" for i in range(10))
    folder = batch(tmp_path, {"d_rows.jsonl": rows, "e_next.txt": CONTROL_TEXT, "f.csv": "x"})
    cfg = config(tmp_path, "[inputs]\nmax_documents = 6\n")
    run = audit_run(str(folder), "--config", cfg, out=tmp_path / "out", n_inputs=9)
    assert_control_audited(run)  # control.txt sorts first
    assert [d for d in run.docs if d.startswith("r")] == [f"r{i}" for i in range(5)]
    rest = run.finding("d_rows.jsonl:6", "resource_limit")
    assert (
        "max_documents (6) reached: the rest of the file from line 6 on not read" in rest["message"]
    )
    for doc_id in ("e_next.txt", "f.csv"):
        assert "file not read" in run.finding(doc_id, "resource_limit")["message"]


@pytest.mark.parametrize(
    "setting", ["max_doc_bytes = 0", "max_documents = -1", "max_doc_bytes = 'big'"]
)
def test_bad_limits_are_a_one_line_error(tmp_path: Path, setting: str) -> None:
    cfg = config(tmp_path, f"[inputs]\n{setting}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "audit", "run", str(ROOT / "seeds"), "--config", cfg, "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "max_do" in proc.stderr


LAUGHS = "".join(
    f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' if n else '<!ENTITY l0 "lol">' for n in range(9)
)


def test_hostile_html_pages(tmp_path: Path) -> None:
    """Pages are parsed without resolving entities: no file leaks, no billion laughs."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    prose = "<p>" + "A sentence of ordinary prose that a reader would keep. " * 3 + "</p>"
    folder = batch(
        tmp_path,
        {
            "xxe.xhtml": f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
            f"<html><body><p>Leak: &x;</p>{prose}</body></html>",
            "laughs.html": f"<!DOCTYPE d [{LAUGHS}]><html><body><p>&l8;</p>{prose}</body></html>",
            "nested.html": "<html><body>" + "<div>" * 10**5 + "</div>" * 10**5 + "</body></html>",
            "deep.html": "<html><body>" + "<div>" * 300 + "Deep." + "</div>" * 300 + "</body>",
            "scripts.html": "<html><body><script>alert(1)</script></body></html>",
            "bomb.html.gz": gzip.compress(b"<html>" + b" " * (30 * MB) + b"</html>", 1),
            "binary.html": random.Random(1).randbytes(5000),
        },
    )  # fmt: skip
    run = audit_run(str(folder), out=tmp_path / "out", n_inputs=8)
    assert_control_audited(run)
    deep = run.finding("deep.html", "unreadable_input")["message"]
    assert "HTML nested 255 or more levels deep: not read past that" in deep
    assert "no visible text" in run.finding("scripts.html", "unreadable_input")["message"]
    everything = (run.run_dir / "results.json").read_text()
    assert "TOP-SECRET-VALUE" not in everything and "lollollol" not in everything
    assert "exceeds max_doc_bytes" in run.finding("bomb.html.gz", "resource_limit")["message"]
    for doc_id in ("nested.html", "scripts.html", "binary.html"):
        assert run.docs[doc_id]["verdict"] == "quarantine", doc_id


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_table_lines_over_the_limit_are_never_held(tmp_path: Path) -> None:
    """A 200 MB JSON line and a 200 MB CSV record, gzipped to a few hundred KB: each is
    skipped to its end (not read into memory) and the next row is read as usual."""
    folder = batch(tmp_path, {})
    chunk = b"a" * MB
    with gzip.open(folder / "bomb.jsonl.gz", "wb", compresslevel=1) as fh:
        fh.write(b'{"id": "big", "text": "')
        for _ in range(200):
            fh.write(chunk)
        fh.write(b'"}\n{"id": "after-json", "text": "A row after the bomb."}\n')
    with gzip.open(folder / "bomb.csv.gz", "wb", compresslevel=1) as fh:
        fh.write(b'id,text\nbig,"')
        for _ in range(200):
            fh.write(chunk + b"\n")
        fh.write(b'"\nafter-csv,A row after the bomb.\n')
    cfg = config(tmp_path, "[inputs]\nmax_doc_bytes = 5_000_000\n")
    out = tmp_path / "out"
    # VmHWM, not ru_maxrss: the latter keeps the high-water mark of the forked parent
    script = (
        "import re, runpy, sys\n"
        f"sys.argv = ['audit', 'run', {str(folder)!r}, '--out', {str(out)!r}, '-q',"
        f" '--config', {cfg!r}]\n"
        "try:\n    runpy.run_module('audit', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    assert peak_kb < 1_000_000, peak_kb  # the 200 MB lines were never held (twice over)
    run = audit_run(str(folder), "--config", cfg, out=tmp_path / "out2", n_inputs=5)
    assert_control_audited(run)
    assert "exceeds max_doc_bytes" in run.finding("bomb.jsonl.gz:1", "resource_limit")["message"]
    assert "exceeds max_doc_bytes" in run.finding("bomb.csv.gz:2", "resource_limit")["message"]
    assert_read(run, "after-json")
    assert_read(run, "after-csv")
