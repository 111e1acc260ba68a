"""A page is read exactly once however often it is delivered (the exactly-once issue), on real Redis and both
databases: the claim is a compare-and-set with a lease, a result is written only by the lease's holder, one job
per page, and the reconciler re-queues only pages whose lease ran out or whose job Redis lost."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from redis import Redis
from sqlmodel import Session, col, select

from intake.db import dispose_engines, session_scope
from intake.queue import enqueue_pages, get_queue
from intake.services import reading_lease
from intake.services.ingest import UploadedFile, create_batch
from intake.settings import Settings, get_settings
from intake.store import ContentStore
from models import Page, PageStatus
from models.tables import utcnow
from tests.support.env import ROOT, SAMPLE
from tests.support.redis_server import PrivateRedis
from tools.synth.scan import page_images

PAGES = int(os.environ.get("INTAKE_TEST_ONCE_PAGES", "60"))  # the 1,000-page run: INTAKE_TEST_ONCE_PAGES=1000


def _pages(n: int) -> list[UploadedFile]:
    """n different single-page files: the sample's forms, one pixel changed per copy (each its own SHA-256)."""
    forms = [p for p in page_images(SAMPLE) if '"kind": "form"' in p.with_suffix(".json").read_text()]
    images = [Image.open(p).convert("L") for p in forms]
    files = []
    for i in range(n):
        img = images[i % len(images)].copy()
        img.putpixel((i // len(images) % img.width, 0), 0)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        files.append(UploadedFile(f"once_{i:04d}.png", buf.getvalue()))
    return files


def _upload(settings: Settings, n: int) -> list[int]:
    with session_scope(settings.effective_database_url) as s:
        receipt = create_batch(s, ContentStore(settings.store_dir), settings, "1310001", _pages(n), "once")
    return list(receipt.new_page_ids)


def test_a_second_delivery_of_a_page_being_read_is_refused(settings: Settings, session: Session) -> None:
    (pid,) = _upload(settings, 1)
    first = reading_lease.claim(session, pid, settings, "host:1")
    assert first is not None and first.attempts == 1 and first.claimed_by == "host:1"
    assert reading_lease.claim(session, pid, settings, "host:2") is None  # leased to a live worker: not read twice
    # The lease runs out (worker frozen): another worker may take the page over, as attempt 2.
    page = session.get(Page, pid)
    assert page is not None
    page.deadline = utcnow() - timedelta(seconds=1)
    session.add(page)
    session.commit()
    second = reading_lease.claim(session, pid, settings, "host:2")
    assert second is not None and second.attempts == 2 and second.claimed_by == "host:2"
    # The first holder wakes and tries to write its result: discarded, nothing changes.
    stale = Page.model_validate(second.model_dump())
    stale.attempts, stale.claimed_by = 1, "host:1"
    assert reading_lease.write_outcome(session, stale, PageStatus.extracted, "late", lease=(1, "host:1")) is None
    session.expire_all()
    now = session.get(Page, pid)
    assert now is not None and now.status == PageStatus.processing and now.claimed_by == "host:2" and now.version == 0
    assert reading_lease.record_error(session, pid, 3, "late error", holder="host:1")  # not the holder: no effect
    session.expire_all()
    assert session.get(Page, pid).status == PageStatus.processing  # type: ignore[union-attr]
    # The holder's own result is written.
    assert (
        reading_lease.write_outcome(session, now, PageStatus.extracted, "read", lease=(2, "host:2")) == PageStatus.extracted
    )


def test_enqueueing_a_page_twice_leaves_one_job(settings: Settings) -> None:
    ids = _upload(settings, 3)
    conn = Redis.from_url(settings.redis_url)
    q = get_queue(settings, conn)
    q.empty()
    assert enqueue_pages(settings, ids, conn) == 3
    assert enqueue_pages(settings, ids, conn) == 0
    assert enqueue_pages(settings, [ids[0]], conn) == 0
    assert q.count == 3
    with session_scope(settings.effective_database_url) as s:  # the reconciler with no grace period at all
        stuck, queued = reading_lease.reconcile(s, settings, timedelta(seconds=0))
    assert stuck >= 3 and queued == 0 and q.count == 3  # merely waiting pages are not queued again


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
@pytest.mark.parametrize("left", ["started", "popped"])
def test_a_job_left_behind_by_a_worker_killed_before_its_claim_is_given_again(settings: Settings, left: str) -> None:
    """A worker killed before it claimed the page leaves the page `queued` and its job in limbo — `started` for ever
    (killed between rq marking it started and the claim), or `queued` but in no queue (killed right after popping it).
    The reconciler gives the page a job again (the claim is a compare-and-set: a second delivery reads nothing twice).
    Both found by the chaos test under load, one page in 100."""
    from rq.job import Job, JobStatus

    from tests.support.worker import run_worker

    (pid,) = _upload(settings, 1)
    conn = Redis.from_url(settings.redis_url)
    q = get_queue(settings, conn)
    q.empty()
    assert enqueue_pages(settings, [pid], conn) == 1
    job = Job.fetch(f"{settings.queue_name}-page-{pid}", connection=conn)
    q.remove(job)  # taken off the queue by a worker ...
    if left == "started":
        job.set_status(JobStatus.STARTED)  # ... that died before it claimed the page
    with session_scope(settings.effective_database_url) as s:
        stuck, queued = reading_lease.reconcile(s, settings, timedelta(seconds=0), now=utcnow() + timedelta(hours=1))
    assert (stuck, queued) == (1, 1) and q.count == 1
    run_worker(settings)
    with session_scope(settings.effective_database_url) as s:
        page = s.get(Page, pid)
        assert page is not None and page.status in (PageStatus.extracted, PageStatus.skipped) and page.attempts == 1


def _worker(env: dict[str, str], log: Path, burst: bool) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from intake.cli import main; main()", "worker", *(["--burst"] if burst else [])],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.parametrize("settings", ["sqlite", "postgresql"], indirect=True)
def test_every_page_is_read_exactly_once_under_double_delivery(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page enqueued twice, the reconciler run every second with no grace period, one worker frozen
    (SIGSTOP) mid-page past its lease and resumed after another worker took its page over: each page gets one
    result (one finish, version 1), none is lost, and the frozen worker's late result is discarded and logged."""
    redis = PrivateRedis()
    redis.start()
    try:
        # the jobs carry the time limit they were enqueued with: long enough for the frozen worker's whole sleep
        s = settings.model_copy(
            update={"redis_url": redis.url, "queue_name": "once", "page_lease_seconds": 4, "page_timeout_seconds": 3600}
        )
        env = {
            **os.environ,
            "INTAKE_VAR_DIR": str(s.var_dir),
            "INTAKE_DATABASE_URL": s.database_url,
            "INTAKE_REDIS_URL": redis.url,
            "INTAKE_QUEUE_NAME": "once",
            "INTAKE_PAGE_LEASE_SECONDS": "4",
            # the frozen worker must wake up to its page, not to rq's alarm or the supervisor's kill, however long
            # the other worker takes (1,000 pages on a loaded machine: minutes)
            "INTAKE_PAGE_TIMEOUT_SECONDS": "3600",
            "INTAKE_PAGE_KILL_GRACE_SECONDS": "3600",
            "INTAKE_WORKER_FORK": "false",
        }
        for k, v in env.items():
            if k.startswith("INTAKE_"):
                monkeypatch.setenv(k, v)
        get_settings.cache_clear()
        ids = _upload(s, PAGES)
        assert enqueue_pages(s, ids) == PAGES
        enqueue_pages(s, ids)  # delivered twice
        frozen_log, other_log = tmp_path / "frozen.log", tmp_path / "other.log"
        frozen = _worker(env, frozen_log, burst=False)
        url = s.effective_database_url
        victim = None
        deadline = time.monotonic() + 90
        while victim is None and time.monotonic() < deadline:  # wait until it is mid-page
            time.sleep(0.05)
            with session_scope(url) as db:
                victim = db.exec(select(Page.id).where(col(Page.status) == PageStatus.processing)).first()
        assert victim is not None, "the first worker never started a page"
        os.killpg(frozen.pid, signal.SIGSTOP)  # the supervisor and its work process, mid-page
        other = _worker(env, other_log, burst=False)
        time.sleep(5)  # the frozen page's lease (4 s) runs out
        try:
            done = False
            while not done and time.monotonic() < deadline + 240:
                with session_scope(url) as db:
                    reading_lease.reconcile(db, s, timedelta(seconds=0))
                    enqueue_pages(s, ids)  # and again: deliveries never stop
                    left = db.exec(select(Page.id).where(col(Page.status).in_(["queued", "processing"]))).all()
                done = not left or left == [victim]
                time.sleep(1)
            os.killpg(frozen.pid, signal.SIGCONT)  # it wakes, finishes its page, tries to write
            time.sleep(5)
        finally:
            for w in (frozen, other):
                os.killpg(w.pid, signal.SIGCONT)
                os.killpg(w.pid, signal.SIGTERM)
                w.wait(timeout=60)
        dispose_engines()
        with session_scope(url) as db:
            pages = db.exec(select(Page).where(col(Page.id).in_(ids))).all()
            assert len(pages) == PAGES
            unfinished = [p.id for p in pages if p.status in ("queued", "processing")]
            assert not unfinished, f"pages lost: {unfinished}"
            twice = [(p.id, p.version, p.attempts) for p in pages if p.version != 1]
            assert not twice, f"pages written more than once: {twice}"
            assert db.get(Page, victim).attempts == 2  # type: ignore[union-attr]
        logs = frozen_log.read_text(errors="replace") + other_log.read_text(errors="replace")
        discarded = [line for line in logs.splitlines() if f"page={victim} " in line and "late result discarded" in line]
        assert discarded, [line for line in logs.splitlines() if f"page={victim} " in line]
        finished = [line for line in logs.splitlines() if "status=extracted" in line or "status=committed" in line]
        per_page: dict[str, int] = {}
        for line in finished:
            pid = line.split("page=")[1].split()[0]
            per_page[pid] = per_page.get(pid, 0) + 1
        assert max(per_page.values()) == 1, {k: v for k, v in per_page.items() if v > 1}
        print(f"{PAGES} pages delivered twice, reconciled every second, one worker frozen past its lease: each read once")
    finally:
        redis.kill()
        get_settings.cache_clear()


def test_after_a_redis_restart_the_workers_reconcile_at_once(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis killed and restarted empty with pages still waiting (uploaded while their jobs could not be queued):
    the running worker sees the new run id and re-queues them itself; no cron reconciler runs in this test."""
    redis = PrivateRedis()
    redis.start()
    worker = None
    try:
        env = {
            **os.environ,
            "INTAKE_VAR_DIR": str(settings.var_dir),
            "INTAKE_DATABASE_URL": settings.database_url,
            "INTAKE_REDIS_URL": redis.url,
            "INTAKE_QUEUE_NAME": "restart",
        }
        for k, v in env.items():
            if k.startswith("INTAKE_"):
                monkeypatch.setenv(k, v)
        get_settings.cache_clear()
        s = settings.model_copy(update={"redis_url": redis.url, "queue_name": "restart"})
        ids = _upload(s, 6)
        worker = _worker(env, tmp_path / "worker.log", burst=False)
        started = time.monotonic()
        while "watching redis" not in (tmp_path / "worker.log").read_text(errors="replace"):
            assert time.monotonic() - started < 90, "the worker never started watching Redis"
            time.sleep(0.2)
        redis.kill()
        redis.start()  # empty: whatever was queued is gone; the pages wait in the database (never enqueued here)
        deadline = time.monotonic() + 60
        left = ids
        while left and time.monotonic() < deadline:
            time.sleep(1)
            with session_scope(s.effective_database_url) as db:
                left = db.exec(
                    select(Page.id).where(col(Page.id).in_(ids), col(Page.status).in_(["received", "queued"]))
                ).all()
        assert not left, f"pages still waiting after a Redis restart: {left}"
        assert "redis restarted" in (tmp_path / "worker.log").read_text(errors="replace")
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        redis.kill()
        get_settings.cache_clear()
