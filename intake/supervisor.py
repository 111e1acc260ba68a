"""`intake worker`: one long-lived work process, watched by a small parent that can kill and replace it.

rq's classic Worker forks a fresh work horse for every job, so that a page stuck in native code (a PDF that
loops in the renderer) can be killed without losing the worker. That costs a fork per page (~55–75 ms, measured
with `python -m tools.dev bench-queue`). This keeps the guarantee without paying it per page:

- the parent forks one child, which loads the models once and runs rq's SimpleWorker (jobs in-process);
- around each job the child writes the page id and its start time into memory shared with the parent;
- rq's own alarm stops an ordinarily slow page at `page_timeout_seconds` (the page fails with the reason);
- a page still running `page_kill_grace_seconds` later has frozen the child where the alarm cannot reach it:
  the parent kills the child, fails the page with the reason, and starts a new child;
- a child that dies on its own (killed by the kernel, a crash in native code) is replaced, and its page goes
  back to the queue while attempts remain (the reconciler would find it too, later);
- SIGTERM/SIGINT are passed to the child: rq finishes the page in hand, then both exit.

The parent never loads the models or opens the database until it has to record a lost page.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from multiprocessing.sharedctypes import RawArray
from types import FrameType
from typing import Any

from rq import SimpleWorker

from intake.settings import Settings
from intake.worker import ready_worker

log = logging.getLogger("intake.worker")

CRASH_LIMIT = 5  # children lost within CRASH_WINDOW_S: something is wrong with the machine, not a page
CRASH_WINDOW_S = 60.0


class WatchedWorker(SimpleWorker):
    """rq's SimpleWorker that tells the supervisor which page it is on, and since when."""

    current: Any = None  # RawArray('d', 2): [page id, time.monotonic() at start]; 0 = idle

    def execute_job(self, job: Any, queue: Any) -> Any:
        # start time first, page id last: the parent reads the page id as "a page is running since [1]"
        self.current[1] = time.monotonic()
        self.current[0] = float(job.args[0]) if job.args else 0.0
        try:
            return super().execute_job(job, queue)
        finally:
            self.current[0] = 0.0


def _child(settings: Settings, current: Any, burst: bool) -> None:
    worker = ready_worker(settings, WatchedWorker)
    if settings.worker_metrics_port:
        # in the work process, where pages are read (a replaced work process binds the port again)
        from prometheus_client import start_http_server

        start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
    assert isinstance(worker, WatchedWorker)
    worker.current = current
    worker.work(burst=burst, logging_level="INFO")


def _record_lost_page(settings: Settings, page_id: int, reason: str, final: bool, holder: str) -> None:
    """The page the child was on when it was killed or died: failed (final) or back to the queue. If the database
    cannot be reached now, the page stays `processing` past its deadline and `intake reconcile` re-queues it."""
    from intake.db import session_scope
    from intake.queue import enqueue_pages
    from intake.services import reading_lease

    try:
        with session_scope(settings.effective_database_url) as session:
            done = reading_lease.record_error(session, page_id, 0 if final else settings.job_max_attempts, reason, holder)
        if not done:
            enqueue_pages(settings, [page_id], replace_started=True)
    except Exception as exc:  # noqa: BLE001 — the supervisor must outlive a database outage
        log.error("page=%s lost with its work process; not recorded (%s): left to the reconciler", page_id, exc)
        return
    log.error("page=%s lost with its work process: %s (%s)", page_id, reason, "failed" if done else "re-queued")


def supervise(settings: Settings, burst: bool = False) -> int:
    """Run work processes one after another until a child exits cleanly; returns the exit code."""
    current = RawArray("d", 2)
    child = 0
    stopping = False

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child:
            os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    hard_limit = settings.page_timeout_seconds + settings.page_kill_grace_seconds
    losses: list[float] = []
    while True:
        current[0] = current[1] = 0.0
        child = os.fork()
        if child == 0:
            # not the parent's forwarding handlers: a stop during start-up ends the child; rq installs its own
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 0
            try:
                _child(settings, current, burst)
            except BaseException:  # noqa: BLE001 — whatever it was, the parent decides what happens next
                log.exception("work process stopped with an error")
                code = 1
            os._exit(code)
        killed_page = 0
        while True:
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid:
                break
            page, started = int(current[0]), current[1]
            if page and not killed_page and time.monotonic() - started > hard_limit:
                killed_page = page
                log.error("page=%s froze its work process for %.0f s: killing it", page, time.monotonic() - started)
                os.kill(child, signal.SIGKILL)
            time.sleep(0.2)
        page = killed_page or int(current[0])
        clean = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and not page
        if killed_page:
            _record_lost_page(
                settings,
                killed_page,
                f"reading the page took longer than {settings.page_timeout_seconds} s and stopped responding "
                "(damaged or oversized scan): re-scan it at 200–400 dpi",
                final=True,
                holder=f"{socket.gethostname()}:{child}",
            )
        elif page:
            how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
            _record_lost_page(
                settings,
                page,
                f"the work process died while reading the page ({how})",
                final=False,
                holder=f"{socket.gethostname()}:{child}",
            )
        if clean or stopping:
            return 0 if clean else 1
        if not killed_page:
            losses = [t for t in losses if time.monotonic() - t < CRASH_WINDOW_S] + [time.monotonic()]
            if len(losses) >= CRASH_LIMIT:
                log.error("%d work processes lost within %.0f s: giving up", len(losses), CRASH_WINDOW_S)
                return 2
        log.warning("starting a new work process")
