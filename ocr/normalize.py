"""Normalization and validation of read values: Japanese era dates, OCR digit confusions, lot numbers."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Era start dates (the first day of each era). 昭和64年 = 1989-01-01..01-07; 平成元年 from 1989-01-08;
# 平成31年 ends 2019-04-30; 令和元年 from 2019-05-01.
ERAS: dict[str, tuple[date, date | None]] = {
    "令和": (date(2019, 5, 1), None),
    "平成": (date(1989, 1, 8), date(2019, 4, 30)),
    "昭和": (date(1926, 12, 25), date(1989, 1, 7)),
    "大正": (date(1912, 7, 30), date(1926, 12, 24)),
}
ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正"}

# Pairs OCR and people confuse (field reports on the national ticket: 5→3, 3→8, 1↔4).
CONFUSABLE = {
    frozenset("17"),
    frozenset("53"),
    frozenset("38"),
    frozenset("14"),
    frozenset("0O"),
    frozenset("1I"),
    frozenset("8B"),
    frozenset("5S"),
    frozenset("2Z"),
    frozenset("6G"),
    frozenset("0D"),
    frozenset("0Q"),
    frozenset("49"),
    frozenset("69"),
}


class DateProblem(ValueError):
    """Why a text is no date. `code` names the problem (empty, unknown_era, not_calendar, outside_era, unreadable):
    the words a person reads are chosen from it at the edge (intake.messages); the message is for logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def era_to_date(era: str, year: int, month: int, day: int) -> date:
    if era not in ERAS:
        raise DateProblem("unknown_era", f"unknown era {era!r}")
    start, end = ERAS[era]
    try:
        d = date(start.year + year - 1, month, day)
    except ValueError as exc:
        raise DateProblem("not_calendar", f"{era}{year}年{month}月{day}日 is not a calendar date") from exc
    if d < start or (end is not None and d > end):
        raise DateProblem("outside_era", f"{era}{year}年{month}月{day}日 is outside the {era} era")
    return d


def era_digits(era: str, d: date) -> str:
    """A date as the form's boxes hold it in `era`: two-digit era year, month, day ("070412" for 令和7年4月12日)."""
    if era not in ERAS:
        raise DateProblem("unknown_era", f"unknown era {era!r}")
    start, end = ERAS[era]
    if d < start or (end is not None and d > end):
        raise DateProblem("outside_era", f"{d.isoformat()} is outside the {era} era")
    return f"{d.year - start.year + 1:02d}{d.month:02d}{d.day:02d}"


_ERA_RE = re.compile(r"^(令和|平成|昭和|大正|[RHST])\.?\s*(元|\d{1,2})[年./-]\s*(\d{1,2})[月./-]\s*(\d{1,2})日?$")
_ISO_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_date(text: str) -> date:
    """YYYY-MM-DD, 令和3年4月15日, R3.4.15, 平成元年1月8日 … → date. Raises DateProblem with a reason."""
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "").upper()
    if not s:
        raise DateProblem("empty", "empty date")
    m = _ISO_RE.match(s)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as exc:
            raise DateProblem("not_calendar", f"{text} is not a calendar date") from exc
    m = _ERA_RE.match(s.replace("令和", "令和").replace("R", "R"))
    if m:
        era = ERA_LETTERS.get(m[1], m[1])
        year = 1 if m[2] == "元" else int(m[2])
        return era_to_date(era, year, int(m[3]), int(m[4]))
    raise DateProblem("unreadable", f"cannot read {text!r} as a date")


# Multi-character confusions: two glyphs read as one and back (VV→W, rn→m, cl→d).
MULTI_CONFUSABLE = (("VV", "W"), ("RN", "M"), ("CL", "D"), ("NN", "M"))


def confusion_distance(a: str, b: str) -> float:
    """Edit distance where a known OCR confusion costs 0.3 instead of 1; a multi-character confusion
    (VV↔W …) costs 0.3 as well."""
    best = _single_distance(a, b)
    for long, short in MULTI_CONFUSABLE:
        if long in a or long in b:
            best = min(best, 0.3 + _single_distance(a.replace(long, short), b.replace(long, short)))
    return best


def _single_distance(a: str, b: str) -> float:
    prev = [float(i) for i in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        cur = [float(i)]
        for j, cb in enumerate(b, 1):
            sub = 0.0 if ca == cb else (0.3 if frozenset((ca, cb)) in CONFUSABLE else 1.0)
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + sub))
        prev = cur
    return prev[-1]


def clean_lot(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).upper()
    # "Lot", "ロット", "Lot No." before the number; never eat the lot's own leading N or O ("Lot NH3358").
    s = re.sub(r"^(?:LOT|ロット)(?:\s*(?:NO|№)[.:])?[\s.:]*", "", s.strip())
    return re.sub(r"[^0-9A-Z-]", "", s)


def nearest_lot(read: str, known: list[str]) -> tuple[str | None, float]:
    """The master lot closest to what was read, and its confusion distance (0 = exact)."""
    best: tuple[str | None, float] = (None, float("inf"))
    for lot in known:
        d = confusion_distance(read, lot)
        if d < best[1]:
            best = (lot, d)
    return best
