"""Append-only, hash-chained audit log. Rows hold ids, never names or 個人番号.

Appends are serialized (PostgreSQL: a transaction-scoped advisory lock; SQLite: its single writer), so
each row's hash covers exactly the previous row's hash. `verify_chain` recomputes it end to end.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, col, select

from models import AuditEvent

AUDIT_LOCK_KEY = 727_001  # arbitrary constant for pg_advisory_xact_lock

# Where the current request comes from, set once per request by the API's middleware, so every audit row
# says "from where" without each service having to carry the request.
current_remote: ContextVar[str] = ContextVar("current_remote", default="")


def _digest(prev_hash: str, ev: AuditEvent) -> str:
    body = json.dumps(
        [prev_hash, ev.at.isoformat(), ev.actor, ev.action, ev.object_type, ev.object_id, ev.outcome, ev.remote],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    outcome: str = "ok",
    remote: str = "",
) -> None:
    """Append one event in the caller's transaction (committed with the change it describes)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    else:
        # SQLite: take the database's write lock before reading the last row (a no-op UPDATE does), so two
        # writers cannot both chain onto the same row. Others wait on busy_timeout.
        session.execute(text("UPDATE auditevent SET hash = hash WHERE 1 = 0"))
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    ev = AuditEvent(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        outcome=outcome,
        remote=remote or current_remote.get(),
    )
    ev.prev_hash = last.hash if last else ""
    ev.hash = _digest(ev.prev_hash, ev)
    session.add(ev)
    session.flush()


@dataclass
class ChainReport:
    rows: int
    ok: bool
    first_bad_id: int | None = None
    problem: str = ""


def verify_chain(session: Session) -> ChainReport:
    prev = ""
    expected_id: int | None = None
    n = 0
    for ev in session.exec(select(AuditEvent).order_by(col(AuditEvent.id))):
        n += 1
        if expected_id is not None and ev.id != expected_id:
            return ChainReport(n, False, ev.id, f"row(s) missing before id {ev.id}")
        if ev.prev_hash != prev:
            return ChainReport(n, False, ev.id, f"row {ev.id} does not follow the previous row (deleted or reordered)")
        if _digest(prev, ev) != ev.hash:
            return ChainReport(n, False, ev.id, f"row {ev.id} was altered after it was written")
        prev = ev.hash
        expected_id = (ev.id or 0) + 1
    return ChainReport(n, True)
