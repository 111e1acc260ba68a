"""The audit chain is keyed and anchored outside the database: a truncated tail (1, 10, 1,000 rows), a chain
recomputed after an edit, and a gap in the middle are each found by `intake audit verify`, which names the rows."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from intake.services.audit import checkpoint_file, record, verify_chain
from intake.settings import Settings
from models import AuditEvent
from tests.support.env import ROOT


def _drop_guards(session: Session) -> None:
    """What an insider with database rights does first: drop the append-only triggers."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE auditevent DISABLE TRIGGER auditevent_no_update"))
    else:
        session.execute(text("DROP TRIGGER auditevent_no_update"))
        session.execute(text("DROP TRIGGER auditevent_no_delete"))
    session.commit()


def _write(session: Session, n: int, per_commit: int = 50) -> int:
    for i in range(n):
        record(session, "user:1", "record.read", "record", str(i))
        if i % per_commit == per_commit - 1:
            session.commit()
    session.commit()
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).one()
    assert last.id is not None
    return last.id


def _verify_cli(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {"INTAKE_VAR_DIR": str(settings.var_dir), "INTAKE_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", "audit", "verify"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("cut", [1, 10, 1000])
def test_a_truncated_tail_is_found_and_named(settings: Settings, session: Session, cut: int) -> None:
    last = _write(session, 1100)
    assert verify_chain(session).ok and checkpoint_file().exists()
    _drop_guards(session)
    session.execute(text("DELETE FROM auditevent WHERE id > :k"), {"k": last - cut})
    session.commit()
    rep = verify_chain(session)
    assert not rep.ok and f"rows {last - cut + 1}–{last} are missing" in rep.problem, rep.problems
    out = _verify_cli(settings)  # what the operator runs
    assert out.returncode == 8 and f"rows {last - cut + 1}–{last} are missing" in out.stderr, out.stderr


def test_a_recomputed_chain_is_found(settings: Settings, session: Session) -> None:
    _write(session, 60)
    _drop_guards(session)
    rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    target = rows[20]
    # Without the key: the attacker edits a row and recomputes every later hash with plain SHA-256.
    prev = rows[19].hash
    for ev in rows[20:]:
        if ev.id == target.id:
            ev.actor = "user:2"
        body = json.dumps(
            [prev, ev.at.isoformat(), ev.actor, ev.action, ev.object_type, ev.object_id, ev.outcome, ev.remote],
            ensure_ascii=False, separators=(",", ":"),
        )  # fmt: skip
        session.execute(
            text("UPDATE auditevent SET actor = :a, prev_hash = :p, hash = :h WHERE id = :i"),
            {"a": ev.actor, "p": prev, "h": hashlib.sha256(body.encode()).hexdigest() + "x", "i": ev.id},
        )
        prev = hashlib.sha256(body.encode()).hexdigest() + "x"
    session.commit()
    session.expire_all()
    rep = verify_chain(session)
    assert not rep.ok and rep.first_bad_id == target.id and "altered" in rep.problem, rep.problems


def test_a_chain_recomputed_with_a_stolen_key_still_disagrees_with_its_checkpoints(
    settings: Settings, session: Session
) -> None:
    from intake.services import audit

    _write(session, 60)
    _drop_guards(session)
    rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    prev = rows[29].hash
    for ev in rows[30:]:
        ev.actor = "user:9" if ev.id == rows[30].id else ev.actor
        ev.prev_hash = prev
        ev.hash = audit._digest(prev, ev)  # the key itself: only the checkpoints outside the database can tell
        session.execute(
            text("UPDATE auditevent SET actor = :a, prev_hash = :p, hash = :h WHERE id = :i"),
            {"a": ev.actor, "p": ev.prev_hash, "h": ev.hash, "i": ev.id},
        )
        prev = ev.hash
    session.commit()
    rep = verify_chain(session)
    assert not rep.ok and "recomputed" in rep.problem, rep.problems


def test_a_gap_in_the_middle_is_found_and_named(settings: Settings, session: Session) -> None:
    _write(session, 40)
    _drop_guards(session)
    mid = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()[15].id
    session.execute(text("DELETE FROM auditevent WHERE id = :i"), {"i": mid})
    session.commit()
    rep = verify_chain(session)
    assert not rep.ok and f"rows {mid}–{mid} are missing" in rep.problem and rep.first_bad_id == (mid or 0) + 1


def test_a_forged_checkpoint_is_refused(settings: Settings, session: Session) -> None:
    _write(session, 5)
    with checkpoint_file().open("a") as fh:
        fh.write(json.dumps({"id": 999999, "hash": "0" * 64, "at": "2026-01-01T00:00:00+00:00", "sig": "f" * 64}) + "\n")
    rep = verify_chain(session)
    assert not rep.ok and "not signed with this installation's key" in rep.problem
