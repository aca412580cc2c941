"""Parse one scraped text dump: give every non-blank line a role and a reason.

The parser reads a page the way a person skims it: prose lines make the body;
before the first prose line come page chrome and the title; after the last come
footers, related links, credits and reader-app metadata. Pattern rules
(``audit/data/patterns.toml``) name the chrome; structure names the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from audit.model import Role
from audit.parse.patterns import Patterns

# The reason of lines an extractor left out of the body (an HTML page's chrome).
EXTRACTOR_DROPPED = "html_extractor_dropped"

_SENTENCE_END = frozenset(".!?\"”’')…:;")
_LONG_LINE = 400
# A statistics block is a few short lines; the word-count pattern reads only those,
# which bounds its work on hostile text.
_STATS_LINE = 60
_STATS_LINES = 50
_BULLET_START = frozenset(" \t•·▪●◦‣∙*-–—>|\u00a0")
_META_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{0,30}?)\s*:\s*(.*?)\s*$")


@dataclass(slots=True)
class _Line:
    idx: int
    lineno: int
    start: int
    end: int
    text: str  # the line as stored, without its line break
    clean: str  # bullets trimmed, spaces folded: what rules match
    words: int
    bullet: bool
    role: Role | None = None
    reason: str = ""


@dataclass(slots=True)
class Parsed:
    """What the parser read from one document."""

    paragraphs: list[dict[str, Any]]
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    claimed_word_count: int | None = None


def split_lines(text: str, patterns: Patterns) -> list[_Line]:
    """Non-blank lines with their offsets, line numbers and cleaned text."""
    out: list[_Line] = []
    pos = 0
    for lineno, raw in enumerate(text.split("\n"), start=1):
        end = pos + len(raw)
        line = raw[:-1] if raw.endswith("\r") else raw
        if line and not line.isspace():
            trimmed = patterns.bullet.sub("", line) if line[0] in _BULLET_START else line
            if len(trimmed) > _LONG_LINE:  # long lines are prose: no rule looks at them
                clean = trimmed.strip()
                words = clean.count(" ") + 1
            else:
                clean = " ".join(trimmed.split())
                words = clean.count(" ") + 1 if clean else 0
            bullet = len(trimmed) < len(line)
            out.append(_Line(len(out), lineno, pos, pos + len(line), line, clean, words, bullet))
        pos = end + 1
    return out


def parse_text(text: str, patterns: Patterns, dropped_from: int | None = None) -> Parsed:
    """Classify every non-blank line of ``text``; extract title and metadata.

    Args:
        text: the document text.
        patterns: the compiled rules.
        dropped_from: where the lines an extractor left out of the body start (an
            HTML page's chrome, kept after the body); they are ``boilerplate`` with the
            reason ``html_extractor_dropped`` and the rules read only what comes before.

    Example:
        >>> from audit.parse.patterns import load_patterns
        >>> p = parse_text("print PRINT\\nA headline\\n" + "Body words here. " * 5, load_patterns())
        >>> [(r["role"], r["reason"]) for r in p.paragraphs]
        [('boilerplate', 'share_print_button'), ('title', 'headline'), ('body', 'body')]
    """
    lines = split_lines(text, patterns)
    dropped: list[_Line] = []
    if dropped_from is not None:
        dropped = [ln for ln in lines if ln.start >= dropped_from]
        lines = lines[: len(lines) - len(dropped)]
        for ln in dropped:
            ln.role, ln.reason = Role.BOILERPLATE, EXTRACTOR_DROPPED
    _mark_sections(lines, patterns)
    rules = _match_rules(lines, patterns)
    prose = [
        ln.idx
        for ln in lines
        if ln.role is None and rules[ln.idx] is None and _is_prose(ln, patterns)
    ]
    first, last = (prose[0], prose[-1]) if prose else (len(lines), len(lines))
    title: str | None = None
    for ln in lines:
        if ln.role is not None:
            continue
        rule = rules[ln.idx]
        if rule is not None and (
            rule[2] == "any"
            or (rule[2] == "head" and ln.idx < first)
            or (rule[2] == "tail" and ln.idx > last)
        ):
            ln.role, ln.reason = rule[0], rule[1]
        elif ln.idx < first:
            if title is None and ln.words <= patterns.title_max_words and not ln.bullet:
                ln.role, ln.reason, title = Role.TITLE, "headline", ln.clean
            else:
                ln.role = Role.BODY
                ln.reason = "repeated_title" if ln.clean == title else "head_line"
        elif ln.idx > last:
            ln.role, ln.reason = _tail_role(ln, lines, patterns)
        else:
            ln.role, ln.reason = Role.BODY, "body"
    parsed = Parsed([], title=title)
    _dateline(lines, patterns, parsed)
    _metadata(lines, patterns, parsed)
    parsed.paragraphs = [
        {
            "idx": ln.idx,
            "text": ln.text,
            "role": str(ln.role),
            "reason": ln.reason,
            "start": ln.start,
            "end": ln.end,
            "line": ln.lineno,
        }
        for ln in lines + dropped
    ]
    return parsed


def _mark_sections(lines: list[_Line], patterns: Patterns) -> None:
    """Give headings and the lines under them their section's role."""
    i = 0
    while i < len(lines):
        ln = lines[i]
        section = _section_heading(ln, patterns)
        if section is None:
            i += 1
            continue
        rule, count = section
        ln.role, ln.reason = rule.heading_role, rule.name
        limit = count or rule.max_lines or len(lines)
        j = i + 1
        while j < len(lines) and j - i <= limit:
            nxt = lines[j]
            if _section_heading(nxt, patterns) or (
                rule.until and len(nxt.clean) <= _LONG_LINE and rule.until.match(nxt.clean)
            ):
                break
            if not count and not rule.max_lines and nxt.words > patterns.tail_fragment_words:
                break
            nxt.role, nxt.reason = rule.role, rule.name
            j += 1
        i = j


def _section_heading(ln: _Line, patterns: Patterns) -> tuple[Any, int] | None:
    if len(ln.clean) > 60:
        return None
    for rule in patterns.sections:
        m = rule.heading.match(ln.clean)
        if m:
            groups = {k: v for k, v in m.groupdict().items() if v and k.startswith("count")}
            return rule, int(next(iter(groups.values()), 0))
    return None


def _match_rules(lines: list[_Line], patterns: Patterns) -> list[tuple[Role, str, str] | None]:
    """The first line rule each line matches, as (role, name, where)."""
    out: list[tuple[Role, str, str] | None] = []
    for ln in lines:
        m = patterns.combined.match(ln.clean) if len(ln.clean) <= _LONG_LINE else None
        if m is None or m.lastgroup is None:
            out.append(None)
            continue
        # lastgroup is the outermost named group that matched: the rule's own
        rule = patterns.lines[int(m.lastgroup[1:])]
        out.append((rule.role, rule.name, rule.where))
    return out


def _is_prose(ln: _Line, patterns: Patterns) -> bool:
    ends = bool(ln.clean) and ln.clean[-1] in _SENTENCE_END
    return (
        ln.words >= patterns.prose_min_words and ends
    ) or ln.words >= 2 * patterns.prose_min_words


def _tail_role(ln: _Line, lines: list[_Line], patterns: Patterns) -> tuple[Role, str]:
    """A line after the last prose line that no rule named."""
    if ln.words > patterns.tail_fragment_words:
        return Role.BODY, "tail_prose"
    if ln.bullet:
        return Role.BOILERPLATE, "tail_bullet_list"
    before = next((p.role for p in reversed(lines[: ln.idx]) if p.role is not None), None)
    if before in (Role.RELATED, Role.CREDIT):
        return Role.RELATED, "tail_headline"
    return Role.BOILERPLATE, "tail_fragment"


def _dateline(lines: list[_Line], patterns: Patterns, parsed: Parsed) -> None:
    first_body = next((ln for ln in lines if ln.role == Role.BODY and ln.reason == "body"), None)
    if first_body is None:
        return
    m = patterns.dateline.match(first_body.text)
    if m:
        first_body.reason = "dateline"
        parsed.meta["dateline"] = m.group(0).strip(" –—-")
        parsed.meta["dateline_place"] = m.group("place").strip()
        parsed.meta["dateline_agency"] = m.group("agency").strip()


def _metadata(lines: list[_Line], patterns: Patterns, parsed: Parsed) -> None:
    stats: list[str] = []
    for ln in lines:
        # a metadata line is short; long ones would only feed the regexes quadratic work
        if ln.role != Role.METADATA or len(ln.clean) > _LONG_LINE:
            continue
        m = _META_LINE.match(ln.clean)
        if m and m.group(2) and ln.reason != "statistics_block":
            key = re.sub(r"[\s-]+", "_", m.group(1).strip().lower())
            parsed.meta.setdefault(key, m.group(2))
        elif len(ln.clean) <= _STATS_LINE and len(stats) < _STATS_LINES:
            stats.append(ln.clean)
    if stats:
        m = patterns.claimed_word_count.search("\n".join(stats))
        digits = m.group("count").replace(",", "") if m else ""
        if digits.isascii() and digits.isdigit() and len(digits) <= 9:
            parsed.claimed_word_count = int(digits)
