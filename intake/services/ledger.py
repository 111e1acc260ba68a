"""The vaccination ledger: commit an accepted form exactly once; search committed records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from intake.errors import BadInput, Conflict, NotFound
from intake.services import audit
from intake.services.kana import fold_kana
from intake.services.schedule import Check, PriorDose, check_dose
from models import Batch, Clinic, Lot, Page, PageStatus, Resident, VaccinationRecord, Vaccine
from models.tables import utcnow


@dataclass(frozen=True)
class Entry:
    """What review decided for a form: the values that go into the ledger."""

    atena_no: str
    vaccine_code: str
    dose_no: int
    performed_on: date | None  # None: a 予診のみ form without a date on the paper
    lot_number: str
    dose_ml: float | None
    doctor_name: str
    screened_only: bool


def schedule_checks(session: Session, entry: Entry, resident: Resident | None = None) -> list[Check]:
    """The schedule, duplicate and lot checks for an entry, against the resident's committed history. `resident`:
    the entry's resident where the caller holds it already (else it is loaded)."""
    if entry.screened_only or entry.performed_on is None:  # 予診のみ: no dose was given, no schedule to break
        return []
    if resident is None or resident.atena_no != entry.atena_no:
        resident = session.get(Resident, entry.atena_no)
    history = [
        PriorDose(r.vaccine_code, r.dose_no, r.performed_on)
        for r in session.exec(
            select(VaccinationRecord)
            .where(VaccinationRecord.atena_no == entry.atena_no)
            .where(col(VaccinationRecord.is_current))
            .where(~col(VaccinationRecord.deleted))
            .where(~col(VaccinationRecord.screened_only))
        ).all()
        if r.performed_on is not None
    ]
    lot = session.get(Lot, entry.lot_number) if entry.lot_number else None
    return check_dose(
        entry.vaccine_code,
        entry.dose_no,
        entry.performed_on,
        resident.birth_date if resident else None,
        entry.dose_ml,
        history,
        (lot.vaccine_code, lot.expiry) if lot else None,
        entry.lot_number,
        sex=resident.sex if resident else "",
    )


def commit_page(
    session: Session,
    page: Page,
    entry: Entry,
    operator_id: int | None,
    municipality_code: str,
    flags: list[Any] | None = None,
) -> VaccinationRecord:
    """Write one ledger row for the page, in the caller's transaction. Idempotent: if the page already
    has its row, that row is returned and nothing new is written."""
    assert page.id is not None
    existing = session.exec(
        select(VaccinationRecord).where(VaccinationRecord.page_id == page.id).where(VaccinationRecord.version == 1)
    ).first()
    if existing is not None:
        return existing
    vaccine = session.get(Vaccine, entry.vaccine_code)
    if vaccine is None:
        raise BadInput("vaccine.not_in_master", value=entry.vaccine_code)
    batch = session.get(Batch, page.batch_id)
    clinic = session.get(Clinic, batch.clinic_code) if batch else None
    record = _new_record(
        entry, vaccine, municipality_code, clinic.code if clinic else "", clinic.name if clinic else "", operator_id
    )
    record.page_id, record.form_no, record.schedule_flags = page.id, page.form_no or "", flags or []
    session.add(record)
    try:
        session.flush()
    except IntegrityError:  # a concurrent commit of the same page won the race: return its row
        session.rollback()
        row = session.exec(select(VaccinationRecord).where(VaccinationRecord.page_id == page.id)).first()
        assert row is not None
        return row
    record.lineage_id = record.id
    page.status = PageStatus.committed
    page.updated_at = utcnow()
    session.add(page)
    session.add(record)
    audit.record(session, f"user:{operator_id}" if operator_id else "system", "record.commit", "record", str(record.id))
    return record


def _new_record(
    entry: Entry,
    vaccine: Vaccine,
    municipality_code: str,
    clinic_code: str,
    clinic_name: str,
    operator_id: int | None,
) -> VaccinationRecord:
    return VaccinationRecord(
        municipality_code=municipality_code,
        atena_no=entry.atena_no,
        vaccine_code=entry.vaccine_code,
        dose_no=entry.dose_no,
        performed_on=entry.performed_on,
        screened_only=entry.screened_only,
        legal_class=vaccine.legal_class,
        clinic_code=clinic_code,
        clinic_name=clinic_name,
        doctor_name=entry.doctor_name,
        lot_number=entry.lot_number,
        dose_ml=entry.dose_ml,
        maker=vaccine.maker,
        vaccine_name=vaccine.name,
        operator_id=operator_id,
    )


def commit_outside(
    session: Session,
    entry: Entry,
    clinic_name: str,
    operator_id: int | None,
    municipality_code: str,
    flags: list[Any] | None = None,
) -> VaccinationRecord:
    """Write one ledger row for a vaccination given outside the ward (against a 依頼書: no page, the other clinic by
    name), in the caller's transaction."""
    vaccine = session.get(Vaccine, entry.vaccine_code)
    if vaccine is None:
        raise BadInput("vaccine.not_in_master", value=entry.vaccine_code)
    record = _new_record(entry, vaccine, municipality_code, "", clinic_name, operator_id)
    record.schedule_flags = flags or []
    session.add(record)
    session.flush()
    record.lineage_id = record.id
    session.add(record)
    audit.record(session, f"user:{operator_id}" if operator_id else "system", "record.commit", "record", str(record.id))
    return record


@dataclass
class RecordQuery:
    atena_no: str = ""
    kana: str = ""
    birth_date: date | None = None
    vaccine_code: str = ""
    date_from: date | None = None
    date_to: date | None = None
    clinic_code: str = ""
    lot_number: str = ""
    limit: int | None = None  # default: 200 rows, or everyone for a lot (a recall must reach every person)


def limit_for(q: RecordQuery) -> int:
    if q.lot_number:
        return min(q.limit or 100_000, 100_000)
    return min(q.limit or 200, 1000)


def _filtered(q: RecordQuery) -> Any:
    if not any([q.atena_no, q.kana and q.birth_date, q.vaccine_code, q.date_from, q.date_to, q.clinic_code, q.lot_number]):
        raise BadInput("ledger.no_condition")
    stmt = select(VaccinationRecord).where(col(VaccinationRecord.is_current)).where(~col(VaccinationRecord.deleted))
    if q.atena_no:
        stmt = stmt.where(VaccinationRecord.atena_no == q.atena_no)
    if q.kana and q.birth_date:
        ids = (
            select(Resident.atena_no)
            .where(Resident.kana_key == fold_kana(q.kana))
            .where(Resident.birth_date == q.birth_date)
        )
        stmt = stmt.where(col(VaccinationRecord.atena_no).in_(ids))
    if q.vaccine_code:
        stmt = stmt.where(VaccinationRecord.vaccine_code == q.vaccine_code)
    if q.date_from:
        stmt = stmt.where(col(VaccinationRecord.performed_on) >= q.date_from)
    if q.date_to:
        stmt = stmt.where(col(VaccinationRecord.performed_on) <= q.date_to)
    if q.clinic_code:
        stmt = stmt.where(VaccinationRecord.clinic_code == q.clinic_code)
    if q.lot_number:
        stmt = stmt.where(VaccinationRecord.lot_number == q.lot_number)
    return stmt


def search_records(session: Session, q: RecordQuery, offset: int = 0) -> list[VaccinationRecord]:
    """One page of matching records, newest first (ties by id, so pages never overlap)."""
    stmt = _filtered(q).order_by(col(VaccinationRecord.performed_on).desc(), col(VaccinationRecord.id).desc())
    return list(session.exec(stmt.offset(max(0, offset)).limit(limit_for(q))).all())


# what a staff search returns (the API's RecordOut): plain rows, not ORM objects — 2,500 ORM records cost ~75 ms
RECORD_FIELDS = (
    "id", "atena_no", "vaccine_code", "vaccine_name", "dose_no", "performed_on", "screened_only", "clinic_code",
    "clinic_name", "doctor_name", "lot_number", "dose_ml", "form_no", "page_id", "version", "schedule_flags",
)  # fmt: skip


def search_rows(session: Session, q: RecordQuery, offset: int = 0) -> list[dict[str, Any]]:
    """search_records as plain dicts of RECORD_FIELDS and the resident's name beside the 宛名番号 (the staff search's
    hot path: a lot recall is thousands)."""
    return _with_names(session, _record_rows(session, q, offset))


def _with_names(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """氏名 and 氏名カナ beside each row's 宛名番号 — one query for the page of rows, not one per row."""
    wanted = sorted({r["atena_no"] for r in rows})
    names: dict[str, tuple[str, str]] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        stmt = select(Resident.atena_no, Resident.name, Resident.name_kana).where(col(Resident.atena_no).in_(chunk))
        names.update({a: (n, k) for a, n, k in session.exec(stmt).all()})
    out = []
    for r in rows:
        name, kana = names.get(r["atena_no"], ("", ""))
        out.append({"id": r["id"], "atena_no": r["atena_no"], "name": name, "name_kana": kana, **r})
    return out


def _record_rows(session: Session, q: RecordQuery, offset: int = 0) -> list[dict[str, Any]]:
    table: Any = VaccinationRecord.__table__  # type: ignore[attr-defined]
    stmt = (
        _filtered(q)
        .with_only_columns(*(table.c[f] for f in RECORD_FIELDS))
        .order_by(col(VaccinationRecord.performed_on).desc(), col(VaccinationRecord.id).desc())
        .offset(max(0, offset))
        .limit(limit_for(q))
    )
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # the driver's own rows: SQLAlchemy's per-row processing doubled the time
        from psycopg.rows import dict_row

        compiled = stmt.compile(dialect=conn.dialect)
        with conn.connection.driver_connection.cursor(row_factory=dict_row) as cur:  # type: ignore[union-attr]
            cur.execute(str(compiled), compiled.params)
            return list(cur.fetchall())
    return [dict(r) for r in conn.execute(stmt).mappings()]


def count_records(session: Session, q: RecordQuery) -> int:
    return int(session.exec(select(func.count()).select_from(_filtered(q).subquery())).one())


CORRECTABLE = ("performed_on", "lot_number", "dose_ml", "doctor_name", "dose_no", "vaccine_code", "screened_only")


def correct_record(
    session: Session, record_id: int, changes: dict[str, object], reason: str, operator_id: int
) -> VaccinationRecord:
    """Staff correction: a new version with the reason; the old version stays, no longer current."""
    if not reason.strip():
        raise BadInput("ledger.correction_reason")
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise BadInput("ledger.not_correctable", fields=", ".join(sorted(unknown)), choices=", ".join(CORRECTABLE))
    old = session.get(VaccinationRecord, record_id)
    if old is None:
        raise NotFound("record.not_found", record=record_id)
    if not old.is_current:
        raise Conflict("record.already_corrected", record=record_id)
    new = VaccinationRecord(**old.model_dump(exclude={"id", "created_at", "version", "is_current", "change_reason"}))
    for name, value in changes.items():
        if name == "performed_on" and isinstance(value, str):
            value = date.fromisoformat(value)
        setattr(new, name, value)
    new.version, new.is_current, new.change_reason, new.operator_id = old.version + 1, True, reason[:500], operator_id
    old.is_current = False
    session.add(old)
    session.add(new)
    session.flush()
    audit.record(session, f"user:{operator_id}", "record.correct", "record", str(new.id))
    session.commit()
    return new


def record_history(session: Session, lineage_id: int) -> list[VaccinationRecord]:
    return list(
        session.exec(
            select(VaccinationRecord)
            .where(VaccinationRecord.lineage_id == lineage_id)
            .order_by(col(VaccinationRecord.version))
        ).all()
    )


def resident_history(session: Session, atena_no: str) -> list[VaccinationRecord]:
    return list(
        session.exec(
            select(VaccinationRecord)
            .where(VaccinationRecord.atena_no == atena_no)
            .where(col(VaccinationRecord.is_current))
            .where(~col(VaccinationRecord.deleted))
            .order_by(col(VaccinationRecord.performed_on))
        ).all()
    )
