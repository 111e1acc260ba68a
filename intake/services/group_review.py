"""Group verification: one field (e.g. every lot number of a batch) as a grid of crops with values, confirmed
many at once. The pages are locked to the reviewer like a single form, so two reviewers never touch the same
page; each confirmation carries the version the reviewer saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from intake.errors import BadInput, IntakeError, LockedByOther, StaleVersion
from intake.services import audit, reasons
from intake.services.auth import Principal
from intake.services.locks import lock_pages
from intake.settings import Settings
from models import Page, PageStatus, ReviewAction
from models.enums import REVIEWABLE, move
from models.tables import utcnow
from ocr.normalize import DateProblem, parse_date

GROUPABLE = ("lot_number", "vaccination_date", "dose_ml", "temperature", "doctor_name")


@dataclass(frozen=True)
class Confirmation:
    page_id: int
    version: int
    value: str


def _check_field(field: str) -> None:
    if field not in GROUPABLE:
        raise BadInput("group.not_groupable", field=field, choices=", ".join(GROUPABLE))


def needs_look(page: Page, field: str) -> bool:
    """The machine was unsure and no person has confirmed it yet. Whole-form cases (a supervisor's form, a
    form waiting for its blind second keying) stay out of the grid."""
    f = page.extraction.field(field)
    if f is None or f.auto_ok or f.confirmed_by:
        return False
    return not page.deferred and page.first_entry is None


def take_group(
    session: Session, who: Principal, settings: Settings, field: str, batch_id: int | None = None, limit: int = 40
) -> list[Page]:
    """Lock up to `limit` pages whose `field` needs a look, oldest first, for this reviewer."""
    _check_field(field)
    now = utcnow()
    free = or_(col(Page.locked_by).is_(None), col(Page.locked_until) < now, col(Page.locked_by) == who.id)
    stmt = select(Page).where(col(Page.status).in_(REVIEWABLE)).where(free).order_by(col(Page.id))
    if batch_id is not None:
        stmt = stmt.where(Page.batch_id == batch_id)
    wanted = [p.id for p in session.exec(stmt.limit(2000)).all() if needs_look(p, field)][:limit]
    taken = lock_pages(session, who.id, [i for i in wanted if i is not None], settings.review_lock_seconds, now)
    audit.record(session, who.actor, "page.group_take", "field", field)
    session.commit()
    pages = [session.get(Page, i) for i in taken]
    return [p for p in pages if p is not None]


def _normalized(field: str, value: str) -> str:
    value = value.strip()
    if field.endswith("_date") and value:
        try:
            return parse_date(value).isoformat()
        except DateProblem as exc:
            raise BadInput(f"date.{exc.code}", what="接種年月日", value=value) from exc
    return value


@dataclass
class GroupOutcome:
    confirmed: list[int]
    corrected: list[int]
    refused: dict[int, IntakeError]  # worded at the edge, in the reader's language


def confirm_group(session: Session, who: Principal, field: str, items: list[Confirmation]) -> GroupOutcome:
    """Confirm (or correct) the field on each page the reviewer holds; release those pages. A page that changed
    meanwhile, or is no longer held, is refused by id and nothing of it is changed."""
    _check_field(field)
    confirmed: list[int] = []
    corrected: list[int] = []
    refused: dict[int, IntakeError] = {}
    for item in items:
        page = session.get(Page, item.page_id)
        held = page is not None and page.locked_by == who.id and page.status in REVIEWABLE
        if page is None or not held:
            refused[item.page_id] = LockedByOther("group.not_held")
            continue
        if page.version != item.version:
            refused[item.page_id] = StaleVersion("group.changed")
            continue
        try:
            value = _normalized(field, item.value)
        except BadInput as exc:
            refused[item.page_id] = exc
            continue
        before = page.extraction.field(field)
        changed = value != (before.value if before is not None else "")
        page.extraction = page.extraction.with_field(field, value=value, confirmed_by=who.id)
        page.needs_review_reasons = reasons.without_field(page.needs_review_reasons, field)
        page.version += 1
        page.locked_by = None
        page.locked_until = None
        page.status = move(page.status, PageStatus.extracted)
        session.add(page)
        session.add(
            ReviewAction(
                page_id=item.page_id, user_id=who.id, action="group_confirm", detail={"field": field, "changed": changed}
            )
        )
        confirmed.append(item.page_id)
        if changed:
            corrected.append(item.page_id)
    audit.record(session, who.actor, "page.group_confirm", "field", field)
    session.commit()
    return GroupOutcome(confirmed, corrected, refused)
