"""The clinic on the record is the clinic that vaccinated: the name the reader read from the form's stamp (its first
printed line) is looked up in the clinic master; a stamp that names another clinic than the batch's — a bundle from
one clinic can hold another's forms — sends the form to a reviewer with both named. A stamp not read, or not clearly
one clinic, says nothing (the batch's clinic stands, as before)."""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher

from sqlmodel import Session, select

from intake.services import reasons
from models import Batch, Clinic
from models.page_state import Reason

# Measured on synthetic stamps (tools.dev eval-stamps): PP-OCR's reading of a red stamp's first line agrees with the
# clinic's name at ratio ≥ 0.6 when it is that clinic, ≤ 0.35 when it is another of the master's; a clear winner
# also needs this margin over the runner-up, so two clinics of like names (…小児科) never decide it.
SAME = 0.6
MARGIN = 0.25


def _plain(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def stamped_clinic(clinics: list[Clinic], text: str) -> Clinic | None:
    """The clinic of the master the stamp's text names, if one clearly."""
    read = _plain(text)
    if len(read) < 3:
        return None
    scored = sorted(
        ((SequenceMatcher(None, read, _plain(c.name)[: len(read) + 2]).ratio(), c) for c in clinics),
        key=lambda sc: sc[0],
        reverse=True,
    )
    if not scored or scored[0][0] < SAME:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < MARGIN:
        return None
    return scored[0][1]


def check(session: Session, batch_id: int, stamp_text: str) -> list[Reason]:
    """[] when the stamp agrees with the batch's clinic or says nothing clearly; else the reason naming both."""
    if not stamp_text:  # most pages on a bad scan: nothing to look up
        return []
    batch = session.get(Batch, batch_id)
    stamped = stamped_clinic(list(session.exec(select(Clinic))), stamp_text)
    if batch is None or stamped is None or stamped.code == batch.clinic_code:
        return []
    ours = session.get(Clinic, batch.clinic_code)
    return [
        reasons.reason(
            "clinic.other_than_batch",
            stamp=stamped.name,
            stamp_code=stamped.code,
            batch=ours.name if ours else batch.clinic_code,
            batch_code=batch.clinic_code,
        )
    ]
