"""The audit chain under concurrent writers: appends serialized, chain verifies, one altered row is found."""

from __future__ import annotations

import multiprocessing as mp
import time

from sqlmodel import Session, select

from intake.db import dispose_engines, get_engine
from intake.services.audit import record, verify_chain
from intake.settings import Settings
from models import AuditEvent
from tests.support.db import as_database_admin_disable_audit_guard

WRITERS = 8


def _writer(url: str, writer: int, n: int) -> None:
    dispose_engines()
    with Session(get_engine(url)) as s:
        for i in range(n):
            record(s, f"user:{writer}", "record.read", "record", f"{writer}-{i}")
            s.commit()


def test_concurrent_writers_keep_one_chain(settings: Settings, session: Session) -> None:
    url = settings.effective_database_url
    per_writer = 1250 if url.startswith("postgresql") else 250  # 10,000 events on PostgreSQL (production)
    before = len(session.exec(select(AuditEvent)).all())
    ctx = mp.get_context("fork")
    t = time.perf_counter()
    procs = [ctx.Process(target=_writer, args=(url, w, per_writer)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    elapsed = time.perf_counter() - t
    session.expire_all()
    report = verify_chain(session)
    assert report.ok, report.problem
    assert report.rows == before + WRITERS * per_writer
    print(f"{WRITERS * per_writer} events from {WRITERS} writers in {elapsed:.1f}s on {url.split(':')[0]}")
    as_database_admin_disable_audit_guard(session)
    victim = session.exec(select(AuditEvent).where(AuditEvent.object_id == "3-100")).one()
    victim.outcome = "denied"  # an insider edits history
    session.add(victim)
    session.commit()
    broken = verify_chain(session)
    assert not broken.ok and broken.first_bad_id == victim.id
