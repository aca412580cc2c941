"""Write the run folder: every file of the contract, then refresh ``latest/``."""

from __future__ import annotations

import contextlib
import gc
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from audit.config import ConfigError
from audit.history import append_history, history_entry
from audit.ingest.discover import OUTPUT_MARKER
from audit.model import Corpus
from audit.parallel import SideTask
from audit.progress import take_times, timed
from audit.report.documents import EncodedDocuments, with_key
from audit.report.files import (
    atomic_open,
    atomic_write_lines,
    atomic_write_text,
    dumps,
    dumps_line,
    loads_line,
    refresh_latest,
)
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
    fork: bool = False,
) -> Path:
    """Write ``out/<run_id>/`` and ``out/latest/``; returns the run folder.

    ``extra`` writers (e.g. the GX validation result) get the run folder before
    ``latest/`` is refreshed, so both hold the same files.

    With a ``spool``, the documents in ``results`` carry no paragraphs and ``corpus``
    holds the compact tables: the other writers get a document's paragraphs from the
    spool when they ask for them, while results.json, accepted.jsonl and
    quarantined.jsonl are written in one pass over the spool, a document at a time,
    with the writers' times in ``run.stages``. With ``fork`` (on Linux), the other
    writers run in a forked process meanwhile.
    """
    run_dir = claim_run_dir(out, results["run"])
    with paused_gc():
        _write_files(out, run_dir, results, corpus, extra, spool, fork)
    refresh_latest(run_dir)
    append_history(out, history_entry(results))
    return run_dir


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the writers make many small objects.

    With a large batch in memory every full collection walks millions of live
    objects; the writers build no cycles (measured: junit.xml for 100,000
    documents, 14 s of CPU with the collector on, 6 s with it paused).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write_files(
    out: Path,
    run_dir: Path,
    results: dict[str, Any],
    corpus: Corpus,
    extra: Sequence[Callable[[Path], object]],
    spool: Spool | None = None,
    fork: bool = False,
) -> None:
    if spool is None:
        atomic_write_text(run_dir / "results.json", dumps(results))
        accepted, quarantined = _split(results, corpus)
        atomic_write_lines(run_dir / "accepted.jsonl", accepted)
        atomic_write_lines(run_dir / "quarantined.jsonl", quarantined)
        take_times()
        _side_writers(out, run_dir, results, extra)
        return
    spool.lazy_paragraphs(results["documents"], corpus.paragraphs)
    spool.flush()  # before the fork (see SideTask)
    take_times()
    # JUnit, the summary and the report are written by a second process (with
    # ``fork``) while this one writes results.json and the jsonl files.
    side = partial(_side_writers, out, run_dir, results, extra)
    with SideTask(side, fork=fork) as task:
        write_streaming(run_dir, results, spool.parts(corpus.paragraphs, OUTPUT_COLUMNS), task.join)


def _side_writers(
    out: Path, run_dir: Path, results: dict[str, Any], extra: Sequence[Callable[[Path], object]]
) -> dict[str, float]:
    """junit.xml, summary.md, report.html and the ``extra`` files; returns their times."""
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
    return {k: round(v, 3) for k, v in take_times().items()}


_MARKER_TEXT = "Run folders of audit. A folder holding this file is not read as input.\n"


def claim_run_dir(out: Path, run: dict[str, Any]) -> Path:
    """Create the run folder ``out/<run id>``, never reusing an existing one.

    Two runs started in the same second may draw the same id; the second one then
    takes a further random suffix, and ``run["id"]`` is updated to the folder's name.

    Raises:
        ConfigError: ``out`` cannot hold run folders (a file, no permission).
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not (out / OUTPUT_MARKER).exists():
            atomic_write_text(out / OUTPUT_MARKER, _MARKER_TEXT)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot create the output folder: {exc.strerror}") from None
    base = str(run["id"])
    for attempt in range(100):
        run_id = base if attempt == 0 else f"{base}-{secrets.token_hex(2)}"
        try:
            (out / run_id).mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(f"{out}: cannot create a run folder: {exc.strerror}") from None
        run["id"] = run_id
        return out / run_id
    raise ConfigError(f"{out}: no free run folder name for {base}")


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


def write_streaming(
    run_dir: Path,
    results: dict[str, Any],
    parts: Iterable[SpoolPart],
    before_results: Callable[[], dict[str, float]] | None = None,
) -> None:
    """results.json, accepted.jsonl and quarantined.jsonl in one pass over the documents.

    ``parts`` give the documents' spilled values (``text``, ``record``, paragraphs), a
    run of documents at a time, in the order of ``results["documents"]``; each
    document's ``paragraphs`` are put back as it is written. The documents' part of
    results.json waits in a temporary file until ``before_results`` (the writers of
    the other files, running meanwhile) has returned their stage times, which go
    into ``run.stages`` with ``write.results`` (this pass) and ``write.wait`` (the
    wait for them). results.json comes out as :func:`audit.report.files.dumps` lays
    it out; every file appears whole or not at all.
    """
    docs = results["documents"]
    # the kept lines, read in order and in blocks as the parts come (from the first document)
    lines = docs.lines() if isinstance(docs, EncodedDocuments) else None
    total = 0
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(atomic_open(run_dir / "results.json"))
        accepted = stack.enter_context(atomic_open(run_dir / "accepted.jsonl"))
        quarantined = stack.enter_context(atomic_open(run_dir / "quarantined.jsonl"))
        body = stack.enter_context(_scratch(run_dir))

        def documents() -> Iterator[str]:
            nonlocal total
            for part in parts:
                for k, more in enumerate(part.rows()):
                    i = part.start + k
                    if i >= len(docs):
                        raise RuntimeError("the spool and the results hold different documents")
                    line = next(lines) if lines is not None else None
                    doc = dict(loads_line(line)) if line is not None else dict(docs[i])
                    if more["doc_id"] != doc["doc_id"]:
                        raise RuntimeError(f"spool out of step at document {doc['doc_id']!r}")
                    record = output_record(doc, more.get("record"), more.get("text") or "")
                    target = quarantined if doc["verdict"] == "quarantine" else accepted
                    target.write(dumps_line(record) + "\n")
                    total += 1
                    paragraphs = more.get("paragraphs", [])
                    if line is not None:  # the document's line as kept, with its paragraphs
                        yield with_key(line, "paragraphs", paragraphs)
                    else:
                        yield dumps_line({**doc, "paragraphs": paragraphs})

        t0 = time.perf_counter()
        _write_array(body, documents())
        if total != len(docs):
            raise RuntimeError("the spool and the results hold different documents")
        stages = {"write.results": round(time.perf_counter() - t0, 3)}
        if before_results is not None:
            t0 = time.perf_counter()
            stages = {**before_results(), **stages}
            stages["write.wait"] = round(time.perf_counter() - t0, 3)
        results["run"]["stages"] = {**results["run"].get("stages", {}), **stages}
        _write_results(out, results, body)


@contextlib.contextmanager
def _scratch(folder: Path) -> Iterator[TextIO]:
    """An unnamed text file in ``folder``, written as results.json is (see ``atomic_open``)."""
    with tempfile.TemporaryFile(
        "w+", encoding="utf-8", errors="backslashreplace", newline="\n", dir=folder
    ) as fh:
        yield fh


def _write_array(fh: TextIO, items: Iterator[str]) -> None:
    """The lines of a non-empty JSON array as :func:`_write_results` lays them out."""
    first = next(items, None)
    if first is None:
        return
    fh.write("[\n" + "    " + first)
    for line in items:
        fh.write(",\n    " + line)
    fh.write("\n  ]")


def _write_results(fh: TextIO, results: dict[str, Any], documents: TextIO) -> None:
    """What :func:`audit.report.files.dumps` makes of ``results``, written as it goes
    (the ``documents`` array comes already laid out, in a file of its own)."""
    fh.write("{\n")
    for n, (key, value) in enumerate(results.items()):
        fh.write((",\n" if n else "") + f"  {dumps_line(str(key))}: ")
        if key == "documents" and value:
            fh.flush()
            documents.flush()
            documents.seek(0)
            shutil.copyfileobj(documents.buffer, fh.buffer, 1 << 22)
        elif isinstance(value, list) and value:  # a line at a time, as the documents
            _write_array(fh, (dumps_line(v) for v in value))
        else:
            fh.write(dumps_line(value))
    fh.write("\n}\n")
