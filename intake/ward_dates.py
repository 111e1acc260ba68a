"""Dates, months and fiscal years as ward staff type them — 令和/平成 with 年月日 or dots, slashes, YYYYMMDD,
full-width digits — parsed once, here, for every path that takes one (staff search, reports, the CLI). A value that
cannot be read is a BadInput that says what to type, never a 500 or pydantic's English."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from intake.errors import BadInput
from ocr.normalize import ERA_LETTERS, ERAS, DateProblem, parse_date


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "").upper()


def _era_year(era: str, year: str, what: str, text: str) -> int:
    name = ERA_LETTERS.get(era, era)
    if name not in ERAS:
        raise BadInput("date.unknown_era", what=what, value=text)
    return ERAS[name][0].year + (1 if year == "元" else int(year)) - 1


def parse_day(text: str, what: str = "日付") -> date:
    s = _plain(text)
    if re.fullmatch(r"\d{8}", s):
        s = f"{s[:4]}-{s[4:6]}-{s[6:]}"
    try:
        return parse_date(s)
    except DateProblem as exc:
        raise BadInput(f"date.{exc.code}", what=what, value=text) from None


def parse_month(text: str, what: str = "月") -> str:
    """'YYYY-MM' from 2026-10, 2026/10, 2026年10月, 202610, 令和8年10月, R8.10."""
    s = _plain(text)
    m = re.fullmatch(r"(\d{4})[-/.年]?(\d{1,2})月?", s)
    era = re.fullmatch(r"(令和|平成|昭和|大正|[RHST])\.?(元|\d{1,2})[年./-](\d{1,2})月?", s)
    if m:
        year, month = int(m[1]), int(m[2])
    elif era:
        year, month = _era_year(era[1], era[2], what, str(text)), int(era[3])
    else:
        raise BadInput("date.bad_month", what=what, value=text)
    if not 1 <= month <= 12:
        raise BadInput("date.no_such_month", what=what, value=text, month=month)
    return f"{year:04d}-{month:02d}"


def parse_fiscal_year(text: str | int, what: str = "年度") -> int:
    """2026 from 2026, 2026年度, 令和8, 令和8年度, R8."""
    if isinstance(text, int):
        return text
    s = _plain(text).removesuffix("年度").removesuffix("年")
    if re.fullmatch(r"\d{4}", s):
        return int(s)
    era = re.fullmatch(r"(令和|平成|昭和|大正|[RHST])\.?(元|\d{1,2})", s)
    if era:
        return _era_year(era[1], era[2], what, str(text))
    raise BadInput("date.bad_fiscal_year", what=what, value=text)


def optional_day(text: str | None, what: str) -> date | None:
    return parse_day(text, what) if text and text.strip() else None
