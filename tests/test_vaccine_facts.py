"""A vaccine's series length and standard amount come from one place (intake.services.vaccine_facts): the
schedule's numbers first, the ward's master only where the schedule gives none."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from intake.services import ledger
from intake.services.vaccine_facts import expected_dose_ml, series_length
from intake.settings import Settings
from models import Vaccine

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


@SQLITE
def test_the_schedule_answers_first_and_the_master_only_where_it_is_silent(settings: Settings, session: Session) -> None:
    on = date(2026, 11, 1)
    # 日本脳炎: 0.25 mL under 3 years, 0.5 mL from 3 (the schedule's age rule; the master says 0.5 for all)
    assert expected_dose_ml("JE", 1, on, date(2024, 6, 1), 0.5) == 0.25
    assert expected_dose_ml("JE", 1, on, date(2022, 6, 1), 0.5) == 0.5
    assert expected_dose_ml("DT", 1, on, date(2015, 1, 1), 0.3) == 0.1
    # BCG's amount is not in mL in the schedule: the master's number stands
    assert expected_dose_ml("BCG", 1, on, date(2026, 5, 1), 0.03) == 0.03
    session.add(Vaccine(code="LOCAL-X", name="区独自", doses=3, dose_ml=0.7))  # not in the schedule at all
    session.commit()
    assert expected_dose_ml("LOCAL-X", 1, on, None, 0.7) == 0.7 and series_length(session, "LOCAL-X") == 3
    assert series_length(session, "MR") == 2 and series_length(session, "DPT-IPV") == 4


@SQLITE
def test_the_reader_and_the_schedule_check_expect_the_same_amount(settings: Settings, session: Session) -> None:
    """What the dose field is read against and what the schedule check warns about are one number."""
    born, on = date(2024, 6, 1), date(2026, 11, 1)
    expected = expected_dose_ml("JE", 1, on, born, 0.5)
    entry = ledger.Entry(
        atena_no="", vaccine_code="JE", dose_no=1, performed_on=on, lot_number="", dose_ml=expected,
        doctor_name="", screened_only=False,
    )  # fmt: skip
    from intake.services.schedule import check_dose

    checks = check_dose("JE", 1, on, born, entry.dose_ml, [], None, "")
    assert not [c for c in checks if c.rule == "amount"]
    checks = check_dose("JE", 1, on, born, 0.5, [], None, "")
    assert [c.rule for c in checks if c.rule == "amount"] == ["amount"]
