from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from intake.api.deps import SessionDep, StaffDep
from intake.services import staff_reads

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    remote: str


@router.get("", response_model=list[AuditOut])
def query(
    session: SessionDep,
    who: StaffDep,
    object_id: str = "",
    actor: str = "",
    day: date | None = None,
    outcome: str = "",
    limit: int = 500,
) -> list[AuditOut]:
    """ "Who looked at resident X" (object_id=宛名番号), "what did user Y do on day Z" (actor=user:ID&day=…)."""
    rows = staff_reads.audit_events(session, who, object_id=object_id, actor=actor, day=day, outcome=outcome, limit=limit)
    return [AuditOut(**r.model_dump(include=set(AuditOut.model_fields))) for r in rows]
