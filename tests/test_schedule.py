"""Schedule rules edge by edge: each vaccine's window at reach-day −1/0/+1, intervals, the 27-day rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from intake.services.legal_age import reach_date, school_start
from intake.services.schedule import PriorDose, check_dose


@pytest.mark.parametrize(
    "birth,duration,expected",
    [
        (date(2020, 4, 1), "P1Y", date(2021, 3, 31)),  # the data file's own example
        (date(2020, 7, 31), "P2M", date(2020, 9, 30)),  # 7/31 生の生後2月 = 9/30 (no 9/31: the month's last day)
        (date(2020, 1, 31), "P1M", date(2020, 2, 29)),  # leap February, no 2/31
        (date(2020, 2, 29), "P1Y", date(2021, 2, 28)),  # leap-day birth
        (date(2020, 3, 15), "P2M", date(2020, 5, 14)),
        (date(2019, 4, 2), "P6Y", date(2025, 4, 1)),
        (date(2024, 1, 10), "P0D", date(2024, 1, 10)),
    ],
)
def test_reach_date(birth: date, duration: str, expected: date) -> None:
    assert reach_date(birth, duration) == expected


@pytest.mark.parametrize(
    "birth,expected",
    [
        (date(2019, 4, 1), date(2025, 4, 1)),  # 早生まれ: 4/1 births start school with the earlier year
        (date(2019, 4, 2), date(2026, 4, 1)),
        (date(2018, 12, 25), date(2025, 4, 1)),
    ],
)
def test_school_start(birth: date, expected: date) -> None:
    assert school_start(birth) == expected


def _age_errors(code: str, dose: int, birth: date, on: date) -> list[str]:
    return [c.message for c in check_dose(code, dose, on, birth, None, [], None, "") if c.rule == "age_window"]


BIRTH = date(2021, 7, 31)  # month-end birth: the hardest case for month windows
WINDOWS = [  # code, dose, min age, max age (from the data file's legal windows)
    ("DPT-IPV", 1, "P2M", "P90M"),
    ("DPT-IPV-Hib", 1, "P2M", "P90M"),
    ("Hib", 1, "P2M", "P60M"),
    ("PCV", 1, "P2M", "P60M"),
    ("HepB", 1, "P0D", "P12M"),
    ("BCG", 1, "P0D", "P12M"),
    ("MR", 1, "P12M", "P24M"),
    ("VAR", 1, "P12M", "P36M"),
    ("JE", 1, "P6M", "P90M"),
    ("JE", 4, "P9Y", "P13Y"),
    ("DT", 1, "P11Y", "P13Y"),
]


@pytest.mark.parametrize("code,dose,lo,hi", WINDOWS, ids=[f"{w[0]}-{w[1]}" for w in WINDOWS])
def test_age_window_edges(code: str, dose: int, lo: str, hi: str) -> None:
    first, last = reach_date(BIRTH, lo), reach_date(BIRTH, hi)
    day = timedelta(days=1)
    if lo != "P0D":
        assert _age_errors(code, dose, BIRTH, first - day), "reach-day −1 must be refused"
    assert not _age_errors(code, dose, BIRTH, first)
    assert not _age_errors(code, dose, BIRTH, first + day)
    assert not _age_errors(code, dose, BIRTH, last - day)
    assert not _age_errors(code, dose, BIRTH, last), "the reach day itself is still inside (…に至るまで)"
    assert _age_errors(code, dose, BIRTH, last + day)


def test_mr_second_period_is_the_year_before_school() -> None:
    birth = date(2019, 4, 2)  # school from 2026-04-01: MR 2期 from 2025-04-01 to 2026-03-31
    assert _age_errors("MR", 2, birth, date(2025, 3, 31))
    assert not _age_errors("MR", 2, birth, date(2025, 4, 1))
    assert not _age_errors("MR", 2, birth, date(2026, 3, 31))
    assert _age_errors("MR", 2, birth, date(2026, 4, 1))


def test_hpv_runs_by_fiscal_year() -> None:
    birth = date(2012, 6, 10)  # 12 on 2024-06-09 → from FY2024 (2024-04-01); 16 on 2028-06-09 → until 2029-03-31
    assert _age_errors("HPV", 1, birth, date(2024, 3, 31))
    assert not _age_errors("HPV", 1, birth, date(2024, 4, 1))
    assert not _age_errors("HPV", 1, birth, date(2029, 3, 31))
    assert _age_errors("HPV", 1, birth, date(2029, 4, 1))


def _rules(code: str, dose: int, on: date, history: list[PriorDose], **kw: object) -> dict[str, str]:
    checks = check_dose(
        code,
        dose,
        on,
        kw.get("birth", date(2024, 1, 10)),
        kw.get("ml"),
        history,  # type: ignore[arg-type]
        kw.get("lot"),
        str(kw.get("lot_number", "")),
    )  # type: ignore[arg-type]
    return {c.rule: c.severity for c in checks}


def test_interval_in_days_counts_from_the_day_after() -> None:
    prev = [PriorDose("DPT-IPV", 1, date(2024, 5, 1))]
    assert _rules("DPT-IPV", 2, date(2024, 5, 21), prev).get("interval") == "error"  # 20 days later: too early
    assert "interval" not in _rules("DPT-IPV", 2, date(2024, 5, 22), prev)  # 21st day: 20 days have passed


def test_interval_in_months() -> None:
    prev = [PriorDose("VAR", 1, date(2025, 1, 31))]
    assert _rules("VAR", 2, date(2025, 4, 29), prev, birth=date(2024, 1, 10)).get("interval") == "error"
    assert "interval" not in _rules("VAR", 2, date(2025, 4, 30), prev, birth=date(2024, 1, 10))


def test_27_days_between_injectable_live_vaccines() -> None:
    prev = [PriorDose("VAR", 1, date(2025, 2, 1))]
    assert _rules("MR", 1, date(2025, 2, 28), prev, birth=date(2024, 1, 10)).get("live_interval") == "error"  # 27 days
    assert "live_interval" not in _rules("MR", 1, date(2025, 3, 1), prev, birth=date(2024, 1, 10))  # 28th day
    assert "live_interval" not in _rules("MR", 1, date(2025, 2, 1), prev, birth=date(2024, 1, 10))  # same day: allowed
    inactivated = [PriorDose("DPT-IPV", 1, date(2025, 2, 20))]
    assert "live_interval" not in _rules("MR", 1, date(2025, 2, 28), inactivated, birth=date(2024, 1, 10))


def test_duplicate_dose_count_sequence_amount_and_lot() -> None:
    prev = [PriorDose("MR", 1, date(2025, 2, 1))]
    assert _rules("MR", 1, date(2025, 6, 1), prev, birth=date(2024, 1, 10))["duplicate"] == "error"
    assert _rules("MR", 3, date(2031, 1, 1), prev, birth=date(2024, 1, 10))["dose_count"] == "error"
    assert _rules("DPT-IPV", 3, date(2024, 9, 1), [])["sequence"] == "warning"
    assert _rules("JE", 1, date(2025, 9, 1), [], birth=date(2024, 1, 10), ml=0.5)["amount"] == "warning"  # <3y: 0.25
    assert "amount" not in _rules("JE", 1, date(2025, 9, 1), [], birth=date(2024, 1, 10), ml=0.25)
    lot = ("MR", date(2025, 3, 31))
    assert _rules("MR", 1, date(2025, 4, 1), [], birth=date(2024, 1, 10), lot=lot, lot_number="AB1")["lot"] == "error"
    assert "lot" not in _rules("MR", 1, date(2025, 3, 31), [], birth=date(2024, 1, 10), lot=lot, lot_number="AB1")
    assert _rules("VAR", 1, date(2025, 3, 1), [], birth=date(2024, 1, 10), lot=lot, lot_number="AB1")["lot"] == "error"
    assert _rules("VAR", 1, date(2025, 3, 1), [], birth=date(2024, 1, 10), lot=None, lot_number="ZZ9")["lot"] == "error"
