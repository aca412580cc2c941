"""Write the run folder: every file of the contract, then refresh ``latest/``."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from audit.history import append_history, history_entry
from audit.model import Corpus
from audit.progress import take_times, timed
from audit.report.files import atomic_write_lines, atomic_write_text, dumps, refresh_latest
from audit.report.html import read_history, write_report
from audit.report.junit import write_junit
from audit.report.summary import write_summary

if TYPE_CHECKING:
    from audit.spool import Spool, SpoolPart

# The spilled columns the run folder's files are written from.
OUTPUT_COLUMNS = ("text", "record")


def write_run(
    out: Path,
    results: dict[str, Any],
    corpus: Corpus,
    extra: Sequence[Callable[[Path], object]] = (),
    spool: Spool | None = None,
) -> Path:
    """Write ``out/<run_id>/`` and ``out/latest/``; returns the run folder.

    ``extra`` writers (e.g. the GX validation result) get the run folder before
    ``latest/`` is refreshed, so both hold the same files.

    With a ``spool``, the documents in ``results`` carry no paragraphs and ``corpus``
    holds the compact tables: the other writers get a document's paragraphs from the
    spool when they ask for them, then results.json, accepted.jsonl and
    quarantined.jsonl are written last, in one pass over the spool, a document at a
    time, with the writers' times in ``run.stages``.
    """
    run_dir = out / results["run"]["id"]
    run_dir.mkdir(parents=True, exist_ok=False)
    if spool is None:
        atomic_write_text(run_dir / "results.json", dumps(results))
        accepted, quarantined = _split(results, corpus)
        atomic_write_lines(run_dir / "accepted.jsonl", accepted)
        atomic_write_lines(run_dir / "quarantined.jsonl", quarantined)
    else:
        spool.lazy_paragraphs(results["documents"], corpus.paragraphs)
    take_times()
    with timed("write.junit"):
        write_junit(results, run_dir / "junit.xml")
    history = read_history(out)
    gate = results["run"].get("settings", {}).get("gate", {})
    with timed("write.summary"):
        write_summary(
            results,
            run_dir / "summary.md",
            history=history,
            max_documents=gate.get("summary_max_documents", 20),
            baseline_runs=gate.get("history_baseline_runs", 10),
        )
    with timed("write.report"):
        write_report(results, run_dir / "report.html", history)
    with timed("write.extra"):
        for writer in extra:
            writer(run_dir)
    if spool is not None:
        stages = {k: round(v, 3) for k, v in take_times().items()}
        results["run"]["stages"] = {**results["run"].get("stages", {}), **stages}
        write_streaming(run_dir, results, spool.parts(corpus.paragraphs, OUTPUT_COLUMNS))
    refresh_latest(run_dir)
    append_history(out, history_entry(results))
    return run_dir


def output_record(
    doc: dict[str, Any], original: dict[str, Any] | None, text: str
) -> dict[str, Any]:
    """One line of accepted/quarantined.jsonl: the original record, normalized fields and
    findings."""
    return {
        "doc_id": doc["doc_id"],
        "source": doc["source"],
        "line": doc["line"],
        "verdict": doc["verdict"],
        "record": original if original is not None else {"text": text},
        "normalized": {
            k: doc[k]
            for k in ("title", "url", "published", "domain", "word_count", "claimed_word_count")
        }
        | {"language": doc["signals"].get("language")},
        "findings": doc["findings"],
    }


def _split(
    results: dict[str, Any], corpus: Corpus
) -> tuple[Iterator[dict[str, Any]], Iterator[dict[str, Any]]]:
    docs = corpus.documents
    originals = dict(
        zip(docs["doc_id"], zip(docs["record"], docs["text"], strict=True), strict=True)
    )

    def rows(quarantine: bool) -> Iterator[dict[str, Any]]:
        for doc in results["documents"]:
            if (doc["verdict"] == "quarantine") == quarantine:
                original, text = originals[doc["doc_id"]]
                yield output_record(doc, original, text)

    return rows(False), rows(True)


def write_streaming(run_dir: Path, results: dict[str, Any], parts: Iterable[SpoolPart]) -> None:
    """results.json, accepted.jsonl and quarantined.jsonl in one pass over the documents.

    ``parts`` give the documents' spilled values (``text``, ``record``, paragraphs), a
    run of documents at a time, in the order of ``results["documents"]``.
    results.json is written one document per line; every file appears whole or not
    at all.
    """
    names = ("results.json", "accepted.jsonl", "quarantined.jsonl")
    docs = results["documents"]
    with ExitStack() as stack:
        temps = [stack.enter_context(_AtomicFile(run_dir / name)) for name in names]
        out, accepted, quarantined = (t.fh for t in temps)
        total = 0

        def documents() -> Iterator[str]:
            nonlocal total
            for part in parts:
                for doc, more in zip(
                    docs[part.start : part.start + part.n_documents], part.rows(), strict=True
                ):
                    if more["doc_id"] != doc["doc_id"]:
                        raise RuntimeError(f"spool out of step at document {doc['doc_id']!r}")
                    record = output_record(doc, more.get("record"), more.get("text") or "")
                    target = quarantined if doc["verdict"] == "quarantine" else accepted
                    target.write(_line(record) + "\n")
                    total += 1
                    yield _line({**doc, "paragraphs": more.get("paragraphs", [])})

        _write_results(out, results, documents())
        if total != len(docs):
            raise RuntimeError("the spool and the results hold different documents")
        for t in temps:
            t.commit()


def _write_results(fh: IO[str], results: dict[str, Any], documents: Iterator[str]) -> None:
    """The results document with its lists written one item per line (``documents``
    are given already encoded)."""
    fh.write("{")
    for n, (key, value) in enumerate(results.items()):
        fh.write(("," if n else "") + f"\n  {json.dumps(key)}: ")
        if key == "documents":
            fh.write("[")
            for i, line in enumerate(documents):
                fh.write(("," if i else "") + "\n    " + line)
            fh.write("\n  ]")
        elif isinstance(value, list):
            fh.write("[")
            for i, item in enumerate(value):
                fh.write(("," if i else "") + "\n    " + _line(item))
            fh.write("\n  ]")
        else:
            text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
            fh.write(text.replace("\n", "\n  "))
    fh.write("\n}\n")


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class _AtomicFile:
    """A temp file next to ``path``, renamed into place by :meth:`commit`, else removed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd, self.tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self.fh = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        self.done = False

    def commit(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)
        self.done = True

    def __enter__(self) -> _AtomicFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.done:
            self.fh.close()
            Path(self.tmp).unlink(missing_ok=True)
