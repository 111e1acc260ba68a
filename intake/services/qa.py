"""QA sampling: the machine's real precision is measured on reviewed forms, not assumed.

A set share of forms (INTAKE_QA_SAMPLE_RATE) is marked as a QA sample: the reviewer checks every field against
the image, the ones the machine auto-accepted (✓, no stop in ordinary review) included. What the reviewer changes
among those is the machine's error on auto-accepted fields; a changed resident on an automatic match is the
matcher's. Optionally (INTAKE_AUTO_COMMIT) a form the machine was sure of in every field and in the resident,
and that is not a sample, is committed without review; the ward's default keeps every form in review.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, col, select

from intake.errors import IntakeError
from intake.services import ledger, reasons
from intake.services.entry import Decision, entry_for
from intake.services.schedule import as_flag
from intake.settings import Settings
from models import Page, PageStatus, ReviewAction

QA_REASON = {"code": "review.qa_sample", "params": {}}  # intake.services.reasons


def sampled(page_id: int, rate: float) -> bool:
    """Deterministic by page id, so re-processing a page does not change whether it is a sample."""
    h = int.from_bytes(hashlib.sha256(f"qa:{page_id}".encode()).digest()[:4], "big")
    return h < rate * 2**32


def mark_sample(page: Page, settings: Settings) -> bool:
    assert page.id is not None
    if sampled(page.id, settings.qa_sample_rate):
        page.qa_sample = True
        page.needs_review_reasons = [*page.needs_review_reasons, QA_REASON]
    return page.qa_sample


def route_sure_form(session: Session, page: Page, settings: Settings) -> str:
    """For a form with every field auto-accepted and its resident matched automatically (and not a QA sample):
    'committed' (auto-commit on and the schedule has no objection) or 'review'."""
    if not settings.auto_commit:
        return "review"
    values = {k: str(v.get("value", "")) for k, v in page.fields.items() if isinstance(v, dict) and "value" in v}
    atena_no = str(page.match.get("atena_no") or "")
    try:
        entry = entry_for(page, Decision(version=page.version, values=values, atena_no=atena_no))
        checks = ledger.schedule_checks(session, entry)
        if any(c.severity == "error" for c in checks):
            finding = reasons.reason("review.schedule_finding", parts=[m.as_json() for m in checks[0].parts])
            page.needs_review_reasons = [*page.needs_review_reasons, finding]
            return "review"
        page.resident_atena_no = atena_no
        ledger.commit_page(session, page, entry, None, settings.municipality_code, flags=[as_flag(c) for c in checks])
    except IntakeError as exc:  # anything the ledger refuses goes to a reviewer with the reason
        refused = reasons.reason("review.auto_commit_refused", error=exc.code, **exc.params)
        page.needs_review_reasons = [*page.needs_review_reasons, refused]
        return "review"
    return "committed"


def stats(session: Session) -> dict[str, Any]:
    """The machine's precision measured on reviewed QA samples: of the fields it auto-accepted, how many the
    reviewer changed; of the residents it matched automatically, how many the reviewer changed."""
    pages = {
        p.id: p
        for p in session.exec(
            select(Page).where(col(Page.qa_sample).is_(True)).where(Page.status == PageStatus.committed)
        ).all()
    }
    accepts = session.exec(
        select(ReviewAction).where(ReviewAction.action == "accept").where(col(ReviewAction.page_id).in_(list(pages)))
    ).all()
    auto_fields = auto_changed = auto_matches = match_changed = forms_changed = 0
    for a in accepts:
        page = pages[a.page_id]
        changed = set(a.detail.get("changed", []))
        sure = [k for k, v in page.fields.items() if not k.startswith("_") and isinstance(v, dict) and v.get("auto_ok")]
        auto_fields += len(sure)
        auto_changed += sum(1 for k in sure if k in changed)
        if page.match.get("decision") == "auto":
            auto_matches += 1
            match_changed += a.detail.get("atena_no") != page.match.get("atena_no")
        forms_changed += bool(changed) or a.detail.get("atena_no") != page.match.get("atena_no")
    waiting = session.exec(
        select(Page.id).where(col(Page.qa_sample).is_(True)).where(col(Page.status).in_(("extracted", "in_review")))
    ).all()
    return {
        "reviewed": len(accepts),
        "waiting": len(waiting),
        "forms_corrected": forms_changed,
        "auto_fields": auto_fields,
        "auto_fields_corrected": auto_changed,
        "auto_field_precision": round(1 - auto_changed / auto_fields, 4) if auto_fields else None,
        "auto_matches": auto_matches,
        "auto_matches_corrected": match_changed,
        "auto_match_precision": round(1 - match_changed / auto_matches, 4) if auto_matches else None,
    }
