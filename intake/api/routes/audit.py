from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import or_
from sqlmodel import col, select

from intake.api.deps import SessionDep, StaffDep
from intake.services import audit
from models import AuditEvent, RecordRead

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
    stmt = select(AuditEvent)
    if object_id:  # the events about it, and the searches whose results held it (recordread)
        read = select(RecordRead.audit_id).where(RecordRead.atena_no == object_id)
        stmt = stmt.where(or_(col(AuditEvent.object_id) == object_id, col(AuditEvent.id).in_(read)))
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if outcome:
        stmt = stmt.where(AuditEvent.outcome == outcome)
    if day:
        start = datetime.combine(day, time.min, tzinfo=UTC)
        stmt = stmt.where(col(AuditEvent.at) >= start).where(col(AuditEvent.at) < start + timedelta(days=1))
    rows = session.exec(stmt.order_by(col(AuditEvent.id)).limit(min(limit, 5000))).all()
    audit.record(session, who.actor, "audit.query", "audit", object_id or actor)
    session.commit()
    return [AuditOut(**r.model_dump(include=set(AuditOut.model_fields))) for r in rows]
