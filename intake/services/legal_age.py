"""The Japanese legal age convention (年齢計算ニ関スル法律): an age is reached on the day before the anniversary;
fiscal years from April 1; the school start. Pure date arithmetic, used by every schedule rule."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from intake.services.schedule_data import Age, AgeRule


def add_months(d: date, months: int) -> tuple[date, bool]:
    """d + months; the bool says whether that day exists (False: clipped to the month's end)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last)), d.day <= last


def reach_date(birth: date, duration: str) -> date:
    """The day an age is reached (年齢計算ニ関スル法律): the day before the same day n months/years later; if
    that day does not exist, the last day of that month (7/31 生 → 生後2月 = 9/30). PnD/PnW: birth + n days."""
    m = re.fullmatch(r"P(\d+)([YMDW])", duration)
    if m is None:
        raise ValueError(f"unsupported duration {duration!r}")
    n, unit = int(m[1]), m[2]
    if unit == "D":
        return birth + timedelta(days=n)
    if unit == "W":
        return birth + timedelta(weeks=n)
    target, exists = add_months(birth, n * 12 if unit == "Y" else n)
    return target - timedelta(days=1) if exists else target


def school_start(birth: date) -> date:
    """小学校就学の始期: the first April 1 after the day following reach_date(P6Y)."""
    after = reach_date(birth, "P6Y") + timedelta(days=1)
    return date(after.year, 4, 1) if after <= date(after.year, 4, 1) else date(after.year + 1, 4, 1)


def fiscal_year_start(d: date) -> date:
    return date(d.year if d.month >= 4 else d.year - 1, 4, 1)


def age_years(birth: date, on: date) -> int:
    years = on.year - birth.year
    while reach_date(birth, f"P{years}Y") > on:
        years -= 1
    return years


def add_months_frac(d: date, months: float) -> date:
    """d + months; a half month is 15 days (2価 HPV: 2.5 months)."""
    whole = int(months)
    base = add_months(d, whole)[0]
    return base + timedelta(days=round((months - whole) * 30))


def bound(birth: date, age: Age, end: bool) -> date | None:
    """The first (or, with `end`, the last) day an age bound allows: a duration, or a fiscal-year rule."""
    if isinstance(age, str):
        return reach_date(birth, age)
    if isinstance(age, AgeRule) and age.age and "fiscal_year" in age.rule:
        fy = fiscal_year_start(reach_date(birth, age.age))
        return date(fy.year + 1, 3, 31) if end else fy
    return None
