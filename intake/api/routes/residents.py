from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from intake.api.deps import LangDep, PrincipalDep, SessionDep, StaffDep
from intake.api.routes.records import record_out
from intake.api.schemas import RecordOut
from intake.errors import NotFound
from intake.services import audit, ledger, masters, my_number
from intake.services.schedule import PriorDose
from intake.services.schedule_due import next_due
from models import Resident

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
    r = session.get(Resident, atena_no)
    if r is None:
        raise NotFound("resident.not_in_register", atena_no=atena_no)
    rows = ledger.resident_history(session, atena_no)
    due = (
        next_due(
            r.birth_date,
            [PriorDose(x.vaccine_code, x.dose_no, x.performed_on) for x in rows if not x.screened_only and x.performed_on],
            today or date.today(),
            sex=r.sex,
        )
        if r.birth_date
        else []
    )
    audit.record(session, who.actor, "resident.history", "resident", atena_no)
    session.commit()
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
