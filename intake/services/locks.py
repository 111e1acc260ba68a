"""A reviewer's hold on forms: the one compare-and-set that locks reviewable pages to a person, used by the review
queue's next form and by group verification's grid. A page is taken only while it is reviewable and no one else
holds a live lock on it, so two reviewers never hold the same page; the caller commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col

from models import Page, PageStatus
from models.enums import sources_of


def lock_pages(session: Session, who_id: int, page_ids: Iterable[int], seconds: int, now: datetime) -> list[int]:
    """Lock each page to `who_id` for `seconds` (in review); the ids actually taken, in the order asked."""
    taken: list[int] = []
    for page_id in page_ids:
        res = session.execute(
            update(Page)
            .where(col(Page.id) == page_id)
            .where(col(Page.status).in_(sources_of(PageStatus.in_review)))
            .where(or_(col(Page.locked_by).is_(None), col(Page.locked_until) < now, col(Page.locked_by) == who_id))
            .values(locked_by=who_id, locked_until=now + timedelta(seconds=seconds), status=PageStatus.in_review)
        )
        if res.rowcount == 1:  # type: ignore[attr-defined]
            taken.append(page_id)
    return taken
