"""Load the parser's pattern files and compile them once."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from audit.config import ConfigError
from audit.model import Role

SCOPES = ("any", "head", "tail")


@dataclass(frozen=True)
class LineRule:
    """A whole-line pattern giving a role."""

    name: str
    role: Role
    where: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class SectionRule:
    """A heading whose following lines take a role."""

    name: str
    role: Role
    heading_role: Role
    heading: re.Pattern[str]
    max_lines: int
    until: re.Pattern[str] | None


@dataclass(frozen=True)
class Patterns:
    """Every compiled rule of the parser."""

    lines: tuple[LineRule, ...]
    sections: tuple[SectionRule, ...]
    combined: re.Pattern[str]  # all line rules as one alternation, group per rule
    dateline: re.Pattern[str]
    claimed_word_count: re.Pattern[str]
    bullet: re.Pattern[str]
    tail_fragment_words: int
    prose_min_words: int
    title_max_words: int


def default_pattern_file() -> Path:
    """The pattern file shipped with the package."""
    return Path(str(resources.files("audit") / "data" / "patterns.toml"))


@lru_cache(maxsize=8)
def load_patterns(extra: tuple[str, ...] = ()) -> Patterns:
    """Compile the user's pattern files (first) and the shipped defaults.

    Raises:
        ConfigError: a file cannot be read or holds an invalid rule.
    """
    files = [Path(p) for p in extra] + [default_pattern_file()]
    lines: list[LineRule] = []
    sections: list[SectionRule] = []
    extract: dict[str, Any] = {}
    for file in files:
        data = _read(file)
        for i, rule in enumerate(data.get("line", [])):
            lines.append(_line_rule(rule, f"{file}: line rule {i + 1}"))
        for i, rule in enumerate(data.get("section", [])):
            sections.append(_section_rule(rule, f"{file}: section rule {i + 1}"))
        for key, value in data.get("extract", {}).items():
            extract.setdefault(key, value)
    combined = re.compile(
        "|".join(f"(?P<r{i}>{r.regex.pattern})" for i, r in enumerate(lines)), re.IGNORECASE
    )
    return Patterns(
        lines=tuple(lines),
        sections=tuple(sections),
        combined=combined,
        dateline=_compile(extract["dateline"], "dateline", 0),
        claimed_word_count=_compile(extract["claimed_word_count"], "claimed_word_count"),
        bullet=_compile(extract["bullet"], "bullet", 0),
        tail_fragment_words=int(extract["tail_fragment_words"]),
        prose_min_words=int(extract["prose_min_words"]),
        title_max_words=int(extract["title_max_words"]),
    )


def _read(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read pattern file: {exc}") from None


def _compile(pattern: str, where: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ConfigError(f"{where}: invalid pattern: {exc}") from None


def _role(value: Any, where: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ConfigError(f"{where}: unknown role {value!r}") from None


def _line_rule(rule: dict[str, Any], where: str) -> LineRule:
    name = rule.get("name")
    if not name or "pattern" not in rule:
        raise ConfigError(f"{where}: needs a name and a pattern")
    scope = rule.get("where", "any")
    if scope not in SCOPES:
        raise ConfigError(f"{where}: where must be one of {', '.join(SCOPES)}")
    # named groups inside user patterns would clash in the combined alternation
    body = re.sub(r"\(\?P<\w+>", "(?:", rule["pattern"])
    regex = _compile(f"(?:{body})$", where)
    return LineRule(str(name), _role(rule.get("role"), where), scope, regex)


def _section_rule(rule: dict[str, Any], where: str) -> SectionRule:
    if not rule.get("name") or "heading" not in rule:
        raise ConfigError(f"{where}: needs a name and a heading")
    until = rule.get("until")
    return SectionRule(
        name=str(rule["name"]),
        role=_role(rule.get("role"), where),
        heading_role=_role(rule.get("heading_role", rule.get("role")), where),
        heading=_compile(f"(?:{rule['heading']})$", where),
        max_lines=int(rule.get("max_lines", 0)),
        until=_compile(f"(?:{until})$", where) if until else None,
    )
