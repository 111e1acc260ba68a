"""Retention: records are kept 5 years from the vaccination (予防接種法施行令第6条の2), then deleted by this
function, with the deletion recorded in the audit log. Page images and originals go when no kept record or
unfinished page still needs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import or_
from sqlmodel import Session, col, select

from intake.services import audit
from intake.store import ContentStore
from models import Original, Page, ReviewAction, VaccinationRecord


@dataclass
class PurgeReport:
    cutoff: date
    records: int
    pages: int
    originals: int
    dry_run: bool


def cutoff_for(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 2/29
        return today.replace(year=today.year - years, day=28)


def purge(
    session: Session,
    store: ContentStore,
    today: date,
    years: int = 5,
    dry_run: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> PurgeReport:
    cutoff = cutoff_for(today, years)
    # a 予診のみ row without a date on its paper ages from when it was recorded
    since = datetime.combine(cutoff, time(), tzinfo=UTC)
    undated_old = col(VaccinationRecord.performed_on).is_(None) & (col(VaccinationRecord.created_at) < since)
    old = session.exec(select(VaccinationRecord).where(or_(col(VaccinationRecord.performed_on) < cutoff, undated_old))).all()
    lineages = {r.lineage_id for r in old}
    # a lineage goes only as a whole, and only if every version of it is past the cutoff
    keep = set(
        session.exec(
            select(VaccinationRecord.lineage_id)
            .where(col(VaccinationRecord.lineage_id).in_(lineages))
            .where(col(VaccinationRecord.performed_on) >= cutoff)
        ).all()
    )
    records = [r for r in old if r.lineage_id not in keep]
    page_ids = {r.page_id for r in records if r.page_id is not None}
    kept_pages = set(
        session.exec(
            select(VaccinationRecord.page_id)
            .where(col(VaccinationRecord.performed_on) >= cutoff)
            .where(col(VaccinationRecord.page_id).in_(page_ids))
        ).all()
    )
    pages = [p for p in session.exec(select(Page).where(col(Page.id).in_(page_ids - kept_pages))).all()]
    originals = {p.original_sha256 for p in pages}
    remaining = set(
        session.exec(
            select(Page.original_sha256)
            .where(col(Page.original_sha256).in_(originals))
            .where(col(Page.id).not_in([p.id for p in pages]))
        ).all()
    )
    gone_originals = originals - remaining
    report = PurgeReport(cutoff, len(records), len(pages), len(gone_originals), dry_run)
    if dry_run:
        return report
    images = [p.image_sha256 for p in pages if p.image_sha256]
    for n, r in enumerate(records):
        session.delete(r)
        if progress and n % 1000 == 0:
            progress(n, len(records))
    session.flush()
    for a in session.exec(select(ReviewAction).where(col(ReviewAction.page_id).in_([p.id for p in pages]))).all():
        session.delete(a)
    session.flush()  # the review history first: pages are referenced by it
    for p in pages:
        session.delete(p)
    session.flush()
    for sha in gone_originals:
        o = session.get(Original, sha)
        if o is not None:
            session.delete(o)
    audit.record(
        session,
        audit.operator(),
        "retention.purge",
        "ledger",
        f"before {cutoff}: {len(records)} records, {len(pages)} pages, {len(gone_originals)} originals",
    )
    session.commit()
    for digest in [*images, *gone_originals]:  # files only after the database agreed (never the other way round)
        store.delete(digest)
    return report
