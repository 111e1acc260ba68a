from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Response
from pydantic import BaseModel

from intake.api.deps import LangDep, PrincipalDep, SessionDep, SettingsDep, StaffDep
from intake.api.routes.records import record_out
from intake.api.schemas import RecordOut
from intake.services import masters, my_number, staff_reads

router = APIRouter(prefix="/residents", tags=["residents"])


class DueOut(BaseModel):
    vaccine_code: str
    vaccine_name: str = ""  # as staff read it, beside the code
    dose_no: int
    earliest: date
    latest: date
    overdue: bool


class HistoryOut(BaseModel):
    atena_no: str
    name: str
    name_kana: str
    birth_date: date | None
    sex: str
    move_reason: str
    records: list[RecordOut]
    next_due: list[DueOut]


@router.get("/{atena_no}/history", response_model=HistoryOut)
def resident_history(
    atena_no: str, session: SessionDep, who: StaffDep, lang: LangDep, today: date | None = None
) -> HistoryOut:
    """A resident's vaccinations with the schedule status ("next due"). Never 個人番号."""
    h = staff_reads.resident_history(session, who, atena_no, today or date.today())
    r, rows, due = h.resident, h.records, h.due
    return HistoryOut(
        atena_no=r.atena_no,
        name=r.name,
        name_kana=r.name_kana,
        birth_date=r.birth_date,
        sex=r.sex,
        move_reason=r.move_reason,
        records=[record_out(x, lang) for x in rows],
        next_due=[DueOut(**d.__dict__, vaccine_name=masters.vaccine_name(session, d.vaccine_code)) for d in due],
    )


class PurposeIn(BaseModel):
    purpose: str


class MyNumberOut(BaseModel):
    atena_no: str
    my_number: str


@router.post("/{atena_no}/my-number", response_model=MyNumberOut)
def reveal_my_number(atena_no: str, body: PurposeIn, session: SessionDep, who: PrincipalDep) -> MyNumberOut:
    """個人番号 of one resident, for staff with a stated purpose (audited). Contractor roles are refused."""
    return MyNumberOut(atena_no=atena_no, my_number=my_number.reveal(session, who, atena_no, body.purpose))


@router.get("/{atena_no}/certificate", response_class=Response)
def certificate(atena_no: str, session: SessionDep, settings: SettingsDep, who: StaffDep) -> Response:
    """The resident's 予防接種済証 (PDF, for the browser to print); the print is recorded and audited."""
    pdf = staff_reads.certificate(session, who, settings, atena_no, date.today())
    name = quote(f"予防接種済証_{atena_no}.pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{name}", "Cache-Control": "no-store"},
    )
