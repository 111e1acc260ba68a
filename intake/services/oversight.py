"""What a supervisor oversees, measured: the queue by state, each reviewer's actions and pace, the machine's precision
on QA samples, and how often two blind keyings disagree. Reads only."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Page, PageStatus, ReviewAction, UserAccount
from models.enums import REVIEWABLE
from models.tables import utcnow

FORM_DONE = ("accept", "reject", "defer", "second_entry")  # the actions that finish a reviewer's form
BREAK = timedelta(minutes=10)


def pace(finished_at: list[datetime]) -> float | None:
    """A reviewer's pace: the median seconds between consecutive finished forms. A gap over ten minutes is a
    break, not work, and does not count."""
    gaps = [(b - a).total_seconds() for a, b in zip(finished_at, finished_at[1:], strict=False) if b - a <= BREAK]
    return round(statistics.median(gaps), 1) if gaps else None


def stats(session: Session, since_hours: int = 24) -> dict[str, Any]:
    """For the supervisor page: queue depth by state, and each reviewer's actions and pace."""
    since = utcnow() - timedelta(hours=since_hours)
    by_status = dict(session.exec(select(Page.status, func.count()).group_by(Page.status)).all())
    deferred = session.exec(
        select(func.count()).select_from(Page).where(col(Page.status).in_(REVIEWABLE)).where(col(Page.deferred).is_(True))
    ).one()
    rows = session.exec(
        select(ReviewAction.user_id, ReviewAction.action, func.count())
        .where(col(ReviewAction.at) >= since)
        .group_by(col(ReviewAction.user_id), col(ReviewAction.action))
    ).all()
    per: dict[int, dict[str, Any]] = {}
    for user_id, action, n in rows:
        per.setdefault(user_id, {})[action] = n
    finished = session.exec(
        select(ReviewAction.user_id, ReviewAction.page_id, ReviewAction.at)
        .where(col(ReviewAction.at) >= since, col(ReviewAction.action).in_(FORM_DONE))
        .order_by(col(ReviewAction.at))
    ).all()
    finished_by: dict[int, list[datetime]] = {}
    last_page: dict[int, int] = {}
    for user_id, page_id, at in finished:
        if last_page.get(user_id) != page_id:  # an accept and its second keying finish one form, not two
            finished_by.setdefault(user_id, []).append(at)
        last_page[user_id] = page_id
    for user_id in per:
        seconds = pace(finished_by.get(user_id, []))
        per[user_id].update(
            sec_per_form=seconds, forms_per_hour=None if seconds is None else round(3600 / max(seconds, 0.1))
        )
    return {
        "queue": {str(k): v for k, v in by_status.items()},
        "deferred": deferred,
        "since_hours": since_hours,
        "reviewers": [
            {"user_id": u, "username": getattr(session.get(UserAccount, u), "username", "?"), **a}
            for u, a in sorted(per.items())
        ],
        "qa": qa_stats(session),
        "double_entry": double_entry_stats(session),
    }


def qa_stats(session: Session) -> dict[str, Any]:
    """The machine's precision measured on reviewed QA samples: of the fields it auto-accepted, how many the
    reviewer changed; of the residents it matched automatically, how many the reviewer changed."""
    pages = {
        p.id: p
        for p in session.exec(
            select(Page).where(col(Page.qa_sample).is_(True)).where(Page.status == PageStatus.committed)
        ).all()
    }
    accepts = session.exec(
        select(ReviewAction).where(ReviewAction.action == "accept").where(col(ReviewAction.page_id).in_(list(pages)))
    ).all()
    auto_fields = auto_changed = auto_matches = match_changed = forms_changed = 0
    for a in accepts:
        page = pages[a.page_id]
        changed = set(a.detail.get("changed", []))
        sure = [k for k, f in page.extraction.fields.items() if f.auto_ok]
        auto_fields += len(sure)
        auto_changed += sum(1 for k in sure if k in changed)
        if page.match.decision == "auto":
            auto_matches += 1
            match_changed += a.detail.get("atena_no") != page.match.atena_no
        forms_changed += bool(changed) or a.detail.get("atena_no") != page.match.atena_no
    waiting = session.exec(
        select(Page.id).where(col(Page.qa_sample).is_(True)).where(col(Page.status).in_(("extracted", "in_review")))
    ).all()
    return {
        "reviewed": len(accepts),
        "waiting": len(waiting),
        "forms_corrected": forms_changed,
        "auto_fields": auto_fields,
        "auto_fields_corrected": auto_changed,
        "auto_field_precision": round(1 - auto_changed / auto_fields, 4) if auto_fields else None,
        "auto_matches": auto_matches,
        "auto_matches_corrected": match_changed,
        "auto_match_precision": round(1 - match_changed / auto_matches, 4) if auto_matches else None,
    }


def double_entry_stats(session: Session) -> dict[str, Any]:
    """For the supervisor page: how often two blind keyings disagree, per field."""
    rows = session.exec(select(ReviewAction).where(ReviewAction.action == "second_entry")).all()
    per_field: dict[str, list[int]] = {}
    for r in rows:
        differ_names = {d.split(":")[0] for d in r.detail.get("differ", [])}
        for name in r.detail.get("fields", []):
            seen = per_field.setdefault(name, [0, 0])
            seen[0] += 1
            seen[1] += name in differ_names
    disagreed = sum(1 for r in rows if not r.detail.get("agree"))
    return {
        "pairs": len(rows),
        "disagreed": disagreed,
        "disagreement_rate": round(disagreed / len(rows), 4) if rows else None,
        "by_field": {k: {"pairs": v[0], "disagreed": v[1]} for k, v in sorted(per_field.items())},
    }
