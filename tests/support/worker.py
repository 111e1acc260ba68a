"""The page worker, in-process: rq's burst SimpleWorker on the real Redis, as rq's own tests run jobs."""

from __future__ import annotations

from intake.settings import Settings


def run_worker(settings: Settings) -> None:
    """Process everything queued, in-process (rq's burst SimpleWorker on the real Redis)."""
    from rq import SimpleWorker

    from intake.queue import get_queue, redis_conn

    conn = redis_conn(settings)
    SimpleWorker([get_queue(settings, conn)], connection=conn).work(burst=True)
