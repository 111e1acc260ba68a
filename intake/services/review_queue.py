"""The review queue: which form a person gets next (the oldest reviewable one, optionally of one batch, one clinic,
or for one reason), taken under the one page lock (intake.services.locks), and how many wait."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from intake.errors import BadInput
from intake.services import audit, reasons
from intake.services.auth import Principal
from intake.services.locks import lock_pages
from intake.settings import Settings
from models import Batch, Page, ReviewAction, Role
from models.enums import REVIEWABLE
from models.tables import utcnow

REASONS = {
    "low_confidence": "a field the machine was unsure of",
    "no_match": "the resident was not matched automatically",
    "validation": "a field with a validation message",
    "qa": "a QA sample",
    "second_entry": "waiting for the second blind keying",
}


def has_reason(page: Page, reason: str) -> bool:
    """The queue's filter by why a form is in review (see REASONS)."""
    codes = reasons.codes(page.needs_review_reasons)
    if reason == "low_confidence":
        return reasons.CHECK in codes
    if reason == "no_match":
        return any(c.startswith("match.") for c in codes)
    if reason == "validation":
        return any(f.messages for f in page.extraction.fields.values())
    if reason == "qa":
        return page.qa_sample
    if reason == "second_entry":
        return page.first_entry is not None
    raise BadInput("review.bad_queue_reason", value=reason, choices=", ".join(REASONS))


def take_next(
    session: Session,
    who: Principal,
    settings: Settings,
    batch_id: int | None = None,
    clinic: str = "",
    reason: str = "",
) -> Page | None:
    """Lock the oldest reviewable page for this reviewer, optionally of one batch, one clinic, or for one reason.
    Atomic: two reviewers never get the same page."""
    if reason and reason not in REASONS:
        raise BadInput("review.bad_queue_reason", value=reason, choices=", ".join(REASONS))
    now = utcnow()
    mine = session.exec(
        select(Page)
        .where(Page.locked_by == who.id)
        .where(col(Page.locked_until) > now)
        .where(col(Page.status).in_(REVIEWABLE))
    ).first()
    if mine is not None:
        return mine
    for _ in range(5):
        stmt = (
            select(Page.id)
            .where(col(Page.status).in_(REVIEWABLE))
            .where(or_(col(Page.locked_by).is_(None), col(Page.locked_until) < now))
            .order_by(col(Page.id))
        )
        if who.role != Role.supervisor:  # deferred forms are for supervisors
            stmt = stmt.where(col(Page.deferred).is_(False))
        if batch_id is not None:
            stmt = stmt.where(Page.batch_id == batch_id)
        if clinic:
            stmt = stmt.where(col(Page.batch_id).in_(select(Batch.id).where(Batch.clinic_code == clinic)))
        ids = session.exec(stmt.limit(200)).all()
        page_id = next((i for i in ids if _for_role(session, i, who) and _wanted(session, i, reason)), None)
        if page_id is None:
            return None
        if lock_pages(session, who.id, [page_id], settings.review_lock_seconds, now):
            session.add(ReviewAction(page_id=page_id, user_id=who.id, action="take"))
            audit.record(session, who.actor, "page.take", "page", str(page_id))
            session.commit()
            page = session.get(Page, page_id)
            assert page is not None
            session.refresh(page)
            return page
        session.rollback()  # someone else took it between select and update: try the next one
    return None


def queue_size(session: Session, who: Principal) -> tuple[int, int | None]:
    """(forms waiting that no one holds, the form this person holds or None). Reads only: takes nothing."""
    now = utcnow()
    free = (
        select(func.count())
        .select_from(Page)
        .where(col(Page.status).in_(REVIEWABLE))
        .where(or_(col(Page.locked_by).is_(None), col(Page.locked_until) < now))
    )
    mine = session.exec(
        select(Page.id)
        .where(Page.locked_by == who.id)
        .where(col(Page.locked_until) > now)
        .where(col(Page.status).in_(REVIEWABLE))
    ).first()
    return int(session.exec(free).one()), mine


def _wanted(session: Session, page_id: int | None, reason: str) -> bool:
    page = session.get(Page, page_id)
    return page is not None and (not reason or has_reason(page, reason))


def _for_role(session: Session, page_id: int | None, who: Principal) -> bool:
    """Deferred forms are for supervisors; reviewers never get them from the queue, nor a form whose first
    blind keying was their own."""
    page = session.get(Page, page_id)
    if page is None:
        return False
    if who.role == Role.supervisor:
        return True
    return not page.deferred and (page.first_entry is None or page.first_entry.by != who.id)
