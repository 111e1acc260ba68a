"""QA sampling: the machine's real precision is measured on reviewed forms, not assumed.

A set share of forms (INTAKE_QA_SAMPLE_RATE) is marked as a QA sample: the reviewer checks every field against
the image, the ones the machine auto-accepted (✓, no stop in ordinary review) included. What the reviewer changes
among those is the machine's error on auto-accepted fields; a changed resident on an automatic match is the
matcher's. (A form the machine was sure of and that is not a sample may be committed without review: that step
is intake.services.auto_commit.)
"""

from __future__ import annotations

import hashlib

from intake.services import reasons
from intake.settings import Settings
from models import Page

QA_REASON = reasons.reason(reasons.QA_SAMPLE)


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
