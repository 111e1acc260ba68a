"""Reports from the ledger: the yearly count for the governor (予防接種法施行令第7条), the per-clinic monthly
reconciliation (forms received vs records committed), and the next-month mailing targets (対象者抽出).
Exports hold ids and counts only: no 個人番号, no names."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from intake.services.schedule import PriorDose
from intake.services.schedule_due import next_due
from models import Batch, Page, Resident, VaccinationRecord

YEARLY_COLUMNS = ["年度", "接種種類コード", "ワクチン名", "回数", "接種者数"]
CLINIC_COLUMNS = ["月", "実施機関コード", "受付予診票数", "登録件数", "差"]
TARGET_COLUMNS = ["宛名番号", "接種種類コード", "回数", "接種可能開始日", "接種期限"]


def _current() -> object:
    return col(VaccinationRecord.is_current) & ~col(VaccinationRecord.deleted) & ~col(VaccinationRecord.screened_only)


def yearly_counts(session: Session, fiscal_year: int) -> list[dict[str, object]]:
    start, end = date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)
    rows = session.exec(
        select(
            VaccinationRecord.vaccine_code,
            VaccinationRecord.vaccine_name,
            VaccinationRecord.dose_no,
            func.count(func.distinct(VaccinationRecord.atena_no)),
        )
        .where(_current())  # type: ignore[arg-type]
        .where(col(VaccinationRecord.performed_on) >= start)
        .where(col(VaccinationRecord.performed_on) <= end)
        .group_by(VaccinationRecord.vaccine_code, VaccinationRecord.vaccine_name, col(VaccinationRecord.dose_no))
        .order_by(VaccinationRecord.vaccine_code, col(VaccinationRecord.dose_no))
    ).all()
    return [dict(zip(YEARLY_COLUMNS, (fiscal_year, *r), strict=True)) for r in rows]


def clinic_month(session: Session, month: str) -> list[dict[str, object]]:
    y, m = (int(x) for x in month.split("-"))
    start = datetime.combine(date(y, m, 1), time.min, tzinfo=UTC)
    end = datetime.combine(date(y + (m == 12), m % 12 + 1, 1), time.min, tzinfo=UTC)
    received = dict(
        session.exec(
            select(Batch.clinic_code, func.count(col(Page.id)))
            .join(Page, col(Page.batch_id) == col(Batch.id))
            .where(col(Batch.created_at) >= start)
            .where(col(Batch.created_at) < end)
            .where(Page.status != "skipped")
            .group_by(Batch.clinic_code)
        ).all()
    )
    # each vaccination once, whatever its corrections: the lineage (all versions share lineage_id, the first
    # version's id) counted by its current, undeleted version, in the month its first version was committed
    first = aliased(VaccinationRecord)
    committed = dict(
        session.exec(
            select(VaccinationRecord.clinic_code, func.count(func.distinct(VaccinationRecord.lineage_id)))
            .join(first, col(first.id) == col(VaccinationRecord.lineage_id))
            .where(col(VaccinationRecord.is_current))
            .where(~col(VaccinationRecord.deleted))
            .where(col(first.created_at) >= start)
            .where(col(first.created_at) < end)
            .group_by(VaccinationRecord.clinic_code)
        ).all()
    )
    return [
        dict(
            zip(
                CLINIC_COLUMNS,
                (month, c, received.get(c, 0), committed.get(c, 0), received.get(c, 0) - committed.get(c, 0)),
                strict=True,
            )
        )
        for c in sorted(set(received) | set(committed))
    ]


def targets(
    session: Session, month: str, today: date | None = None, progress: Callable[[int, int], None] | None = None
) -> Iterator[dict[str, object]]:
    """Residents for whom a routine dose becomes due during the month and who lack it (moved-out, deceased
    and deleted residents excluded): the input of `intake forms print-bulk`."""
    y, m = (int(x) for x in month.split("-"))
    first, last = date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)
    today = today or first
    living = select(Resident).where(~col(Resident.deleted)).where(Resident.move_reason == "")
    living = living.where(col(Resident.birth_date).is_not(None))
    total = session.exec(select(func.count()).select_from(living.subquery())).one() if progress else 0
    for seen, r in enumerate(session.exec(living), 1):
        assert r.birth_date is not None
        if progress:
            progress(seen, total)
        history = [
            PriorDose(v.vaccine_code, v.dose_no, v.performed_on)
            for v in session.exec(
                select(VaccinationRecord).where(VaccinationRecord.atena_no == r.atena_no).where(_current())  # type: ignore[arg-type]
            )
            if v.performed_on is not None
        ]
        for due in next_due(r.birth_date, history, today, sex=r.sex):
            if first <= due.earliest < last:
                yield dict(
                    zip(TARGET_COLUMNS, (r.atena_no, due.vaccine_code, due.dose_no, due.earliest, due.latest), strict=True)
                )


def to_csv(rows: list[dict[str, object]], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
