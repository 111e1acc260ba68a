"""A vaccine's series length and standard amount, answered in one place: the routine schedule's data
(vaccine_schedule.yaml, the law's numbers) first, the ward's vaccine master (its 回数 and 接種量 columns) only where the
schedule gives no number (a vaccine it does not hold, a product-specific amount). The form printer (which doses
exist), the reader (the amount a dose field should hold) and the schedule check (the amount warning) all ask here
or through `schedule.standard_amount`, so they cannot disagree."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from intake.services.schedule import standard_amount
from intake.services.schedule_data import schedule
from models import Vaccine


def series_length(session: Session, code: str) -> int:
    """How many doses the routine series has (at least 1)."""
    known = schedule().vaccine(code)
    if known is not None and known.series_total:
        return known.series_total
    master = session.get(Vaccine, code)
    return max(master.doses, 1) if master is not None else 1


def expected_dose_ml(code: str, dose_no: int, on: date, birth: date | None, master_ml: float | None) -> float | None:
    """The amount (mL) a form for this dose should carry, for a person born on `birth` vaccinated on `on`;
    `master_ml` is the master's 接種量 for the vaccine (the answer where the schedule gives no number)."""
    known = schedule().vaccine(code)
    amount = standard_amount(known, dose_no, on, birth) if known is not None else None
    return amount if amount is not None else master_ml
