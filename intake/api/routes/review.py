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
from intake.errors import Forbidden, NotFound
from intake.messages import text_of, worded
from intake.services import audit, double_entry, entry, masters, review
from intake.services.matching import search_candidates
from intake.services.schedule import words
from models import Page, Resident, Role
from ocr.register import PX_PER_MM
from ocr.template import load_template

router = APIRouter(prefix="/review", tags=["review"])


def _candidate(r: Resident, c: dict[str, object]) -> CandidateOut:
    return CandidateOut(
        atena_no=r.atena_no,
        name=r.name,
        name_kana=r.name_kana,
        birth_date=r.birth_date,
        sex=r.sex,
        address=r.address,
        score=float(c.get("score", 0.0)),  # type: ignore[arg-type]
        agree=c.get("agree", {}),
        flags=c.get("flags", []),
        explain=c.get("explain", {}),
    )


def _explained(explanation: object, lang: str) -> str:
    """The matcher's why (a list of coded messages; an English sentence on rows read before codes) in words."""
    parts = explanation if isinstance(explanation, list) else [explanation] if explanation else []
    return ("; " if lang == "en" else "。").join(text_of(p, lang) for p in parts)


def review_page_out(
    session: SessionDep, settings: SettingsDep, page: Page, who: PrincipalDep, lang: str = "ja"
) -> ReviewPageOut:
    template = load_template(page.layout or settings.template_version)
    labels = {spec.name: spec.label or spec.name for spec in template.fields}
    second = double_entry.is_blind_for(page, who)
    blind = set(double_entry.blind_fields(page, settings.template_version, settings.double_entry)) if second else set()
    first_values: dict[str, str] = page.first_entry.get("values", {}) if second else {}
    fields = []
    for spec in template.fields:
        f = page.fields.get(spec.name, {})
        hidden = spec.name in blind
        fields.append(
            FieldOut(
                name=spec.name,
                kind=spec.kind,
                label=spec.label,
                # the second keying starts from the first reviewer's values, except the blind fields
                value="" if hidden else str(first_values.get(spec.name, f.get("value", ""))),
                confidence=0.0 if hidden else float(f.get("confidence", 0.0)),
                engine="" if hidden else str(f.get("engine", "")),
                messages=[] if hidden else [MessageOut(**worded(m, lang)) for m in f.get("messages", [])],
                auto_ok=False if hidden else bool(f.get("auto_ok", False)),
                critical=spec.critical,
                region_mm=spec.region(),
                confirmed=not hidden and bool(f.get("confirmed_by")),
                blind=hidden,
            )
        )
    candidates = []
    listed = [*page.match.get("candidates", [])]
    chosen = str(page.first_entry.get("atena_no", "")) if second else ""
    if chosen and chosen not in {c["atena_no"] for c in listed}:  # found by the first reviewer's search
        listed.append({"atena_no": chosen, "flags": ["1人目の選択"]})
    for c in listed:
        r = session.get(Resident, c["atena_no"])
        if r is not None:
            candidates.append(_candidate(r, c))
            audit.record(session, who.actor, "resident.read", "resident", r.atena_no)
    session.commit()
    return ReviewPageOut(
        id=page.id or 0,
        batch_id=page.batch_id,
        version=page.version,
        status=page.status,
        reasons=[MessageOut(**worded(r, lang, labels)) for r in page.needs_review_reasons],
        identity=page.fields.get("_identity", {}),
        fields=fields,
        match_decision=page.match.get("decision", "none"),
        match_explanation=_explained(page.match.get("explanation", ""), lang),
        candidates=candidates,
        checks=[
            CheckOut(rule=c.rule, severity=c.severity, message=words(c.parts, lang), source=c.source)
            for c in entry.checks_for(session, page, page.match.get("atena_no"))
        ],
        px_per_mm=PX_PER_MM,
        qa_sample=page.qa_sample,
        second_entry=second,
        vaccine_name=masters.vaccine_name(session, str(page.fields.get("_identity", {}).get("vaccine_code") or "")),
        keyed={k: str(v) for k, v in first_values.items() if k in double_entry.OUTSIDE_TEMPLATE and k not in blind},
        chosen_atena_no=chosen,
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
    page = review.take_next(session, who, settings, batch_id, clinic, reason)
    return review_page_out(session, settings, page, who, lang) if page else None


@router.get("/queue", response_model=QueueOut)
def queue(session: SessionDep, who: ReviewerDep) -> QueueOut:
    """How many forms wait and whether the caller holds one — what the review screen shows before the reviewer
    takes a form (opening a screen takes nothing; only POST /review/next does)."""
    waiting, held = review.queue_size(session, who)
    return QueueOut(waiting=waiting, held=held)


@router.get("/pages/{page_id}", response_model=ReviewPageOut)
def get_page(page_id: int, session: SessionDep, settings: SettingsDep, who: ReviewerDep, lang: LangDep) -> ReviewPageOut:
    return review_page_out(session, settings, review.page_for(session, who, page_id), who, lang)


@router.get("/pages/{page_id}/image", response_class=Response)
def page_image(page_id: int, session: SessionDep, store: StoreDep, who: PrincipalDep) -> Response:
    if who.role not in (Role.reviewer, Role.supervisor, Role.staff, Role.admin):
        raise Forbidden("page.scanner_may_not_view")
    page = review.page_for(session, who, page_id)
    if page.image_sha256 is None:
        raise NotFound("page.no_image", page=page_id)
    audit.record(session, who.actor, "page.image", "page", str(page_id))
    session.commit()
    return Response(store.get(page.image_sha256), media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/pages/{page_id}/crop/{field}", response_class=Response)
def field_crop(
    page_id: int, field: str, session: SessionDep, settings: SettingsDep, store: StoreDep, who: ReviewerDep
) -> Response:
    """The part of the page where one field was read (group verification grid; form view)."""
    page = review.page_for(session, who, page_id)
    png = review.field_crop(store, page, field, settings.template_version)
    audit.record(session, who.actor, "page.crop", "page", str(page_id))
    session.commit()
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/pages/{page_id}/candidates", response_model=list[CandidateOut])
def candidates(
    page_id: int, session: SessionDep, who: ReviewerDep, kana: str = "", birth_date: date | None = None, atena_no: str = ""
) -> list[CandidateOut]:
    """Candidate search for the form the reviewer holds: id, or kana + birth date. No free browsing."""
    page = review.page_for(session, who, page_id)
    found = search_candidates(session, kana=kana, birth_date=birth_date, atena_no=atena_no)
    page.match = {**page.match, "searched": sorted({*page.match.get("searched", []), *(r.atena_no for r in found)})}
    session.add(page)
    for r in found:
        audit.record(session, who.actor, "resident.search", "resident", r.atena_no)
    session.commit()
    return [_candidate(r, {"score": 0.0, "agree": {}, "flags": [r.move_reason] if r.move_reason else []}) for r in found]


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
    return review.stats(session, since_hours)
