"""The rq job (it receives a page id only) and a worker made ready for pages. Starting workers — waiting for the
services, the Redis watcher, the supervised or forking worker — is intake.worker_start."""

from __future__ import annotations

import logging
import os

from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty
from rq.worker import BaseWorker

from intake.db import session_scope
from intake.services import processing
from intake.settings import Settings, get_settings
from intake.store import ContentStore

log = logging.getLogger("intake.worker")


class PageTimeout(BaseException):
    """A page over its time limit. A BaseException, so that no `except Exception` in a stage (a decoder turning
    any error into "cannot be read") can swallow the limit or give it the wrong reason."""


class PageTimeoutPenalty(UnixSignalDeathPenalty):
    """rq's alarm, raising PageTimeout; set as the workers' death_penalty_class."""

    def handle_death_penalty(self, signum: int, frame: object) -> None:
        raise PageTimeout(f"the page exceeded its time limit ({self._timeout} s)")


def process_page_job(page_id: int) -> str | None:
    settings = get_settings()
    url = settings.effective_database_url
    holder = processing.worker_id()
    with session_scope(url) as session:
        try:
            status = processing.process(session, ContentStore(settings.store_dir), settings, page_id, holder)
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
            processing.record_error(
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
            final = processing.record_error(
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
