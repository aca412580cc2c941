"""Settings: frozen dataclasses, layered defaults < pyproject/audit.toml < command line.

Every option of ``audit run`` has a key here, so a team can keep its settings in
``audit.toml`` (or ``[tool.audit]`` in ``pyproject.toml``) and override any of
them on the command line.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A settings file or option that cannot be used; the run stops with exit 2."""


HTML_FAVOR = ("balanced", "precision", "recall")


def available_cores() -> int:
    """The CPU cores this process may run on (the default number of jobs)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class HtmlSettings:
    """How HTML pages are extracted (trafilatura; see docs/html.md)."""

    favor: str = "balanced"  # balanced | precision (less chrome) | recall (more text)
    fast: bool = False  # skip trafilatura's fallback extractors: faster, a little less accurate
    max_dropped_lines: int = 100  # chrome lines kept per page as boilerplate evidence

    def __post_init__(self) -> None:
        if self.favor not in HTML_FAVOR:
            raise ConfigError(
                f"inputs.html.favor must be one of {', '.join(HTML_FAVOR)}, not {self.favor!r}"
            )
        if self.max_dropped_lines < 0:
            raise ConfigError("inputs.html.max_dropped_lines must be 0 or more")


@dataclass(frozen=True)
class InputSettings:
    """How inputs are found and read."""

    include: tuple[str, ...] = ()  # glob patterns a file's relative path must match (any)
    exclude: tuple[str, ...] = ()  # glob patterns that skip a file
    columns: dict[str, str] = field(default_factory=dict)  # our name -> column name
    chunk_size: int = 5_000
    # A text file, JSON line or table row larger than this (UTF-8 bytes, after gzip)
    # is not read into memory: it becomes a resource_limit finding.
    max_doc_bytes: int = 20_000_000
    # 0: no limit. Past it nothing more is read: the rest of the file being read and
    # each later file become one resource_limit finding each.
    max_documents: int = 0
    # A run of more characters than this without a space (an inlined image or script,
    # a failed extraction) is a long_token finding; 0 turns the check off.
    max_token_chars: int = 5_000
    html: HtmlSettings = field(default_factory=HtmlSettings)


@dataclass(frozen=True)
class ParseSettings:
    """The scraped-dump parser."""

    patterns: tuple[str, ...] = ()  # extra pattern files (TOML), applied before the defaults


@dataclass(frozen=True)
class DedupSettings:
    """Duplicate detection within and across documents (justified in docs/dedup.md)."""

    # signatures
    shingle_size: int = 5  # words per shingle of a document body
    num_perm: int = 128  # MinHash permutations
    seed: int = 1  # MinHash seed (datasketch's default)
    threshold: float = 0.5  # LSH Jaccard threshold of the persistent corpus index (--index)
    # in-batch candidates: MinHashLSH bands/rows derived by datasketch's optimizer from these
    candidate_threshold: float = 0.2  # LSH Jaccard threshold for candidate pairs in a batch
    lsh_recall_weight: float = 0.9  # weight of false negatives in the optimizer (1 - it: of FPs)
    # verification: a pair is a copy if Jaccard >= min_jaccard, or if the smaller body has
    # at least min_containment_shingles shingles and is contained >= min_containment
    min_jaccard: float = 0.3
    min_containment: float = 0.6
    min_containment_shingles: int = 20
    verify_slack: float = 0.1  # MinHash estimates this far below a threshold still get checked
    max_passages: int = 5  # shared passages listed per pair
    # repeats inside a document
    paragraph_shingle_size: int = 3
    paragraph_threshold: float = 0.7  # near-repeat of a paragraph: Jaccard at least this
    min_paragraph_words: int = 5  # shorter paragraphs are not compared as near repeats
    min_repeat_words: int = 3  # shorter paragraphs are not compared at all
    # per-source templates
    template_min_docs: int = 3  # a paragraph in this many different stories of one source
    # credited syndication
    credit_files: tuple[str, ...] = ()  # extra agency/credit files (TOML), read before ours
    # severities of the findings
    repeat_severity: str = "warning"
    exact_severity: str = "error"
    near_severity: str = "warning"
    syndicated_severity: str = "warning"
    credited_syndication_severity: str = "info"


@dataclass(frozen=True)
class SignalSettings:
    """How signal functions read documents (thresholds that gate live in the suites)."""

    language: str = "en"  # expected language(s), comma-separated: the suites' $languages
    # garble_score is calibrated so that 0.5 is passed by about 1% of clean news
    # articles (docs/garble.md); the translation suite gates on it
    garble_threshold: float = 0.5
    garble_max_spans: int = 50  # evidence spans kept per document
    dayfirst: bool = False  # read 05/10/2022 as 5 October rather than May 10
    # metadata keys (lower-case, `_` for spaces) that hold each date, tried in order
    published_keys: tuple[str, ...] = (
        "date",
        "published",
        "published_at",
        "publish_date",
        "published_date",
        "date_published",
        "datepublished",
        "pubdate",
        "date_publish",
    )
    created_keys: tuple[str, ...] = ("created", "created_at", "date_created", "datecreated")
    updated_keys: tuple[str, ...] = (
        "updated",
        "updated_at",
        "modified",
        "last_modified",
        "date_modified",
        "datemodified",
    )
    last_read_keys: tuple[str, ...] = (
        "last_read",
        "crawled",
        "crawled_at",
        "crawl_date",
        "fetched",
        "fetched_at",
        "scraped_at",
        "retrieved",
        "retrieved_at",
        "accessed",
    )
    summary_keys: tuple[str, ...] = ("summary", "description", "abstract", "excerpt")
    # paragraph roles that count as chrome mixed into the text ...
    boilerplate_roles: tuple[str, ...] = ("boilerplate", "related")
    # ... except lines given by these parser rules: a reader app's labelled appendix
    boilerplate_exempt_reasons: tuple[str, ...] = ("similar_readings",)
    sentence_end: str = ".!?。！？)]"  # a text ending with one of these is complete
    closing_quotes: str = "\"'”’»"  # skipped before looking for the sentence end
    language_sample_chars: int = 400  # body characters the language detector reads
    html_date_tolerance_days: float = 1.0  # page dates further apart are date_inconsistent


@dataclass(frozen=True)
class ReportSettings:
    """Caps that keep report.html small on large runs; results.json keeps everything."""

    max_table_rows: int = 10_000  # rows in the documents table, most severe first
    max_detail_documents: int = 2_000  # documents whose text and evidence are embedded
    max_detail_chars: int = 1_200_000  # total characters of embedded document text
    max_document_chars: int = 20_000  # characters of one document's text shown
    max_pairs: int = 200  # duplicate pairs with a side-by-side view (within 2/5 of the detail)
    max_shared_spans: int = 200  # shared passages highlighted per pair
    max_clusters: int = 300  # clusters listed
    max_links: int = 8  # document links listed per check, cluster or pair list
    max_evidence_chars: int = 4_000  # characters of one finding's evidence shown as JSON
    history_runs: int = 50  # earlier runs shown in the trend chart


@dataclass(frozen=True)
class GateSettings:
    """The ingestion gate, the corpus index and the run history (docs/index.md, docs/ci.md)."""

    index_duplicate_severity: str = "error"  # severity of index_duplicate findings
    index_timeout_s: float = 30.0  # how long an admit waits for another run's admit
    index_lock_ttl_s: float = 600.0  # Redis: a crashed admitter's lock expires after this
    history_baseline_runs: int = 10  # passing runs the baseline is drawn from
    summary_max_documents: int = 20  # quarantined documents listed in summary.md

    def __post_init__(self) -> None:
        """Reject values the gate cannot use."""
        if self.index_duplicate_severity not in ("error", "warning", "info"):
            raise ConfigError(
                "setting 'gate.index_duplicate_severity' must be error, warning or info, "
                f"not {self.index_duplicate_severity!r}"
            )
        for name in ("index_timeout_s", "index_lock_ttl_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"setting 'gate.{name}' must be positive")
        for name in ("history_baseline_runs", "summary_max_documents"):
            if getattr(self, name) < 1:
                raise ConfigError(f"setting 'gate.{name}' must be at least 1")


@dataclass(frozen=True)
class Settings:
    """Everything one run needs to know.

    Example:
        >>> s = Settings.load(overrides={"fail_on": "warning"})
        >>> s.fail_on
        'warning'
    """

    paths: tuple[str, ...] = ("seeds",)
    out: str = "reports"
    suites: str = "expectations"
    fail_on: str = "error"
    index: str | None = None
    admit: bool = False
    format: str = "text"
    jobs: int = field(default_factory=available_cores)
    engine: str = "local"
    scheduler: str | None = None
    progress: bool = True
    inputs: InputSettings = field(default_factory=InputSettings)
    parse: ParseSettings = field(default_factory=ParseSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    signals: SignalSettings = field(default_factory=SignalSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    gate: GateSettings = field(default_factory=GateSettings)

    @classmethod
    def load(
        cls,
        config_file: str | Path | None = None,
        overrides: dict[str, Any] | None = None,
        cwd: str | Path = ".",
    ) -> Settings:
        """Layer defaults, ``[tool.audit]`` of pyproject.toml, audit.toml or ``config_file``,
        then ``overrides`` (the command line; None values are ignored)."""
        merged: dict[str, Any] = {}
        base = Path(cwd)
        pyproject = base / "pyproject.toml"
        if pyproject.is_file():
            merged = _merge(merged, _tool_audit(_read_toml(pyproject), pyproject, {}))
        file = Path(config_file) if config_file else base / "audit.toml"
        if config_file and not file.exists():
            raise ConfigError(f"{file}: config file not found")
        if file.exists() and not file.is_file():
            raise ConfigError(f"{file}: not a settings file (a folder or a device)")
        if file.is_file():
            data = _read_toml(file)
            merged = _merge(merged, _tool_audit(data, file, data))
        merged = _merge(merged, {k: v for k, v in (overrides or {}).items() if v is not None})
        return _build(cls, merged, "")

    def to_dict(self) -> dict[str, Any]:
        """Settings as plain data, for results.json."""
        return dataclasses.asdict(self)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8
        raise ConfigError(f"{path}: cannot read settings: not UTF-8 ({exc.reason})") from None


def _tool_audit(data: dict[str, Any], path: Path, default: dict[str, Any]) -> dict[str, Any]:
    """``[tool.audit]`` of a settings file, or ``default`` when it has none."""
    tool = data.get("tool")
    if tool is None:
        return default
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: setting 'tool' must be a table")
    if "audit" not in tool:
        return default
    if not isinstance(tool["audit"], dict):
        raise ConfigError(f"{path}: setting 'tool.audit' must be a table")
    return dict(tool["audit"])


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        key = key.replace("-", "_")
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _build(cls: Any, data: dict[str, Any], prefix: str) -> Any:
    """Build dataclass ``cls`` from ``data``, checking names and types."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"unknown setting '{prefix}{key}'")
        default = getattr(cls(), key)
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"setting '{prefix}{key}' must be a table")
            kwargs[key] = _build(type(default), value, f"{prefix}{key}.")
        else:
            kwargs[key] = _coerce(value, default, f"{prefix}{key}")
    return cls(**kwargs)


def _coerce(value: Any, default: Any, name: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"setting '{name}' must be true or false, not {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"setting '{name}' must be an integer, not {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"setting '{name}' must be a number, not {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"setting '{name}' must be a list of strings")
        return tuple(value)
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"setting '{name}' must be a table")
        return {str(k): str(v) for k, v in value.items()}
    if default is None or isinstance(default, str):
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"setting '{name}' must be a string, not {value!r}")
        return value
    return value
