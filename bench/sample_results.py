"""Build realistic results documents (results.json, schema 1) for report tests and benchmarks.

Documents are made of scraped-looking lines with roles (title, dateline, body,
boilerplate, credit, metadata, summary, related); findings carry the evidence the
pipeline writes (garbled spans, repeated paragraph pairs, chrome lines, dates);
clusters pair copies with their originals, with shared passages as character
offsets into each document's body text. Everything is seeded.

Usage:
    python bench/sample_results.py 1000 -o /tmp/out/run1/results.json --history 8
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

_NEWS = (
    "the government said on Tuesday that its new plan would cut emissions across the region "
    "officials told reporters after a meeting in the capital where ministers discussed budget "
    "prices rose sharply last month as demand for energy and food grew faster than expected "
    "the company reported quarterly profit above forecasts while analysts warned of slower "
    "growth police arrested two men after a fire destroyed a warehouse near the port early "
    "on Sunday morning residents were evacuated and no injuries were reported by authorities "
    "the minister added that talks with neighbouring countries would continue next week and "
    "the central bank kept interest rates unchanged citing inflation risks and weak exports "
    "scientists published a study showing that coastal wetlands store more carbon than forests "
    "the court ruled that the election law was constitutional ending a dispute between parties "
    "farmers protested outside parliament demanding support after drought damaged harvests "
    "the team won the final in extra time and fans celebrated in the streets until midnight"
)
WORDS = _NEWS.split()
SOURCES = (
    "reportase-one.example",
    "daily-ledger.example",
    "harbour-times.example",
    "metro-wire.example",
    "valley-news.example",
    "northern-post.example",
    "civic-herald.example",
    "tribune-online.example",
    "evening-courier.example",
    "global-digest.example",
    "island-press.example",
    "capital-report.example",
)
CHROME = (
    ("print PRINT", "print_button"),
    ("Share on Facebook Share on Twitter", "share_buttons"),
    ("Support Us", "donation"),
    ("Secured by Paypal", "donation"),
    ("Most Popular Articles", "related_heading"),
    ("Check out other tags:", "tag_list"),
    ("Subscribe to our newsletter", "newsletter"),
    ("30.1 C", "weather_widget"),
)
CREDITS = ("Source: Kyodo-OANA", "Editor: Desk", "Translator: Staff", "(AP)", "Reuters")
GARBLES = (
    ("the the government government", "reduplication"),
    ("said that in regard of to the", "improbable word sequence"),
    ("flied over the for first time", "improbable word sequence"),
    ("peace. and stability of the", "broken sentence boundary"),
    ("“the minister’s plan", "unbalanced quotes"),
)
SEVERITY = {
    "boilerplate": "warning",
    "missing_date": "warning",
    "duplicate_paragraphs": "warning",
    "garbled_text": "warning",
    "word_count_mismatch": "warning",
    "date_inconsistent": "error",
    "truncated_text": "info",
    "mojibake": "error",
    "unreadable_input": "error",
    "exact_duplicate": "error",
    "near_duplicate": "warning",
    "syndicated_copy": "warning",
}
HOSTILE = (
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'onerror'\">",
    '"><svg onload="window.__xss = \'svg\'">',
    "</script><script>window.__xss = 'breakout'</script>",
    "<a href=\"javascript:window.__xss = 'link'\">click</a>",
    "{{ 7*7 }} {% raw %}",
    "\u2028line\u2029separators &amp; &lt;entities&gt;",
)


class _Writer:
    """Build one document's lines, paragraphs and body text, tracking offsets."""

    def __init__(self) -> None:
        self.paragraphs: list[dict[str, Any]] = []
        self.body: list[str] = []
        self.body_len = 0  # length of "\n".join(self.body)

    def add(self, text: str, role: str, reason: str, repeat_of: int | None = None) -> int:
        idx = len(self.paragraphs)
        self.paragraphs.append(
            {
                "idx": idx,
                "line": idx + 1,
                "text": text,
                "role": role,
                "reason": reason,
                "repeat_of": repeat_of,
            }
        )
        if role == "body":
            self.body_len += len(text) + (1 if self.body else 0)
            self.body.append(text)
        return idx

    def body_offset(self) -> int:
        """Where the next body paragraph starts in the body text."""
        return self.body_len + (1 if self.body else 0)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 22))]
    return " ".join(words).capitalize() + "."


def _pools(rng: random.Random, n: int) -> list[str]:
    sentences = [_sentence(rng) for _ in range(2000)]
    return [" ".join(rng.sample(sentences, rng.randint(2, 4))) for _ in range(n)]


def build_results(
    n_documents: int,
    *,
    seed: int = 0,
    hostile: bool = False,
    fail_on: str = "error",
    run_id: str = "20250101T120000Z",
) -> dict[str, Any]:
    """A results document with ``n_documents`` documents, findings, clusters and expectations.

    Args:
        n_documents: How many documents.
        seed: Random seed; the same seed gives the same document.
        hostile: Put script and attribute injections into ids, titles, urls, text,
            reasons and messages (for escaping tests).
        fail_on: The gate threshold recorded in the results.
        run_id: The run id.
    """
    rng = random.Random(seed)
    pool = _pools(rng, max(200, min(20_000, n_documents * 2)))
    docs: list[dict[str, Any]] = []
    writers: list[_Writer] = []
    clusters: dict[int, dict[str, Any]] = {}
    copies: set[int] = set()
    for i in range(n_documents):
        source = rng.choice(SOURCES)
        if i >= 4 and rng.random() < 0.06:
            canon = rng.randrange(i)
            while canon in copies:
                canon -= 1
            kind = rng.choice(("exact", "near", "near", "syndicated", "syndicated"))
            if kind == "near":
                source = docs[canon]["source"]
            elif source == docs[canon]["source"]:
                source = SOURCES[(SOURCES.index(source) + 1) % len(SOURCES)]
            body = _copied_body(writers[canon].body, kind, rng, pool)
            doc, writer = _document(i, source, rng, pool, hostile, body=body)
            _record_copy(docs, writers, clusters, canon, i, doc, writer, kind)
            copies.add(i)
        else:
            doc, writer = _document(i, source, rng, pool, hostile)
        docs.append(doc)
        writers.append(writer)
    for doc, writer in zip(docs, writers, strict=True):
        doc["word_count"] = sum(len(t.split()) for t in writer.body)
        doc["signals"]["dup_paragraph_fraction"] = round(
            sum(1 for p in writer.paragraphs if p["repeat_of"] is not None)
            / max(len(writer.body), 1),
            3,
        )
    counts: Counter[str] = Counter()
    rank = {"error": 2, "warning": 1, "info": 0, "never": 3}
    for doc in docs:
        worst = max((rank[f["severity"]] for f in doc["findings"]), default=-1)
        doc["verdict"] = (
            "quarantine" if worst >= rank[fail_on] else "warn" if worst >= 1 else "accept"
        )
        counts.update(f["severity"] for f in doc["findings"])
    passed = not any(rank[s] >= rank[fail_on] for s in ("error", "warning", "info") if counts[s])
    n_paragraphs = sum(len(w.paragraphs) for w in writers)
    return {
        "schema_version": 1,
        "run": {
            "id": run_id,
            "started_at": "2025-01-01T12:00:00+00:00",
            "duration_s": round(0.0004 * n_documents + 0.3, 3),
            "inputs": ["batch/" + s for s in SOURCES[:4]],
            "n_documents": n_documents,
            "n_paragraphs": n_paragraphs,
            "engine": "local",
            "settings": {
                "fail_on": fail_on,
                "jobs": 2,
                "engine": "local",
                "dedup": {"min_jaccard": 0.5, "min_containment": 0.7, "shingle_size": 5},
                "signals": {"garble_threshold": 0.5, "garble_max_spans": 50},
            },
        },
        "gate": {
            "passed": passed,
            "fail_on": fail_on,
            "counts": {s: counts[s] for s in ("error", "warning", "info")},
        },
        "documents": docs,
        "clusters": list(clusters.values()),
        "expectations": _expectations(docs),
    }


def _document(
    i: int,
    source: str,
    rng: random.Random,
    pool: list[str],
    hostile: bool,
    body: list[str] | None = None,
) -> tuple[dict[str, Any], _Writer]:
    """One document; with ``body`` (a copy), the body is exactly those paragraphs."""
    w = _Writer()
    findings: list[dict[str, Any]] = []
    doc_id = f"{source}/{2022 + i % 3}/{i:06d}.txt"
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))).capitalize()
    url: str | None = f"https://{source}/news/{i:06d}"
    if hostile and i % 2 == 0:
        payload = HOSTILE[i // 2 % len(HOSTILE)]
        doc_id = f"{source}/{payload}/{i:06d}.txt"
        title = f"{title} {payload}"
        url = "javascript:window.__xss='url'" if i % 4 == 0 else f"https://{source}/{payload}"
    published: str | None = f"{2022 + i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    chrome_idx: list[int] = []
    if rng.random() < 0.15:
        text, reason = rng.choice(CHROME)
        chrome_idx.append(w.add(text, "boilerplate", reason))
    w.add(title, "title", "first_line_title")
    dateline = None
    if rng.random() < 0.3:
        dateline = w.add(
            f"{source.split('.')[0].title()} (Reportase One) –", "dateline", "dateline"
        )
    body_idx = []
    for text in body or [rng.choice(pool) for _ in range(rng.randint(4, 9))]:
        if hostile and body is None and rng.random() < 0.5:
            text = f"{text} {rng.choice(HOSTILE)}"
        body_idx.append(w.add(text, "body", "default_body"))
    garble = min(max(rng.betavariate(1.6, 9.0), 0.0), 1.0)
    if body is None and rng.random() < 0.05:
        spans = []
        for k in rng.sample(body_idx, min(len(body_idx), rng.randint(1, 3))):
            phrase, reason = rng.choice(GARBLES)
            para = w.paragraphs[k]
            cut = para["text"].find(" ", len(para["text"]) // 2)
            cut = cut if cut > 0 else len(para["text"])
            para["text"] = para["text"][:cut] + " " + phrase + para["text"][cut:]
            spans.append(
                {
                    "paragraph": k,
                    "start": cut + 1,
                    "end": cut + 1 + len(phrase),
                    "text": phrase,
                    "reason": reason,
                }
            )
        w.body = [p["text"] for p in w.paragraphs if p["role"] == "body"]
        w.body_len = len("\n".join(w.body))
        garble = rng.uniform(0.55, 0.95)
        findings.append(
            _finding(
                "garbled_text",
                f"text reads as garbled (score {garble:.2f} ≥ 0.50)",
                {"score": round(garble, 3), "threshold": 0.5, "spans": spans},
            )
        )
    if body is None and rng.random() < 0.06 and len(body_idx) >= 3:
        pairs = []
        for k in body_idx[: rng.randint(1, 3)]:
            b = w.add(w.paragraphs[k]["text"], "body", "default_body", repeat_of=k)
            pairs.append({"a": k, "b": b, "similarity": 1.0, "exact": True})
        findings.append(
            _finding(
                "duplicate_paragraphs",
                f"{len(pairs)} paragraphs repeat earlier ones",
                {"pairs": pairs, "fraction": round(len(pairs) / len(body_idx), 3)},
            )
        )
    if rng.random() < 0.2:
        for text in rng.sample(CREDITS, 2):
            w.add(text, "credit", "credit_line")
    if rng.random() < 0.15:
        text, reason = rng.choice(CHROME)
        chrome_idx.append(w.add(text, "boilerplate", reason))
        chrome_idx.append(w.add("Related Stories", "related", "related_heading"))
    if chrome_idx:
        findings.append(
            _finding(
                "boilerplate",
                f"{len(chrome_idx)} lines of page chrome in the text",
                {
                    "lines": [w.paragraphs[k]["line"] for k in chrome_idx],
                    "paragraphs": chrome_idx,
                    "reasons": [w.paragraphs[k]["reason"] for k in chrome_idx],
                },
            )
        )
    if rng.random() < 0.03:
        summary = w.add(rng.choice(pool)[:90].rstrip(), "summary", "summary_block")
        findings.append(
            _finding(
                "truncated_text",
                "the summary ends mid-sentence",
                {
                    "paragraph": summary,
                    "field": "summary",
                    "tail": w.paragraphs[summary]["text"][-30:],
                },
            )
        )
    claimed = None
    if rng.random() < 0.1:
        words = sum(len(t.split()) for t in w.body)
        claimed = words if rng.random() < 0.6 else max(1, words // 2)
        if claimed != words:
            findings.append(
                _finding(
                    "word_count_mismatch",
                    f"claimed {claimed} words, body has {words}",
                    {"claimed": claimed, "counted": words, "tolerance": 0.1},
                )
            )
    meta = w.add(f"URL: {url}", "metadata", "key_value")
    if rng.random() < 0.25:
        published = None
        findings.append(
            _finding(
                "missing_date",
                "no trustworthy publication date",
                {
                    "candidates": [
                        {
                            "source": "widget",
                            "value": "Monday, June 5, 2023",
                            "rejected": "site date",
                        }
                    ]
                },
            )
        )
    elif rng.random() < 0.04 and dateline is not None:
        para = w.paragraphs[dateline]
        stamp = "October 5, 2021"
        para["text"] = f"{para['text']} {stamp}"
        start = len(para["text"]) - len(stamp)
        findings.append(
            _finding(
                "date_inconsistent",
                f"dates disagree: metadata {published}, text 2021-10-05",
                {
                    "dates": [
                        {"source": "metadata", "value": published, "paragraph": meta},
                        {"source": "url", "value": published},
                        {
                            "source": "text",
                            "value": "2021-10-05",
                            "paragraph": dateline,
                            "start": start,
                            "end": start + len(stamp),
                            "text": stamp,
                        },
                    ]
                },
            )
        )
    if body is None and rng.random() < 0.01:
        k = rng.choice(body_idx)
        para = w.paragraphs[k]
        para["text"] += " CafÃ© owners said â€œnoâ€"
        w.body = [p["text"] for p in w.paragraphs if p["role"] == "body"]
        w.body_len = len("\n".join(w.body))
        start = para["text"].index("CafÃ©")
        findings.append(
            _finding(
                "mojibake",
                "broken encoding (UTF-8 read as cp1252)",
                {
                    "spans": [
                        {
                            "paragraph": k,
                            "start": start,
                            "end": len(para["text"]),
                            "reason": "mojibake",
                        }
                    ]
                },
            )
        )
    if hostile:
        for f in findings:
            f["message"] += " " + HOSTILE[i % len(HOSTILE)]
        for p in w.paragraphs:
            if p["role"] != "body":
                p["reason"] = f"{p['reason']} {HOSTILE[(i + 1) % len(HOSTILE)]}"
    doc = {
        "doc_id": doc_id,
        "source": source,
        "domain": source,
        "url": url,
        "title": title,
        "published": published,
        "word_count": 0,
        "claimed_word_count": claimed,
        "signals": {
            "garble_score": round(garble, 4),
            "boilerplate_ratio": round(len(chrome_idx) / max(len(w.paragraphs), 1), 3),
            "dup_paragraph_fraction": 0.0,
            "language": "en",
        },
        "verdict": "accept",
        "findings": findings,
        "paragraphs": w.paragraphs,
    }
    return doc, w


def _copied_body(src: list[str], kind: str, rng: random.Random, pool: list[str]) -> list[str]:
    """The body of a copy: all of ``src`` (exact) or most of it plus a new paragraph."""
    if kind == "exact":
        return list(src)
    keep = sorted(rng.sample(range(len(src)), max(2, len(src) * 2 // 3)))
    out = [src[k] for k in keep]
    out.insert(rng.randrange(len(out) + 1), rng.choice(pool))
    return out


def _record_copy(
    docs: list[dict[str, Any]],
    writers: list[_Writer],
    clusters: dict[int, dict[str, Any]],
    canon: int,
    i: int,
    doc: dict[str, Any],
    writer: _Writer,
    kind: str,
) -> None:
    """Add the pair (canonical, copy) to its cluster and a finding to the copy."""
    src = writers[canon].body
    starts = {}
    pos = 0
    for text in src:
        starts.setdefault(text, pos)
        pos += len(text) + 1
    shared = []
    pos = 0
    for text in writer.body:
        if text in starts:
            a = starts[text]
            shared.append(
                {"a_start": a, "a_end": a + len(text), "b_start": pos, "b_end": pos + len(text)}
            )
        pos += len(text) + 1
    common = sum(s["a_end"] - s["a_start"] for s in shared)
    jaccard = round(common / max(writers[canon].body_len + writer.body_len - common, 1), 4)
    containment = round(min(common / max(writer.body_len, 1), 1.0), 4)
    canonical = docs[canon]["doc_id"]
    check = {"exact": "exact_duplicate", "near": "near_duplicate"}.get(kind, "syndicated_copy")
    doc["findings"].append(
        _finding(
            check,
            f"{kind} copy of {canonical} (Jaccard {jaccard:.2f}, containment {containment:.2f})",
            {
                "canonical": canonical,
                "jaccard": jaccard,
                "containment": containment,
                "shared": shared,
            },
        )
    )
    cluster = clusters.setdefault(
        canon,
        {
            "id": f"c{len(clusters):05d}",
            "kind": kind,
            "canonical": canonical,
            "members": [canonical],
            "size": 1,
            "pairs": [],
        },
    )
    if cluster["kind"] != kind:
        cluster["kind"] = "syndicated" if "syndicated" in (kind, cluster["kind"]) else "near"
    cluster["members"].append(doc["doc_id"])
    cluster["size"] = len(cluster["members"])
    cluster["pairs"].append(
        {
            "a": canonical,
            "b": doc["doc_id"],
            "jaccard": jaccard,
            "containment": containment,
            "shared": shared,
        }
    )


def _finding(check: str, message: str, evidence: dict[str, Any]) -> dict[str, Any]:
    return {"check": check, "severity": SEVERITY[check], "message": message, "evidence": evidence}


def _expectations(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def ids(check: str) -> list[str]:
        return [d["doc_id"] for d in docs if any(f["check"] == check for f in d["findings"])]

    rows = [
        (
            "metadata",
            "expect_column_values_to_not_be_null(published)",
            "missing_date",
            "warning",
            "A document without a publication date cannot be placed in time.",
            "Read the date from the page metadata or the URL.",
        ),
        (
            "metadata",
            "expect_column_pair_values_to_be_equal(word_count, claimed_word_count)",
            "word_count_mismatch",
            "warning",
            "A claimed word count that disagrees with the body points at a truncated body.",
            "Compare the stored body with the page.",
        ),
        (
            "metadata",
            "expect_column_values_to_be_in_set(date_agreement, [true])",
            "date_inconsistent",
            "error",
            "Dates that contradict each other make the publication date untrustworthy.",
            "Take the date from one trusted field, never from a widget.",
        ),
        (
            "translation",
            "expect_column_values_to_be_between(garble_score, 0, 0.5)",
            "garbled_text",
            "warning",
            "Garbled machine translations teach models broken language.",
            "Prefer the original-language source.",
        ),
        (
            "chrome",
            "expect_column_values_to_be_between(boilerplate_ratio, 0, 0.0)",
            "boilerplate",
            "warning",
            "",
            "",
        ),
    ]
    out = []
    for suite, expectation, check, severity, rationale, remedy in rows:
        failing = ids(check)
        out.append(
            {
                "suite": suite,
                "expectation": expectation,
                "check": check,
                "severity": severity,
                "success": not failing,
                "unexpected_count": len(failing),
                "doc_ids": failing,
                "rationale": rationale,
                "remedy": remedy,
            }
        )
    return out


def build_history(n_runs: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """Earlier runs' summaries as the pipeline appends them to ``history.jsonl``."""
    rng = random.Random(seed)
    out = []
    for k in range(n_runs):
        errors = max(0, int(rng.gauss(12 - k, 3)))
        out.append(
            {
                "run_id": f"2024120{k % 10}T0{k % 10}0000Z-{k}",
                "started_at": f"2024-12-{1 + k:02d}T09:00:00+00:00",
                "passed": errors == 0,
                "counts": {
                    "error": errors,
                    "warning": max(0, int(rng.gauss(60, 10))),
                    "info": max(0, int(rng.gauss(8, 3))),
                },
            }
        )
    return out


def main() -> None:
    """Write a sample results.json (and optionally history.jsonl in the folder above)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of documents")
    parser.add_argument("-o", "--output", type=Path, default=Path("results.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hostile", action="store_true", help="inject script payloads")
    parser.add_argument("--history", type=int, default=0, help="earlier runs to write")
    args = parser.parse_args()
    results = build_results(args.n, seed=args.seed, hostile=args.hostile)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    if args.history:
        lines = [json.dumps(h) for h in build_history(args.history, seed=args.seed)]
        (args.output.parent.parent / "history.jsonl").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output} ({args.n} documents, {len(results['clusters'])} clusters)")


if __name__ == "__main__":
    main()
