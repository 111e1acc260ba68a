"""The routine schedule as data (intake/data/vaccine_schedule.yaml, compiled with sources and a status per row),
and the checks run on a dose at review and at commit.

Rows marked confirmed / confirmed_secondary become errors; everything else only warns, as the data file asks.
Ages follow the Japanese legal convention: an age is reached on the day before the anniversary.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent.parent / "data" / "vaccine_schedule.yaml"
HARD = ("confirmed", "confirmed_secondary")
LIVE_INJECTABLE = {"MR", "VAR", "BCG"}  # different_vaccine_interval_rule (27 days), confirmed_secondary


@dataclass(frozen=True)
class Check:
    rule: str  # age_window, dose_count, interval, live_interval, duplicate, amount, lot, sequence
    severity: str  # error | warning
    message: str  # in a reviewer's words


# ---- the legal age convention -----------------------------------------------------------------------
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


# ---- the data -------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _vaccines() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return {v["code"]: v for v in data["vaccines"]}


def _status_hard(*statuses: Any) -> bool:
    return any(isinstance(s, str) and s.split()[0].strip("(;") in HARD for s in statuses)


def _window(v: dict[str, Any], dose_no: int, birth: date) -> tuple[date, date, bool] | None:
    """(first day, last day, hard?) of the legal age window for this dose, or None if the data has none."""
    doses = v.get("doses") or []
    row = doses[dose_no - 1] if 0 < dose_no <= len(doses) else {}
    lw = v.get("legal_window") or {}
    hard = _status_hard(row.get("status"), lw.get("status"))
    lo, hi = row.get("min_age"), row.get("max_age")
    if isinstance(lo, dict) and "school_start" in str(lo.get("rule", "")):  # MR 2期
        start = school_start(birth)
        return date(start.year - 1, 4, 1), start - timedelta(days=1), hard
    if isinstance(lw.get("min_age"), dict) and "fiscal_year" in str(lw["min_age"].get("rule", "")):  # HPV
        first = fiscal_year_start(reach_date(birth, lw["min_age"]["age"]))
        last_fy = fiscal_year_start(reach_date(birth, lw["max_age"]["age"]))
        return first, date(last_fy.year + 1, 3, 31), hard
    if not (isinstance(lo, str) and isinstance(hi, str)):
        phase = "phase1" if dose_no <= 3 else "phase2"
        if isinstance(lw.get(phase), dict):  # JE: 1期 / 2期
            lo, hi = lw[phase]["min_age"], lw[phase]["max_age"]
        else:
            lo, hi = lw.get("min_age"), lw.get("max_age")
    if not (isinstance(lo, str) and isinstance(hi, str)):
        return None
    return reach_date(birth, lo), reach_date(birth, hi), hard


@dataclass(frozen=True)
class PriorDose:
    vaccine_code: str
    dose_no: int
    performed_on: date


def check_dose(
    vaccine_code: str,
    dose_no: int,
    on: date,
    birth: date | None,
    dose_ml: float | None,
    history: list[PriorDose],
    lot: tuple[str, date | None] | None,
    lot_number: str,
) -> list[Check]:
    """Every check for one dose. `history`: the resident's earlier committed doses (any vaccine);
    `lot`: (vaccine code, expiry) from the lot master, or None if the lot is unknown."""
    out: list[Check] = []
    v = _vaccines().get(vaccine_code)
    if v is None:
        return [Check("schedule", "warning", f"{vaccine_code} is not in the routine schedule data: no schedule check")]
    name = v.get("name_ja", vaccine_code).split("（")[0]

    def add(rule: str, hard: bool, message: str) -> None:
        out.append(Check(rule, "error" if hard else "warning", message))

    if birth is not None:
        window = _window(v, dose_no, birth)
        if window is not None:
            first, last, hard = window
            if on < first:
                add("age_window", hard, f"{name} 第{dose_no}回: {on} is before the eligible age (from {first})")
            elif on > last:
                add("age_window", hard, f"{name} 第{dose_no}回: {on} is past the eligible age (until {last})")
    total = v.get("doses_total")
    if isinstance(total, int) and dose_no > total:
        add("dose_count", True, f"{name} has {total} doses; 第{dose_no}回 does not exist")
    same = sorted((p for p in history if p.vaccine_code == vaccine_code), key=lambda p: p.performed_on)
    if any(p.dose_no == dose_no for p in same):
        add("duplicate", True, f"{name} 第{dose_no}回 is already recorded for this resident")
    prev = [p for p in same if p.dose_no == dose_no - 1]
    if dose_no > 1 and not prev:
        add("sequence", False, f"第{dose_no - 1}回 of {name} is not in the ledger (given elsewhere?)")
    doses = v.get("doses") or []
    row = doses[dose_no - 1] if 0 < dose_no <= len(doses) else {}
    if prev:
        last_dose = prev[-1].performed_on
        days, months = row.get("min_interval_days_from_prev"), row.get("min_interval_months_from_prev")
        hard = _status_hard(row.get("status"))
        if isinstance(days, int) and on < last_dose + timedelta(days=days + 1):
            add(
                "interval",
                hard,
                f"only {(on - last_dose).days} days after 第{dose_no - 1}回; at least {days} days must pass "
                f"(earliest {last_dose + timedelta(days=days + 1)})",
            )
        if isinstance(months, int) and on < add_months(last_dose, months)[0]:
            add(
                "interval",
                hard,
                f"less than {months} months after 第{dose_no - 1}回 (earliest {add_months(last_dose, months)[0]})",
            )
    if vaccine_code in LIVE_INJECTABLE:
        for p in history:
            if p.vaccine_code in LIVE_INJECTABLE and p.vaccine_code != vaccine_code and 0 < (on - p.performed_on).days <= 27:
                add(
                    "live_interval",
                    True,
                    f"only {(on - p.performed_on).days} days after the live vaccine {p.vaccine_code} "
                    f"({p.performed_on}); 27 days must pass between injectable live vaccines",
                )
    amount = row.get("amount_ml", v.get("amount_ml"))
    if isinstance(amount, dict) and birth is not None:
        amount = amount.get("age<3y" if age_years(birth, on) < 3 else "age>=3y", amount.get("age<10y"))
    if isinstance(amount, int | float) and dose_ml is not None and abs(float(amount) - dose_ml) > 1e-6:
        add("amount", False, f"{dose_ml} mL differs from the {amount} mL for this dose and age")
    if lot_number:
        if lot is None:
            add("lot", True, f"lot {lot_number} is not in the lot master")
        else:
            lot_vaccine, expiry = lot
            if lot_vaccine != vaccine_code:
                add("lot", True, f"lot {lot_number} is a {lot_vaccine} lot, not {vaccine_code}")
            if expiry is not None and on > expiry:
                add("lot", True, f"lot {lot_number} expired on {expiry}, before {on}")
    return out


@dataclass(frozen=True)
class Due:
    vaccine_code: str
    dose_no: int
    earliest: date
    latest: date
    overdue: bool


def next_due(birth: date, history: list[PriorDose], today: date) -> list[Due]:
    """For each routine series with a window in the data: the next dose, when it may be given, and whether
    the window is closing or closed. (Catch-up variants by age at first dose are not modelled yet.)"""
    out: list[Due] = []
    for code, v in _vaccines().items():
        total = v.get("doses_total")
        if not isinstance(total, int) or code in ("DPT-IPV", "IPV"):  # legacy series: only to finish one started
            continue
        given = sorted((p for p in history if p.vaccine_code == code), key=lambda p: p.dose_no)
        dose = (given[-1].dose_no + 1) if given else 1
        if dose > total:
            continue
        window = _window(v, dose, birth)
        if window is None:
            continue
        first, last, _ = window
        if given:
            doses = v.get("doses") or []
            row = doses[dose - 1] if dose <= len(doses) else {}
            days, months = row.get("min_interval_days_from_prev"), row.get("min_interval_months_from_prev")
            if isinstance(days, int):
                first = max(first, given[-1].performed_on + timedelta(days=days + 1))
            if isinstance(months, int):
                first = max(first, add_months(given[-1].performed_on, months)[0])
        if today > last and not given:
            continue  # never started and the window has closed: nothing to mail
        out.append(Due(code, dose, first, last, today > last))
    return sorted(out, key=lambda d: d.earliest)
