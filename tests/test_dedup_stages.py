"""The two wiring calls: per chunk, then over the joined chunks."""

from __future__ import annotations

from typing import Any

import pytest

from audit.config import ConfigError, DedupSettings
from audit.dedup import (
    INTERNAL_COLUMNS,
    TEMPLATE_REASON,
    check_settings,
    dedup_chunk,
    dedup_corpus,
)
from audit.model import Corpus
from audit.parse import parse_records

STORY = (
    "The Federal Cabinet has today endorsed a series of anti-terrorism measures at a meeting "
    "in Sydney. New legislation will give more power to Commonwealth agencies, including "
    "allowing ASIO to detain people with information about terrorism for up to 48 hours "
    "without legal representation. Terrorism offences will carry a maximum penalty of life."
)
FOOTER = (
    "Stay informed with the Valley Times daily newsletter, delivered to your inbox every "
    "morning with the stories that matter to our readers."
)
OTHER = [
    "Heavy rain has closed several roads in the north of the state overnight, with emergency "
    "crews working to clear fallen trees and residents told to avoid travel until midday.",
    "The national cricket side has named an unchanged team for the second Test, with the "
    "selectors saying the batting order performed well despite the loss in the first match.",
]


def record(doc_id: str, title: str, body: str, domain: str, date: str) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "title": title,
        "text": f"{title}\n\n{body}\n",
        "domain": domain,
        "published": date,
        "source": "batch.jsonl",
    }


def test_chunks_then_corpus() -> None:
    s = DedupSettings()
    first = parse_records(
        [
            record("orig", "Cabinet backs terror laws", STORY, "abc.net.au", "2002-05-01"),
            record(
                "copy",
                "New terror powers",
                STORY + "\n\nSource: ABC",
                "valleytimes.example",
                "2002-05-02",
            ),
        ]
    )
    second = parse_records(
        [
            record(
                f"vt{i}", f"Story {i}", f"{text}\n\n{FOOTER}", "valleytimes.example", "2002-05-03"
            )
            for i, text in enumerate([*OTHER, STORY.replace("Sydney", "Canberra")])
        ]
    )
    for chunk in (first, second):
        dedup_chunk(chunk, s)
        chunk.documents["published_date"] = chunk.documents["published"]
    corpus = Corpus.concat([first, second])
    outcome = dedup_corpus(corpus, s)
    assert [(c.canonical, c.members) for c in corpus.clusters] == [
        ("orig", ["orig", "copy", "vt2"])
    ]
    checks = {(f.doc_id, f.check) for f in corpus.findings}
    assert ("copy", "exact_duplicate") in checks and ("vt2", "syndicated_copy") in checks
    par = corpus.paragraphs
    footer = par[par["text"] == FOOTER]
    assert len(footer) == 3 and set(footer["role"]) == {"boilerplate"}
    assert set(footer["reason"]) == {TEMPLATE_REASON}
    assert not set(INTERNAL_COLUMNS) & set(corpus.documents.columns)
    assert outcome.stats["template_paragraphs"] == 3


def test_corpus_without_signatures() -> None:
    corpus = Corpus.concat([parse_records([record("a", "T", "", "x.example", "")])])
    outcome = dedup_corpus(corpus, DedupSettings())
    assert outcome.clusters == [] and corpus.clusters == []


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"shingle_size": 0}, "shingle_size"),
        ({"min_jaccard": 1.5}, "min_jaccard"),
        ({"lsh_recall_weight": 1.0}, "lsh_recall_weight"),
        ({"exact_severity": "fatal"}, "exact_severity"),
        ({"credit_files": ("/nonexistent/credits.toml",)}, "cannot read"),
    ],
)
def test_bad_settings_are_refused(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_settings(DedupSettings(**override))
    check_settings(DedupSettings())
