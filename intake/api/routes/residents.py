from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from intake.api.deps import SessionDep, StaffDep
from intake.api.routes.records import record_out
from intake.api.schemas import RecordOut
from intake.errors import NotFound
from intake.services import audit, ledger
from intake.services.schedule import PriorDose, next_due
from models import Resident

router = APIRouter(prefix="/residents", tags=["residents"])


class DueOut(BaseModel):
    vaccine_code: str
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
def resident_history(atena_no: str, session: SessionDep, who: StaffDep, today: date | None = None) -> HistoryOut:
    """A resident's vaccinations with the schedule status ("next due"). Never 個人番号."""
    r = session.get(Resident, atena_no)
    if r is None:
        raise NotFound(f"宛名番号 {atena_no} is not in the register")
    rows = ledger.resident_history(session, atena_no)
    due = (
        next_due(
            r.birth_date,
            [PriorDose(x.vaccine_code, x.dose_no, x.performed_on) for x in rows if not x.screened_only],
            today or date.today(),
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
        records=[record_out(x) for x in rows],
        next_due=[DueOut(**d.__dict__) for d in due],
    )
