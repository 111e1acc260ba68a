"""QA sampling: a set share of the forms the machine was sure of goes to a reviewer anyway, so the machine's
real precision is measured on reviewed forms, not assumed. Optionally (INTAKE_AUTO_COMMIT) the other sure forms
are committed without review; the ward's default keeps every form in review.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, col, select

from intake.errors import IntakeError
from intake.services import ledger
from intake.settings import Settings
from models import Page, PageStatus, ReviewAction

QA_REASON = "QA sample: check every field against the image"


def sampled(page_id: int, rate: float) -> bool:
    """Deterministic by page id, so re-processing a page does not change whether it is a sample."""
    h = int.from_bytes(hashlib.sha256(f"qa:{page_id}".encode()).digest()[:4], "big")
    return h < rate * 2**32


def route_sure_form(session: Session, page: Page, settings: Settings) -> str:
    """For a form with every field auto-accepted and its resident matched automatically: 'qa' (to review as a
    sample), 'committed' (auto-commit on and the schedule has no objection) or 'review'."""
    from intake.services.review import Decision, entry_for  # review imports this module's neighbours

    assert page.id is not None
    if sampled(page.id, settings.qa_sample_rate):
        page.qa_sample = True
        page.needs_review_reasons = [*page.needs_review_reasons, QA_REASON]
        return "qa"
    if not settings.auto_commit:
        return "review"
    values = {k: str(v.get("value", "")) for k, v in page.fields.items() if isinstance(v, dict) and "value" in v}
    atena_no = str(page.match.get("atena_no") or "")
    try:
        entry = entry_for(page, Decision(version=page.version, values=values, atena_no=atena_no))
        checks = ledger.schedule_checks(session, entry)
        if any(c.severity == "error" for c in checks):
            page.needs_review_reasons = [*page.needs_review_reasons, "schedule: " + checks[0].message]
            return "review"
        page.resident_atena_no = atena_no
        ledger.commit_page(
            session, page, entry, None, settings.municipality_code, flags=[f"{c.severity}: {c.message}" for c in checks]
        )
    except IntakeError as exc:  # anything the ledger refuses goes to a reviewer with the reason
        page.needs_review_reasons = [*page.needs_review_reasons, f"not committed automatically: {exc}"]
        return "review"
    return "committed"


def stats(session: Session) -> dict[str, Any]:
    """The machine's precision on reviewed QA samples: forms and fields the reviewer had to change."""
    pages = {
        p.id: p
        for p in session.exec(
            select(Page).where(col(Page.qa_sample).is_(True)).where(Page.status == PageStatus.committed)
        ).all()
    }
    accepts = session.exec(
        select(ReviewAction).where(ReviewAction.action == "accept").where(col(ReviewAction.page_id).in_(list(pages)))
    ).all()
    fields_checked = fields_changed = forms_changed = resident_changed = 0
    for a in accepts:
        page = pages[a.page_id]
        n = sum(1 for k, v in page.fields.items() if not k.startswith("_") and isinstance(v, dict))
        changed = len(a.detail.get("changed", []))
        moved = a.detail.get("atena_no") != page.match.get("atena_no")
        fields_checked += n
        fields_changed += changed
        forms_changed += bool(changed or moved)
        resident_changed += moved
    waiting = session.exec(
        select(Page.id).where(col(Page.qa_sample).is_(True)).where(col(Page.status).in_(("extracted", "in_review")))
    ).all()
    return {
        "reviewed": len(accepts),
        "waiting": len(waiting),
        "forms_corrected": forms_changed,
        "resident_changed": resident_changed,
        "fields_checked": fields_checked,
        "fields_corrected": fields_changed,
        "field_precision": round(1 - fields_changed / fields_checked, 4) if fields_checked else None,
        "form_precision": round(1 - forms_changed / len(accepts), 4) if accepts else None,
    }
