from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from sqlmodel import col, select

from intake.api.deps import BatchReaderDep, OverseerDep, ScannerDep, SessionDep, SettingsDep, StoreDep
from intake.api.schemas import BatchOut, BatchReceiptOut, PageStateOut
from intake.errors import TooLarge
from intake.queue import enqueue_pages
from intake.services.ingest import UploadedFile, create_batch, visible_batch
from models import Batch, Clinic, Page

router = APIRouter(prefix="/batches", tags=["batches"])


@router.post("", response_model=BatchReceiptOut, status_code=201)
async def upload_batch(
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    who: ScannerDep,
    clinic_code: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
) -> BatchReceiptOut:
    uploaded = []
    for f in files:
        data = await f.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise TooLarge(
                "upload.too_large",
                name=f.filename or "?",
                size=f"> {settings.max_upload_bytes // 1_000_000}",
                limit=settings.max_upload_bytes // 1_000_000,
            )
        uploaded.append(UploadedFile(f.filename or "upload", data))
    receipt = create_batch(session, store, settings, clinic_code, uploaded, who.actor)
    queued = enqueue_pages(settings, receipt.new_page_ids)
    return BatchReceiptOut(
        batch_id=receipt.batch_id,
        page_ids=receipt.page_ids,
        new_page_ids=receipt.new_page_ids,
        duplicate_page_ids=receipt.duplicate_page_ids,
        queued=queued,
    )


def _batch_out(session: SessionDep, b: Batch, with_pages: bool) -> BatchOut:
    pages = session.exec(select(Page).where(Page.batch_id == b.id).order_by(col(Page.id))).all()
    out = BatchOut(
        id=b.id or 0,
        clinic_code=b.clinic_code,
        clinic_name=clinic.name if (clinic := session.get(Clinic, b.clinic_code)) else "",
        created_at=b.created_at,
        page_count=len(pages),
        status_counts=dict(Counter(str(p.status) for p in pages)),
    )
    if with_pages:
        out.pages = [
            PageStateOut(
                id=p.id or 0,
                batch_id=p.batch_id,
                page_index=p.page_index,
                status=p.status,
                reason=p.reason,
                attempts=p.attempts,
                updated_at=p.updated_at,
            )
            for p in pages
        ]
    return out


@router.get("", response_model=list[BatchOut])
def list_batches(session: SessionDep, who: OverseerDep, limit: int = 50) -> list[BatchOut]:
    batches = session.exec(select(Batch).order_by(col(Batch.id).desc()).limit(limit)).all()
    return [_batch_out(session, b, False) for b in batches]


@router.get("/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: int, session: SessionDep, who: BatchReaderDep) -> BatchOut:
    """A batch's pages and their states: for overseers, and for the scanner workstation that uploaded it."""
    return _batch_out(session, visible_batch(session, who, batch_id), True)
