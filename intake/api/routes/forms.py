"""The forms the ward issues: a resident's issued forms, and a form reprinted at the counter (窓口再発行)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Response
from pydantic import BaseModel

from intake.api.deps import SessionDep, SettingsDep, StaffDep
from intake.services import issuance, mailing

router = APIRouter(prefix="/forms", tags=["forms"])


class IssuedFormOut(BaseModel):
    form_no: str
    atena_no: str
    vaccine_code: str
    dose_no: int
    channel: str
    issued_on: date
    department: str
    printed_on: date | None
    sent_on: date | None
    reissue_no: int
    voided: bool
    void_reason: str
    voided_on: date | None
    received: bool


class ReissueIn(BaseModel):
    atena_no: str
    vaccine_code: str
    dose_no: int
    reason: str = "窓口再発行"


@router.get("/issued", response_model=list[IssuedFormOut])
def issued(atena_no: str, session: SessionDep, who: StaffDep) -> list[IssuedFormOut]:
    """Every form issued to a resident, the voided ones included, oldest first."""
    return [
        IssuedFormOut(**row.model_dump(exclude={"received_page_id"}), received=row.received_page_id is not None)
        for row in issuance.issued_to(session, who, atena_no)
    ]


@router.post("/reissue", response_class=Response)
def reissue(body: ReissueIn, session: SessionDep, settings: SettingsDep, who: StaffDep) -> Response:
    """Print the resident's form again with a new number; the earlier one for this vaccine and dose is voided. The
    PDF, for the browser to print; its number in X-Form-No."""
    wanted = issuance.Wanted(body.atena_no, body.vaccine_code, body.dose_no)
    printed = mailing.print_counter_form(session, settings, wanted, who.actor, body.reason or "窓口再発行")
    name = quote(f"予診票_{printed.issued.form_no}.pdf")
    return Response(
        printed.pdf,
        media_type="application/pdf",
        headers={
            "X-Form-No": printed.issued.form_no,
            "X-Voided": ",".join(row.form_no for row in printed.voided),
            "Content-Disposition": f"inline; filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
        },
    )
