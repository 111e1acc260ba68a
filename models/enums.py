from __future__ import annotations

from enum import StrEnum


class PageStatus(StrEnum):
    """Life of one scanned page. The database row is the source of truth; rq jobs carry ids only. A page is stored
    `queued` in the upload's transaction (its job is enqueued after the commit; a lost job is found by the
    reconciler), and an accepted form is `committed` in the transaction that writes its ledger row: there is no
    state between. The moves allowed are `TRANSITIONS` below."""

    queued = "queued"
    processing = "processing"
    extracted = "extracted"
    in_review = "in_review"
    committed = "committed"
    rejected = "rejected"
    failed = "failed"
    # Not forms: blank pages and separator sheets are recorded so the page count reconciles.
    skipped = "skipped"


_S = PageStatus
#: Every move a page's status may make, in one place (checked by `move`, and by the compare-and-set updates of the
#: reader and the review queue, which name their from-states). committed, rejected and skipped are final for the
#: pipeline: a committed record changes by correction in the ledger, a rejected form comes back as a new scan.
TRANSITIONS: dict[PageStatus, frozenset[PageStatus]] = {
    _S.queued: frozenset({_S.processing, _S.failed}),  # failed: stopped after its attempts (the worker lost each time)
    # processing → processing: claimed again once its lease ran out; committed: the auto-commit step (machine sure)
    _S.processing: frozenset({_S.processing, _S.queued, _S.extracted, _S.committed, _S.skipped, _S.failed}),
    _S.extracted: frozenset({_S.in_review}),
    _S.in_review: frozenset({_S.extracted, _S.in_review, _S.committed, _S.rejected}),  # extracted: released
    _S.committed: frozenset(),
    _S.rejected: frozenset(),
    _S.failed: frozenset(),  # the reason says what to do: re-scan, fix the file
    _S.skipped: frozenset(),
}


class BadTransition(ValueError):
    """A page asked to move where its life does not go: a bug, never a person's mistake."""


def move(current: PageStatus, to: PageStatus) -> PageStatus:
    """The new status, after checking the move is one of TRANSITIONS (else BadTransition)."""
    if to not in TRANSITIONS[current]:
        raise BadTransition(f"page status {current} -> {to} is not a move a page makes")
    return to


def sources_of(to: PageStatus) -> tuple[PageStatus, ...]:
    """The statuses a page may move to `to` from: the WHERE of a compare-and-set update."""
    return tuple(s for s, targets in TRANSITIONS.items() if to in targets)


#: pages a reviewer can take from the queue (what may move to in_review)
REVIEWABLE = sources_of(PageStatus.in_review)
#: pages the reader may claim, and the reconciler re-queue when they sit past their deadline
REQUEUEABLE = sources_of(PageStatus.processing)


class Role(StrEnum):
    scanner = "scanner"
    reviewer = "reviewer"
    supervisor = "supervisor"
    staff = "staff"
    admin = "admin"


class Sex(StrEnum):
    male = "1"
    female = "2"
