from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from intake.api.deps import SessionDep, StaffDep
from intake.api.schemas import RecordOut
from intake.errors import NotFound
from intake.services import audit, ledger
from intake.services.ledger import RecordQuery
from models import VaccinationRecord

router = APIRouter(prefix="/records", tags=["records"])


def record_out(r: VaccinationRecord) -> RecordOut:
    return RecordOut(
        id=r.id or 0,
        atena_no=r.atena_no,
        vaccine_code=r.vaccine_code,
        vaccine_name=r.vaccine_name,
        dose_no=r.dose_no,
        performed_on=r.performed_on,
        screened_only=r.screened_only,
        clinic_code=r.clinic_code,
        clinic_name=r.clinic_name,
        doctor_name=r.doctor_name,
        lot_number=r.lot_number,
        dose_ml=r.dose_ml,
        form_no=r.form_no,
        page_id=r.page_id,
        version=r.version,
        schedule_flags=r.schedule_flags,
    )


@router.get("", response_model=list[RecordOut])
def search(
    session: SessionDep,
    who: StaffDep,
    atena_no: str = "",
    kana: str = "",
    birth_date: date | None = None,
    vaccine: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    clinic: str = "",
    lot: str = "",
    limit: int | None = None,
) -> list[RecordOut]:
    rows = ledger.search_records(
        session,
        RecordQuery(
            atena_no=atena_no,
            kana=kana,
            birth_date=birth_date,
            vaccine_code=vaccine,
            date_from=date_from,
            date_to=date_to,
            clinic_code=clinic,
            lot_number=lot,
            limit=limit,
        ),
    )
    for r in rows:  # every read of personal data is logged, by id
        audit.record(session, who.actor, "record.read", "record", str(r.id))
    session.commit()
    return [record_out(r) for r in rows]


class CorrectionIn(BaseModel):
    changes: dict[str, str | int | float | bool]
    reason: str


@router.post("/{record_id}/correct", response_model=RecordOut)
def correct(record_id: int, body: CorrectionIn, session: SessionDep, who: StaffDep) -> RecordOut:
    return record_out(ledger.correct_record(session, record_id, dict(body.changes), body.reason, who.id))


@router.get("/{record_id}/history", response_model=list[RecordOut])
def history(record_id: int, session: SessionDep, who: StaffDep) -> list[RecordOut]:
    rec = session.get(VaccinationRecord, record_id)
    if rec is None or rec.lineage_id is None:
        raise NotFound(f"record {record_id} does not exist")
    rows = ledger.record_history(session, rec.lineage_id)
    audit.record(session, who.actor, "record.history", "resident", rec.atena_no)
    session.commit()
    return [record_out(r) for r in rows]
