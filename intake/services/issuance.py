"""The issuance registry: every form the ward issues is on record — issued once, reissued with the old one voided,
received once.

A form's 予診票番号 is its row's id from the database's sequence (PostgreSQL's identity sequence, SQLite's
AUTOINCREMENT: never reused, never chosen by an operator; two print runs at once draw different ids), offset by
INTAKE_FORM_NO_START — above every number printed before the registry — with a Luhn check digit. The number is
written in the same transaction as the rows of a print run; the caller commits it with the PDF it wrote.

At intake (`check_at_intake`, run by the reader for a verified QR, or for the id printed under it when the QR itself
could not be read — both check digits verified): the number must be on record, not voided, for this resident (and, from
a QR, this vaccine and dose), and not received before — each failure is a review reason, never an automatic commit. A
number that passes is an identity anchor: the form may match its resident even when the printed block was not read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from intake.errors import BadInput, NotFound
from intake.services import audit, reasons
from intake.services.auth import Principal
from intake.services.vaccine_facts import series_length
from intake.settings import Settings
from models import IssuedForm, Page, Resident, Vaccine
from models.page_state import Reason
from ocr.codes import FormIdentity, form_no_valid, make_form_no


class Channel(StrEnum):
    mailing = "mailing"  # the monthly mailing (print-bulk)
    counter = "counter"  # 窓口再発行: one form printed at the counter
    request = "request"  # with a 依頼書


@dataclass(frozen=True)
class Wanted:
    atena_no: str
    vaccine_code: str
    dose_no: int


def number_of(settings: Settings, row_id: int) -> str:
    return make_form_no(settings.form_no_start + row_id - 1)


def row_id_of(settings: Settings, form_no: str) -> int | None:
    """The registry row a number names; None for a number below the registry's first (printed before it)."""
    if not form_no_valid(form_no):
        return None
    row_id = int(form_no[:10]) - settings.form_no_start + 1
    return row_id if row_id >= 1 else None


def issuable(session: Session, wanted: Wanted) -> tuple[Resident, Vaccine]:
    """The resident and vaccine of a form or letter about to be issued, refused with the reason: not in the register,
    moved out or died, a vaccine not in the master, a dose its series does not have."""
    r, v = session.get(Resident, wanted.atena_no), session.get(Vaccine, wanted.vaccine_code)
    if r is None:
        raise NotFound("resident.not_found", atena_no=wanted.atena_no)
    if r.deleted or r.move_reason:  # moved out, died: the ward issues nothing
        raise BadInput("form.resident_gone", atena_no=r.atena_no, reason=r.move_reason or "削除")
    if v is None:
        raise NotFound("vaccine.not_in_master", value=wanted.vaccine_code)
    doses = series_length(session, v.code)
    if not 1 <= wanted.dose_no <= doses:
        raise BadInput("vaccine.no_such_dose", vaccine=v.name, doses=doses, dose=wanted.dose_no)
    return r, v


def issue(
    session: Session, settings: Settings, wanted: list[Wanted], channel: Channel, issued_by: str, today: date
) -> list[IssuedForm]:
    """Rows for the forms about to be printed, numbered from the sequence; not committed (the caller commits them
    with what it printed, so a failed print leaves no half record)."""
    rows = [
        IssuedForm(
            atena_no=w.atena_no,
            vaccine_code=w.vaccine_code,
            dose_no=w.dose_no,
            channel=channel.value,
            issued_on=today,
            issued_by=issued_by,
            department=settings.issuing_department,
            printed_on=today,
        )
        for w in wanted
    ]
    session.add_all(rows)
    session.flush()  # the ids: drawn from the sequence, so two runs at once never share one
    for row in rows:
        assert row.id is not None
        row.form_no = number_of(settings, row.id)
    return rows


def reissue(
    session: Session, settings: Settings, wanted: Wanted, reason: str, issued_by: str, today: date
) -> tuple[IssuedForm, list[IssuedForm]]:
    """窓口再発行: a new number for the resident's form for this vaccine and dose; the numbers issued before for it
    are voided (予診票無効フラグ) with the reason. (new row, voided rows); not committed."""
    earlier = list(
        session.exec(
            select(IssuedForm)
            .where(IssuedForm.atena_no == wanted.atena_no)
            .where(IssuedForm.vaccine_code == wanted.vaccine_code)
            .where(IssuedForm.dose_no == wanted.dose_no)
            .order_by(col(IssuedForm.id))
            .with_for_update()
        ).all()
    )
    voided = [row for row in earlier if not row.voided and row.received_page_id is None]
    for row in voided:
        row.voided, row.void_reason, row.voided_on = True, reason[:200], today
        session.add(row)
    (new,) = issue(session, settings, [wanted], Channel.counter, issued_by, today)
    new.reissue_no = max((row.reissue_no for row in earlier), default=-1) + 1
    new.replaces = earlier[-1].id if earlier else None
    session.add(new)
    audit.record(session, issued_by, "form.reissue", "resident", wanted.atena_no)
    return new, voided


def mark_sent(session: Session, issued_on: date, sent_on: date, who: str) -> int:
    """発送日: the monthly mailing printed on `issued_on` went to the post on `sent_on` (forms not voided, not sent
    yet). How many; committed and audited."""
    if sent_on < issued_on:
        raise BadInput("forms.sent_before_printed", sent=str(sent_on), printed=str(issued_on))
    n = session.execute(
        update(IssuedForm)
        .where(col(IssuedForm.channel) == Channel.mailing.value)
        .where(col(IssuedForm.issued_on) == issued_on)
        .where(col(IssuedForm.sent_on).is_(None))
        .where(~col(IssuedForm.voided))
        .values(sent_on=sent_on)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    audit.record(session, who, "form.sent", "forms", f"{issued_on}:{n}")
    session.commit()
    return int(n)


def issued_to(session: Session, who: Principal, atena_no: str) -> list[IssuedForm]:
    """Every form issued to a resident (voided ones included), oldest first; the read is audited."""
    rows = list(session.exec(select(IssuedForm).where(IssuedForm.atena_no == atena_no).order_by(col(IssuedForm.id))).all())
    audit.record(session, who.actor, "form.issued_read", "resident", atena_no)
    session.commit()
    return rows


@dataclass(frozen=True)
class Verdict:
    reasons: list[Reason]
    anchored: bool  # on record for this resident, vaccine and dose, not voided, received here first
    identity: FormIdentity | None = None  # as read; from the printed id, completed with the registry's vaccine and dose


def check_at_intake(
    session: Session, settings: Settings, identity: FormIdentity | None, source: str, page_id: int
) -> Verdict:
    """The registry's word on a page whose QR was read (verified by its check digits), or whose QR was not but the
    id printed under it was (市区町村コード and 予診票番号 check digits verified; it carries no vaccine or dose, so
    those are taken from the registry once it agrees on the resident — scan damage that hid the QR costs no anchor).
    Marks the number received by this page in the caller's transaction (a compare-and-set: of two pages with one
    number, one is first)."""
    if identity is None or source not in ("qr", "digits"):
        return Verdict([], False, identity)  # no id read: other municipalities' forms, old stock — matched as before
    row_id = row_id_of(settings, identity.form_no)
    if row_id is None:  # printed before the registry
        refused = settings.form_registry == "enforce"
        return Verdict([reasons.reason("registry.unknown", form_no=identity.form_no)] if refused else [], False, identity)
    row = session.get(IssuedForm, row_id)
    if row is None or row.form_no != identity.form_no:
        return Verdict([reasons.reason("registry.unknown", form_no=identity.form_no)], False, identity)
    found: list[Reason] = []
    if row.voided:
        found.append(reasons.reason("registry.voided", form_no=row.form_no, on=str(row.voided_on), note=row.void_reason))
    if source == "digits" and row.atena_no == identity.atena_no:  # the printed id names the resident and number only
        identity = replace(identity, vaccine_code=row.vaccine_code, dose_no=row.dose_no)
    if (row.atena_no, row.vaccine_code, row.dose_no) != (identity.atena_no, identity.vaccine_code, identity.dose_no):
        found.append(
            reasons.reason(
                "registry.other_form",
                form_no=row.form_no,
                atena_no=row.atena_no,
                vaccine=row.vaccine_code,
                dose=row.dose_no,
            )
        )
    taken = session.execute(
        update(IssuedForm)
        .where(col(IssuedForm.id) == row_id)
        .where(or_(col(IssuedForm.received_page_id).is_(None), col(IssuedForm.received_page_id) == page_id))
        .values(received_page_id=page_id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        first = session.get(Page, row.received_page_id) if row.received_page_id else None
        found.append(
            reasons.reason(
                "registry.received", form_no=row.form_no, batch=first.batch_id if first else "?", page=row.received_page_id
            )
        )
    return Verdict(found, not found, identity)
