"""A page's reading lease: the compare-and-set that lets one worker at a time read a page however often its id is
delivered (claim), the check that the result is still the holder's to write (holds_lease), writing the outcome under
it (write_outcome), an error's retry or failure (record_error), and the reconciler that hands back what a killed or
frozen worker held (reconcile). The database is the source of truth; rq jobs carry ids only."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from intake import metrics
from intake.settings import Settings
from models import Page, PageStatus
from models.enums import REQUEUEABLE, move
from models.tables import utcnow

log = logging.getLogger("intake.worker")


def worker_id() -> str:
    """This work process, as a lease holder: host and pid (a forked work horse is a process of its own)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(session: Session, page_id: int, settings: Settings, holder: str | None = None) -> Page | None:
    """Take the page's reading lease: a compare-and-set that succeeds only for a page waiting to be read, or one
    whose previous lease has run out (its worker was killed or frozen). A page being read by a live worker is
    not claimed again however often it is delivered. None: not ours to read (done, or leased to another)."""
    holder = holder or worker_id()
    now = utcnow()
    page = session.get(Page, page_id)
    if page is None or page.status not in REQUEUEABLE:
        return None
    lease_live = page.status == PageStatus.processing and page.deadline is not None and _aware(page.deadline) >= now
    if lease_live:
        log.info("page=%s delivered again while leased to %s: not read twice", page_id, page.claimed_by)
        return None
    if page.attempts >= settings.job_max_attempts:
        # killed or crashed mid-page that many times: stop, and say so where people look
        write_outcome(
            session,
            page,
            PageStatus.failed,
            reason=f"stopped after {page.attempts} attempts (worker lost each time); re-scan or re-queue by hand",
        )
        return None
    taken = session.execute(
        update(Page)
        .where(
            col(Page.id) == page_id,
            col(Page.attempts) == page.attempts,  # nobody claimed it since we looked
            or_(
                col(Page.status) == PageStatus.queued,
                and_(col(Page.status) == PageStatus.processing, or_(col(Page.deadline).is_(None), col(Page.deadline) < now)),
            ),
        )
        .values(
            status=PageStatus.processing,
            attempts=Page.attempts + 1,
            deadline=now + timedelta(seconds=settings.lease_seconds),
            claimed_by=holder,
            updated_at=now,
        )
    )
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        log.info("page=%s claimed by another worker first: not read twice", page_id)
        return None
    session.refresh(page)
    return page


def holds_lease(session: Session, page: Page, holder: str) -> bool:
    """Whether `holder` still holds the page's lease for this attempt, checked and locked in the transaction
    that will write the result (a no-op UPDATE takes the row lock on PostgreSQL, the write lock on SQLite), so
    no claim can slip in between the check and the commit."""
    held = session.execute(
        update(Page)
        .where(
            col(Page.id) == page.id,
            col(Page.status) == PageStatus.processing,
            col(Page.attempts) == page.attempts,
            col(Page.claimed_by) == holder,
        )
        .values(claimed_by=holder)
        .execution_options(synchronize_session=False)
    )
    return bool(held.rowcount == 1)  # type: ignore[attr-defined]


def write_outcome(
    session: Session,
    page: Page,
    status: PageStatus,
    reason: str = "",
    lease: tuple[int, str] | None = None,
    timings: dict[str, float] | None = None,
) -> PageStatus | None:
    """Write the page's outcome. With `lease` (attempt, holder), only if that lease is still held: a worker that
    lost its lease (frozen past it, the page claimed again) writes nothing, and None says so."""
    if lease is not None and not (page.attempts == lease[0] and holds_lease(session, page, lease[1])):
        session.rollback()
        return None
    page.status = status if page.status == status else move(page.status, status)  # the ledger's commit moved it first
    page.claimed_by = None
    page.reason = reason[:500]
    page.deadline = None
    page.updated_at = utcnow()
    page.version += 1
    session.add(page)
    session.commit()
    log.info(
        "page=%s batch=%s status=%s attempts=%d",
        page.id,
        page.batch_id,
        status,
        page.attempts,
        extra={"page": page.id, "batch": page.batch_id, "status": str(status), "stage_timings_ms": timings or {}},
    )
    if timings is not None:
        metrics.observe_page(str(status), timings)
    return status


def record_error(session: Session, page_id: int, max_attempts: int, reason: str, holder: str | None = None) -> bool:
    """After an unexpected error: back to `queued` while attempts remain, else `failed`. True if final (or when
    `holder` no longer holds the page's lease: then the page is someone else's and nothing is written)."""
    page = session.get(Page, page_id)
    if page is None or page.status not in REQUEUEABLE:
        return True
    if holder is not None and page.status == PageStatus.processing and page.claimed_by != holder:
        log.warning("page=%s error of %s not recorded: the page was claimed again by %s", page_id, holder, page.claimed_by)
        return True
    if page.attempts >= max_attempts:
        write_outcome(session, page, PageStatus.failed, reason=reason)
        return True
    page.status = move(page.status, PageStatus.queued)
    page.claimed_by = None
    page.deadline = None
    page.reason = reason
    page.updated_at = utcnow()
    session.add(page)
    session.commit()
    return False


def stuck_pages(session: Session, older_than: timedelta, now: datetime | None = None) -> list[int]:
    """Pages the queue may have lost: received/queued with no progress, or processing past the deadline
    (a worker killed mid-page, Redis restarted or flushed). `now` is injectable for tests."""
    now = now or utcnow()
    ids: list[int] = []
    for page in session.exec(select(Page).where(Page.status.in_(REQUEUEABLE))):  # type: ignore[attr-defined]
        late = page.deadline is not None and _aware(page.deadline) < now
        idle = page.status != PageStatus.processing and _aware(page.updated_at) < now - older_than
        if (late or idle) and page.id is not None:
            ids.append(page.id)
    return ids


def _aware(d: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def reconcile(session: Session, settings: Settings, older_than: timedelta, now: datetime | None = None) -> tuple[int, int]:
    """Re-queue stuck pages; the database says which. Returns (stuck, re-queued)."""
    from intake.queue import enqueue_pages

    now = now or utcnow()
    ids = stuck_pages(session, older_than, now)
    for pid in ids:
        page = session.get(Page, pid)
        if page is not None and page.status == PageStatus.processing:
            # Its lease ran out (worker killed or frozen): released by a compare-and-set, so a holder that finished
            # in the meantime keeps its result, and one that wakes later can no longer write (holds_lease).
            session.execute(
                update(Page)
                .where(
                    col(Page.id) == pid,
                    col(Page.status) == PageStatus.processing,
                    col(Page.attempts) == page.attempts,
                    col(Page.deadline) < now,
                )
                .values(status=PageStatus.queued, claimed_by=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
    session.commit()
    # A page idle past `older_than` gets a job again when its job is gone from Redis (a restart, a flush) or is still
    # marked started by a worker that died before it claimed the page (killed between rq's start and the claim: the
    # chaos test found one page of 100 left so under load); a job still waiting is left alone — never a second one.
    # Replacing a started job is safe: the claim is a compare-and-set, so a page is read once however often delivered.
    return len(ids), enqueue_pages(settings, ids, replace_started=True)
