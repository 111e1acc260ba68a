"""Reading one claimed page: decode → recognize → match → the page's typed state, and where it goes (extracted,
failed, skipped); the lease it is read under is intake.services.reading_lease, the steps' order intake.worker.read_page.

Side effects stay at the edges: the ocr pipeline is pure; this module loads, stores and updates state.
"""

from __future__ import annotations

import io
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from PIL import Image
from sqlmodel import Session, select

from intake.messages import text_of
from intake.services import clinic_check, issuance, qa, vaccine_facts
from intake.services import reasons as reasons_of
from intake.services.ingest import limits_of
from intake.services.matching import match_identity
from intake.services.reading_lease import write_outcome
from intake.settings import Settings
from intake.store import ContentStore
from models import Lot, Original, Page, PageStatus, Resident, Vaccine
from models.page_state import Alignment, Extraction, FieldState, IdentityRead
from ocr.codes import FormIdentity
from ocr.decode import decode_page
from ocr.fields import ReadContext
from ocr.pipeline import process_page
from ocr.template import load_template
from ocr.types import PageResult, PageUnreadable

log = logging.getLogger("intake.worker")


def context_for(session: Session, identity: FormIdentity | None) -> ReadContext:
    lots = {lot.lot_number: lot.vaccine_code for lot in session.exec(select(Lot)).all()}
    ctx = ReadContext(known_lots=lots, today=date.today())
    if identity is not None:
        ctx.vaccine_code = identity.vaccine_code
        r = session.get(Resident, identity.atena_no)
        ctx.birth_date = r.birth_date if r else None
        # the form is read days after the vaccination: its age-dependent amount is taken at today's age
        v = session.get(Vaccine, identity.vaccine_code)
        ctx.expected_dose_ml = vaccine_facts.expected_dose_ml(
            identity.vaccine_code, identity.dose_no, ctx.today, ctx.birth_date, v.dose_ml if v else None
        )
    return ctx


@dataclass
class Read:
    """A claimed page after extraction: its typed state set on `page` (not yet written), whether the machine is sure
    of every field and the resident (the auto-commit step's question), and the status it goes to otherwise."""

    page: Page
    lease: tuple[int, str]  # (attempt, holder): the result is written only while this lease is held
    status: PageStatus
    reason: str = ""
    sure: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def extract(session: Session, store: ContentStore, settings: Settings, page: Page, holder: str) -> Read:
    """Read a claimed page: decode → recognize → match. Sets the page's typed state (`extraction`, `match`, review
    reasons) and says where the page goes; writes nothing (see `finish`)."""
    lease = (page.attempts, holder)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        original = session.get(Original, page.original_sha256)
        assert original is not None
        img = decode_page(store.get(original.sha256), original.media_type, page.page_index, limits_of(settings))
        timings["decode"] = round((time.perf_counter() - started) * 1000, 1)
        result = process_page(
            img, load_template(settings.template_version), lambda i: context_for(session, i), timings=timings
        )
    except PageUnreadable as exc:
        return Read(page, lease, PageStatus.failed, reason=str(exc), timings=timings)
    except BaseException as exc:  # the operator's log names the stage it reached (see intake.worker)
        exc.stage_timings_ms = timings  # type: ignore[attr-defined]
        raise
    if result.page_kind in ("blank", "separator"):
        return Read(page, lease, PageStatus.skipped, reason=f"page is {result.page_kind}", timings=timings)
    reg = result.registration
    page.image_sha256 = store.put(_jpeg(reg.image if reg is not None and reg.image is not None else img))
    page.layout = settings.template_version if reg is not None and reg.ok else None
    assert page.id is not None
    registry = issuance.check_at_intake(session, settings, result.identity, result.identity_source, page.id)
    ident = registry.identity  # a printed id the registry vouches for carries the registry's vaccine and dose
    page.form_no = ident.form_no if ident else None
    page.atena_no_read = ident.atena_no if ident else None
    page.extraction = extraction_of(result, ident)
    page.match = match_identity(
        session, ident, settings.municipality_code, result.identity_source, result.printed, registry.anchored
    )
    stamp = result.fields.get("clinic_stamp")
    stamp_text = str(stamp.evidence.get("text", "")) if stamp is not None else ""
    found = [reasons_of.of(m) for m in result.review_reasons] + registry.reasons
    found += clinic_check.check(session, page.batch_id, stamp_text)
    if result.page_kind == "unknown":
        found.append(reasons_of.reason("page.not_ward_form"))
    doubtful = [n for n, r in result.fields.items() if not r.auto_ok]
    if doubtful:
        found.append(reasons_of.reason(reasons_of.CHECK, fields=doubtful))
    if page.match.decision != "auto":  # the matcher's why: its verdict (match.*) and any notes
        found.extend(page.match.explanation)
    page.needs_review_reasons = found
    sample = result.page_kind == "form" and qa.mark_sample(page, settings)
    sure = not found and not sample and result.page_kind == "form"  # the machine is sure of every field and resident
    return Read(page, lease, PageStatus.extracted, sure=sure, timings=timings)


def extraction_of(result: PageResult, ident: FormIdentity | None) -> Extraction:
    """The reader's result as the page stores it, with `ident`: the identity read, as the registry completed it."""
    reg = result.registration
    identity = IdentityRead(
        source=result.identity_source,  # qr | digits | none (ocr.pipeline)
        problem=[reasons_of.of(m) for m in result.identity_problem] if ident is None else [],
        **(
            {}
            if ident is None
            else {
                "municipality_code": ident.municipality_code,
                "atena_no": ident.atena_no,
                "vaccine_code": ident.vaccine_code,
                "dose_no": ident.dose_no,
                "form_no": ident.form_no,
                "layout": ident.layout,
            }
        ),
    )
    fields = {
        name: FieldState(
            kind=r.kind,
            value=r.value,
            confidence=round(r.confidence, 4),
            engine=r.engine,
            evidence=r.evidence,
            messages=[reasons_of.of(m) for m in r.messages],
            auto_ok=r.auto_ok,
        )
        for name, r in result.fields.items()
    }
    alignment = None
    if reg is not None:
        residual = reg.residual_mm if math.isfinite(reg.residual_mm) else None
        alignment = Alignment(markers_found=reg.markers_found, residual_mm=residual, trusted=reg.trusted)
    return Extraction(fields=fields, identity=identity, printed=dict(result.printed), alignment=alignment)


def finish(session: Session, read: Read, settings: Settings) -> PageStatus | None:
    """Write what was read, under the lease (None: the lease was lost, nothing written)."""
    said = read.reason
    if read.status == PageStatus.extracted:
        said = "; ".join(text_of(r, settings.lang) for r in read.page.needs_review_reasons[:3])
    return write_outcome(session, read.page, read.status, reason=said, lease=read.lease, timings=read.timings)


def _jpeg(img: np.ndarray) -> bytes:
    """The registered page, for display and crops in review only (the original stays the evidence).
    JPEG q90 costs ~5 ms where PNG cost ~120 ms per page."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=90)
    return buf.getvalue()
