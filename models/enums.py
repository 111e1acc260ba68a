from __future__ import annotations

from enum import StrEnum


class PageStatus(StrEnum):
    """Life of one scanned page. The database row is the source of truth; rq jobs carry ids only."""

    received = "received"
    queued = "queued"
    processing = "processing"
    extracted = "extracted"
    in_review = "in_review"
    accepted = "accepted"
    committed = "committed"
    rejected = "rejected"
    failed = "failed"
    # Not forms: blank pages and separator sheets are recorded so the page count reconciles.
    skipped = "skipped"


#: pages a reviewer can take from the queue
REVIEWABLE = (PageStatus.extracted, PageStatus.in_review)
#: pages the reconciler may re-queue when they sit past their deadline
REQUEUEABLE = (PageStatus.received, PageStatus.queued, PageStatus.processing)


class Role(StrEnum):
    scanner = "scanner"
    reviewer = "reviewer"
    supervisor = "supervisor"
    staff = "staff"
    admin = "admin"


class Sex(StrEnum):
    male = "1"
    female = "2"
