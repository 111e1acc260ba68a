"""Staff reads that are audited one event per request — a resident's history with what is due next, a record's
correction history, the audit log itself, the statutory reports, a resident's 予防接種済証 — each read, audited and
committed here (routes never audit), and the resident loaded once and passed along."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from intake.certificate import CertificateContent, CertifiedDose, render_certificate
from intake.errors import NotFound
from intake.services import audit, ledger, masters, reports
from intake.services.auth import Principal
from intake.services.schedule import PriorDose
from intake.services.schedule_due import Due, next_due
from intake.settings import Settings
from models import AuditEvent, CertificatePrint, RecordRead, Resident, VaccinationRecord


@dataclass(frozen=True)
class ResidentHistory:
    resident: Resident
    records: list[VaccinationRecord]
    due: list[Due]


def resident_history(session: Session, who: Principal, atena_no: str, today: date) -> ResidentHistory:
    """A resident's vaccinations with the schedule status ("next due"). Never 個人番号."""
    r = session.get(Resident, atena_no)
    if r is None:
        raise NotFound("resident.not_in_register", atena_no=atena_no)
    rows = ledger.resident_history(session, atena_no)
    given = [PriorDose(x.vaccine_code, x.dose_no, x.performed_on) for x in rows if not x.screened_only and x.performed_on]
    due = next_due(r.birth_date, given, today, sex=r.sex) if r.birth_date else []
    audit.record(session, who.actor, "resident.history", "resident", atena_no)
    session.commit()
    return ResidentHistory(r, rows, due)


def record_history(session: Session, who: Principal, record_id: int) -> list[VaccinationRecord]:
    """Every version of a record (corrections share its lineage), oldest first."""
    rec = session.get(VaccinationRecord, record_id)
    if rec is None or rec.lineage_id is None:
        raise NotFound("record.not_found", record=record_id)
    rows = ledger.record_history(session, rec.lineage_id)
    audit.record(session, who.actor, "record.history", "resident", rec.atena_no)
    session.commit()
    return rows


def audit_events(
    session: Session,
    who: Principal,
    *,
    object_id: str = "",
    actor: str = "",
    day: date | None = None,
    outcome: str = "",
    limit: int = 500,
) -> list[AuditEvent]:
    """ "Who looked at resident X" (object_id=宛名番号), "what did user Y do on day Z" (actor, day)."""
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
    rows = list(session.exec(stmt.order_by(col(AuditEvent.id)).limit(min(limit, 5000))).all())
    audit.record(session, who.actor, "audit.query", "audit", object_id or actor)
    session.commit()
    return rows


def yearly_report(session: Session, who: Principal, fiscal_year: int) -> list[dict[str, object]]:
    rows = reports.yearly_counts(session, fiscal_year)
    audit.record(session, who.actor, "report.yearly", "report", str(fiscal_year))
    session.commit()
    return rows


def clinics_report(session: Session, who: Principal, month: str) -> list[dict[str, object]]:
    rows = reports.clinic_month(session, month)
    audit.record(session, who.actor, "report.clinics", "report", month)
    session.commit()
    return rows


def certificate(session: Session, who: Principal, settings: Settings, atena_no: str, today: date) -> bytes:
    """A resident's 予防接種済証 (PDF) from the ledger — the doses given, 予診のみ rows left out; the print is recorded
    (証明書印刷日) and audited in the transaction that hands it out."""
    r = session.get(Resident, atena_no)
    if r is None:
        raise NotFound("resident.not_in_register", atena_no=atena_no)
    given = [x for x in ledger.resident_history(session, atena_no) if not x.screened_only and x.performed_on]
    doses = [
        CertifiedDose(
            vaccine_name=x.vaccine_name or masters.vaccine_name(session, x.vaccine_code) or x.vaccine_code,
            dose_no=x.dose_no,
            performed_on=x.performed_on,
            lot_number=x.lot_number,
            clinic_name=x.clinic_name,
        )
        for x in sorted(given, key=lambda x: (x.performed_on or today, x.vaccine_code, x.dose_no))
        if x.performed_on is not None
    ]
    pdf = render_certificate(
        CertificateContent(settings.municipality_name, r.name, r.name_kana, r.birth_date, r.address, doses, today)
    )
    session.add(CertificatePrint(atena_no=atena_no, printed_on=today, printed_by=who.actor, doses=len(doses)))
    audit.record(session, who.actor, "certificate.print", "resident", atena_no)
    session.commit()
    return pdf
