"""What the HTML report shows, read defensively from a results document.

``build_view`` turns results.json (plus the run history) into plain data for the
template and the page script: the summary, the checks, a compact documents table,
the embedded document and pair views, and the figures behind the charts. It
computes nothing the results lack; it selects, orders, caps and counts. Absent or
malformed optional keys are skipped, never fatal.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import math
import tomllib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from typing import Any

from audit.config import ReportSettings
from audit.model import Check

VERDICTS: tuple[str, ...] = ("quarantine", "warn", "accept")
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
_SEVERITY_RANK = {"error": 2, "warning": 1, "info": 0}
_VERDICT_RANK = {"quarantine": 2, "warn": 1, "accept": 0}
GARBLE_BINS = 40
SIMILARITY_BINS = 20
TOP_SOURCES = 15

# Marks drawn inside a paragraph, by the check whose evidence names the span.
_SPAN_KIND = {
    "garbled_text": "garble",
    "mojibake": "garble",
    "date_inconsistent": "date",
    "missing_date": "date",
    "truncated_text": "truncated",
    "boilerplate": "chrome",
}


def limits_from(results: Mapping[str, Any], limits: ReportSettings | None) -> ReportSettings:
    """The caps to use: ``limits`` if given, else ``run.settings.report``, else defaults."""
    if limits is not None:
        return limits
    settings = _as_dict(_as_dict(results.get("run")).get("settings"))
    section = _as_dict(settings.get("report"))
    names = {f.name for f in dataclasses.fields(ReportSettings)}
    return ReportSettings(
        **{k: v for k, v in section.items() if k in names and _int(v) is not None and v >= 0}
    )


def check_descriptions() -> dict[str, dict[str, str]]:
    """Rationale and remedy per check name, from ``audit/data/checks.toml``."""
    text = resources.files("audit").joinpath("data/checks.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return {k: {kk: str(vv) for kk, vv in v.items()} for k, v in data.items()}


def build_view(
    results: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] | None,
    limits: ReportSettings,
) -> dict[str, Any]:
    """Everything the report shows, as plain data (strings unescaped; the template escapes)."""
    # A large results document makes every cyclic-GC pass walk millions of objects while
    # this builds hundreds of thousands of small ones; nothing built here forms cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_view(_as_dict(results), history, limits)
    finally:
        if was_enabled:
            gc.enable()


def _build_view(
    results: dict[str, Any],
    history: Sequence[Mapping[str, Any]] | None,
    limits: ReportSettings,
) -> dict[str, Any]:
    run = _as_dict(results.get("run"))
    gate = _as_dict(results.get("gate"))
    raw_docs = _Documents(results.get("documents"))
    notes: list[str] = []

    docs = [_DocSummary.read(i, d) for i, d in enumerate(raw_docs)]
    order = sorted(range(len(docs)), key=lambda i: docs[i].priority)
    by_id = {d.doc_id: i for i, d in enumerate(docs)}

    check_names = _check_names(docs, results)
    check_index = {c: i for i, c in enumerate(check_names)}
    sources = sorted({d.source for d in docs})
    source_index = {s: i for i, s in enumerate(sources)}

    table_rows = [
        docs[i].row(source_index, check_index) for i in order[: max(limits.max_table_rows, 0)]
    ]
    if len(docs) > len(table_rows):
        notes.append(
            f"The documents table lists the {len(table_rows):,} most severe of "
            f"{len(docs):,} documents; results.json lists all of them."
        )

    clusters, pairs, pair_doc_ids = _clusters(results, limits, by_id)
    details, detail_note = _details(raw_docs, docs, order, pair_doc_ids, by_id, limits)
    pairs = [p for p in pairs if p["a"] in details and p["b"] in details]
    for n, p in enumerate(pairs):
        p["n"] = n
    shown_pairs = {(p["cluster"], p["index"]): p["n"] for p in pairs}
    for cluster in clusters:
        for pair in cluster["pairs"]:
            pair["view"] = shown_pairs.get((cluster["id"], pair["index"]))
    n_all_pairs = sum(c["n_pairs"] for c in clusters)
    if detail_note:
        notes.append(detail_note)
    if n_all_pairs > len(pairs):
        notes.append(
            f"Side-by-side views are included for {len(pairs):,} of {n_all_pairs:,} "
            "listed duplicate pairs."
        )
    n_clusters = len(_as_list(results.get("clusters")))
    if n_clusters > len(clusters):
        notes.append(f"{len(clusters):,} of {n_clusters:,} clusters are listed.")

    verdicts = Counter(d.verdict for d in docs)
    descriptions = check_descriptions()
    return {
        "title": f"audit report: {_str(run.get('id')) or 'run'}",
        "run": _run_view(run),
        "settings": _flatten(_as_dict(run.get("settings"))),
        "gate": _gate_view(gate),
        "verdicts": {v: verdicts.get(v, 0) for v in VERDICTS},
        "n_documents": len(docs),
        "by_check": _by_check(docs, check_names),
        "detectors": _detectors(docs, order, check_names, descriptions, limits),
        "expectations": _expectations(results, descriptions, limits),
        "clusters": clusters,
        "n_clusters": n_clusters,
        "cluster_kinds": dict(Counter(c["kind"] for c in clusters)),
        "notes": notes,
        "figures": {
            "trend": _trend(run, gate, history, limits),
            "garble": _garble_histogram(docs, run),
            "similarity": _similarity_histogram(results, run),
            "sources": _findings_per_source(docs),
        },
        "data": {
            "checks": check_names,
            "sources": sources,
            "verdicts": list(VERDICTS),
            "rows": table_rows,
            "n_documents": len(docs),
            "details": details,
            "pairs": pairs,
        },
    }


@dataclasses.dataclass(slots=True)
class _DocSummary:
    """The few fields of one document the table, counts and charts need."""

    index: int
    doc_id: str
    title: str
    source: str
    verdict: str
    published: str
    word_count: int | None
    garble: float | None
    severities: dict[str, int]  # findings per severity
    checks: dict[str, str]  # check -> most severe severity
    priority: tuple[int, int, int, int, int]

    @classmethod
    def read(cls, index: int, doc: Mapping[str, Any]) -> _DocSummary:
        """Read one ``documents[]`` entry, tolerating absent or odd fields."""
        severities = {"error": 0, "warning": 0, "info": 0}
        checks: dict[str, str] = {}
        findings = doc.get("findings")
        for f in findings if isinstance(findings, list) else ():
            if not isinstance(f, dict):
                continue
            sev = f.get("severity")
            if sev not in severities:
                sev = _severity(sev)
            severities[sev] += 1
            name = f.get("check")
            if not isinstance(name, str):
                name = _str(name) or "unknown"
            held = checks.get(name)
            if held is None or _SEVERITY_RANK[sev] > _SEVERITY_RANK[held]:
                checks[name] = sev
        verdict = _str(doc.get("verdict"))
        if verdict not in _VERDICT_RANK:
            verdict = "accept"
        signals = _as_dict(doc.get("signals"))
        priority = (
            -_VERDICT_RANK[verdict],
            -severities["error"],
            -severities["warning"],
            -severities["info"],
            index,
        )
        return cls(
            index=index,
            doc_id=_str(doc.get("doc_id")) or f"document {index + 1}",
            title=_str(doc.get("title")),
            source=_str(doc.get("source")) or _str(doc.get("domain")) or "(unknown)",
            verdict=verdict,
            published=_str(doc.get("published")),
            word_count=_int(doc.get("word_count")),
            garble=_unit(signals.get("garble_score")),
            severities=severities,
            checks=checks,
            priority=priority,
        )

    def row(self, source_index: Mapping[str, int], check_index: Mapping[str, int]) -> list[Any]:
        """The compact table row the page script reads (see ``ROW_FIELDS`` in report.js)."""
        return [
            self.doc_id,
            self.title[:80],
            source_index[self.source],
            VERDICTS.index(self.verdict),
            self.severities["error"],
            self.severities["warning"],
            self.severities["info"],
            sorted(check_index[c] for c in self.checks),
            # Floored, so that "garble >= t" filters agree with the full value for t in 0.001 steps.
            None if self.garble is None else math.floor(self.garble * 1000 + 1e-9) / 1000,
            self.word_count,
            self.published[:10],
        ]


def _check_names(docs: Sequence[_DocSummary], results: Mapping[str, Any]) -> list[str]:
    seen = {c for d in docs for c in d.checks}
    for e in _as_list(results.get("expectations")):
        if isinstance(e, dict) and _str(e.get("check")):
            seen.add(_str(e.get("check")))
    known = [c.value for c in Check]
    return known + sorted(seen - set(known))


def _by_check(docs: Sequence[_DocSummary], names: Sequence[str]) -> list[dict[str, Any]]:
    """Documents per check and severity, only checks that fired, most documents first."""
    table: dict[str, Counter[str]] = {}
    for d in docs:
        for check, sev in d.checks.items():
            table.setdefault(check, Counter())[sev] += 1
    rows: list[dict[str, Any]] = [
        {"check": c, **{s: table[c][s] for s in SEVERITIES}, "documents": sum(table[c].values())}
        for c in names
        if c in table
    ]
    rows.sort(key=lambda r: (-r["error"], -r["documents"], r["check"]))
    top = max((r["documents"] for r in rows), default=1) or 1
    for r in rows:
        r["share"] = round(100 * r["documents"] / top, 1)
    return rows


def _detectors(
    docs: Sequence[_DocSummary],
    order: Sequence[int],
    names: Sequence[str],
    descriptions: Mapping[str, Mapping[str, str]],
    limits: ReportSettings,
) -> list[dict[str, Any]]:
    """One entry per check: status, severities seen and the first failing documents."""
    hits: dict[str, list[str]] = {c: [] for c in names}
    counts: dict[str, Counter[str]] = {c: Counter() for c in names}
    for i in order:
        d = docs[i]
        for check, sev in d.checks.items():
            counts[check][sev] += 1
            if len(hits[check]) < limits.max_links:
                hits[check].append(d.doc_id)
    out: list[dict[str, Any]] = []
    for c in names:
        n = sum(counts[c].values())
        status = "passed"
        if counts[c]["error"]:
            status = "failed"
        elif counts[c]["warning"]:
            status = "warned"
        elif counts[c]["info"]:
            status = "noted"
        desc = descriptions.get(c, {})
        out.append(
            {
                "check": c,
                "status": status,
                "documents": n,
                "severities": {s: counts[c][s] for s in SEVERITIES},
                "doc_ids": hits[c],
                "more": n - len(hits[c]),
                "rationale": desc.get("rationale", ""),
                "remedy": desc.get("remedy", ""),
            }
        )
    rank = {"failed": 0, "warned": 1, "noted": 2, "passed": 3}
    out.sort(key=lambda r: (rank[r["status"]], -r["documents"], r["check"]))
    return out


def _expectations(
    results: Mapping[str, Any],
    descriptions: Mapping[str, Mapping[str, str]],
    limits: ReportSettings,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for e in _as_list(results.get("expectations")):
        if not isinstance(e, dict):
            continue
        check = _str(e.get("check"))
        desc = descriptions.get(check, {})
        ids = [_str(x) for x in _as_list(e.get("doc_ids"))]
        out.append(
            {
                "suite": _str(e.get("suite")),
                "expectation": _str(e.get("expectation")),
                "check": check,
                "severity": _severity(e.get("severity")),
                "success": bool(e.get("success")),
                "unexpected_count": _int(e.get("unexpected_count")) or len(ids),
                "doc_ids": ids[: limits.max_links],
                "more": max(len(ids) - limits.max_links, 0),
                "rationale": _str(e.get("rationale")) or desc.get("rationale", ""),
                "remedy": _str(e.get("remedy")) or desc.get("remedy", ""),
            }
        )
    out.sort(key=lambda r: (r["success"], -_SEVERITY_RANK[r["severity"]], r["suite"]))
    return out


def _clusters(
    results: Mapping[str, Any], limits: ReportSettings, by_id: Mapping[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, str]]]:
    """Listed clusters, candidate pair views (in order) and the documents those need."""
    clusters: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    need: list[tuple[str, str]] = []
    for n, raw in enumerate(_as_list(results.get("clusters"))[: max(limits.max_clusters, 0)]):
        c = _as_dict(raw)
        cid = _str(c.get("id")) or f"cluster {n + 1}"
        members = [_str(m) for m in _as_list(c.get("members"))]
        listed_pairs: list[dict[str, Any]] = []
        for k, rp in enumerate(_as_list(c.get("pairs"))):
            p = _as_dict(rp)
            a, b = _str(p.get("a")), _str(p.get("b"))
            if not a or not b:
                continue
            entry = {
                "index": k,
                "a": a,
                "b": b,
                "jaccard": _unit(p.get("jaccard")),
                "containment": _unit(p.get("containment")),
                "n_shared": len(_as_list(p.get("shared"))),
                "view": None,
            }
            if len(listed_pairs) < limits.max_links:
                listed_pairs.append(entry)
            if len(pairs) < limits.max_pairs and a in by_id and b in by_id:
                pairs.append(
                    {
                        "cluster": cid,
                        "kind": _str(c.get("kind")),
                        "index": k,
                        "a": a,
                        "b": b,
                        "jaccard": entry["jaccard"],
                        "containment": entry["containment"],
                        "shared": _shared(p.get("shared"), limits.max_shared_spans),
                    }
                )
                need.append((a, b))
        clusters.append(
            {
                "id": cid,
                "kind": _str(c.get("kind")) or "unknown",
                "canonical": _str(c.get("canonical")),
                "members": members[: limits.max_links],
                "more_members": max(len(members) - limits.max_links, 0),
                "size": _int(c.get("size")) or len(members),
                "pairs": listed_pairs,
                "n_pairs": len(_as_list(c.get("pairs"))),
            }
        )
    return clusters, pairs, need


def _shared(raw: Any, cap: int) -> list[list[int]]:
    out = []
    for s in _as_list(raw)[: max(cap, 0)]:
        s = _as_dict(s)
        vals = [_int(s.get(k)) for k in ("a_start", "a_end", "b_start", "b_end")]
        if all(v is not None and v >= 0 for v in vals):
            out.append([int(v) for v in vals if v is not None])
    return out


def _details(
    raw_docs: _Documents,
    docs: Sequence[_DocSummary],
    order: Sequence[int],
    pair_docs: Sequence[tuple[str, str]],
    by_id: Mapping[str, int],
    limits: ReportSettings,
) -> tuple[dict[str, dict[str, Any]], str]:
    """Embedded document views: duplicate pairs within a share of the budget, then the
    most severe documents until the budget is spent."""
    details: dict[str, dict[str, Any]] = {}
    used = 0

    def add(i: int) -> None:
        nonlocal used
        view = _detail(raw_docs[i], docs[i], limits)
        used += view.pop("_chars")
        details[docs[i].doc_id] = view

    pair_chars = limits.max_detail_chars * 2 // 5
    pair_count = limits.max_detail_documents * 2 // 5
    for a, b in pair_docs:
        new = [x for x in dict.fromkeys((a, b)) if x not in details]
        if used >= pair_chars or len(details) + len(new) > pair_count:
            break
        for x in new:
            add(by_id[x])
    for i in order:
        if len(details) >= limits.max_detail_documents or used >= limits.max_detail_chars:
            break
        if docs[i].doc_id not in details:
            add(i)
    skipped = sum(1 for d in docs if d.checks and d.doc_id not in details)
    note = ""
    if skipped:
        note = (
            f"Full detail (text and evidence) is embedded for {len(details):,} documents; "
            f"{skipped:,} more documents with findings are listed in the table only "
            "(see results.json for their evidence)."
        )
    return details, note


def _detail(raw: Mapping[str, Any], d: _DocSummary, limits: ReportSettings) -> dict[str, Any]:
    """One document's view: metadata, findings, paragraphs with roles and marks."""
    paragraphs = _paragraphs(raw)
    kept: list[list[Any]] = []
    chars = 0
    truncated = False
    for p in paragraphs:
        room = limits.max_document_chars - chars
        if room <= 0:
            truncated = True
            break
        text = p["text"]
        if len(text) > room:
            text, truncated = text[:room], True
        kept.append([p["idx"], p["line"], p["role"], p["reason"], p["repeat_of"], text])
        chars += len(text)
    texts = {row[0]: row[5] for row in kept}
    lines = {row[1]: row[0] for row in kept}
    where = {row[0]: (f"line {row[1]}" if row[1] is not None else f"¶{row[0]}") for row in kept}
    marks: dict[int, list[list[Any]]] = {}
    flags: dict[int, list[list[str]]] = {}
    findings = []
    for f in _findings(raw):
        check = _str(f.get("check")) or "unknown"
        ev = f.get("evidence")
        if isinstance(ev, dict):
            _evidence_marks(check, ev, texts, lines, where, marks, flags)
        findings.append(
            {
                "check": check,
                "severity": _severity(f.get("severity")),
                "message": _str(f.get("message")),
                "evidence": _evidence_text(ev, limits.max_evidence_chars),
                "dates": _dates(ev),
            }
        )
    for row in kept:
        if isinstance(row[4], int):
            entry = ["repeat", f"repeats {where.get(row[4], f'¶{row[4]}')}"]
            if entry not in flags.setdefault(row[0], []):
                flags[row[0]].append(entry)
    signals = {
        str(k): _short(v, 80) if isinstance(v, str) else v
        for k, v in _as_dict(raw.get("signals")).items()
        if isinstance(v, str | int | bool) or (isinstance(v, float) and math.isfinite(v))
    }
    url = _str(raw.get("url"))
    return {
        "id": d.doc_id,
        "title": d.title,
        "source": d.source,
        "domain": _str(raw.get("domain")),
        "url": url,
        "href": url if url.lower().startswith(("http://", "https://")) else "",
        "published": d.published,
        "word_count": d.word_count,
        "claimed_word_count": _int(raw.get("claimed_word_count")),
        "verdict": d.verdict,
        "signals": signals,
        "findings": findings,
        "paragraphs": kept,
        "n_paragraphs": len(paragraphs),
        "truncated": truncated,
        "marks": {str(k): sorted(v) for k, v in marks.items()},
        "flags": {str(k): v for k, v in flags.items()},
        "_chars": chars + 60 * len(kept) + 300,
    }


def _paragraphs(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The document's paragraphs; without them, its non-blank text lines."""
    out: list[dict[str, Any]] = []
    given = _as_list(raw.get("paragraphs"))
    if given:
        for n, rp in enumerate(given):
            p = _as_dict(rp)
            idx = _int(p.get("idx"))
            out.append(
                {
                    "idx": n if idx is None else idx,
                    "line": _int(p.get("line")),
                    "text": _str(p.get("text")),
                    "role": _str(p.get("role")),
                    "reason": _str(p.get("reason")),
                    "repeat_of": _int(p.get("repeat_of")),
                }
            )
        return out
    text = raw.get("text")
    if isinstance(text, str):
        for n, line in enumerate(text.splitlines()):
            if line.strip():
                out.append(
                    {
                        "idx": len(out),
                        "line": n + 1,
                        "text": line,
                        "role": "",
                        "reason": "",
                        "repeat_of": None,
                    }
                )
    return out


def _evidence_marks(
    check: str,
    ev: Mapping[str, Any],
    texts: Mapping[int, str],
    lines: Mapping[int | None, int],
    where: Mapping[int, str],
    marks: dict[int, list[list[Any]]],
    flags: dict[int, list[list[str]]],
) -> None:
    """Place a finding's evidence on the paragraphs it names (spans, pairs, lines, dates)."""
    kind = _SPAN_KIND.get(check, "evidence")

    def flag(idx: int | None, what: str, label: str) -> None:
        if idx is not None and idx in texts:
            entry = [what, label]
            if entry not in flags.setdefault(idx, []):
                flags[idx].append(entry)

    def span(item: Mapping[str, Any], what: str, default_label: str) -> None:
        idx = _int(item.get("paragraph"))
        if idx is None and _int(item.get("line")) is not None:
            idx = lines.get(_int(item.get("line")))
        if idx is None or idx not in texts:
            return
        label = _str(item.get("reason")) or _str(item.get("source")) or default_label
        if _str(item.get("stands_for")):  # an improbable substitution: say for what
            label += f" (for “{_str(item.get('stands_for'))}”)"
        text = texts[idx]
        start, end = _int(item.get("start")), _int(item.get("end"))
        quoted = _str(item.get("text"))
        if start is None or end is None or not 0 <= start < end <= len(text):
            found = text.find(quoted) if quoted else -1
            if found < 0:
                flag(idx, what, label)
                return
            start, end = found, found + len(quoted)
        elif quoted and text[start:end] != quoted and quoted in text:
            start = text.find(quoted)
            end = start + len(quoted)
        marks.setdefault(idx, []).append([start, end, what, label])

    for item in _as_list(ev.get("spans")):
        if isinstance(item, dict):
            span(item, kind, check)
    for item in _as_list(ev.get("dates")):
        if isinstance(item, dict) and (
            item.get("paragraph") is not None or item.get("line") is not None
        ):
            span(item, "date", "date")
    for pair in _as_list(ev.get("pairs")):
        if isinstance(pair, dict):
            a, b = _int(pair.get("a")), _int(pair.get("b"))
            flag(b, "repeat", f"repeats {where.get(a, f'¶{a}')}" if a is not None else "repeat")
            flag(a, "repeated", f"repeated at {where.get(b, f'¶{b}')}" if b is not None else "")
    for idx in _as_list(ev.get("paragraphs")):
        flag(_int(idx), "chrome" if kind == "chrome" else "evidence", check)
    if isinstance(ev.get("paragraph"), int):
        flag(ev["paragraph"], kind, check)
    for line in _as_list(ev.get("lines")):
        number = _int(line.get("line")) if isinstance(line, dict) else _int(line)
        flag(lines.get(number), "chrome" if kind == "chrome" else "evidence", check)


def _dates(ev: Any) -> list[dict[str, str]]:
    """The dates a finding's evidence lists, as rows of strings for a small table."""
    out = []
    for item in _as_list(_as_dict(ev).get("dates"))[:20]:
        if isinstance(item, dict):
            out.append(
                {
                    str(k): _short(v)
                    for k, v in item.items()
                    if k not in ("start", "end", "paragraph")
                }
            )
        elif isinstance(item, str):
            out.append({"value": item})
    return out


def _evidence_text(ev: Any, cap: int) -> str:
    if ev is None or ev == {}:
        return ""
    text = json.dumps(ev, indent=1, ensure_ascii=False, default=str, sort_keys=True)
    if len(text) > cap:
        text = text[:cap] + f"\n… ({len(text) - cap:,} more characters in results.json)"
    return text


def _run_view(run: Mapping[str, Any]) -> dict[str, Any]:
    inputs = [_str(x) for x in _as_list(run.get("inputs"))]
    return {
        "id": _str(run.get("id")),
        "started_at": _str(run.get("started_at")),
        "duration_s": _num(run.get("duration_s")),
        "inputs": inputs[:20],
        "more_inputs": max(len(inputs) - 20, 0),
        "n_documents": _int(run.get("n_documents")),
        "n_paragraphs": _int(run.get("n_paragraphs")),
        "engine": _str(run.get("engine")),
    }


def _gate_view(gate: Mapping[str, Any]) -> dict[str, Any]:
    counts = _as_dict(gate.get("counts"))
    return {
        "passed": bool(gate.get("passed")) if "passed" in gate else None,
        "fail_on": _str(gate.get("fail_on")) or "error",
        "counts": {s: _int(counts.get(s)) or 0 for s in SEVERITIES},
    }


def _flatten(settings: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_flatten(value, name + "."))
        else:
            out.append((name, _short(value)))
    return out[:200]


def _trend(
    run: Mapping[str, Any],
    gate: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] | None,
    limits: ReportSettings,
) -> list[dict[str, Any]]:
    """One point per run and severity: earlier runs (oldest first), then this run."""
    this_id = _str(run.get("id"))
    runs = [
        h for h in (history or []) if isinstance(h, Mapping) and _str(h.get("run_id")) != this_id
    ]
    runs = runs[-max(limits.history_runs, 0) :] if limits.history_runs > 0 else []
    current = {
        "run_id": this_id,
        "started_at": run.get("started_at"),
        "passed": gate.get("passed"),
        "counts": gate.get("counts"),
    }
    out = []
    labels: set[str] = set()
    for n, h in enumerate([*runs, current]):
        counts = _as_dict(h.get("counts"))
        label = _str(h.get("started_at"))[:16].replace("T", " ") or _str(h.get("run_id"))[:24]
        if label in labels or not label:
            label = f"{label} ({n + 1})"
        labels.add(label)
        for sev in SEVERITIES:
            out.append(
                {
                    "run": label,
                    "order": n,
                    "run_id": _str(h.get("run_id")),
                    "passed": "passed" if h.get("passed") else "failed",
                    "severity": sev,
                    "count": _int(counts.get(sev)) or 0,
                }
            )
    return out


def _histogram(values: Sequence[float], bins: int) -> list[dict[str, Any]]:
    counts = [0] * bins
    for v in values:
        counts[min(int(v * bins), bins - 1)] += 1
    return [
        {"start": round(k / bins, 4), "end": round((k + 1) / bins, 4), "count": counts[k]}
        for k in range(bins)
    ]


def _garble_histogram(docs: Sequence[_DocSummary], run: Mapping[str, Any]) -> dict[str, Any]:
    values = [d.garble for d in docs if d.garble is not None]
    signals = _as_dict(_as_dict(run.get("settings")).get("signals"))
    return {
        "bins": _histogram(values, GARBLE_BINS) if values else [],
        "n": len(values),
        "threshold": _unit(signals.get("garble_threshold")),
        "flagged": sum(1 for d in docs if "garbled_text" in d.checks),
    }


def _similarity_histogram(results: Mapping[str, Any], run: Mapping[str, Any]) -> dict[str, Any]:
    jac: list[float] = []
    con: list[float] = []
    for c in _as_list(results.get("clusters")):
        for p in _as_list(_as_dict(c).get("pairs")):
            p = _as_dict(p)
            j, k = _unit(p.get("jaccard")), _unit(p.get("containment"))
            if j is not None:
                jac.append(j)
            if k is not None:
                con.append(k)
    dedup = _as_dict(_as_dict(run.get("settings")).get("dedup"))
    bins: list[dict[str, Any]] = []
    for measure, values in (("Jaccard", jac), ("containment", con)):
        bins.extend({**b, "measure": measure} for b in _histogram(values, SIMILARITY_BINS))
    return {
        "bins": bins if jac or con else [],
        "n": max(len(jac), len(con)),
        "thresholds": [
            {"measure": m, "value": v}
            for m, v in (
                ("Jaccard", _unit(dedup.get("min_jaccard"))),
                ("containment", _unit(dedup.get("min_containment"))),
            )
            if v is not None
        ],
    }


def _findings_per_source(docs: Sequence[_DocSummary]) -> list[dict[str, Any]]:
    """Findings by source and severity for the sources with most findings, the rest summed."""
    table: dict[str, Counter[str]] = {}
    for d in docs:
        if d.checks:
            counts = table.setdefault(d.source, Counter())
            for sev, n in d.severities.items():
                counts[sev] += n
    ranked = sorted(table.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    top = ranked[:TOP_SOURCES]
    rest: Counter[str] = Counter()
    for _, counts in ranked[TOP_SOURCES:]:
        rest.update(counts)
    if rest:
        top.append((f"{len(ranked) - TOP_SOURCES} other sources", rest))
    return [
        {"source": s[:60], "severity": sev, "count": counts[sev], "rank": n}
        for n, (s, counts) in enumerate(top)
        for sev in SEVERITIES
        if counts[sev]
    ]


def _findings(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [f for f in _as_list(doc.get("findings")) if isinstance(f, dict)]


def _severity(value: Any) -> str:
    text = _str(value).lower()
    return text if text in _SEVERITY_RANK else "info"


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Documents:
    """``results["documents"]`` read a document at a time (a list, or the encoded lines
    of a large run); an entry that is not an object reads as an empty one."""

    def __init__(self, value: Any) -> None:
        ok = isinstance(value, Sequence) and not isinstance(value, str | bytes)
        self.value: Sequence[Any] = value if ok else []

    def __len__(self) -> int:
        return len(self.value)

    def __getitem__(self, i: int) -> Mapping[str, Any]:
        doc = self.value[i]
        return doc if isinstance(doc, dict) else {}

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        for doc in self.value:
            yield doc if isinstance(doc, dict) else {}


def _str(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _short(value: Any, cap: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= cap else text[:cap] + "…"


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _unit(value: Any) -> float | None:
    """A number clipped to [0, 1], or None."""
    v = _num(value)
    return None if v is None else min(max(v, 0.0), 1.0)
