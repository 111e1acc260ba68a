"""The routine schedule as data (intake/data/vaccine_schedule.yaml, compiled with sources and a status per row),
and the checks run on a dose at review and at commit.

Rows marked confirmed / confirmed_secondary become errors; everything else only warns, as the data file asks.
Ages follow the Japanese legal convention: an age is reached on the day before the anniversary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from intake.messages import joined
from intake.services.eligibility import eligible, long_term_illness, special_measure
from intake.services.legal_age import (
    add_months,
    add_months_frac,
    age_years,
    bound,
    fiscal_year_start,
    reach_date,
    school_start,
)
from intake.services.schedule_data import AgeRule, DoseRow, Vaccine, is_hard, schedule
from ocr.types import Message, msg

__all__ = ["Check", "PriorDose", "add_months", "check_dose", "reach_date", "school_start"]


@dataclass(frozen=True)
class Check:
    rule: str  # age_window, dose_count, interval, live_interval, duplicate, amount, lot, sequence, future, season, sex
    severity: str  # error | warning
    message: str  # in English, for logs and the record's follow-up flags
    source: str = ""  # where the data file found the rule (a law, a municipal restatement, a package insert)
    parts: tuple[Message, ...] = ()  # the finding by code, worded at the edge in the reader's language (joined)

    @staticmethod
    def of(rule: str, severity: str, *parts: Message) -> Check:
        return Check(rule, severity, words(parts, "en"), parts=parts)


def as_flag(c: Check) -> dict[str, object]:
    """A finding kept on the ledger row for follow-up (acknowledged by the reviewer): by code, with its English."""
    return {"severity": c.severity, "rule": c.rule, "parts": [m.as_json() for m in c.parts], "message": c.message}


def words(parts: tuple[Message, ...], lang: str) -> str:
    """A finding's parts (a prefix naming the vaccine and dose, the problem, an exception) in one language."""
    return joined([p.as_json() for p in parts], lang)


NO_SUCH_DOSE = "schedule.no_such_dose"
BY_AGE = {"schedule.age_days_min", "schedule.age_days_max", "schedule.dose_until", "schedule.dose_from"}


# ---- the rules --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PriorDose:
    vaccine_code: str
    dose_no: int
    performed_on: date


@dataclass(frozen=True)
class Series:
    """One way a vaccine's doses may run: its own rows, one product's (HPV 2/4/9価, Rota 1/5価, 帯状疱疹 生/組換え),
    or the catch-up series its first dose's age chose (Hib, PCV)."""

    label: str
    total: int | None
    rows: list[DoseRow]
    status: str | None

    def row(self, dose_no: int) -> DoseRow | None:
        return self.rows[dose_no - 1] if 0 < dose_no <= len(self.rows) else None


def _vaccine(code: str) -> Vaccine | None:
    return schedule().vaccine(code)


def legal_window(v: Vaccine, dose_no: int, birth: date) -> tuple[date, date, bool] | None:
    """(first day, last day, hard?) of the legal age window for this dose, or None if the data has none."""
    row = v.doses[dose_no - 1] if 0 < dose_no <= len(v.doses) else None
    lw = v.legal_window
    hard = is_hard(row.status if row else None, lw.status if lw else None, v.status)
    if row is not None and isinstance(row.min_age, AgeRule) and "school_start" in row.min_age.rule:  # MR 2期
        start = school_start(birth)
        return date(start.year - 1, 4, 1), start - timedelta(days=1), hard
    if lw is not None and lw.phase1 is not None and lw.phase2 is not None:  # JE 1期 / 2期
        phase = lw.phase1 if dose_no <= 3 else lw.phase2
        return reach_date(birth, phase.min_age), reach_date(birth, phase.max_age), hard
    for lo_age, hi_age in (
        (row.min_age, row.max_age) if row else (None, None),
        (lw.min_age, lw.max_age) if lw else (None, None),
    ):
        lo, hi = bound(birth, lo_age, False), bound(birth, hi_age, True)
        if lo is not None and hi is not None:
            return lo, hi, hard
    return None


def series_for(v: Vaccine, birth: date | None, first_on: date | None, product: str) -> list[Series]:
    """Every series this dose may belong to: a product named on the form narrows the products to that one."""
    if v.catch_up_by_age_at_first_dose and birth is not None and first_on is not None:
        for c in v.catch_up_by_age_at_first_dose:
            lo_age, after, hi_age = c.bounds()
            lo = reach_date(birth, lo_age) + timedelta(days=1 if after else 0)
            if lo <= first_on <= reach_date(birth, hi_age):
                return [Series(f"1回目 {c.start_window}", c.doses_total, c.doses, v.status)]
        return []
    if v.products:
        chosen = [p for p in v.products if product and product.lower() in p.product.lower()] or v.products
        return [Series(p.product, p.doses_total, p.doses, p.status or v.status) for p in chosen]
    return [Series(v.name, v.series_total, v.doses, v.status)]


def _interval(row: DoseRow, dose_no: int, on: date, prev: date | None, first: date | None) -> list[Message]:
    """What this dose's row says about the time since the previous (or the first) dose, by code; [] if kept."""
    out = []
    anchor, since = (first, 1) if row.anchored_on_first() else (prev, dose_no - 1)
    days, months = row.interval_days(), row.interval_months()
    if anchor is not None and days is not None and on < anchor + timedelta(days=days + 1):
        earliest_day = anchor + timedelta(days=days + 1)
        out.append(
            msg("schedule.interval_days", gap=(on - anchor).days, since=since, anchor=str(anchor), days=days,
                earliest=str(earliest_day))
        )  # fmt: skip
    if prev is not None and months is not None:
        earliest = add_months_frac(prev, months)
        if on < earliest:
            out.append(
                msg("schedule.months_min", months=f"{months:g}", since=dose_no - 1, anchor=str(prev), earliest=str(earliest))
            )
    if prev is not None and row.max_interval_months is not None:
        latest = add_months(prev, row.max_interval_months)[0]
        if on > latest:
            out.append(
                msg("schedule.months_max", months=row.max_interval_months, since=dose_no - 1, anchor=str(prev),
                    latest=str(latest))
            )  # fmt: skip
    if first is not None and row.min_interval_months_from_first is not None:
        earliest = add_months_frac(first, row.min_interval_months_from_first)
        if on < earliest:
            months_first = f"{row.min_interval_months_from_first:g}"
            out.append(msg("schedule.months_min", months=months_first, since=1, anchor=str(first), earliest=str(earliest)))
    return out


def _series_problems(
    s: Series, v: Vaccine, dose_no: int, on: date, birth: date | None, prev: date | None, first: date | None
) -> list[Message]:
    if s.total is not None and dose_no > s.total:
        return [msg(NO_SUCH_DOSE, series=s.label, total=s.total, dose=dose_no)]
    row = s.row(dose_no)
    if row is None:
        return []
    out = _interval(row, dose_no, on, prev, first)
    if birth is not None:
        age_days = (on - birth).days
        if row.min_age_days is not None and age_days < row.min_age_days:
            lo_day = birth + timedelta(days=row.min_age_days)
            out.append(msg("schedule.age_days_min", age=age_days, days=row.min_age_days, day=str(lo_day)))
        if row.max_age_days is not None and age_days > row.max_age_days:
            hi_day = birth + timedelta(days=row.max_age_days)
            out.append(msg("schedule.age_days_max", age=age_days, days=row.max_age_days, day=str(hi_day)))
        if row.must_be_by_age and on > reach_date(birth, row.must_be_by_age):
            out.append(
                msg(
                    "schedule.dose_until",
                    dose=dose_no,
                    day=str(reach_date(birth, row.must_be_by_age)),
                    age=row.must_be_by_age,
                )
            )
        if isinstance(row.min_age, str) and on < reach_date(birth, row.min_age) and s.label != v.name:
            out.append(msg("schedule.dose_from", dose=dose_no, day=str(reach_date(birth, row.min_age)), age=row.min_age))
    return out


def check_dose(
    vaccine_code: str,
    dose_no: int,
    on: date,
    birth: date | None,
    dose_ml: float | None,
    history: list[PriorDose],
    lot: tuple[str, date | None] | None,
    lot_number: str,
    *,
    sex: str = "",
    product: str = "",
    today: date | None = None,
) -> list[Check]:
    """Every check for one dose. `history`: the resident's committed doses (any vaccine, earlier and later);
    `lot`: (vaccine code, expiry) from the lot master, or None if the lot is unknown; `sex`: 性別 (1 男, 2 女);
    `product`: the product when the form names it (e.g. "9価", "Rotarix")."""
    out: list[Check] = []
    v = _vaccine(vaccine_code)

    def add(rule: str, hard: bool, *parts: Message) -> None:
        out.append(Check.of(rule, "error" if hard else "warning", *parts))

    if on > (today or date.today()):
        add("future", True, msg("schedule.future", on=str(on), today=str(today or date.today())))
    if birth is not None and on < birth:  # a mistyped year: no age, no window, no interval is defined
        add("before_birth", True, msg("schedule.before_birth", on=str(on), birth=str(birth)))
        return out + _lot_checks(vaccine_code, on, lot, lot_number)
    if v is None:
        add("schedule", False, msg("schedule.not_in_data", vaccine=vaccine_code))
        return out + _lot_checks(vaccine_code, on, lot, lot_number)
    name = v.name
    lw_hard = is_hard(v.legal_window.status if v.legal_window else None)
    if v.sex == "female" and sex == "1":
        add("sex", lw_hard or is_hard(v.status), msg("schedule.women_only", name=name))
    same = sorted((p for p in history if p.vaccine_code == vaccine_code), key=lambda p: p.performed_on)
    if v.eligibility is not None and v.eligibility.groups and birth is not None:
        ok, needs_flag, groups = eligible(v, birth, on)
        if not ok:
            add(
                "age_window",
                is_hard(v.eligibility.status),
                msg("schedule.no_group", name=name, age=age_years(birth, on), on=str(on), groups=str(groups)),
            )
        elif needs_flag:
            add("eligibility", False, msg("schedule.disability_only", name=name, age=age_years(birth, on)))
    elif birth is not None:
        window = legal_window(v, dose_no, birth)
        if window is not None:
            first_day, last_day, hard = window
            outside = (
                msg("schedule.before_age", on=str(on), first=str(first_day))
                if on < first_day
                else msg("schedule.past_age", on=str(on), last=str(last_day))
                if on > last_day
                else None
            )
            if outside is not None:
                covered = special_measure(v, birth, on, sex, [p.performed_on for p in same]) or (
                    long_term_illness(v, birth, on) if on > last_day else ""
                )
                prefix = msg("schedule.dose_prefix", name=name, dose=dose_no)
                if covered:  # the law's exceptions: a person confirms the resident is one of them, never silent
                    add("age_window", False, prefix, outside, msg("schedule.allowed_under", measure=covered))
                else:
                    add("age_window", hard, prefix, outside)
    if v.yearly:
        fy = fiscal_year_start(on)
        if any(fiscal_year_start(p.performed_on) == fy for p in same):
            add("duplicate", True, msg("schedule.once_a_year", name=name, year=fy.year))
        for row in v.doses:
            if row.window_in_year and not _in_season(on, row.window_in_year):
                add(
                    "season",
                    is_hard(row.status) or "period confirmed" in (row.status or ""),
                    msg("schedule.season", name=name, window=row.window_in_year, on=str(on)),
                )
    else:
        _series_checks(v, dose_no, on, birth, same, product, add)
    if v.live_injectable or vaccine_code in _live_codes():
        for p in history:
            if p.vaccine_code == vaccine_code or p.vaccine_code not in _live_codes():
                continue
            gap = (on - p.performed_on).days
            if 0 < gap <= 27:
                add(
                    "live_interval",
                    True,
                    msg("schedule.live_after", gap=gap, vaccine=p.vaccine_code, on=str(p.performed_on)),
                )
            elif 0 < -gap <= 27:
                add(
                    "live_interval",
                    True,
                    msg("schedule.live_before", gap=-gap, vaccine=p.vaccine_code, on=str(p.performed_on)),
                )
    out += _amount_checks(v, dose_no, on, birth, dose_ml)
    return [_cited(c, v, dose_no) for c in out] + _lot_checks(vaccine_code, on, lot, lot_number)


def _first_source(*sources: Any) -> str:
    for src in sources:
        if isinstance(src, list) and src:
            src = src[0]
        if isinstance(src, str) and src.strip():
            laws = schedule().meta.get("primary_law_sources", {})
            key = src.split()[0]
            text = str(laws.get(key, src))
            return re.split(r"\s[—―–-]\s|https?://", text)[0].strip().rstrip(" —―–-") or text[:160]
    return ""


def _cited(c: Check, v: Vaccine, dose_no: int) -> Check:
    """The check with the data file's source for its rule (the row's, else the vaccine's, else the law's table)."""
    if c.source or c.rule in ("future", "sequence", "amount", "lot"):
        return c
    row = v.doses[dose_no - 1] if 0 < dose_no <= len(v.doses) else None
    lw = v.legal_window
    if c.rule == "live_interval":
        src = _first_source(schedule().different_vaccine_interval_rule.get("source"))
    elif c.rule in ("age_window", "sex", "eligibility") and v.eligibility is not None:
        src = _first_source(v.eligibility.source, v.source)
    elif c.rule in ("age_window", "sex"):
        src = _first_source(lw.source if lw else None, row.source if row else None, v.source)
    else:
        src = _first_source(row.source if row else None, v.source, lw.source if lw else None)
    return replace(c, source=src)


def _series_checks(
    v: Vaccine, dose_no: int, on: date, birth: date | None, same: list[PriorDose], product: str, add: Any
) -> None:
    name = v.name
    if any(p.dose_no == dose_no for p in same):
        add("duplicate", True, msg("schedule.already_recorded", name=name, dose=dose_no))
    by_no = {p.dose_no: p.performed_on for p in same}
    prev, first = by_no.get(dose_no - 1), by_no.get(1) if dose_no > 1 else None
    if dose_no > 1 and prev is None:
        add("sequence", False, msg("schedule.previous_missing", name=name, dose=dose_no - 1))
    first_on = on if dose_no == 1 else by_no.get(1)
    candidates = series_for(v, birth, first_on, product)
    if not candidates:
        return
    problems = [_series_problems(s, v, dose_no, on, birth, prev, first) for s in candidates]
    if all(problems):
        # the series that admits this dose number and breaks the fewest rules, the longest on a tie (most permissive)
        admits = [i for i, c in enumerate(candidates) if c.total is None or dose_no <= c.total] or list(
            range(len(candidates))
        )
        best = min(admits, key=lambda i: (len(problems[i]), -(candidates[i].total or 0)))
        row = candidates[best].row(dose_no)
        no_such = problems[best][0].code == NO_SUCH_DOSE
        hard = is_hard(row.status if row else None, candidates[best].status, v.status) or no_such
        rule = "dose_count" if no_such else "interval"
        prefix = (
            msg("schedule.dose_prefix", name=name, dose=dose_no)
            if len(candidates) == 1
            else msg("schedule.dose_prefix_product", name=name, dose=dose_no, product=candidates[best].label)
        )
        for problem in problems[best]:
            add("age_window" if problem.code in BY_AGE else rule, hard, prefix, problem)
    # a later dose already in the ledger (forms arrive out of order) must still keep its interval from this one
    for later in (p for p in same if p.dose_no > dose_no and p.performed_on > on):
        after = {**by_no, dose_no: on}
        for s in candidates:
            row = s.row(later.dose_no)
            if row is None:
                continue
            hard = is_hard(row.status, s.status, v.status)
            clash = [
                m
                for m in _interval(row, later.dose_no, later.performed_on, after.get(later.dose_no - 1), after.get(1))
                if str(on) in (str(value) for _, value in m.params)
            ]
            if clash:
                later_prefix = msg("schedule.later_would_be", name=name, dose=later.dose_no, on=str(later.performed_on))
                add("interval", hard, later_prefix, clash[0])
                break


def _in_season(on: date, window: str) -> bool:
    m = re.fullmatch(r"\s*(\d{2})-(\d{2})\s*\.\.\s*(\d{2})-(\d{2})\s*", window)
    if m is None:
        return True
    start, end = (int(m[1]), int(m[2])), (int(m[3]), int(m[4]))
    here = (on.month, on.day)
    return start <= here or here <= end if start > end else start <= here <= end


@lru_cache(maxsize=1)
def _live_codes() -> frozenset[str]:
    """Injectable live vaccines (the 27-day rule): the data's live_injectable flags, MR/VAR/BCG by its rule text."""
    codes = {v.code for v in schedule().vaccines if v.live_injectable or any(p.live_injectable for p in v.products)}
    return frozenset(codes | {"BCG"})


def standard_amount(v: Vaccine, dose_no: int, on: date, birth: date | None) -> float | None:
    """The amount (mL) the schedule gives for this dose at the person's age on `on`; None where it gives no number
    (a percutaneous vaccine, a product-specific amount, an age rule without the birth date)."""
    row = v.doses[dose_no - 1] if 0 < dose_no <= len(v.doses) else None
    amount: Any = row.amount_ml if row is not None and row.amount_ml is not None else (v.amount_ml_rule or v.amount_ml)
    if isinstance(amount, dict) and birth is not None:
        amount = amount.get("age<3y" if age_years(birth, on) < 3 else "age>=3y", amount.get("age<10y"))
    return float(amount) if isinstance(amount, int | float) else None


def _amount_checks(v: Vaccine, dose_no: int, on: date, birth: date | None, dose_ml: float | None) -> list[Check]:
    amount = standard_amount(v, dose_no, on, birth)
    if amount is not None and dose_ml is not None and abs(amount - dose_ml) > 1e-6:
        return [Check.of("amount", "warning", msg("schedule.amount", given=dose_ml, expected=amount))]
    return []


def _lot_checks(vaccine_code: str, on: date, lot: tuple[str, date | None] | None, lot_number: str) -> list[Check]:
    if not lot_number:
        return []
    if lot is None:
        return [Check.of("lot", "error", msg("field.lot_unknown", lot=lot_number))]
    out = []
    lot_vaccine, expiry = lot
    if lot_vaccine != vaccine_code:
        out.append(
            Check.of(
                "lot", "error", msg("schedule.lot_other_vaccine", lot=lot_number, owner=lot_vaccine, vaccine=vaccine_code)
            )
        )
    if expiry is not None and on > expiry:
        out.append(Check.of("lot", "error", msg("schedule.lot_expired", lot=lot_number, expiry=str(expiry), on=str(on))))
    return out
