"""Date signals: publication, URL, record and page-chrome dates, and dates in the text.

Every date is normalized to ``YYYY-MM-DD``. Common shapes are read by fast
patterns; anything else goes to ``dateutil``; results are cached per string, since
a batch repeats the same few date strings many times.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from audit.signals.base import Batch, Evidence, Output, present

MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WD = r"(?P<wd>mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+"
_MON = r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"

_ISO = re.compile(r"\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T\s_,])")
_MONTH_FIRST = re.compile(
    rf"\s*(?:{_WD})?(?P<mon>{_MON})[a-z]*\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
    r"(?P<year>\d{4})\b",
    re.IGNORECASE,
)
_DAY_FIRST = re.compile(
    rf"\s*(?:{_WD})?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<mon>{_MON})[a-z]*\.?,?\s+"
    r"(?P<year>\d{4})\b",
    re.IGNORECASE,
)
# Dates in running text are found from their year (rare, so cheap to look for),
# then read backwards (`Monday, June 5, 2023`, `5 June 2023`) or forwards (ISO).
_BEFORE_YEAR = re.compile(
    r"(?:\b(?P<wd>Mon|Tues?|Wed(?:nes)?|Thu(?:rs?)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)?"
    rf"(?:\b(?P<mon>{_MON})[a-z]*\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?"
    rf"|\b(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon2>{_MON})[a-z]*\.?,?)\s+$",
    re.IGNORECASE,
)
_ISO_AFTER_YEAR = re.compile(r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)")
_WEEKDAY_BEFORE_DAY = re.compile(r"\b(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)$")
_URL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})([-/_]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)"
)
_DIGIT = re.compile(r"\d")
_EPOCH = re.compile(r"\d{10}(?:\d{3})?(?:\.\d+)?")
# a date before this is not a date for a web document; after it, not one either
_MIN_YEAR, _MAX_YEAR = 1000, 2999


def _weekday_index(name: str | None) -> int | None:
    if not name:
        return None
    key = name.lower()[:3]
    return next((i for i, w in enumerate(WEEKDAYS) if w.startswith(key)), None)


def _make(year: int, month: int, day: int) -> dt.date | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


_TWO_DIGITS = re.compile(r"\d\d")
_TIME = re.compile(r"\d{1,2}:\d\d(?::\d\d(?:[.,]\d+)?)?")  # a time of day: no year in it


@lru_cache(maxsize=65536)
def read_date(raw: str, dayfirst: bool = False) -> tuple[dt.date | None, int | None]:
    """Read a date string: (the date or None, the weekday it names or None).

    Fast patterns cover ISO-like (``2022/10/05 07:30``), month-first
    (``Oct. 5, 2022``, ``Monday, June 5, 2023``) and day-first (``5 June 2023``)
    forms; anything else goes to ``dateutil``. A string without a day or a year
    (``June 2023``) is not a date.

    Example:
        >>> read_date("Monday, June 5, 2023")
        (datetime.date(2023, 6, 5), 0)
    """
    s = raw.strip()
    if not s or len(s) > 80:
        return None, None
    m = _ISO.match(s)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3))), None
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        m = pattern.match(s)
        if m:
            month = MONTHS[m.group("mon")[:3].lower()]
            day = _make(int(m.group("year")), month, int(m.group("day")))
            return day, _weekday_index(m.group("wd"))
    if _EPOCH.fullmatch(s):
        seconds = float(s) / (1000 if len(s.split(".")[0]) == 13 else 1)
        return dt.datetime.fromtimestamp(seconds, dt.UTC).date(), None
    return _dateutil(s, dayfirst), None


def _dateutil(s: str, dayfirst: bool) -> dt.date | None:
    from dateutil import parser

    if not _TWO_DIGITS.search(_TIME.sub(" ", s)):
        return None  # no year of two digits or more: "1-1-1 10:30" is not 2001-01-01
    try:
        a = parser.parse(s, default=dt.datetime(1, 1, 1), dayfirst=dayfirst)
        b = parser.parse(s, default=dt.datetime(2, 2, 2), dayfirst=dayfirst)
    except (ValueError, OverflowError, TypeError):
        return None
    if a.year != b.year or a.day != b.day or a.month != b.month:
        return None  # the string lacks a year, month or day
    return _make(a.year, a.month, a.day)


def to_date(value: Any, dayfirst: bool = False) -> dt.date | None:
    """A date from a cell of any type: str, date, datetime, Timestamp, epoch number.

    Example:
        >>> to_date("2022/10/05 07:30")
        datetime.date(2022, 10, 5)
    """
    if not present(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value))
    if not isinstance(value, str):
        return None
    return read_date(value, dayfirst)[0]


def url_date(url: Any) -> dt.date | None:
    """The date written in a URL's path (``/20221005_02/``, ``/2022/10/05/``), or None.

    Example:
        >>> url_date("https://www3.nhk.or.jp/nhkworld/en/news/20221005_02/")
        datetime.date(2022, 10, 5)
    """
    if not isinstance(url, str) or "/" not in url:
        return None
    rest = url.split("//", 1)[-1]
    path = rest[rest.find("/") :] if "/" in rest else ""
    m = _URL_DATE.search(path)
    return _make(int(m.group(1)), int(m.group(3)), int(m.group(4))) if m else None


def iso(d: dt.date | None) -> str | None:
    """``YYYY-MM-DD`` or None."""
    return d.isoformat() if d is not None else None


def _days(a: str | None, b: str | None) -> int | None:
    if a is None or b is None:
        return None
    return (dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days


def _where(b: Batch, i: int, key: str | None, raw: Any) -> Evidence:
    out: Evidence = {"raw": raw if isinstance(raw, str | int | float) else str(raw)}
    if key:
        out["field"] = key
        where = b.meta_line(i, key)
        if where is not None:
            out["line"], out["text"] = where
    return out


_KINDS = ("published", "created", "updated", "last_read")


def _key_ranks(s: Any) -> dict[str, tuple[int, int]]:
    """Metadata key -> (kind number, rank among that kind's keys): earlier keys win."""
    ranks: dict[str, tuple[int, int]] = {}
    for kind, keys in enumerate(
        (s.published_keys, s.created_keys, s.updated_keys, s.last_read_keys)
    ):
        for rank, key in enumerate(keys):
            ranks.setdefault(key, (kind, rank))
    return ranks


def record_dates(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Publication date from the metadata (else the URL), URL, created, updated, last read."""
    s = b.settings
    ranks = _key_ranks(s)
    names = ("published_date", "created_date", "updated_date", "last_read_date")
    out: dict[str, list[Any]] = {n: [] for n in (*names, "published_source", "url_date")}
    ev_dates: list[Evidence | None] = []
    ev_missing: list[Evidence | None] = []
    for i in range(b.n):
        meta = b.meta[i]
        # per kind, the metadata fields that may hold it, best first
        fields: list[list[tuple[int, str, Any]]] = [[], [], [], []]
        for key, value in meta.items():
            r = ranks.get(key)
            if r is not None and present(value):
                fields[r[0]].append((r[1], key, value))
        raw_published = b.published[i]
        if present(raw_published):
            # the reader's or parser's `published`; point at the field it came from
            origin = next((f[1] for f in sorted(fields[0]) if f[2] == raw_published), "")
            fields[0].insert(0, (-1, origin, raw_published))
        ev: Evidence = {}
        unread: list[Evidence] = []
        days: list[dt.date | None] = [None, None, None, None]
        for kind, found in enumerate(fields):
            for _, key, raw in sorted(found, key=lambda f: f[0]):
                d = to_date(raw, s.dayfirst)
                if d is None:
                    unread.append(_where(b, i, key or None, raw))
                    continue
                days[kind] = d
                ev[_KINDS[kind]] = {"value": d.isoformat(), **_where(b, i, key or None, raw)}
                break
        for name, d in zip(names, days, strict=True):
            out[name].append(iso(d))
        url = b.url[i] if present(b.url[i]) else meta.get("url")
        ud = url_date(url)
        out["url_date"].append(iso(ud))
        if ud is not None:
            ev["url_date"] = {"value": iso(ud), "url": url}
        if days[0] is not None:
            out["published_source"].append("metadata")
        elif ud is not None:
            out["published_source"].append("url")
            out["published_date"][-1] = iso(ud)
        else:
            out["published_source"].append(None)
        if unread:
            ev["unreadable"] = unread
        ev_dates.append(ev or None)
        if days[0] is None and ud is None:
            miss: Evidence = {
                "looked_for": [*dict.fromkeys(("published", *s.published_keys)), "the URL"],
                "url": url if present(url) else None,
            }
            if unread:
                miss["unreadable"] = unread
            ev_missing.append(miss)
        else:
            ev_missing.append(None)
    return Output(out, {"date_inconsistent": ev_dates, "missing_date": ev_missing})


def chrome_dates(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Dates on page-chrome lines (a site's 'today' banner): never the publication date."""
    roles = set(b.settings.boilerplate_roles)
    values: list[str | None] = []
    mismatch: list[list[Evidence]] = []
    ev: list[Evidence | None] = []
    texts, p_roles, lines, reasons = b.p_text, b.p_role, b.p_line, b.p_reason
    for rows in b.other:
        found: list[Evidence] = []
        bad: list[Evidence] = []
        for j in rows:
            t = texts[j]
            if p_roles[j] not in roles or len(t) > 60 or not _DIGIT.search(t):
                continue
            d, wd = read_date(t, b.settings.dayfirst)
            if d is None:
                continue
            item = {
                "line": lines[j],
                "text": t.strip(),
                "date": iso(d),
                "role": p_roles[j],
                "reason": reasons[j],
            }
            found.append(item)
            if wd is not None and wd != d.weekday():
                bad.append({**item, "weekday": WEEKDAYS[wd], "actual": WEEKDAYS[d.weekday()]})
        values.append(found[0]["date"] if found else None)
        mismatch.append(bad)
        ev.append({"chrome_dates": found} if found else None)
    return Output(
        {"chrome_date": values, "_chrome_weekday_mismatches": mismatch},
        {"missing_date": ev, "date_inconsistent": ev},
    )


def _resolve_weekday(name: str, anchor: str | None) -> str | None:
    """The latest date on or before ``anchor`` that falls on weekday ``name``."""
    if anchor is None:
        return None
    a = dt.date.fromisoformat(anchor)
    back = (a.weekday() - WEEKDAYS.index(name.lower())) % 7
    return (a - dt.timedelta(days=back)).isoformat()


def _weekdays_in(text: str) -> list[str]:
    """Weekday names in ``text``, found from each `day` and read backwards."""
    out: list[str] = []
    i = text.find("day")
    while i != -1:
        m = _WEEKDAY_BEFORE_DAY.search(text, max(0, i - 7), i)
        if m:
            out.append(m.group(1) + "day")
        i = text.find("day", i + 3)
    return out


def _years_in(text: str) -> list[int]:
    """Start offsets of the years 1900-2099 standing alone in ``text`` (str.find is fast)."""
    out: list[int] = []
    for prefix in ("19", "20"):
        i = text.find(prefix)
        while i != -1:
            end = i + 4
            if (
                text[i + 2 : end].isdigit()
                and len(text) >= end
                and not (i and text[i - 1].isdigit())
                and not text[end : end + 1].isdigit()
            ):
                out.append(i)
            i = text.find(prefix, i + 1)
    return sorted(out)


def _dates_in(text: str) -> list[tuple[str, dt.date, int | None]]:
    """Full dates in ``text``: (the words, the date, the weekday they name or None)."""
    out: list[tuple[str, dt.date, int | None]] = []
    for start in _years_in(text):
        year, end = int(text[start : start + 4]), start + 4
        m = _BEFORE_YEAR.search(text, max(0, start - 40), start)
        if m:
            month = MONTHS[(m.group("mon") or m.group("mon2"))[:3].lower()]
            d = _make(year, month, int(m.group("day") or m.group("day2")))
            if d is not None:
                out.append((text[m.start() : end], d, _weekday_index(m.group("wd"))))
            continue
        iso_m = _ISO_AFTER_YEAR.match(text, end)
        if iso_m:
            d = _make(year, int(iso_m.group(1)), int(iso_m.group(2)))
            if d is not None:
                out.append((text[start : iso_m.end()], d, None))
    return out


def _text_dates_of(
    texts: list[str], lines: list[int], rows: list[int]
) -> tuple[list[Evidence], list[Evidence], list[str]]:
    """Explicit dates, weekday/date contradictions and weekday names in body rows."""
    dates: list[Evidence] = []
    bad: list[Evidence] = []
    weekdays: list[str] = []
    for j in rows:
        t = texts[j]
        if "day" in t:
            weekdays += _weekdays_in(t)
        if "19" not in t and "20" not in t:
            continue
        for words, d, wd in _dates_in(t):
            item = {"line": lines[j], "text": words, "date": d.isoformat()}
            dates.append(item)
            if wd is not None and wd != d.weekday():
                bad.append({**item, "weekday": WEEKDAYS[wd], "actual": WEEKDAYS[d.weekday()]})
    return dates, bad, weekdays


def text_dates(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Dates and weekdays the body mentions, read against the publication date."""
    published = cols["published_date"]
    chrome_bad = cols["_chrome_weekday_mismatches"]
    out: dict[str, list[Any]] = {
        "text_dates": [],
        "text_weekdays": [],
        "text_date_lead_days": [],
        "weekday_mismatches": [],
    }
    ev: list[Evidence | None] = []
    for i, rows in enumerate(b.body):
        dates, bad, weekdays = _text_dates_of(b.p_text, b.p_line, rows)
        bad = chrome_bad[i] + bad
        pub = published[i]
        values = sorted({d["date"] for d in dates})
        out["text_dates"].append(values)
        out["text_weekdays"].append(sorted(set(weekdays), key=lambda w: WEEKDAYS.index(w.lower())))
        out["text_date_lead_days"].append(_days(values[-1], pub) if values else None)
        out["weekday_mismatches"].append(len(bad))
        e: Evidence = {}
        if dates:
            e["text_dates"] = dates
        if weekdays and pub is not None:
            e["text_weekdays"] = {w: _resolve_weekday(w, pub) for w in dict.fromkeys(weekdays)}
        if bad:
            e["weekday_mismatches"] = bad
        ev.append(e or None)
    return Output(out, {"date_inconsistent": ev})


def date_gaps(b: Batch, cols: Mapping[str, list[Any]]) -> Output:
    """Day gaps between the dates: URL vs metadata, updated vs created, future dates."""
    out: dict[str, list[Any]] = {
        "url_published_delta_days": [],
        "update_lag_days": [],
        "future_days": [],
    }
    ev: list[Evidence | None] = []
    for i in range(b.n):
        pub, src, ud = cols["published_date"][i], cols["published_source"][i], cols["url_date"][i]
        created, updated = cols["created_date"][i], cols["updated_date"][i]
        delta = _days(ud, pub) if src == "metadata" else None
        out["url_published_delta_days"].append(abs(delta) if delta is not None else None)
        out["update_lag_days"].append(_days(updated, created))
        named = {
            "published": pub,
            "created": created,
            "updated": updated,
            "last_read": cols["last_read_date"][i],
        }
        ahead = {k: (dt.date.fromisoformat(v) - b.now).days for k, v in named.items() if v}
        future = max(ahead.values()) if ahead else None
        out["future_days"].append(future)
        e: Evidence = {}
        if future is not None and future > 0:
            e["today"] = b.now.isoformat()
            e["in_future"] = {k: v for k, v in ahead.items() if v > 0}
        if out["update_lag_days"][-1] is not None:
            e["update_lag_days"] = out["update_lag_days"][-1]
        if delta is not None:
            e["url_published_delta_days"] = abs(delta)
        ev.append(e or None)
    return Output(out, {"date_inconsistent": ev})
