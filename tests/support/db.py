"""A database insider, for the tests that prove the audit chain exposes what one could do."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


def as_database_admin_disable_audit_guard(session: Session) -> None:
    """What an insider with database rights would do before editing history: drop the append-only trigger.
    The hash chain must still expose the edit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE auditevent DISABLE TRIGGER auditevent_no_update"))
    else:
        session.execute(text("DROP TRIGGER auditevent_no_update"))
    session.commit()
