"""The order of the stages. Read it top to bottom to know what a run does."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from audit.config import ConfigError, DedupSettings, Settings
from audit.dedup import (
    DedupOutcome,
    apply_outcome,
    dedup_chunk,
    drop_internal,
    search_corpus,
    signatures_of,
)
from audit.dedup import check_settings as check_dedup_settings
from audit.engine import Engine, get_engine
from audit.expectations import (
    check_suites,
    load_suites,
    resolve_suites,
    suite_parameters,
    validate,
    write_gx_validation,
)
from audit.gate import FAIL_ON, GateDecision, decide
from audit.history import HISTORY_FILE
from audit.index import CorpusIndex, IndexError_, admit_batch, index_findings, open_index
from audit.ingest import read_chunks
from audit.ingest.columns import ALIASES
from audit.ingest.discover import OUTPUT_MARKER
from audit.intake import intake_findings
from audit.model import AuditResult, Chunk, Corpus, Finding
from audit.parallel import SideTask, can_fork
from audit.parse import parse_records
from audit.progress import Stages, timed
from audit.report.charts import prefetch_bundle
from audit.report.outputs import write_run
from audit.report.results import build_results
from audit.signals import compute_signals
from audit.signals.garble import annotate_chunk as annotate_garble
from audit.spool import Packed, Spool, process_packed

MAX_JOBS = 1024  # more worker processes than any machine this runs on has cores


def process_chunk(records: list[dict[str, Any]], settings: Settings, today: dt.date) -> Chunk:
    """The per-chunk stages: intake findings, parse, signals, signatures."""
    with timed("intake"):
        findings = intake_findings(records, settings.inputs)
    with timed("parse"):
        chunk = parse_records(records, settings.parse.patterns)
    chunk.findings.extend(findings)
    with timed("dedup"):
        dedup_chunk(chunk, settings.dedup)
    with timed("garble"):
        annotate_garble(chunk, settings.signals)
    with timed("signals"):
        compute_signals(chunk, settings, today)
    return chunk


def run_audit(settings: Settings, write: bool = True) -> AuditResult:
    """Audit the inputs named in ``settings`` and write the run folder.

    Args:
        settings: everything the run needs (see :class:`audit.config.Settings`).
        write: write the run folder under ``settings.out`` (False for a dry run).

    Returns:
        The results document, the run folder and the exit code (0 passed, 1 failed).

    Raises:
        ConfigError: the run cannot be done as asked (exit 2 on the command line).

    Example:
        >>> result = run_audit(Settings(paths=("seeds",)), write=False)
        >>> len(result.results["documents"])
        4
    """
    check_settings(settings)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    suite_path = resolve_suites(settings.suites)
    check_suites(suite_path)  # a bad suite stops the run first
    probe = _open_index(settings)  # and so does a bad index, not after the reading
    if probe is not None:
        probe.close()
    stages = Stages.for_settings(settings)
    spool = _create_spool(settings.out if write else None)
    engine = get_engine(settings)
    per_chunk = partial(process_chunk, today=started.date())
    work = engine.map(
        process_packed, read_chunks(settings.paths, settings.inputs), (per_chunk, settings)
    )
    with contextlib.ExitStack() as running:
        try:
            tracked = stages.track(work, "read_parse", lambda p: p.n_documents)
            corpus, suites = _join_chunks(tracked, spool, stages, suite_path)
            corpus.spool = spool
            beside = _search_beside(settings, engine)
            stages.start("dedup", "beside the suites" if beside else "")
            spool.flush()  # before a fork (see SideTask)
            # The duplicate search: forked, it runs beside the suites on the other core;
            # else here and now, with its LSH bands on the engine.
            search = running.enter_context(
                SideTask(partial(_search, corpus, settings.dedup, engine.map), fork=beside)
            )
        finally:
            # a run stopped early shuts the worker pool down here, not when it is collected
            getattr(work, "close", lambda: None)()
            engine.close()
        drop_internal(corpus)
        # the report's chart scripts, built while the global stages run (after the fork:
        # the thread holds a lock while it works)
        bundle = prefetch_bundle()
        index = _open_index(settings)
        signatures = np.zeros((0, settings.dedup.num_perm), dtype=np.uint32)
        known: list[Finding] = []
        if index is not None:
            stages.start("index")
            signatures = _signatures(corpus, settings)
            known = _query_index(index, corpus, signatures, settings)
        stages.start("expectations")
        gx_results: list[Any] = []
        corpus.expectations, failed = validate(
            corpus.documents,
            suites,
            None,
            suite_parameters(settings.signals.language),
            gx_results=gx_results,
            evidence=spool.get("evidence"),
            spill=spool.folder,  # the findings' evidence waits on disk for the results
        )
        if beside:
            stages.start("dedup.wait")
        outcome, search_s = search.join()
    stages.record("dedup.search", search_s)
    apply_outcome(corpus, outcome)  # the copy findings first, as the search came first
    dedup_stats = outcome.stats
    del outcome
    corpus.findings.extend(known)
    corpus.findings.extend(failed)
    del failed  # the findings are let go as the results are built (see below)
    stages.start("gate")
    doc_ids = list(corpus.documents["doc_id"])
    gate = decide(doc_ids, corpus.findings, settings.fail_on)
    run = {
        "id": started.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3),
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": 0.0,
        "inputs": list(settings.paths),
        "n_documents": len(doc_ids),
        "n_paragraphs": len(corpus.paragraphs),
        "engine": engine.name,
        "settings": settings.to_dict(),
        "dedup": dedup_stats,
    }
    stages.start("results")
    # each document's line holds its findings from here on (the findings are let go),
    # and the lines wait on disk for the writers (a kilobyte or more each)
    results = build_results(
        corpus, gate.verdicts, gate.to_dict(), run, False, release=True, spill=spool.folder
    )
    stages.start("write")
    run["duration_s"] = round(time.perf_counter() - t0, 3)
    if index is not None:
        results["index"] = _admit(index, gate, results, signatures, settings)
    run["stages"] = stages.to_dict()
    run["stage_peak_mb"] = stages.peak_mb()
    extra = [partial(write_gx_validation, gx_results=gx_results)]
    run_dir = None
    if write:
        # with more than one job the writers fork: a lock the bundle thread held then
        # would stay held in the child
        bundle.join()
        run_dir = write_run(Path(settings.out), results, corpus, extra, spool, settings.jobs > 1)
    stages.stop()
    spool.close()
    run["stages"] = {**results["run"]["stages"], **stages.to_dict()}
    run["stage_peak_mb"] = stages.peak_mb()
    return AuditResult(results, str(run_dir) if run_dir else None, gate.exit_code)


def _join_chunks(
    packed_chunks: Iterable[Packed], spool: Spool, stages: Stages, suite_path: Path
) -> tuple[Corpus, list[Any]]:
    """The compact chunks joined in input order (their bulky columns spilled to ``spool``),
    and the suites, loaded (GX imported) while the workers process the chunks after the
    first. A function of its own, so that no chunk outlives the join."""
    suites: list[Any] | None = None
    chunks: list[Chunk] = []
    for packed in packed_chunks:
        if suites is None:
            suites = load_suites(suite_path)
        stages.add_chunk_times(packed.times)
        chunks.append(spool.add(packed))
    if suites is None:  # no input at all
        suites = load_suites(suite_path)
    return Corpus.concat(chunks), suites


def _search_beside(settings: Settings, engine: Engine) -> bool:
    """Whether the duplicate search runs in a forked process beside the suites: with
    local workers (a Dask engine sorts the bands on its cluster) and a second core."""
    return engine.name == "local" and settings.jobs > 1 and can_fork()


def _search(corpus: Corpus, settings: DedupSettings, map_bands: Any) -> tuple[DedupOutcome, float]:
    """The batch-wide duplicate search and its seconds."""
    t0 = time.perf_counter()
    outcome = search_corpus(corpus, settings, map_bands)
    return outcome, round(time.perf_counter() - t0, 3)


def _signatures(corpus: Corpus, settings: Settings) -> np.ndarray:
    """The batch's MinHash signatures (one row per document) for the corpus index."""
    return signatures_of(corpus, settings.dedup.num_perm)


def _open_index(settings: Settings) -> CorpusIndex | None:
    if not settings.index:
        return None
    try:
        return open_index(
            settings.index,
            settings.dedup,
            create=settings.admit,
            timeout_s=settings.gate.index_timeout_s,
            lock_ttl_s=settings.gate.index_lock_ttl_s,
        )
    except IndexError_ as exc:
        raise ConfigError(str(exc)) from None


def _query_index(
    index: CorpusIndex, corpus: Corpus, signatures: np.ndarray, settings: Settings
) -> list[Finding]:
    """``index_duplicate`` findings for documents already admitted (empty bodies skipped)."""
    docs = corpus.documents
    has_body = [int(w or 0) > 0 for w in docs.get("word_count", [0] * len(docs))]
    ids = [d for d, ok in zip(docs["doc_id"], has_body, strict=True) if ok]
    try:
        matches = index.query(ids, signatures[np.asarray(has_body, dtype=bool)])
    except IndexError_ as exc:
        raise ConfigError(str(exc)) from None
    return index_findings(matches, settings.gate.index_duplicate_severity)


def _admit(
    index: CorpusIndex,
    gate: GateDecision,
    results: dict[str, Any],
    signatures: np.ndarray,
    settings: Settings,
) -> dict[str, Any]:
    """Admit the accepted documents after a passing gate (only with --admit)."""
    summary: dict[str, Any] = {"location": index.location, "admitted": None}
    if settings.admit:
        fields = ("doc_id", "source", "published", "word_count")  # what admitting reads
        docs = [{k: d.get(k) for k in fields} for d in results["documents"]]
        keep = [i for i, d in enumerate(docs) if d["word_count"] > 0]
        try:
            done = admit_batch(index, gate, [docs[i] for i in keep], signatures[keep])
        except IndexError_ as exc:
            raise ConfigError(str(exc)) from None
        if done is not None:
            summary["admitted"] = done.added + done.replaced
    index.close()
    return summary


def _create_spool(out: str | None) -> Spool:
    """The run's spool, under ``out``: an output folder that cannot be one is exit 2 now."""
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise ConfigError(f"--out {out}: not a folder")
    foreign = _foreign_entry(Path(out)) if out is not None else None
    if foreign is not None:
        raise ConfigError(
            f"--out {out}: holds a '{foreign}' that audit did not write (a run would change it);"
            " choose another folder"
        )
    try:
        return Spool.create(out)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot write there: {exc.strerror or exc}") from None


def _foreign_entry(out: Path) -> str | None:
    """The name a run writes that ``out`` holds though it is not an output folder of ours.

    Ours: it has the marker, or (copied without its hidden files, as CI artifacts
    are) a ``latest/results.json`` or a history whose first line is a run's.
    """
    if (out / OUTPUT_MARKER).exists() or (out / "latest" / "results.json").is_file():
        return None
    history = out / HISTORY_FILE
    if history.exists() or history.is_symlink():
        try:
            with history.open("rb") as fh:
                first = json.loads(fh.readline(1 << 20) or b"null")
        except (OSError, ValueError):
            first = None
        if not (isinstance(first, dict) and "run_id" in first):
            return HISTORY_FILE
    latest = out / "latest"
    return "latest" if latest.exists() or latest.is_symlink() else None


def check_settings(settings: Settings) -> None:
    """Refuse settings that cannot work, with a one-line reason."""
    if settings.fail_on not in FAIL_ON:
        raise ConfigError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {settings.fail_on!r}")
    if settings.format not in ("text", "json"):
        raise ConfigError(f"format must be text or json, not {settings.format!r}")
    if settings.engine not in ("local", "dask"):
        raise ConfigError(f"engine must be local or dask, not {settings.engine!r}")
    if not 1 <= settings.jobs <= MAX_JOBS:
        raise ConfigError(f"jobs must be from 1 to {MAX_JOBS}, not {settings.jobs}")
    if settings.inputs.chunk_size < 1:
        raise ConfigError("inputs.chunk_size must be at least 1")
    if settings.inputs.max_doc_bytes < 1:
        raise ConfigError("inputs.max_doc_bytes must be at least 1")
    if settings.inputs.max_token_chars < 0:
        raise ConfigError("inputs.max_token_chars must be 0 (no check) or more")
    if settings.inputs.max_documents < 0:
        raise ConfigError("inputs.max_documents must be 0 (no limit) or more")
    for name, column in settings.inputs.columns.items():
        if name not in ALIASES:
            raise ConfigError(
                f"--column {name}={column}: no field {name!r} (fields: {', '.join(ALIASES)})"
            )
        if not column:
            raise ConfigError(f"--column {name}=: which column holds {name}?")
    if settings.admit and not settings.index:
        raise ConfigError("--admit needs --index")
    if not settings.paths:
        raise ConfigError("no input paths")
    check_dedup_settings(settings.dedup)
