"""Ingest: a scanner's bundle → a batch of pages, originals stored, pages queued.

Every file is probed before anything is stored: one bad file refuses the whole upload with a message
naming it, so a batch is never half-stored. The same file uploaded twice creates no second page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from intake.errors import BadInput, NotFound, TooLarge, UnknownClinic, UnreadableFile, UnsupportedFile
from intake.services import audit
from intake.services.auth import Principal
from intake.settings import Settings
from intake.store import ContentStore, sha256_of
from models import Batch, Clinic, Original, Page, PageStatus, Role
from ocr.decode import DecodeError, FileProbe, Limits, probe

log = logging.getLogger("intake.ingest")


@dataclass
class UploadedFile:
    filename: str
    data: bytes


@dataclass
class BatchReceipt:
    batch_id: int
    page_ids: list[int]
    duplicate_page_ids: list[int] = field(default_factory=list)  # pages already received earlier
    new_page_ids: list[int] = field(default_factory=list)


def limits_of(settings: Settings) -> Limits:
    return Limits(max_pages=settings.max_pages_per_file, max_pixels=settings.max_pixels_per_page)


def probe_all(files: list[UploadedFile], settings: Settings) -> list[FileProbe]:
    if not files:
        raise BadInput("upload.empty")
    probes = []
    for f in files:
        if len(f.data) > settings.max_upload_bytes:
            raise TooLarge(
                "upload.too_large",
                name=f.filename,
                size=len(f.data) // 1_000_000,
                limit=settings.max_upload_bytes // 1_000_000,
            )
        try:
            probes.append(probe(f.data, limits_of(settings)))
        except DecodeError as exc:
            err = UnsupportedFile if exc.code in ("refused", "unknown_type") else UnreadableFile
            raise err(f"decode.{exc.code}", name=f.filename, **exc.params) from exc
    return probes


def create_batch(
    session: Session, store: ContentStore, settings: Settings, clinic_code: str, files: list[UploadedFile], uploaded_by: str
) -> BatchReceipt:
    if session.get(Clinic, clinic_code) is None:
        raise UnknownClinic("upload.unknown_clinic", value=clinic_code)
    probes = probe_all(files, settings)
    batch = Batch(clinic_code=clinic_code, uploaded_by=uploaded_by, file_count=len(files))
    session.add(batch)
    session.flush()
    assert batch.id is not None
    receipt = BatchReceipt(batch.id, [])
    for f, p in zip(files, probes, strict=True):
        digest = sha256_of(f.data)
        existing = session.get(Original, digest)
        if existing is not None:
            ids = session.exec(select(Page.id).where(Page.original_sha256 == digest).order_by(col(Page.page_index))).all()
            receipt.duplicate_page_ids += [i for i in ids if i is not None]
            receipt.page_ids += [i for i in ids if i is not None]
            continue
        store.put(f.data)  # stored before the row that points to it; a crash leaves an orphan file, never a dangling row
        session.add(
            Original(
                sha256=digest,
                batch_id=batch.id,
                filename=f.filename[:200],
                media_type=p.media_type,
                size=len(f.data),
                page_count=p.page_count,
            )
        )
        for i in range(p.page_count):
            page = Page(batch_id=batch.id, original_sha256=digest, page_index=i, status=PageStatus.queued)
            session.add(page)
            session.flush()
            assert page.id is not None
            receipt.page_ids.append(page.id)
            receipt.new_page_ids.append(page.id)
    batch.page_count = len(receipt.new_page_ids)
    session.add(batch)
    audit.record(session, uploaded_by, "batch.upload", "batch", str(batch.id))
    session.commit()
    log.info(
        "batch=%s clinic=%s files=%d new_pages=%d duplicate_pages=%d",
        batch.id,
        clinic_code,
        len(files),
        len(receipt.new_page_ids),
        len(receipt.duplicate_page_ids),
    )
    return receipt


def visible_batch(session: Session, who: Principal, batch_id: int) -> Batch:
    """The batch, if `who` may see it: overseers see every batch; a scanner key only the batches it uploaded (a
    workstation follows its own uploads, never another clinic's)."""
    batch = session.get(Batch, batch_id)
    if batch is None or (who.role == Role.scanner and batch.uploaded_by != who.actor):
        raise NotFound("batch.not_found", batch=batch_id)
    return batch
