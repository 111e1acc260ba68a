"""The rq queue. Jobs carry a page id and nothing else; the database holds the page's state."""

from __future__ import annotations

from collections.abc import Iterable

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from intake.settings import Settings

JOB = "intake.worker.process_page_job"


def redis_conn(settings: Settings) -> Redis:
    return Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=10)


def get_queue(settings: Settings, connection: Redis | None = None) -> Queue:
    return Queue(
        settings.queue_name, connection=connection or redis_conn(settings), default_timeout=settings.page_timeout_seconds
    )


WAITING = {JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def enqueue_pages(
    settings: Settings, page_ids: Iterable[int], connection: Redis | None = None, *, replace_started: bool = False
) -> int:
    """One job per page: rq's job id is the page id, and a page whose job is still waiting (or being worked on)
    gets no second one. `replace_started`: for pages the reconciler found idle or past their lease, a job still
    marked started (its worker was killed or frozen), or marked queued but in no queue (popped by a worker killed at
    once), is replaced. Returns how many pages now have a job waiting
    because of this call. A Redis outage leaves pages `queued` for the reconciler."""
    conn = connection or redis_conn(settings)
    q = get_queue(settings, conn)
    n = 0
    try:
        # What really waits in the queue: a job still marked queued that a worker popped and was killed before it
        # marked it started is in no list — waiting for nothing (the chaos test lost a page so, 1 in 100, under load).
        in_queue = set(q.get_job_ids()) if replace_started else set()
        for pid in page_ids:
            job_id = f"{settings.queue_name}-page-{pid}"
            try:
                existing: Job | None = Job.fetch(job_id, connection=conn)
            except NoSuchJobError:
                existing = None
            if existing is not None:
                status = existing.get_status(refresh=False)
                lost = replace_started and status == JobStatus.QUEUED and job_id not in in_queue
                if (status in WAITING and not lost) or (status == JobStatus.STARTED and not replace_started):
                    continue
                existing.delete()
            q.enqueue_call(
                JOB,
                args=(pid,),
                job_id=job_id,
                retry=Retry(max=settings.job_max_attempts - 1),
                result_ttl=settings.job_result_ttl_seconds,
                failure_ttl=settings.job_failure_ttl_seconds,
            )
            n += 1
    except RedisError:
        return n
    return n
