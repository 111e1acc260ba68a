"""`intake worker`: wait for Redis and the database, watch Redis for restarts, then run the supervised work process
(intake.supervisor) or rq's fork per page. The job and the worker's readiness are intake.worker; this module only
starts them (so the supervisor and the worker do not import each other)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from datetime import timedelta

from rq import Worker

from intake.db import session_scope
from intake.errors import ServiceUnavailable
from intake.queue import redis_conn
from intake.services import reading_lease
from intake.services.readiness import check_database, check_redis
from intake.settings import Settings, get_settings
from intake.supervisor import supervise
from intake.worker import ready_worker

log = logging.getLogger("intake.worker")


REDIS_WATCH_SECONDS = 5.0


def watch_redis_restarts(settings: Settings, parent: int, every: float = REDIS_WATCH_SECONDS) -> None:
    """A Redis restart empties the queue: the pages that waited there are still `received`/`queued` in the
    database, and would sit until the reconciler's next cron tick. Every worker watches Redis's run id and runs
    the reconciler at once when it changes (re-queueing is idempotent, so several workers doing it is harmless).
    Runs in a process of its own: a thread in the worker would be copied mid-import into every work process the
    worker forks, and deadlock it (seen: a forked work process stuck on an import lock)."""
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
                    stuck, queued = reading_lease.reconcile(session, settings, timedelta(seconds=0))
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
        return supervise(settings, burst=burst)
    ready_worker(settings, Worker).work(burst=burst, logging_level="INFO")
    return 0
