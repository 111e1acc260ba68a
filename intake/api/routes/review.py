from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response

from intake.api.deps import LangDep, OverseerDep, PrincipalDep, ReviewerDep, SessionDep, SettingsDep, StoreDep
from intake.api.routes.records import record_out
from intake.api.schemas import (
    AcceptIn,
    AcceptOut,
    CandidateOut,
    CheckOut,
    FieldOut,
    MessageOut,
    QueueOut,
    RejectIn,
    ReviewPageOut,
)
from intake.errors import Forbidden
from intake.messages import text_of, worded
from intake.services import entry, oversight, review, review_queue, review_view
from intake.services.schedule import words
from models import Page, Resident, Role
from models.page_state import Candidate
from ocr.register import PX_PER_MM
from ocr.template import load_template

router = APIRouter(prefix="/review", tags=["review"])


def _candidate(r: Resident, c: Candidate) -> CandidateOut:
    return CandidateOut(
        atena_no=r.atena_no,
        name=r.name,
        name_kana=r.name_kana,
        birth_date=r.birth_date,
        sex=r.sex,
        address=r.address,
        score=c.score,
        agree=c.agree,
        flags=c.flags,
        explain=c.explain,
    )


def review_page_out(
    session: SessionDep, settings: SettingsDep, page: Page, who: PrincipalDep, lang: str = "ja"
) -> ReviewPageOut:
    shown = review_view.show(session, settings, who, page)
    return ReviewPageOut(
        id=page.id or 0,
        batch_id=page.batch_id,
        version=page.version,
        status=page.status,
        reasons=[MessageOut(**worded(r, lang, shown.labels)) for r in page.needs_review_reasons],
        identity=page.extraction.identity.model_dump(),
        fields=[
            FieldOut(
                name=f.spec.name,
                kind=f.spec.kind,
                label=f.spec.label,
                value=f.value,
                confidence=0.0 if f.hidden else f.state.confidence,
                engine="" if f.hidden else f.state.engine,
                messages=[] if f.hidden else [MessageOut(**worded(m, lang)) for m in f.state.messages],
                auto_ok=not f.hidden and f.state.auto_ok,
                critical=f.spec.critical,
                region_mm=f.spec.region(),
                confirmed=not f.hidden and f.state.confirmed_by is not None,
                blind=f.hidden,
            )
            for f in shown.fields
        ],
        match_decision=page.match.decision,
        match_explanation=("; " if lang == "en" else "。").join(text_of(p, lang) for p in page.match.explanation),
        candidates=[_candidate(r, c) for r, c in shown.candidates],
        checks=[
            CheckOut(rule=c.rule, severity=c.severity, message=words(c.parts, lang), source=c.source) for c in shown.checks
        ],
        px_per_mm=PX_PER_MM,
        qa_sample=page.qa_sample,
        second_entry=shown.second,
        vaccine_name=shown.vaccine_name,
        keyed=shown.keyed,
        chosen_atena_no=shown.chosen,
    )


@router.post("/next", response_model=ReviewPageOut | None)
def take_next(
    session: SessionDep,
    settings: SettingsDep,
    who: ReviewerDep,
    lang: LangDep,
    batch_id: int | None = None,
    clinic: str = "",
    reason: str = "",
) -> ReviewPageOut | None:
    """The next form, locked to the caller; optionally of one batch, one clinic (実施機関コード), or for one reason:
    low_confidence, no_match, validation, qa, second_entry."""
    page = review_queue.take_next(session, who, settings, batch_id, clinic, reason)
    return review_page_out(session, settings, page, who, lang) if page else None


@router.get("/queue", response_model=QueueOut)
def queue(session: SessionDep, who: ReviewerDep) -> QueueOut:
    """How many forms wait and whether the caller holds one — what the review screen shows before the reviewer
    takes a form (opening a screen takes nothing; only POST /review/next does)."""
    waiting, held = review_queue.queue_size(session, who)
    return QueueOut(waiting=waiting, held=held)


@router.get("/pages/{page_id}", response_model=ReviewPageOut)
def get_page(page_id: int, session: SessionDep, settings: SettingsDep, who: ReviewerDep, lang: LangDep) -> ReviewPageOut:
    return review_page_out(session, settings, review.page_for(session, who, page_id), who, lang)


@router.get("/pages/{page_id}/image", response_class=Response)
def page_image(page_id: int, session: SessionDep, store: StoreDep, who: PrincipalDep) -> Response:
    if who.role not in (Role.reviewer, Role.supervisor, Role.staff, Role.admin):
        raise Forbidden("page.scanner_may_not_view")
    jpeg = review.page_image(session, store, who, page_id)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/pages/{page_id}/crop/{field}", response_class=Response)
def field_crop(
    page_id: int, field: str, session: SessionDep, settings: SettingsDep, store: StoreDep, who: ReviewerDep
) -> Response:
    """The part of the page where one field was read (group verification grid; form view)."""
    png = review.field_crop(session, store, who, page_id, field, settings.template_version)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/pages/{page_id}/candidates", response_model=list[CandidateOut])
def candidates(
    page_id: int, session: SessionDep, who: ReviewerDep, kana: str = "", birth_date: date | None = None, atena_no: str = ""
) -> list[CandidateOut]:
    """Candidate search for the form the reviewer holds: id, or kana + birth date. No free browsing."""
    found = review.search_residents(session, who, page_id, kana=kana, birth_date=birth_date, atena_no=atena_no)
    return [_candidate(r, Candidate(atena_no=r.atena_no, flags=[r.move_reason] if r.move_reason else [])) for r in found]


@router.post("/pages/{page_id}/accept", response_model=AcceptOut)
def accept(
    page_id: int, body: AcceptIn, session: SessionDep, settings: SettingsDep, who: ReviewerDep, lang: LangDep
) -> AcceptOut:
    outcome = review.accept(
        session,
        who,
        settings,
        page_id,
        entry.Decision(version=body.version, values=body.values, atena_no=body.atena_no, acknowledged=body.acknowledged),
    )
    record = record_out(outcome.record, lang) if outcome.record is not None else None
    labels = {f.name: f.label or f.name for f in load_template(settings.template_version).fields}
    message = text_of(outcome.reason, lang, labels) if outcome.reason else ""
    return AcceptOut(status=outcome.status, record=record, message=message)


@router.post("/pages/{page_id}/reject", status_code=204)
def reject(page_id: int, body: RejectIn, session: SessionDep, who: ReviewerDep) -> None:
    review.reject(session, who, page_id, body.version, body.reason)


@router.post("/pages/{page_id}/defer", status_code=204)
def defer(page_id: int, body: RejectIn, session: SessionDep, who: ReviewerDep) -> None:
    """Hand the form to a supervisor, with a reason (same body as a rejection)."""
    review.defer(session, who, page_id, body.version, body.reason)


@router.get("/stats")
def stats(session: SessionDep, who: OverseerDep, since_hours: int = 24) -> dict[str, object]:
    """Supervisor page: queue depth by state, deferred forms, each reviewer's actions in the period."""
    return oversight.stats(session, since_hours)
