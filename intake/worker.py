"""The rq job (it receives a page id only) and a worker made ready for pages. Starting workers — waiting for the
services, the Redis watcher, the supervised or forking worker — is intake.worker_start."""

from __future__ import annotations

import logging
import os
from dataclasses import replace

from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty
from rq.worker import BaseWorker
from sqlmodel import Session

from intake.db import session_scope
from intake.services import auto_commit, processing, reading_lease
from intake.settings import Settings, get_settings
from intake.store import ContentStore
from models import Page, PageStatus

log = logging.getLogger("intake.worker")


class PageTimeout(BaseException):
    """A page over its time limit. A BaseException, so that no `except Exception` in a stage (a decoder turning
    any error into "cannot be read") can swallow the limit or give it the wrong reason."""


class PageTimeoutPenalty(UnixSignalDeathPenalty):
    """rq's alarm, raising PageTimeout; set as the workers' death_penalty_class."""

    def handle_death_penalty(self, signum: int, frame: object) -> None:
        raise PageTimeout(f"the page exceeded its time limit ({self._timeout} s)")


def read_page(
    session: Session, store: ContentStore, settings: Settings, page_id: int, holder: str | None = None
) -> PageStatus | None:
    """The worker's steps for one delivered page id: claim the reading lease → extract → auto-commit (a form the
    machine is sure of, where the ward allows it) → write the result under the lease. None: not ours to read (done,
    or leased to another), or the lease was lost before the result could be written (it is then discarded)."""
    holder = holder or reading_lease.worker_id()
    page = reading_lease.claim(session, page_id, settings, holder)
    if page is None:
        return None
    read = processing.extract(session, store, settings, page, holder)
    if read.sure and settings.auto_commit:
        if not reading_lease.holds_lease(session, page, holder):  # locked until this transaction ends
            session.rollback()
            _lost(page, holder)
            return None
        if auto_commit.commit_sure(session, page, settings):
            read = replace(read, status=PageStatus.committed, reason="committed automatically (machine sure)")
    status = processing.finish(session, read, settings)
    if status is None:
        _lost(page, holder)
    return status


def _lost(page: Page, holder: str) -> None:
    log.warning(
        "page=%s late result discarded: attempt %d by %s lost its lease (the page was claimed again)",
        page.id,
        page.attempts,
        holder,
    )


def process_page_job(page_id: int) -> str | None:
    settings = get_settings()
    url = settings.effective_database_url
    holder = reading_lease.worker_id()
    with session_scope(url) as session:
        try:
            status = read_page(session, ContentStore(settings.store_dir), settings, page_id, holder)
        except (PageTimeout, JobTimeoutException):
            # rq interrupted the page at its time limit: a retry would hang the same way, so fail it now.
            session.rollback()
            log.error(
                "page=%s error=timeout limit=%ss",
                page_id,
                settings.page_timeout_seconds,
                exc_info=True,
                extra={"page": page_id, "error": "timeout"},
            )
            reading_lease.record_error(
                session,
                page_id,
                0,
                f"reading the page took longer than {settings.page_timeout_seconds} s "
                "(damaged or oversized scan): re-scan it at 200–400 dpi",
                holder,
            )
            return "failed"
        except Exception as exc:  # a bug or a fault: the page is marked failed with the reason, never lost
            session.rollback()
            timings = getattr(exc, "stage_timings_ms", {})
            reached = next(reversed(timings), "start") if timings else "start"
            log.error(
                "page=%s failed after stage %s: %s: %s",
                page_id,
                reached,
                type(exc).__name__,
                exc,
                exc_info=True,
                extra={"page": page_id, "stage_timings_ms": timings, "error": type(exc).__name__},
            )
            final = reading_lease.record_error(
                session,
                page_id,
                settings.job_max_attempts,
                f"internal error while reading the page ({type(exc).__name__}); an operator can re-queue it",
                holder,
            )
            if not final:
                raise  # rq's Retry runs it again; the page is back in `queued`
            return "failed"
    return str(status) if status else None


def ready_worker(settings: Settings, worker_class: type[BaseWorker]) -> BaseWorker:
    """A worker of `worker_class` on the page queue, with everything a page needs loaded first — models,
    template, the register's frequencies — so no page pays for it (a forking worker's horses inherit it), and the
    page time limit raised as PageTimeout."""
    from intake.queue import get_queue, redis_conn
    from intake.services.matcher import cached_stats
    from intake.services.schedule_data import schedule
    from ocr.pipeline import warm_up
    from ocr.template import load_template

    schedule()  # validated before the first page: a typo in the schedule data stops the worker with the line named
    if settings.worker_nice:
        # Reading pages is throughput work, a reviewer's Enter is latency work: on a machine that runs both, the
        # reader yields the CPU first (bench-ui beside a busy worker: p95 Enter → next form 296/285/410 ms at nice
        # 0, see README for nice 10).
        os.nice(settings.worker_nice)
    warm_up(load_template(settings.template_version))
    with session_scope(settings.effective_database_url) as session:
        cached_stats(session)
    conn = redis_conn(settings)
    worker = worker_class([get_queue(settings, conn)], connection=conn)
    worker.death_penalty_class = PageTimeoutPenalty
    return worker
