"""What a reviewer's decision means for the ledger: the values of a form (as read, or as a person confirmed them)
mapped to a ledger entry, and the schedule checks on it. Used by review (a person's accept) and by QA's automatic
commit alike — its own module, so neither reaches into the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from intake.errors import BadInput
from intake.services import ledger
from intake.services.schedule import Check
from models import Page
from ocr.normalize import DateProblem, parse_date


@dataclass(frozen=True)
class Decision:
    version: int
    values: dict[str, str]  # field name → value as the reviewer confirmed it
    atena_no: str
    acknowledged: bool = False  # the reviewer saw the schedule errors and records the dose anyway


def entry_for(page: Page, d: Decision) -> ledger.Entry:
    ident = page.extraction.identity
    vaccine = d.values.get("vaccine_code") or ident.vaccine_code
    dose_no = d.values.get("dose_no") or ident.dose_no
    if not vaccine or not dose_no:
        raise BadInput("review.vaccine_unknown")
    date_text = d.values.get("vaccination_date", "")
    screened_only = d.values.get("screening_result") == "見合わせ"
    performed: date | None = None
    if date_text.strip() or not screened_only:  # a 見合わせ form may carry no date: recorded as not written
        try:
            performed = parse_date(date_text)
        except DateProblem as exc:
            raise BadInput(f"date.{exc.code}", what="接種年月日", value=date_text) from exc
    dose_text = d.values.get("dose_ml", "")
    try:
        dose_ml = float(dose_text) if dose_text else None
    except ValueError:
        raise BadInput("review.bad_number", field="接種量", value=dose_text) from None
    if not screened_only and not d.values.get("lot_number"):
        raise BadInput("review.lot_empty")
    return ledger.Entry(
        atena_no=d.atena_no,
        vaccine_code=str(vaccine),
        dose_no=int(dose_no),
        performed_on=performed,
        lot_number=d.values.get("lot_number", ""),
        dose_ml=dose_ml,
        doctor_name=d.values.get("doctor_name", ""),
        screened_only=screened_only,
    )


def checks_for(session: Session, page: Page, atena_no: str | None) -> list[Check]:
    """Schedule checks on what the form says now (shown where the reviewer decides); [] if not yet checkable."""
    if not atena_no:
        return []
    try:
        entry = entry_for(page, Decision(version=page.version, values=page.extraction.values(), atena_no=atena_no))
    except BadInput:
        return []
    return ledger.schedule_checks(session, entry)
