"""依頼書 (request letters): a resident vaccinated outside the ward (里帰り出産, a long stay) gets a numbered letter for
the municipality or clinic that will vaccinate; when the vaccination comes back (that clinic's form, or the
resident's claim with the receipt) it is entered against the letter's number (依頼書受付日) through the same schedule
checks as a reviewed form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel
from sqlmodel import Session, col, select

from intake.errors import BadInput, Conflict, NotFound
from intake.request_letter import LetterContent, render_letter
from intake.services import audit, issuance, ledger, masters
from intake.services.auth import Principal
from intake.services.review import ScheduleProblem
from intake.services.schedule import as_flag, words
from intake.services.vaccine_facts import series_length
from intake.settings import Settings
from models import RequestLetter, VaccinationRecord


class AlreadyGiven(Conflict):
    kind = "already_given"


class Asked(BaseModel):
    """What staff ask a letter for (also the API's request body)."""

    atena_no: str
    vaccine_code: str
    dose_no: int
    receiver: str
    stay_address: str = ""
    reason: str = ""
    acknowledged: bool = False  # the staff member saw that the resident has this dose (or the series) already


def request_no(row: RequestLetter) -> str:
    return f"R{row.id:08d}"


def _given(session: Session, atena_no: str, vaccine_code: str) -> list[VaccinationRecord]:
    return list(
        session.exec(
            select(VaccinationRecord)
            .where(VaccinationRecord.atena_no == atena_no)
            .where(VaccinationRecord.vaccine_code == vaccine_code)
            .where(col(VaccinationRecord.is_current))
            .where(~col(VaccinationRecord.deleted))
            .where(~col(VaccinationRecord.screened_only))
        ).all()
    )


def issue_letter(
    session: Session, settings: Settings, who: Principal, asked: Asked, today: date
) -> tuple[RequestLetter, bytes]:
    """A numbered 依頼書 and its PDF, recorded and audited in one transaction with the print."""
    r, v = issuance.issuable(session, issuance.Wanted(asked.atena_no, asked.vaccine_code, asked.dose_no))
    doses = series_length(session, v.code)
    if not asked.receiver.strip():
        raise BadInput("request.no_receiver")
    given = _given(session, r.atena_no, v.code)
    if not asked.acknowledged and (len(given) >= doses or any(g.dose_no == asked.dose_no for g in given)):
        raise AlreadyGiven("request.already_given", vaccine=v.name, dose=asked.dose_no, given=len(given), doses=doses)
    row = RequestLetter(
        atena_no=r.atena_no,
        vaccine_code=v.code,
        dose_no=asked.dose_no,
        receiver=asked.receiver.strip(),
        stay_address=asked.stay_address.strip(),
        reason=asked.reason.strip(),
        issued_on=today,
        issued_by=who.actor,
        department=settings.issuing_department,
        printed_on=today,
    )
    session.add(row)
    try:
        session.flush()
        pdf = render_letter(
            LetterContent(
                request_no(row), settings.municipality_name, row.department, row.receiver, r.name, r.name_kana,
                r.birth_date, r.address, row.stay_address, v.name, row.dose_no, row.reason, today,
            )
        )  # fmt: skip
        audit.record(session, who.actor, "request.issue", "resident", r.atena_no)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return row, pdf


@dataclass(frozen=True)
class Returned:
    """What came back for a letter: the vaccination as the other clinic's form or the receipt says it."""

    performed_on: date
    lot_number: str
    clinic_name: str
    dose_ml: float | None = None
    doctor_name: str = ""
    received_on: date | None = None  # 依頼書受付日 (default: today)
    acknowledged: bool = False  # the schedule's errors seen and recorded anyway, as in review


def enter_returned(
    session: Session, settings: Settings, who: Principal, number: int, back: Returned, today: date
) -> VaccinationRecord:
    """The vaccination a letter asked for, entered against its number: the schedule checks a reviewer's accept runs,
    errors refused unless acknowledged; one ledger row, the letter's 依頼書受付日 set, audited."""
    row = session.get(RequestLetter, number)
    if row is None:
        raise NotFound("request.not_found", number=number)
    if row.record_id is not None:
        raise Conflict("request.already_entered", number=request_no(row), record=row.record_id)
    if not back.lot_number.strip():
        raise BadInput("review.lot_empty")
    entry = ledger.Entry(
        atena_no=row.atena_no,
        vaccine_code=row.vaccine_code,
        dose_no=row.dose_no,
        performed_on=back.performed_on,
        lot_number=back.lot_number.strip(),
        dose_ml=back.dose_ml,
        doctor_name=back.doctor_name,
        screened_only=False,
    )
    checks = ledger.schedule_checks(session, entry)
    errors = [c for c in checks if c.severity == "error" and c.rule != "lot"]  # another clinic's lot: not ours to know
    if errors and not back.acknowledged:
        raise ScheduleProblem(
            "review.schedule",
            findings="；".join(words(c.parts, "ja") for c in errors),
            findings_en="; ".join(c.message for c in errors),
        )
    flags = [as_flag(c) for c in checks if c.rule != "lot"]
    record = ledger.commit_outside(session, entry, back.clinic_name.strip(), who.id, settings.municipality_code, flags)
    row.record_id, row.received_on = record.id, back.received_on or today
    session.add(row)
    audit.record(session, who.actor, "request.entered", "resident", row.atena_no)
    session.commit()
    return record


def letters_of(session: Session, who: Principal, atena_no: str) -> list[tuple[RequestLetter, str]]:
    """A resident's letters with each vaccine's name, oldest first; the read is audited."""
    rows = list(
        session.exec(select(RequestLetter).where(RequestLetter.atena_no == atena_no).order_by(col(RequestLetter.id)))
    )
    audit.record(session, who.actor, "request.read", "resident", atena_no)
    session.commit()
    return [(row, masters.vaccine_name(session, row.vaccine_code)) for row in rows]
