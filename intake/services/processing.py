"""Processing one page on a worker: claim → decode → recognize → match → extracted (or failed/skipped).

Side effects stay at the edges: the ocr pipeline is pure; this module loads, stores and updates state.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from PIL import Image
from sqlmodel import Session, select

from intake.services import qa
from intake.services.ingest import limits_of
from intake.services.matching import match_identity
from intake.settings import Settings
from intake.store import ContentStore
from models import Lot, Original, Page, PageStatus, Resident, Vaccine
from models.enums import REQUEUEABLE
from models.tables import utcnow
from ocr.codes import FormIdentity
from ocr.decode import decode_page
from ocr.fields import ReadContext
from ocr.pipeline import process_page
from ocr.template import load_template
from ocr.types import PageUnreadable

log = logging.getLogger("intake.worker")


def claim(session: Session, page_id: int, settings: Settings) -> Page | None:
    """Move a page to `processing` with a deadline; None if it is not ours to process (already done)."""
    page = session.get(Page, page_id)
    if page is None or page.status not in REQUEUEABLE:
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
    page.status = PageStatus.processing
    page.attempts += 1
    page.deadline = utcnow() + timedelta(seconds=settings.page_timeout_seconds * 2)
    page.updated_at = utcnow()
    session.add(page)
    session.commit()
    return page


def context_for(session: Session, identity: FormIdentity | None) -> ReadContext:
    lots = {lot.lot_number: lot.vaccine_code for lot in session.exec(select(Lot)).all()}
    ctx = ReadContext(known_lots=lots, today=date.today())
    if identity is not None:
        ctx.vaccine_code = identity.vaccine_code
        v = session.get(Vaccine, identity.vaccine_code)
        ctx.expected_dose_ml = v.dose_ml if v else None
        r = session.get(Resident, identity.atena_no)
        ctx.birth_date = r.birth_date if r else None
    return ctx


def process(session: Session, store: ContentStore, settings: Settings, page_id: int) -> PageStatus | None:
    page = claim(session, page_id, settings)
    if page is None:
        return None
    try:
        original = session.get(Original, page.original_sha256)
        assert original is not None
        img = decode_page(store.get(original.sha256), original.media_type, page.page_index, limits_of(settings))
        result = process_page(img, load_template(settings.template_version), lambda i: context_for(session, i))
    except PageUnreadable as exc:
        return _finish(session, page, PageStatus.failed, reason=str(exc))
    if result.page_kind in ("blank", "separator"):
        return _finish(session, page, PageStatus.skipped, reason=f"page is {result.page_kind}")
    reg = result.registration
    page.image_sha256 = store.put(_jpeg(reg.image if reg is not None and reg.image is not None else img))
    page.layout = settings.template_version if reg is not None and reg.ok else None
    ident = result.identity
    page.form_no = ident.form_no if ident else None
    page.atena_no_read = ident.atena_no if ident else None
    page.fields = {name: r.as_json() for name, r in result.fields.items()}
    page.fields["_identity"] = _identity_json(ident, result.identity_source, result.identity_problem)
    page.fields["_printed"] = result.printed
    page.match = match_identity(session, ident, settings.municipality_code, result.identity_source, result.printed)
    reasons = list(result.review_reasons)
    if result.page_kind == "unknown":
        reasons.append("not a ward form: markers and QR not found")
    doubtful = [n for n, r in result.fields.items() if not r.auto_ok]
    if doubtful:
        reasons.append("check: " + ", ".join(doubtful))
    if page.match["decision"] != "auto":
        reasons.append("resident: " + page.match["explanation"])
    page.needs_review_reasons = reasons
    sample = result.page_kind == "form" and qa.mark_sample(page, settings)
    if not reasons and not sample and result.page_kind == "form":  # the machine is sure of every field and resident
        if qa.route_sure_form(session, page, settings) == "committed":
            return _finish(session, page, PageStatus.committed, reason="committed automatically (machine sure)")
    return _finish(session, page, PageStatus.extracted, reason="; ".join(page.needs_review_reasons[:3]))


def _identity_json(ident: FormIdentity | None, source: str, problem: str) -> dict[str, Any]:
    if ident is None:
        return {"source": source, "problem": problem}
    return {
        "source": source,
        "municipality_code": ident.municipality_code,
        "atena_no": ident.atena_no,
        "vaccine_code": ident.vaccine_code,
        "dose_no": ident.dose_no,
        "form_no": ident.form_no,
        "layout": ident.layout,
    }


def _jpeg(img: np.ndarray) -> bytes:
    """The registered page, for display and crops in review only (the original stays the evidence).
    JPEG q90 costs ~5 ms where PNG cost ~120 ms per page."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _finish(session: Session, page: Page, status: PageStatus, reason: str = "") -> PageStatus:
    page.status = status
    page.reason = reason[:500]
    page.deadline = None
    page.updated_at = utcnow()
    page.version += 1
    session.add(page)
    session.commit()
    log.info("page=%s batch=%s status=%s attempts=%d", page.id, page.batch_id, status, page.attempts)
    return status


def record_error(session: Session, page_id: int, max_attempts: int, reason: str) -> bool:
    """After an unexpected error: back to `queued` while attempts remain, else `failed`. True if final."""
    page = session.get(Page, page_id)
    if page is None or page.status not in REQUEUEABLE:
        return True
    if page.attempts >= max_attempts:
        _finish(session, page, PageStatus.failed, reason=reason)
        return True
    page.status = PageStatus.queued
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

    ids = stuck_pages(session, older_than, now)
    for pid in ids:
        page = session.get(Page, pid)
        if page is not None and page.status == PageStatus.processing:
            page.status = PageStatus.queued  # its worker is gone; the next claim counts another attempt
            page.updated_at = utcnow()
            session.add(page)
    session.commit()
    return len(ids), enqueue_pages(settings, ids)
