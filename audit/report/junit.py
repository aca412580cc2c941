"""junit.xml: one testsuite per check, one testcase per document."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

from audit.model import Check
from audit.report.files import atomic_write_text


def render_junit(results: dict[str, Any]) -> str:
    """The JUnit XML text for a results document."""
    failures: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for doc in results["documents"]:
        for f in doc["findings"]:
            failures[f["check"]][doc["doc_id"]].append(f)
    checks = sorted({c.value for c in Check} | set(failures))
    duration = float(results["run"].get("duration_s", 0.0))
    root = ET.Element("testsuites", name="audit", time=f"{duration:.3f}")
    total_f = total_t = 0
    for check in checks:
        cases = results["documents"]
        n_fail = sum(1 for d in cases if _fails(failures[check].get(d["doc_id"], [])))
        suite = ET.SubElement(
            root,
            "testsuite",
            name=check,
            tests=str(len(cases)),
            failures=str(n_fail),
            errors="0",
            skipped="0",
            time="0",
        )
        for doc in cases:
            case = ET.SubElement(
                suite, "testcase", classname=f"audit.{check}", name=_clean(doc["doc_id"]), time="0"
            )
            found = failures[check].get(doc["doc_id"], [])
            if _fails(found):
                worst = found[0]
                fail = ET.SubElement(
                    case, "failure", message=_clean(worst["message"])[:500], type=worst["severity"]
                )
                fail.text = _clean(
                    "\n".join(
                        f"[{f['severity']}] {f['message']}\n"
                        + json.dumps(f["evidence"], default=str)
                        for f in found
                    )
                )
            elif found:
                out = ET.SubElement(case, "system-out")
                out.text = _clean("\n".join(f"[info] {f['message']}" for f in found))
        total_f += n_fail
        total_t += len(cases)
    root.set("tests", str(total_t))
    root.set("failures", str(total_f))
    root.set("errors", "0")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(results: dict[str, Any], path: Path) -> None:
    """Write junit.xml for ``results``."""
    atomic_write_text(path, render_junit(results))


def _fails(found: list[dict[str, Any]]) -> bool:
    return any(f["severity"] in ("error", "warning") for f in found)


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)
