"""The rq queue. Jobs carry a page id and nothing else; the database holds the page's state."""

from __future__ import annotations

from collections.abc import Iterable

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry

from intake.settings import Settings

JOB = "intake.worker.process_page_job"


def redis_conn(settings: Settings) -> Redis:
    return Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=10)


def get_queue(settings: Settings, connection: Redis | None = None) -> Queue:
    return Queue(
        settings.queue_name, connection=connection or redis_conn(settings), default_timeout=settings.page_timeout_seconds
    )


def enqueue_pages(settings: Settings, page_ids: Iterable[int], connection: Redis | None = None) -> int:
    """Enqueue; returns how many went in. A Redis outage leaves pages `received` for the reconciler."""
    q = get_queue(settings, connection)
    n = 0
    try:
        for pid in page_ids:
            # A page id as job id: re-enqueueing a page that is already waiting does not duplicate it.
            q.enqueue_call(
                JOB,
                args=(pid,),
                job_id=f"{settings.queue_name}-page-{pid}",
                retry=Retry(max=settings.job_max_attempts - 1),
                result_ttl=600,
                failure_ttl=86400,
            )
            n += 1
    except RedisError:
        return n
    return n
