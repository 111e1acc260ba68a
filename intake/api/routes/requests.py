"""依頼書 (request letters) for residents vaccinated outside the ward, and the vaccination entered against one."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Response
from pydantic import BaseModel

from intake.api.deps import LangDep, SessionDep, SettingsDep, StaffDep
from intake.api.routes.records import record_out
from intake.api.schemas import RecordOut
from intake.services import requests
from intake.ward_dates import optional_day, parse_day

router = APIRouter(prefix="/requests", tags=["requests"])


class LetterOut(BaseModel):
    id: int
    request_no: str
    atena_no: str
    vaccine_code: str
    vaccine_name: str
    dose_no: int
    receiver: str
    stay_address: str
    reason: str
    issued_on: date
    printed_on: date | None
    received_on: date | None
    record_id: int | None


class ReturnedIn(BaseModel):
    performed_on: str  # as staff type it: 令和8年11月2日, R8.11.2, 2026-11-02
    lot_number: str
    clinic_name: str
    dose_ml: float | None = None
    doctor_name: str = ""
    received_on: str = ""
    acknowledged: bool = False


@router.post("", response_class=Response)
def issue(body: requests.Asked, session: SessionDep, settings: SettingsDep, who: StaffDep) -> Response:
    """Issue a numbered 依頼書 (PDF for the browser to print; its number in X-Request-No). A dose the resident has
    already, or a completed series: 409 already_given until acknowledged."""
    row, pdf = requests.issue_letter(session, settings, who, body, date.today())
    number = requests.request_no(row)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "X-Request-No": number,
            "X-Request-Id": str(row.id),
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(f'依頼書_{number}.pdf')}",
            "Cache-Control": "no-store",
        },
    )


@router.get("", response_model=list[LetterOut])
def letters(atena_no: str, session: SessionDep, who: StaffDep) -> list[LetterOut]:
    return [
        LetterOut(**row.model_dump(), request_no=requests.request_no(row), vaccine_name=name)
        for row, name in requests.letters_of(session, who, atena_no)
    ]


@router.post("/{request_id}/record", response_model=RecordOut)
def enter(
    request_id: int, body: ReturnedIn, session: SessionDep, settings: SettingsDep, who: StaffDep, lang: LangDep
) -> RecordOut:
    """Enter the vaccination a letter asked for (the other clinic's form, or the resident's receipt): the schedule
    checks of a reviewed form; one ledger row; the letter's 依頼書受付日 set."""
    back = requests.Returned(
        **body.model_dump(exclude={"performed_on", "received_on"}),
        performed_on=parse_day(body.performed_on, "接種年月日"),
        received_on=optional_day(body.received_on, "依頼書受付日"),
    )
    return record_out(requests.enter_returned(session, settings, who, request_id, back, date.today()), lang)
