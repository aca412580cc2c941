"""Credited syndication: a document that names a wire service or agency as its origin.

The agencies, the places a credit stands (credit lines, the dateline, a line of
its own, ``Source: ...``) and the lines to ignore are data
(``audit/data/credits.toml``, extended by ``[dedup] credit_files``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.config import ConfigError, DedupSettings
from audit.model import Check, Chunk, Finding, Role, Severity

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "credits.toml"
_WHERE = ("credit", "lead", "line")
_LEAD_CHARS = 200
_CREDIT_ROLES = frozenset({Role.CREDIT.value, Role.DATELINE.value})
_NOT_LINE_ROLES = frozenset({Role.TITLE.value, Role.METADATA.value, Role.SUMMARY.value})
_BODY = Role.BODY.value


@dataclass(frozen=True, slots=True)
class Rule:
    """One place a credit stands: a compiled pattern and where it applies."""

    name: str
    where: str
    pattern: re.Pattern[str]
    origin: bool  # an [[origin]] rule: the `origin` group is a domain
    anchored: bool  # the pattern starts with ^: only a match at the start counts

    def matches(self, text: str) -> list[re.Match[str]]:
        """The rule's matches in ``text``."""
        if self.anchored:
            m = self.pattern.match(text)
            return [m] if m else []
        return list(self.pattern.finditer(text))


@dataclass(frozen=True, slots=True)
class Credits:
    """The agencies and credit rules in force."""

    agencies: tuple[str, ...]
    domains: dict[str, str]  # site -> agency name
    aliases: dict[str, str]  # alias as written (capitals) or lower-cased -> agency name
    rules: tuple[Rule, ...]
    exclude: re.Pattern[str] | None
    line_chars: int  # "line" rules look at lines up to this long (longer ones are prose)

    def agency_of_alias(self, text: str) -> str | None:
        """The agency a matched alias names."""
        key = " ".join(text.split())
        return self.aliases.get(key) or self.aliases.get(key.lower())

    def agency_of_domain(self, domain: str | None) -> str | None:
        """The agency whose site ``domain`` is (or is under), if any."""
        host = _host(domain)
        while host:
            if host in self.domains:
                return self.domains[host]
            _, _, host = host.partition(".")
        return None


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def _host(domain: object) -> str:
    """``https://www.Example.com/x`` -> ``example.com``."""
    return _host_of(domain) if isinstance(domain, str) else ""


@lru_cache(maxsize=65536)
def _host_of(domain: str) -> str:
    host = _SCHEME.sub("", domain.strip().lower()).split("/")[0].split(":")[0]
    return host.removeprefix("www.")


def _is_short_caps(alias: str) -> bool:
    return len(alias) <= 4 and alias.isupper()


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read credit file: {exc}") from None


def load_credits(settings: DedupSettings) -> Credits:
    """The agencies and rules of ``settings.credit_files`` followed by the shipped file.

    Raises:
        ConfigError: a credit file is missing, is not TOML, or holds a bad pattern.
    """
    return _load(tuple(settings.credit_files))


@lru_cache(maxsize=8)
def _load(files: tuple[str, ...]) -> Credits:
    agencies: dict[str, dict[str, Any]] = {}
    raw_rules: list[tuple[dict[str, Any], bool, Path]] = []
    line_chars: int | None = None
    excludes: list[str] = []
    for file in (*[Path(f) for f in files], DEFAULT_FILE):
        data = _read(file)
        for a in data.get("agency", []):
            name = a.get("name")
            if not isinstance(name, str) or not name:
                raise ConfigError(f"{file}: every [[agency]] needs a name")
            agencies.setdefault(name, a)
        raw_rules += [(r, False, file) for r in data.get("rule", [])]
        raw_rules += [(r, True, file) for r in data.get("origin", [])]
        limit = data.get("limits", {}).get("line_chars")
        if line_chars is None and limit is not None:
            if not isinstance(limit, int) or limit < 1:
                raise ConfigError(f"{file}: [limits] line_chars must be a positive integer")
            line_chars = limit
        ex = data.get("exclude", {}).get("pattern")
        if isinstance(ex, str):
            excludes.append(ex)
    aliases: dict[str, str] = {}
    domains: dict[str, str] = {}
    alternatives: list[str] = []
    for name, a in agencies.items():
        for alias in [name, *a.get("aliases", [])]:
            if not isinstance(alias, str) or not alias.strip():
                continue
            alias = " ".join(alias.split())
            if _is_short_caps(alias):
                aliases.setdefault(alias, name)
                alternatives.append(f"(?-i:{re.escape(alias)})")
            else:
                aliases.setdefault(alias.lower(), name)
                alternatives.append(re.escape(alias).replace(r"\ ", r"\s+"))
        for d in a.get("domains", []):
            domains.setdefault(_host(d), name)
    # longest first so "Kyodo News" wins over "Kyodo"
    alternatives.sort(key=len, reverse=True)
    group = "(?P<agency>" + "|".join(alternatives) + ")"
    rules: list[Rule] = []
    for r, origin, file in raw_rules:
        name, where, pattern = r.get("name"), r.get("where", "line"), r.get("pattern")
        if not isinstance(name, str) or not isinstance(pattern, str) or where not in _WHERE:
            raise ConfigError(f"{file}: rule {name!r} needs a name, a pattern, where in {_WHERE}")
        try:
            compiled = re.compile(pattern.replace("{agency}", group), re.IGNORECASE)
        except re.error as exc:
            raise ConfigError(f"{file}: rule {name!r}: bad pattern: {exc}") from None
        if origin and "origin" not in compiled.groupindex:
            raise ConfigError(f"{file}: origin rule {name!r} needs an (?P<origin>...) group")
        rules.append(Rule(name, where, compiled, origin, pattern.lstrip().startswith("^")))
    try:
        exclude = re.compile("|".join(f"(?:{e})" for e in excludes), re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"credit exclude pattern: {exc}") from None
    return Credits(
        tuple(agencies),
        domains,
        aliases,
        tuple(rules),
        exclude if excludes else None,
        line_chars or 300,
    )


def find_credits(
    lines: list[tuple[int, int | None, str, str, int]],
    domain: str | None,
    credits: Credits,
) -> list[dict[str, Any]]:
    """The credits in one document's lines.

    Args:
        lines: ``(idx, line, role, text, start)`` per paragraph, in order.
        domain: the document's own domain (its own agency is not a credit).
        credits: from :func:`load_credits`.

    Returns:
        One dict per credited agency or origin site (first mention): ``agency``,
        ``idx``, ``line``, ``text``, ``span`` (offsets in the document text), ``rule``.
    """
    own = credits.agency_of_domain(domain)
    own_host = _host(domain)
    found: dict[str, dict[str, Any]] = {}
    first_body = next((ln[0] for ln in lines if ln[2] == _BODY), None)
    for idx, lineno, role, text, start in lines:
        if not text or (credits.exclude is not None and credits.exclude.search(text)):
            continue
        for rule in credits.rules:
            if rule.where == "credit" and role not in _CREDIT_ROLES:
                continue
            if rule.where == "line" and (role in _NOT_LINE_ROLES or len(text) > credits.line_chars):
                continue
            if rule.where == "lead" and idx != first_body:
                continue
            subject = text[:_LEAD_CHARS] if rule.where == "lead" else text
            for m in rule.matches(subject):
                if rule.origin:
                    origin = _host(m.group("origin"))
                    name = credits.agency_of_domain(origin) or origin
                    if not origin or origin == own_host or own_host.endswith("." + origin):
                        continue
                    group = "origin"
                else:
                    name = credits.agency_of_alias(m.group("agency")) or ""
                    group = "agency"
                if not name or name == own or name in found:
                    continue
                s, e = m.span(group)
                found[name] = {
                    "agency": name,
                    "idx": idx,
                    "line": lineno,
                    "text": text[:200],
                    "span": [start + s, start + e],
                    "rule": rule.name,
                }
    return sorted(found.values(), key=lambda c: (c["idx"], c["span"][0]))


def credited_syndication(chunk: Chunk, settings: DedupSettings) -> None:
    """Find credited agencies in every document of ``chunk``, in place.

    Adds ``credited`` to ``chunk.documents`` (the credited agency names, or origin
    sites, sorted) and appends a ``syndicated_copy`` finding (severity
    ``settings.credited_syndication_severity``) per crediting document.

    Example:
        >>> from audit.model import Chunk
        >>> par = [{"doc_id": "d", "idx": 0, "text": "Rain fell all day.", "role": "body",
        ...         "line": 1, "start": 0},
        ...        {"doc_id": "d", "idx": 1, "text": "Source: Kyodo", "role": "credit",
        ...         "line": 2, "start": 19}]
        >>> c = Chunk.from_records([{"doc_id": "d", "text": "..."}], par)
        >>> credited_syndication(c, DedupSettings())
        >>> c.documents["credited"].tolist()
        [['Kyodo News']]
    """
    credits = load_credits(settings)
    severity = Severity(settings.credited_syndication_severity)
    docs = chunk.documents
    par = chunk.paragraphs
    by_doc: dict[Any, list[tuple[int, int | None, str, str, int]]] = {}
    if len(par):
        doc_ids = par["doc_id"].tolist()
        idxs = par["idx"].tolist()
        lines = _ints(par["line"])
        roles = par["role"].astype(str).tolist()
        texts = par["text"].tolist()
        starts = _ints(par["start"]) if "start" in par.columns else [None] * len(par)
        for row in sorted(range(len(par)), key=lambda r: (str(doc_ids[r]), idxs[r])):
            text = texts[row]
            by_doc.setdefault(doc_ids[row], []).append(
                (
                    int(idxs[row]),
                    lines[row],
                    roles[row],
                    text if isinstance(text, str) else "",
                    starts[row] or 0,
                )
            )
    domains = docs["domain"].tolist() if "domain" in docs.columns else [None] * len(docs)
    credited: list[list[str]] = []
    for doc_id, domain in zip(docs["doc_id"].tolist(), domains, strict=True):
        found = find_credits(by_doc.get(doc_id, []), domain, credits)
        credited.append(sorted(c["agency"] for c in found))
        if not found:
            continue
        names = ", ".join(c["agency"] for c in found)
        lines = sorted({c["line"] for c in found if c["line"] is not None})
        where = f" (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))})"
        chunk.findings.append(
            Finding(
                doc_id=doc_id,
                check=Check.SYNDICATED_COPY.value,
                severity=severity,
                message=f"credits {names} as its origin{where if lines else ''}",
                evidence={"kind": "credited", "credits": found},
            )
        )
    docs["credited"] = pd.Series(credited, index=docs.index, dtype=object)


def _ints(column: pd.Series) -> list[int | None]:
    """A column as Python ints, None where missing or not a number."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return [None if v != v else int(v) for v in values.tolist()]
