"""Review of the form a person holds (the queue that hands it out is intake.services.review_queue): who may see it,
the residents they may choose, accept, reject, defer, and its images.

Saves carry the version the reviewer saw; a stale one is refused with a message, never lost silently.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from PIL import Image
from sqlmodel import Session, col, select

from intake.errors import BadInput, Conflict, Forbidden, LockedByOther, NotFound, StaleVersion
from intake.messages import STATUS_JA
from intake.services import audit, double_entry, ledger, reasons
from intake.services.auth import Principal
from intake.services.entry import Decision, entry_for
from intake.services.matching import search_candidates
from intake.services.schedule import as_flag, words
from intake.settings import Settings
from intake.store import ContentStore
from models import Page, PageStatus, Resident, ReviewAction, Role, SearchedResident, VaccinationRecord
from models.enums import REVIEWABLE, move
from models.page_state import Reason
from models.tables import utcnow
from ocr.register import PX_PER_MM
from ocr.template import load_template


class ScheduleProblem(Conflict):
    kind = "schedule_check"


@dataclass(frozen=True)
class Outcome:
    """What an accept did: committed (with its ledger row), held for a second blind keying, or sent to a
    supervisor because the two keyings disagree."""

    status: str  # committed | second_entry_needed | sent_to_supervisor
    record: VaccinationRecord | None = None
    reason: Reason | None = None  # what the reviewer is told (worded at the API edge)


def page_for(session: Session, who: Principal, page_id: int) -> Page:
    """A page the caller may see: a reviewer only the one they hold; supervisors and staff any."""
    page = session.get(Page, page_id)
    if page is None:
        raise NotFound("page.not_found", page=page_id)
    if who.role == Role.reviewer and not (page.locked_by == who.id and page.locked_until and page.locked_until > utcnow()):
        audit.record(session, who.actor, "page.read", "page", str(page_id), "denied")
        session.commit()
        raise Forbidden("review.not_assigned", audited=True)
    return page


def candidates_allowed(session: Session, who: Principal, page: Page, atena_no: str) -> bool:
    """A reviewer may open only residents proposed for the form they hold, or found by a candidate search."""
    if who.role != Role.reviewer:
        return True
    searched = set(session.exec(select(SearchedResident.atena_no).where(SearchedResident.page_id == page.id)).all())
    first = {page.first_entry.atena_no} if page.first_entry is not None and page.first_entry.atena_no else set()
    return atena_no in page.match.proposed() | searched | first


def _check_version(page: Page, version: int) -> None:
    if page.version != version:
        raise StaleVersion("review.stale", page=page.id, version=page.version, yours=version)


def _held(session: Session, who: Principal, page_id: int, version: int) -> Page:
    page = page_for(session, who, page_id)
    if page.status not in REVIEWABLE:
        raise LockedByOther(
            "review.taken", page=page_id, status=STATUS_JA.get(str(page.status), str(page.status)), status_en=page.status
        )
    _check_version(page, version)
    return page


def accept(session: Session, who: Principal, settings: Settings, page_id: int, d: Decision) -> Outcome:
    page = session.get(Page, page_id)
    if page is not None and page.status == PageStatus.committed:
        # A retried accept (lost reply, double key press) by the same reviewer: return the row, write nothing.
        mine = session.exec(
            select(ReviewAction)
            .where(ReviewAction.page_id == page_id)
            .where(col(ReviewAction.action).in_(("accept", "second_entry", "first_entry")))
            .where(ReviewAction.user_id == who.id)
        ).first()
        row = session.exec(select(VaccinationRecord).where(VaccinationRecord.page_id == page_id)).first()
        if row is not None and (mine is not None or who.role != Role.reviewer):
            return Outcome("committed", row)
    if page is not None and page.first_entry is not None and page.first_entry.by == who.id and page.locked_by != who.id:
        # a retried first keying (lost reply): it is held already; the second reviewer has it or will
        return Outcome("second_entry_needed", reason=reasons.reason("review.first_keying_saved"))
    page = _held(session, who, page_id, d.version)
    if not candidates_allowed(session, who, page, d.atena_no):
        raise Forbidden("review.not_candidate", atena_no=d.atena_no)
    resident = session.get(Resident, d.atena_no)  # loaded once for the request, passed along
    if resident is None:
        raise BadInput("review.not_in_register", atena_no=d.atena_no)
    entry = entry_for(page, d)
    checks = ledger.schedule_checks(session, entry, resident)
    errors = [c for c in checks if c.severity == "error"]
    if errors and not d.acknowledged:
        raise ScheduleProblem(
            "review.schedule",
            findings="；".join(words(c.parts, "ja") for c in errors),
            findings_en="; ".join(c.message for c in errors),
        )
    blind = double_entry.blind_fields(page, settings.template_version, settings.double_entry)
    if blind and who.role == Role.reviewer:
        if page.first_entry is None:
            double_entry.hold_first(who, page, d.values, d.atena_no, d.acknowledged)
            _release(session, who, page, "first_entry", "first of two blind keyings", status=PageStatus.extracted)
            return Outcome("second_entry_needed", reason=reasons.reason("review.first_keying_held", fields=blind))
        differ = double_entry.disagreements(page, blind, d.values, d.atena_no)
        double_entry.record_second(session, who, page, blind, differ)
        if differ:
            _release(session, who, page, "defer", "double entry disagrees", status=PageStatus.extracted)
            return Outcome("sent_to_supervisor", reason=reasons.reason(reasons.KEYINGS_DIFFER, differ="; ".join(differ)))
    extraction = page.extraction
    for name, value in d.values.items():
        if name in extraction.fields:
            extraction = extraction.with_field(name, reviewed=value)
    page.extraction = extraction
    page.resident_atena_no = d.atena_no
    page.version += 1
    page.locked_by = None
    page.locked_until = None
    session.add(page)
    session.add(
        ReviewAction(
            page_id=page_id,
            user_id=who.id,
            action="accept",
            detail={"changed": _changed(page, d.values), "atena_no": d.atena_no, "qa": page.qa_sample},
        )
    )
    record = ledger.commit_page(session, page, entry, who.id, settings.municipality_code, flags=[as_flag(c) for c in checks])
    session.commit()
    return Outcome("committed", record)


def _changed(page: Page, values: dict[str, str]) -> list[str]:
    read = page.extraction.fields
    return [n for n, v in values.items() if n in read and read[n].value != v]


def _release(
    session: Session, who: Principal, page: Page, action: str, reason: str, status: PageStatus | None = None
) -> Page:
    """The end of a reviewer's hold on a form with a reason (reject, defer, a held first keying): lock freed,
    version bumped, the action in the review history and the audit log, committed together."""
    if status is not None:
        page.status = move(page.status, status)
    page.version += 1
    page.locked_by = None
    page.locked_until = None
    session.add(page)
    session.add(ReviewAction(page_id=page.id or 0, user_id=who.id, action=action, detail={"reason": reason[:500]}))
    audit.record(session, who.actor, f"page.{action}", "page", str(page.id))
    session.commit()
    return page


def reject(session: Session, who: Principal, page_id: int, version: int, reason: str) -> Page:
    if not reason.strip():
        raise BadInput("review.reason_needed", action="返戻", action_en="a rejection")
    page = _held(session, who, page_id, version)
    page.status = move(page.status, PageStatus.rejected)
    page.reason = reason[:500]
    return _release(session, who, page, "reject", reason)


def page_image(session: Session, store: ContentStore, who: Principal, page_id: int) -> bytes:
    """The registered page (JPEG) for one the caller may see; the view is audited."""
    page = page_for(session, who, page_id)
    if page.image_sha256 is None:
        raise NotFound("page.no_image", page=page_id)
    audit.record(session, who.actor, "page.image", "page", str(page_id))
    session.commit()
    return store.get(page.image_sha256)


def field_crop(
    session: Session,
    store: ContentStore,
    who: Principal,
    page_id: int,
    field: str,
    template_version: str,
    margin_mm: float = 2.0,
) -> bytes:
    """PNG of the registered page around one template field (the group grid; the form view); audited."""
    page = page_for(session, who, page_id)
    spec = next((f for f in load_template(page.layout or template_version).fields if f.name == field), None)
    if spec is None:
        raise NotFound("page.no_field", field=field)
    if page.image_sha256 is None:
        raise NotFound("page.no_image", page=page.id)
    img = Image.open(io.BytesIO(store.get(page.image_sha256)))
    x, y, w, h = spec.region()
    k = PX_PER_MM
    box = (int((x - margin_mm) * k), int((y - margin_mm) * k), int((x + w + margin_mm) * k), int((y + h + margin_mm) * k))
    buf = io.BytesIO()
    img.crop(box).save(buf, "PNG")
    audit.record(session, who.actor, "page.crop", "page", str(page_id))
    session.commit()
    return buf.getvalue()


def search_residents(
    session: Session, who: Principal, page_id: int, *, kana: str = "", birth_date: date | None = None, atena_no: str = ""
) -> list[Resident]:
    """Candidate search for the form the caller holds (id, or kana + birth date; never a free browse). Who was found
    is kept with the page: the reviewer may then choose them."""
    page = page_for(session, who, page_id)
    found = search_candidates(session, kana=kana, birth_date=birth_date, atena_no=atena_no)
    known = set(session.exec(select(SearchedResident.atena_no).where(SearchedResident.page_id == page.id)).all())
    for r in found:
        if r.atena_no not in known:
            session.add(SearchedResident(page_id=page_id, atena_no=r.atena_no, searched_by=who.id))
            known.add(r.atena_no)
        audit.record(session, who.actor, "resident.search", "resident", r.atena_no)
    session.commit()
    return found


def defer(session: Session, who: Principal, page_id: int, version: int, reason: str) -> Page:
    """Hand the form to a supervisor: it leaves the reviewers' queue and waits in the supervisors'."""
    if not reason.strip():
        raise BadInput("review.reason_needed", action="監督者へ回す", action_en="deferring")
    page = _held(session, who, page_id, version)
    page.deferred = True
    page.needs_review_reasons = [*page.needs_review_reasons, reasons.reason("review.deferred", note=reason[:200])]
    return _release(session, who, page, "defer", reason)
