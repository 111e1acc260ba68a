"""Group verification: one field across many forms, as a grid of crops with values."""

from __future__ import annotations

from fastapi import APIRouter

from intake.api.deps import LangDep, ReviewerDep, SessionDep, SettingsDep
from intake.api.schemas import GroupConfirmIn, GroupConfirmOut, GroupItemOut, MessageOut
from intake.messages import worded
from intake.services import group_review

router = APIRouter(prefix="/review/group", tags=["review"])


@router.post("/take", response_model=list[GroupItemOut])
def take(
    session: SessionDep,
    settings: SettingsDep,
    who: ReviewerDep,
    lang: LangDep,
    field: str,
    batch_id: int | None = None,
    limit: int = 40,
) -> list[GroupItemOut]:
    """Lock up to `limit` forms whose `field` the machine was unsure of; their crops come from
    /review/pages/{id}/crop/{field}."""
    pages = group_review.take_group(session, who, settings, field, batch_id, min(max(limit, 1), 100))
    return [
        GroupItemOut(
            page_id=p.id or 0,
            version=p.version,
            batch_id=p.batch_id,
            value=f.value,
            confidence=f.confidence,
            messages=[MessageOut(**worded(m, lang)) for m in f.messages],
        )
        for p in pages
        if (f := p.extraction.field(field)) is not None
    ]


@router.post("/confirm", response_model=GroupConfirmOut)
def confirm(field: str, body: GroupConfirmIn, session: SessionDep, who: ReviewerDep, lang: LangDep) -> GroupConfirmOut:
    items = [group_review.Confirmation(i.page_id, i.version, i.value) for i in body.items]
    out = group_review.confirm_group(session, who, field, items)
    refused = {k: " — ".join(filter(None, e.text(lang))) for k, e in out.refused.items()}
    return GroupConfirmOut(confirmed=out.confirmed, corrected=out.corrected, refused=refused)
