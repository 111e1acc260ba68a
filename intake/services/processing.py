"""Processing one page on a worker: claim → decode → recognize → match → extracted (or failed/skipped).

Side effects stay at the edges: the ocr pipeline is pure; this module loads, stores and updates state.
"""

from __future__ import annotations

import io
import logging
import math
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from PIL import Image
from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from intake import metrics
from intake.messages import text_of
from intake.services import qa, vaccine_facts
from intake.services import reasons as reasons_of
from intake.services.ingest import limits_of
from intake.services.matching import match_identity
from intake.settings import Settings
from intake.store import ContentStore
from models import Lot, Original, Page, PageStatus, Resident, Vaccine
from models.enums import REQUEUEABLE, move
from models.page_state import Alignment, Extraction, FieldState, IdentityRead
from models.tables import utcnow
from ocr.codes import FormIdentity
from ocr.decode import decode_page
from ocr.fields import ReadContext
from ocr.pipeline import process_page
from ocr.template import load_template
from ocr.types import PageResult, PageUnreadable

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
        _finish(
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


def context_for(session: Session, identity: FormIdentity | None) -> ReadContext:
    lots = {lot.lot_number: lot.vaccine_code for lot in session.exec(select(Lot)).all()}
    ctx = ReadContext(known_lots=lots, today=date.today())
    if identity is not None:
        ctx.vaccine_code = identity.vaccine_code
        r = session.get(Resident, identity.atena_no)
        ctx.birth_date = r.birth_date if r else None
        # the form is read days after the vaccination: its age-dependent amount is taken at today's age
        v = session.get(Vaccine, identity.vaccine_code)
        ctx.expected_dose_ml = vaccine_facts.expected_dose_ml(
            identity.vaccine_code, identity.dose_no, ctx.today, ctx.birth_date, v.dose_ml if v else None
        )
    return ctx


@dataclass
class Read:
    """A claimed page after extraction: its typed state set on `page` (not yet written), whether the machine is sure
    of every field and the resident (the auto-commit step's question), and the status it goes to otherwise."""

    page: Page
    lease: tuple[int, str]  # (attempt, holder): the result is written only while this lease is held
    status: PageStatus
    reason: str = ""
    sure: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def extract(session: Session, store: ContentStore, settings: Settings, page: Page, holder: str) -> Read:
    """Read a claimed page: decode → recognize → match. Sets the page's typed state (`extraction`, `match`, review
    reasons) and says where the page goes; writes nothing (see `finish`)."""
    lease = (page.attempts, holder)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        original = session.get(Original, page.original_sha256)
        assert original is not None
        img = decode_page(store.get(original.sha256), original.media_type, page.page_index, limits_of(settings))
        timings["decode"] = round((time.perf_counter() - started) * 1000, 1)
        result = process_page(
            img, load_template(settings.template_version), lambda i: context_for(session, i), timings=timings
        )
    except PageUnreadable as exc:
        return Read(page, lease, PageStatus.failed, reason=str(exc), timings=timings)
    except BaseException as exc:  # the operator's log names the stage it reached (see intake.worker)
        exc.stage_timings_ms = timings  # type: ignore[attr-defined]
        raise
    if result.page_kind in ("blank", "separator"):
        return Read(page, lease, PageStatus.skipped, reason=f"page is {result.page_kind}", timings=timings)
    reg = result.registration
    page.image_sha256 = store.put(_jpeg(reg.image if reg is not None and reg.image is not None else img))
    page.layout = settings.template_version if reg is not None and reg.ok else None
    ident = result.identity
    page.form_no = ident.form_no if ident else None
    page.atena_no_read = ident.atena_no if ident else None
    page.extraction = extraction_of(result)
    page.match = match_identity(session, ident, settings.municipality_code, result.identity_source, result.printed)
    found = [reasons_of.of(m) for m in result.review_reasons]
    if result.page_kind == "unknown":
        found.append(reasons_of.reason("page.not_ward_form"))
    doubtful = [n for n, r in result.fields.items() if not r.auto_ok]
    if doubtful:
        found.append(reasons_of.reason(reasons_of.CHECK, fields=doubtful))
    if page.match.decision != "auto":  # the matcher's why: its verdict (match.*) and any notes
        found.extend(page.match.explanation)
    page.needs_review_reasons = found
    sample = result.page_kind == "form" and qa.mark_sample(page, settings)
    sure = not found and not sample and result.page_kind == "form"  # the machine is sure of every field and resident
    return Read(page, lease, PageStatus.extracted, sure=sure, timings=timings)


def extraction_of(result: PageResult) -> Extraction:
    """The reader's result as the page stores it."""
    ident, reg = result.identity, result.registration
    identity = IdentityRead(
        source=result.identity_source,  # qr | digits | none (ocr.pipeline)
        problem=[reasons_of.of(m) for m in result.identity_problem] if ident is None else [],
        **(
            {}
            if ident is None
            else {
                "municipality_code": ident.municipality_code,
                "atena_no": ident.atena_no,
                "vaccine_code": ident.vaccine_code,
                "dose_no": ident.dose_no,
                "form_no": ident.form_no,
                "layout": ident.layout,
            }
        ),
    )
    fields = {
        name: FieldState(
            kind=r.kind,
            value=r.value,
            confidence=round(r.confidence, 4),
            engine=r.engine,
            evidence=r.evidence,
            messages=[reasons_of.of(m) for m in r.messages],
            auto_ok=r.auto_ok,
        )
        for name, r in result.fields.items()
    }
    alignment = None
    if reg is not None:
        residual = reg.residual_mm if math.isfinite(reg.residual_mm) else None
        alignment = Alignment(markers_found=reg.markers_found, residual_mm=residual, trusted=reg.trusted)
    return Extraction(fields=fields, identity=identity, printed=dict(result.printed), alignment=alignment)


def finish(session: Session, read: Read, settings: Settings) -> PageStatus | None:
    """Write what was read, under the lease (None: the lease was lost, nothing written)."""
    said = read.reason
    if read.status == PageStatus.extracted:
        said = "; ".join(text_of(r, settings.lang) for r in read.page.needs_review_reasons[:3])
    return _finish(session, read.page, read.status, reason=said, lease=read.lease, timings=read.timings)


def _jpeg(img: np.ndarray) -> bytes:
    """The registered page, for display and crops in review only (the original stays the evidence).
    JPEG q90 costs ~5 ms where PNG cost ~120 ms per page."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _finish(
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
        _finish(session, page, PageStatus.failed, reason=reason)
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
    expired: list[int] = []
    for pid in ids:
        page = session.get(Page, pid)
        if page is not None and page.status == PageStatus.processing:
            # Its lease ran out (worker killed or frozen): released by a compare-and-set, so a holder that finished
            # in the meantime keeps its result, and one that wakes later can no longer write (holds_lease).
            released = session.execute(
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
            if released.rowcount == 1:  # type: ignore[attr-defined]
                expired.append(pid)
    session.commit()
    waiting = [pid for pid in ids if pid not in expired]
    # A waiting page is re-queued only if its job is gone from Redis (a restart, a flush): never a second job.
    return len(ids), enqueue_pages(settings, waiting) + enqueue_pages(settings, expired, replace_started=True)
