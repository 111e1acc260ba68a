"""The auto-commit step: a form the machine was sure of — every field auto-accepted, its resident matched
automatically, not a QA sample — is committed to the ledger without review when the ward switches it on
(INTAKE_AUTO_COMMIT; the ward's default keeps every form in review). The worker runs it after extraction, under the
page's reading lease (intake.worker.read_page); anything the schedule or the ledger objects to sends the form to a
reviewer with the reason."""

from __future__ import annotations

from sqlmodel import Session

from intake.errors import IntakeError
from intake.services import ledger, reasons
from intake.services.entry import Decision, entry_for
from intake.services.schedule import as_flag
from intake.settings import Settings
from models import Page


def commit_sure(session: Session, page: Page, settings: Settings) -> bool:
    """True: committed (the ledger row is added to the session, written with the page's result). False: the form
    goes to review, with the reason added to the page when there is one."""
    if not settings.auto_commit:
        return False
    atena_no = page.match.atena_no or ""
    try:
        entry = entry_for(page, Decision(version=page.version, values=page.extraction.values(), atena_no=atena_no))
        checks = ledger.schedule_checks(session, entry)
        if any(c.severity == "error" for c in checks):
            finding = reasons.reason("review.schedule_finding", parts=[m.as_json() for m in checks[0].parts])
            page.needs_review_reasons = [*page.needs_review_reasons, finding]
            return False
        page.resident_atena_no = atena_no
        ledger.commit_page(session, page, entry, None, settings.municipality_code, flags=[as_flag(c) for c in checks])
    except IntakeError as exc:  # anything the ledger refuses goes to a reviewer with the reason
        refused = reasons.reason("review.auto_commit_refused", error=exc.code, **exc.params)
        page.needs_review_reasons = [*page.needs_review_reasons, refused]
        return False
    return True
