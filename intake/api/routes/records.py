from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from intake.api.deps import LangDep, SessionDep, StaffDep
from intake.api.schemas import RecordOut
from intake.csv_out import Encoding, media_type
from intake.messages import flag_text
from intake.services import ledger, record_reads, staff_reads
from intake.services.ledger import RecordQuery
from intake.ward_dates import optional_day
from models import VaccinationRecord

router = APIRouter(prefix="/records", tags=["records"])


def record_out(r: VaccinationRecord, lang: str = "ja") -> RecordOut:
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
        schedule_flags=[flag_text(f, lang) for f in r.schedule_flags],  # findings in the reader's language
    )


@router.get("", response_model=list[RecordOut])
def search(
    session: SessionDep,
    who: StaffDep,
    lang: LangDep,
    atena_no: str = "",
    kana: str = "",
    birth_date: str = "",
    vaccine: str = "",
    date_from: str = "",
    date_to: str = "",
    clinic: str = "",
    lot: str = "",
    limit: int | None = None,
    offset: int = 0,
    format: Literal["json", "csv"] = "json",
    encoding: Encoding = "utf-8",
) -> list[RecordOut] | Response:
    """Current records matching every condition given, newest first. A page at a time (X-Total-Count, and
    X-Next-Offset while more remain); a lot returns everyone (a recall must reach every person); format=csv for
    the recall list (UTF-8 with BOM)."""
    query = RecordQuery(
        atena_no=atena_no,
        kana=kana,
        birth_date=optional_day(birth_date, "生年月日"),  # dates as staff type them: 令和3年10月20日, R3.10.20, 20211020
        vaccine_code=vaccine,
        date_from=optional_day(date_from, "実施日（から）"),
        date_to=optional_day(date_to, "実施日（まで）"),
        clinic_code=clinic,
        lot_number=lot,
        limit=limit,
    )
    page = record_reads.read_records(session, who.actor, query, offset)
    headers = {"X-Total-Count": str(page.total)}
    if page.next_offset is not None:
        headers["X-Next-Offset"] = str(page.next_offset)
    if format == "csv":
        name = f"records-{lot or vaccine or atena_no or 'search'}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return Response(record_reads.to_csv(page.items, encoding), media_type=media_type(encoding), headers=headers)
    return Response(record_reads.to_json(page.items, lang), media_type="application/json", headers=headers)


class CorrectionIn(BaseModel):
    changes: dict[str, str | int | float | bool]
    reason: str


@router.post("/{record_id}/correct", response_model=RecordOut)
def correct(record_id: int, body: CorrectionIn, session: SessionDep, who: StaffDep, lang: LangDep) -> RecordOut:
    return record_out(ledger.correct_record(session, record_id, dict(body.changes), body.reason, who.id), lang)


@router.get("/{record_id}/history", response_model=list[RecordOut])
def history(record_id: int, session: SessionDep, who: StaffDep, lang: LangDep) -> list[RecordOut]:
    return [record_out(r, lang) for r in staff_reads.record_history(session, who, record_id)]
