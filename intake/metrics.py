"""Prometheus metrics. Two kinds, by where the truth is:

- Read from the database and Redis at scrape time (`StateCollector`, served by the API's /metrics): pages by
  state, batches, queue depth, the oldest waiting page. Any number of workers on any number of hosts agree,
  because the database is the source of truth for every page's state; a page rate is `rate()` of
  intake_pages{status="committed"|"extracted"|…} summed, and the queue draining is intake_queue_depth.
- Counted where it happens: HTTP requests and their seconds and auth failures in the API process; pages read
  and seconds by stage in each worker's work process (its own endpoint, `worker_metrics_port`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from intake.settings import Settings

log = logging.getLogger("intake.metrics")

# In the process that observes them (API or work process); the default registry, so prometheus_client's
# process metrics (memory, CPU, open files) come along.
HTTP_REQUESTS = Counter("intake_http_requests", "API requests answered", ["method", "route", "status"])
HTTP_SECONDS = Histogram(
    "intake_http_request_seconds",
    "API request duration (a reviewer's wait per key is route=/api/v1/review/…)",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30),
)
AUTH_FAILURES = Counter("intake_auth_failures", "requests refused 401/403 (wrong password, no right, bad key)", ["status"])
PAGES_READ = Counter("intake_pages_read", "pages read by this worker, by outcome", ["status"])
STAGE_SECONDS = Histogram(
    "intake_page_stage_seconds",
    "seconds a page spent in each reading stage",
    ["stage"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3, 6, 15, 60),
)


def observe_page(status: str, timings_ms: dict[str, float]) -> None:
    PAGES_READ.labels(status=status).inc()
    for stage, ms in timings_ms.items():
        STAGE_SECONDS.labels(stage=stage).observe(ms / 1000)


class StateCollector(Collector):
    """Pages by state, batches, the queue and the oldest waiting page, read at each scrape. A store that cannot
    be read is reported as intake_up{part=…} 0, never as an error page (a scrape must not fail)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("intake_up", "1 when the part answered this scrape", labels=["part"])
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception as exc:  # noqa: BLE001 — reported as a metric; the scrape itself must succeed
            log.warning("metrics: database not read (%s)", type(exc).__name__)
            up.add_metric(["database"], 0)
        try:
            yield from self._queue()
            up.add_metric(["redis"], 1)
        except Exception as exc:  # noqa: BLE001
            log.warning("metrics: redis not read (%s)", type(exc).__name__)
            up.add_metric(["redis"], 0)
        yield up

    def _database(self) -> Iterator[Metric]:
        from sqlalchemy import func
        from sqlmodel import Session, col, select

        from intake.db import get_engine
        from models import Batch, Page, PageStatus
        from models.tables import utcnow

        with Session(get_engine(self.settings.effective_database_url)) as s:
            counts = dict(s.exec(select(Page.status, func.count()).group_by(Page.status)).all())
            batches = s.exec(select(func.count()).select_from(Batch)).one()
            waiting = (PageStatus.queued,)
            oldest = s.exec(select(func.min(Page.created_at)).where(col(Page.status).in_(waiting))).one()
        pages = GaugeMetricFamily("intake_pages", "pages by state (the database's count)", labels=["status"])
        for status in PageStatus:
            pages.add_metric([status.value], float(counts.get(status, 0)))
        yield pages
        yield GaugeMetricFamily("intake_batches", "batches received", value=float(batches))
        age = 0.0
        if isinstance(oldest, datetime):
            now = utcnow()
            age = max(0.0, (now.replace(tzinfo=None) - oldest.replace(tzinfo=None)).total_seconds())
        yield GaugeMetricFamily("intake_oldest_waiting_page_seconds", "age of the oldest page not yet read", value=age)

    def _queue(self) -> Iterator[Metric]:
        from intake.queue import get_queue

        q = get_queue(self.settings)
        yield GaugeMetricFamily("intake_queue_depth", "page jobs waiting in Redis", value=float(q.count))
        yield GaugeMetricFamily(
            "intake_queue_running", "page jobs being read now", value=float(q.started_job_registry.count)
        )
        yield GaugeMetricFamily("intake_queue_failed", "page jobs rq gave up on", value=float(q.failed_job_registry.count))


def state_registry(settings: Settings) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector(settings))
    return registry
