"""rq job entry point and worker start-up. The job receives a page id only."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time

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


REDIS_WATCH_SECONDS = 5.0


def watch_redis_restarts(settings: Settings, parent: int, every: float = REDIS_WATCH_SECONDS) -> None:
    """A Redis restart empties the queue: the pages that waited there are still `received`/`queued` in the
    database, and would sit until the reconciler's next cron tick. Every worker watches Redis's run id and runs
    the reconciler at once when it changes (re-queueing is idempotent, so several workers doing it is harmless).
    Runs in a process of its own: a thread in the worker would be copied mid-import into every work process the
    worker forks, and deadlock it (seen: a forked work process stuck on an import lock)."""
    from datetime import timedelta

    from intake.queue import redis_conn

    seen = ""
    while True:
        try:
            run_id = str(redis_conn(settings).info("server").get("run_id", ""))
        except Exception:  # noqa: BLE001 — Redis down: wait for it to come back
            run_id = ""
        if run_id and not seen:
            log.info("watching redis (run id %s) for restarts", run_id[:8])
        elif run_id and run_id != seen:
            try:
                with session_scope(settings.effective_database_url) as session:
                    stuck, queued = processing.reconcile(session, settings, timedelta(seconds=0))
                log.warning("redis restarted (run id changed): reconciled at once, %d pages re-queued of %d", queued, stuck)
            except Exception as exc:  # noqa: BLE001 — the next change or the cron reconciler will do it
                log.error("redis restarted, reconcile failed (%s): left to the cron reconciler", type(exc).__name__)
        seen = run_id or seen
        time.sleep(every)
        if os.getppid() != parent:  # the worker is gone: so is its watcher
            return


def wait_for_services(settings: Settings, burst: bool, every: float = 5.0) -> None:
    """Redis and the database before the first page: a one-off (`--burst`) run stops with one line naming what is
    missing; a service (compose) waits, saying so every 30 s — not a work process crashing with a traceback each
    second."""
    from intake.errors import ServiceUnavailable
    from intake.services.readiness import check_database, check_redis

    said = 0.0
    while True:
        bad = [c for c in (check_redis(settings), *check_database(settings)) if not c.ok]
        if not bad:
            return
        what = "; ".join(f"{c.name}: {c.detail}" for c in bad)
        if burst:
            raise ServiceUnavailable(bad[0].code, **{"where": "", **bad[0].params})
        if time.monotonic() - said >= 30:
            log.warning("waiting for %s (%s)", ", ".join(c.name for c in bad), bad[0].fix, extra={"problem": what})
            said = time.monotonic()
        time.sleep(every)


def run_worker(burst: bool = False) -> int:
    """`intake worker`: supervised long-lived work process (default), or rq's fork per page (worker_fork)."""
    settings = get_settings()
    wait_for_services(settings, burst)
    watcher = None
    if not burst:
        ctx = multiprocessing.get_context("fork")
        watcher = ctx.Process(target=watch_redis_restarts, args=(settings, os.getpid()), daemon=True, name="redis-watch")
        watcher.start()
    try:
        return _run(settings, burst)
    finally:
        if watcher is not None and watcher.is_alive():
            watcher.kill()  # it holds nothing: no lock, no transaction worth finishing


def _run(settings: Settings, burst: bool) -> int:
    if not settings.worker_fork:
        from intake.supervisor import supervise

        return supervise(settings, burst=burst)
    from rq import Worker

    ready_worker(settings, Worker).work(burst=burst, logging_level="INFO")
    return 0
