from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from intake.services.audit import record, verify_chain
from intake.settings import Settings
from models import AuditEvent, UserSession
from tests.support.api import login
from tests.support.db import as_database_admin_disable_audit_guard


def test_lockout_after_repeated_failures(client: TestClient) -> None:
    for _ in range(5):
        assert (
            client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": "wrong-password"}).status_code
            == 401
        )
    r = client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": "review-demo-pass"})
    assert r.status_code == 401 and r.json()["code"] == "auth.locked" and "ロック" in r.json()["message"]


def test_sessions_are_checked_server_side(client: TestClient, session: Session) -> None:
    h = login(client, "staff1")
    assert client.get("/api/v1/auth/me", headers=h).status_code == 200
    client.post("/api/v1/auth/logout", headers=h)
    assert client.get("/api/v1/auth/me", headers=h).status_code == 401
    h = login(client, "staff1")
    s = session.exec(select(UserSession).where(UserSession.revoked == False)).first()  # noqa: E712
    assert s is not None
    s.last_seen = s.last_seen - timedelta(minutes=16)  # idle past the 15-minute timeout
    session.add(s)
    session.commit()
    assert client.get("/api/v1/auth/me", headers=h).status_code == 401


def test_roles_are_enforced_and_denials_logged(
    client: TestClient, session: Session, scanner_headers: dict[str, str]
) -> None:
    reviewer = login(client, "reviewer1")
    assert client.get("/api/v1/records", params={"atena_no": "1"}, headers=reviewer).status_code == 403
    assert client.post("/api/v1/review/next", headers=scanner_headers).status_code == 403
    assert client.get("/api/v1/batches", headers=scanner_headers).status_code == 403
    assert client.get("/api/v1/records", params={"atena_no": "1"}).status_code == 401
    denied = session.exec(select(AuditEvent).where(col(AuditEvent.outcome).startswith("denied"))).all()
    assert len(denied) == 4  # the three 403s and the 401: every refusal has its row


def test_audit_chain_verifies_and_finds_an_altered_row(settings: Settings, session: Session) -> None:
    for i in range(20):
        record(session, "user:1", "record.read", "record", str(i))
    session.commit()
    assert verify_chain(session).ok
    ev = session.exec(select(AuditEvent).where(AuditEvent.object_id == "7")).one()
    ev.actor = "user:2"  # the application cannot rewrite history: the database refuses
    session.add(ev)
    with pytest.raises(DBAPIError, match="append-only"):
        session.commit()
    session.rollback()
    as_database_admin_disable_audit_guard(session)
    ev = session.exec(select(AuditEvent).where(AuditEvent.object_id == "7")).one()
    ev.actor = "user:2"  # tamper
    session.add(ev)
    session.commit()
    rep = verify_chain(session)
    assert not rep.ok and rep.first_bad_id == ev.id and "altered" in rep.problem
