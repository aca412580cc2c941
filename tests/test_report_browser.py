"""The report in a real browser: Playwright driving the system Chromium.

Chromium comes from Debian (``tests/browser_setup.sh`` installs it when missing);
Playwright's own browser download is not used. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from audit.config import ReportSettings
from audit.report.html import render_report
from bench.sample_results import build_history, build_results

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SETUP = ROOT / "tests" / "browser_setup.sh"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    """The system Chromium: $AUDIT_CHROMIUM, Debian's path, or on PATH."""
    for candidate in (
        os.environ.get("AUDIT_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        shutil.which("chromium"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    path = find_chromium()
    if path is None and SETUP.is_file() and not os.environ.get("AUDIT_NO_BROWSER_INSTALL"):
        subprocess.run(["bash", str(SETUP)], check=False, timeout=900)
        path = find_chromium()
    if path is None:
        pytest.skip("no Chromium found and tests/browser_setup.sh could not install one")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        try:
            instance = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.skip(f"Chromium at {path} does not start: {exc.message.splitlines()[0]}")
        yield instance
        instance.close()


@dataclass
class Opened:
    """A report page with what it logged and asked for."""

    page: Any
    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def go(self, fragment: str) -> None:
        self.page.evaluate("h => { location.hash = h; }", fragment)

    def flag(self) -> Any:
        return self.page.evaluate("() => window.__xss")


def open_report(
    browser: Any, html: str, folder: Path, name: str, *, bypass_csp: bool = False
) -> Opened:
    """Load ``html`` from a file; record console errors and every request but the page itself."""
    path = folder / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=bypass_csp)
    page = context.new_page()
    opened = Opened(page=page, url=path.as_uri())

    def allowed(url: str) -> bool:
        return url.startswith(("data:", "about:")) or url.split("#")[0] == opened.url

    def on_route(route: Any) -> None:
        if allowed(route.request.url):
            route.continue_()
        else:
            opened.requests.append(route.request.url)
            route.abort()

    context.route("**/*", on_route)
    page.on("request", lambda r: None if allowed(r.url) else opened.requests.append(r.url))
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.goto(opened.url)
    n_charts = page.locator("[data-chart]").count()
    page.wait_for_function(f"document.querySelectorAll('.vega svg').length >= {n_charts}")
    return opened


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return build_results(300, seed=1)


@pytest.fixture()
def report(browser: Any, sample: dict[str, Any], tmp_path: Path) -> Iterator[Opened]:
    opened = open_report(browser, render_report(sample, build_history(6, seed=1)), tmp_path, "r")
    yield opened
    opened.page.context.close()


def test_report_loads_offline_without_errors(report: Opened) -> None:
    page = report.page
    assert page.locator(".vega svg").count() == 4  # trend, similarity, garble, sources
    assert page.locator("#docs-table tbody tr").count() == 50
    assert page.locator("#table-status").inner_text().startswith("Showing 1–50 of 300")
    page.screenshot(path=str(ARTIFACTS / "report-summary.png"))
    report.go("#documents")
    page.screenshot(path=str(ARTIFACTS / "report-documents.png"))
    assert report.errors == []
    assert report.requests == []


def test_filters_narrow_the_table(report: Opened, sample: dict[str, Any]) -> None:
    page = report.page
    status = page.locator("#table-status")
    docs = sample["documents"]

    def matching() -> int:
        return int(status.get_attribute("data-matching") or -1)

    assert matching() == len(docs)
    page.select_option("select[name=verdict]", "quarantine")
    quarantined = sum(d["verdict"] == "quarantine" for d in docs)
    assert 0 < matching() == quarantined < len(docs)
    verdicts = page.locator("#docs-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.verdict)"
    )
    assert set(verdicts) == {"quarantine"}

    page.click("button[type=reset]")
    page.fill("input[name=garble]", "0.5")
    assert matching() == sum(d["signals"]["garble_score"] >= 0.5 for d in docs)

    report.go("#documents?check=garbled_text")
    page.wait_for_function("document.querySelector('select[name=check]').value === 'garbled_text'")
    garbled = sum(any(f["check"] == "garbled_text" for f in d["findings"]) for d in docs)
    assert matching() == garbled
    assert page.locator("input[name=garble]").input_value() == ""

    page.click("button[type=reset]")
    page.click("th[data-sort=garble]")
    first = page.locator("#docs-table tbody tr td.num").first.inner_text()
    assert abs(float(first) - max(d["signals"]["garble_score"] for d in docs)) <= 0.006
    assert report.errors == []


def test_pair_view_highlights_shared_passages(report: Opened) -> None:
    page = report.page
    report.go("#pair=0")
    page.wait_for_selector(".sbs")
    columns = page.locator(".sbs > div")
    assert columns.count() == 2
    a_marks = columns.nth(0).locator("mark.m-shared")
    b_marks = columns.nth(1).locator("mark.m-shared")
    assert a_marks.count() > 0 and b_marks.count() > 0
    texts = page.evaluate(
        """() => {
          const out = {};
          document.querySelectorAll('.sbs > div').forEach((col, side) => {
            col.querySelectorAll('mark.m-shared').forEach(m => {
              const k = m.dataset.k;
              out[k] = out[k] || ['', ''];
              out[k][side] += m.textContent;
            });
          });
          return out;
        }"""
    )
    assert texts and all(a == b and a for a, b in texts.values())
    assert "Jaccard" in page.locator(".sbs-head").inner_text()
    page.screenshot(path=str(ARTIFACTS / "report-pair.png"))
    page.keyboard.press("Escape")
    page.wait_for_selector("#viewer", state="hidden")
    assert report.errors == []


def test_document_view_shows_roles_and_evidence(report: Opened, sample: dict[str, Any]) -> None:
    doc = next(
        d
        for d in sample["documents"]
        if {"garbled_text", "duplicate_paragraphs"} <= {f["check"] for f in d["findings"]}
    )
    page = report.page
    report.go("#doc=" + doc["doc_id"])
    page.wait_for_selector(".paras")
    assert page.locator(".para").count() == len(doc["paragraphs"])
    roles = page.locator(".para .role").all_inner_texts()
    assert roles == [p["role"] for p in doc["paragraphs"]]
    spans = next(f for f in doc["findings"] if f["check"] == "garbled_text")["evidence"]["spans"]
    marked = page.locator(".paras mark.m-garble").all_inner_texts()
    assert sorted(marked) == sorted(s["text"] for s in spans)
    assert page.locator(".para.pf-repeat").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "report-document.png"))
    assert report.errors == []


def test_capped_document_opens_a_summary(browser: Any, tmp_path: Path) -> None:
    results = build_results(30, seed=2)
    html = render_report(results, limits=ReportSettings(max_detail_documents=3, max_pairs=0))
    opened = open_report(browser, html, tmp_path, "capped")
    page = opened.page
    try:
        last = page.locator("#docs-table tbody tr a.doc-id").last
        doc_id = last.inner_text()
        last.click()
        page.wait_for_selector("#viewer:not([hidden])")
        assert "not embedded in this report" in page.locator("#viewer-body").inner_text()
        assert doc_id in page.locator(".meta-grid").inner_text()
        page.locator("#viewer a.close").click()
        page.wait_for_selector("#viewer", state="hidden")
        assert opened.errors == []
    finally:
        page.context.close()


def test_seeds_report_loads_and_opens_every_document(browser: Any, tmp_path: Path) -> None:
    from audit.config import Settings
    from audit.pipeline import run_audit

    results = run_audit(Settings(paths=(str(ROOT / "seeds"),)), write=False).results
    assert len(results["documents"]) == 4
    opened = open_report(browser, render_report(results), tmp_path, "seeds")
    page = opened.page
    try:
        assert page.locator("#docs-table tbody tr").count() == 4
        for doc in results["documents"]:
            opened.go("#doc=" + quote(doc["doc_id"], safe=""))
            page.wait_for_selector("#viewer:not([hidden]) .paras")
            assert page.locator(".para").count() == len(doc.get("paragraphs") or [])
        page.screenshot(path=str(ARTIFACTS / "report-seed-document.png"))
        assert opened.errors == []
        assert opened.requests == []
    finally:
        page.context.close()


@pytest.mark.parametrize("bypass_csp", [True, False], ids=["escaping-only", "with-csp"])
def test_script_payloads_do_not_run(browser: Any, tmp_path: Path, bypass_csp: bool) -> None:
    results = build_results(40, seed=5, hostile=True)
    results["run"]["id"] = "<script>window.__xss='run'</script>"
    opened = open_report(browser, render_report(results), tmp_path, "x", bypass_csp=bypass_csp)
    page = opened.page
    try:
        hostile = [d["doc_id"] for d in results["documents"] if "<" in d["doc_id"]]
        assert hostile
        for n, doc_id in enumerate(d["doc_id"] for d in results["documents"]):
            # Links quote ids; a hand-typed hash may not, and must not break the page.
            opened.go("#doc=" + (quote(doc_id, safe="") if n % 2 else doc_id))
            page.wait_for_selector("#viewer:not([hidden])")
            assert page.locator("#viewer-title").inner_text()
        for n in range(len(results["clusters"])):
            opened.go(f"#pair={n}")
            page.wait_for_selector(".sbs")
        opened.go("#documents?q=%3Cscript")
        page.wait_for_timeout(200)
        assert opened.flag() is None
        injected = page.evaluate(
            """() => ({
              scripts: document.scripts.length,
              handlers: [...document.querySelectorAll('*')].filter(
                e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
              images: document.querySelectorAll('img').length,
              jsLinks: document.querySelectorAll('a[href^="javascript" i]').length,
              text: document.body.textContent,
            })"""
        )
        assert injected["scripts"] == 3
        assert injected["handlers"] == 0 and injected["images"] == 0 and injected["jsLinks"] == 0
        assert "<script>window.__xss" in injected["text"]  # shown as text
        assert opened.requests == []
        assert opened.errors == []
    finally:
        page.context.close()
