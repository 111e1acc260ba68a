"""What an operator on call asks first (`intake status`): is it ready, how full is the queue, what state are the
pages in, what failed and why, which workers are alive, how long the oldest page has waited."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from intake.services.readiness import Check, readiness
from intake.settings import Settings
from models import Page, PageStatus
from models.tables import utcnow


@dataclass
class WorkerInfo:
    name: str
    state: str  # idle | busy | …
    page_id: str  # the page being read, or ""
    last_seen_seconds: float


@dataclass
class FailedPage:
    page_id: int
    batch_id: int
    reason: str
    at: datetime


@dataclass
class Status:
    checks: list[Check]
    pages: dict[str, int] = field(default_factory=dict)
    queue_depth: int | None = None  # None: Redis not reachable
    running: int | None = None
    workers: list[WorkerInfo] = field(default_factory=list)
    oldest_waiting_seconds: float | None = None
    failures: list[FailedPage] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks)


def _age(at: datetime, now: datetime) -> float:
    return max(0.0, (now.replace(tzinfo=None) - at.replace(tzinfo=None)).total_seconds())


def status(settings: Settings, session: Session | None, failures: int = 10) -> Status:
    """`session` None: the database is not usable (see the checks); the rest is still reported."""
    out = Status(checks=readiness(settings))
    if session is not None and all(c.ok for c in out.checks if c.name in ("database", "schema")):
        now = utcnow()
        out.pages = {str(s): n for s, n in session.exec(select(Page.status, func.count()).group_by(Page.status)).all()}
        oldest = session.exec(select(func.min(Page.created_at)).where(col(Page.status) == PageStatus.queued)).one()
        out.oldest_waiting_seconds = _age(oldest, now) if oldest else None
        failed = session.exec(
            select(Page).where(Page.status == PageStatus.failed).order_by(col(Page.updated_at).desc()).limit(failures)
        ).all()
        out.failures = [FailedPage(p.id or 0, p.batch_id, p.reason, p.updated_at) for p in failed]
    if next(c for c in out.checks if c.name == "redis").ok:
        from rq import Worker

        from intake.queue import get_queue, redis_conn

        conn = redis_conn(settings)
        q = get_queue(settings, conn)
        out.queue_depth, out.running = q.count, q.started_job_registry.count
        now = utcnow()
        for w in Worker.all(queue=q):  # this installation's queue only: a shared Redis serves others too
            job = w.get_current_job_id() or ""
            page = ""
            if job:
                page = job.rsplit("-", 1)[-1] if "-" in job else job
            seen = w.last_heartbeat
            out.workers.append(
                WorkerInfo(w.name or socket.gethostname(), str(w.get_state()), page, _age(seen, now) if seen else -1.0)
            )
    return out
