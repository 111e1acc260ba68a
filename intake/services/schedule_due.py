"""What is due next for a resident, for every routine vaccine the schedule data describes: numbered series (the
catch-up series a first dose chose, every product's), B類 once-a-year and one-time windows. Used by a resident's
history and by `intake targets` (the monthly mailing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from intake.services.eligibility import group_windows
from intake.services.legal_age import add_months_frac, fiscal_year_start, reach_date
from intake.services.schedule import PriorDose, legal_window, series_for
from intake.services.schedule_data import Vaccine, schedule


@dataclass(frozen=True)
class Due:
    vaccine_code: str
    dose_no: int
    earliest: date
    latest: date
    overdue: bool


LEGACY = ("DPT-IPV", "IPV", "Hib")  # series the ward only finishes once started (5種混合 replaced them)


def next_due(birth: date, history: list[PriorDose], today: date, sex: str = "") -> list[Due]:
    """For every routine vaccine the data describes: the next dose, when it may be given, and whether its window
    has closed — numbered series (the catch-up series its first dose chose, every product's), once-a-year B類
    doses, and the one-time B類 doses. Not modelled: RSV (by weeks of pregnancy, not age)."""
    out: list[Due] = []
    for v in schedule().vaccines:
        if v.sex == "female" and sex == "1":
            continue
        given = sorted((p for p in history if p.vaccine_code == v.code), key=lambda p: p.dose_no)
        if v.code in LEGACY and not given:
            continue
        if v.eligibility is not None and v.eligibility.groups:
            due = _due_b_class(v, birth, given, today)
        else:
            due = _dueseries_for(v, birth, given, today)
        if due is not None:
            out.append(due)
    return sorted(out, key=lambda d: d.earliest)


def _dueseries_for(v: Vaccine, birth: date, given: list[PriorDose], today: date) -> Due | None:
    dose = (given[-1].dose_no + 1) if given else 1
    first_on = given[0].performed_on if given else None
    candidates = series_for(v, birth, first_on, "") if given else series_for(v, birth, None, "") or []
    totals = [c.total for c in candidates if c.total is not None] or ([v.series_total] if v.series_total else [])
    if not totals or dose > max(totals):
        return None
    window = legal_window(v, dose, birth)
    if window is None and v.legal_window is not None and v.legal_window.min_age_days is not None:  # Rota: days
        hi = v.legal_window.max_age_days
        last_days = max(hi.values()) if isinstance(hi, dict) else hi
        if last_days is None:
            return None
        window = (birth + timedelta(days=v.legal_window.min_age_days), birth + timedelta(days=last_days), True)
    if window is None:
        return None
    first, last, _ = window
    if given and len(candidates) == 1:
        row = candidates[0].row(dose)
        if row is not None:
            anchor = given[0].performed_on if row.anchored_on_first() else given[-1].performed_on
            days, months = row.interval_days(), row.interval_months()
            if days is not None:
                first = max(first, anchor + timedelta(days=days + 1))
            if months is not None:
                first = max(first, add_months_frac(given[-1].performed_on, months))
            if row.min_age_days is not None:
                first = max(first, birth + timedelta(days=row.min_age_days))
            if isinstance(row.min_age, str):
                first = max(first, reach_date(birth, row.min_age))
            if row.must_be_by_age:
                last = min(last, reach_date(birth, row.must_be_by_age))
    if today > last and not given:
        return None  # never started and the window has closed: nothing to mail
    return Due(v.code, dose, first, last, today > last)


def _due_b_class(v: Vaccine, birth: date, given: list[PriorDose], today: date) -> Due | None:
    """B類: the window of a plain (no condition to confirm) group that holds today or opens next; a once-a-year
    vaccine's window is this fiscal year's part of it (from October for a seasonal one)."""
    windows = sorted((w for w in group_windows(v, birth) if not w.flagged), key=lambda w: w.first)
    if v.yearly:
        fy = fiscal_year_start(today)
        if any(fiscal_year_start(p.performed_on) == fy for p in given):
            return None
        season = next((r.window_in_year for r in v.doses if r.window_in_year), None)
        start, end = (date(fy.year, 10, 1) if season else fy), date(fy.year + 1, 3, 31)
        for w in windows:
            first, last = max(w.first, start), end if w.last is None else min(w.last, end)
            if first <= last and last >= today:
                return Due(v.code, 1, first, last, False)
        return None
    if len(given) >= (v.series_total or 1):
        return None
    for w in windows:
        if w.last is None or w.last >= today:
            return Due(v.code, len(given) + 1, w.first, w.last or date(w.first.year + 50, 3, 31), False)
    return None
