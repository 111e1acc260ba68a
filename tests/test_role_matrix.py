"""Route × role matrix, asserted cell by cell; 個人番号 in no response to anyone."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, func, select

from intake.services.masters import import_residents
from intake.settings import Settings
from models import AuditEvent, Page, Resident
from tests.support.api import first_form, login, upload
from tests.support.env import BATCH
from tests.support.worker import run_worker

ROLES = ("anonymous", "scanner", "reviewer", "supervisor", "staff", "admin")
USER = {"reviewer": "reviewer1", "supervisor": "supervisor1", "staff": "staff1", "admin": "admin1"}
ANY_USER = {"reviewer", "supervisor", "staff", "admin"}
# The specification: which roles may call each route. Public routes list "anonymous".
MATRIX: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/batches"): {"scanner", "admin"},
    ("GET", "/api/v1/batches"): {"supervisor", "staff", "admin"},
    ("GET", "/api/v1/batches/{batch_id}"): {"scanner", "supervisor", "staff", "admin"},  # the scanner: its own only
    ("POST", "/api/v1/auth/login"): set(ROLES),
    ("POST", "/api/v1/auth/logout"): ANY_USER | {"scanner"},
    ("GET", "/api/v1/auth/me"): ANY_USER | {"scanner"},
    ("POST", "/api/v1/review/next"): {"reviewer", "supervisor"},
    ("GET", "/api/v1/review/queue"): {"reviewer", "supervisor"},
    ("GET", "/api/v1/review/pages/{page_id}"): {"reviewer", "supervisor"},
    ("GET", "/api/v1/review/pages/{page_id}/image"): {"reviewer", "supervisor", "staff", "admin"},
    ("GET", "/api/v1/review/pages/{page_id}/candidates"): {"reviewer", "supervisor"},
    ("POST", "/api/v1/review/pages/{page_id}/accept"): {"reviewer", "supervisor"},
    ("POST", "/api/v1/review/pages/{page_id}/reject"): {"reviewer", "supervisor"},
    ("POST", "/api/v1/review/pages/{page_id}/defer"): {"reviewer", "supervisor"},
    ("GET", "/api/v1/review/stats"): {"supervisor", "staff", "admin"},
    ("GET", "/api/v1/review/pages/{page_id}/crop/{field}"): {"reviewer", "supervisor"},
    ("POST", "/api/v1/review/group/take"): {"reviewer", "supervisor"},
    ("POST", "/api/v1/review/group/confirm"): {"reviewer", "supervisor"},
    ("GET", "/api/v1/records"): {"staff", "admin"},
    ("GET", "/api/v1/audit"): {"staff", "admin"},
    ("GET", "/api/v1/health"): set(ROLES),
    ("GET", "/api/v1/ready"): set(ROLES),
    ("POST", "/api/v1/records/{record_id}/correct"): {"staff", "admin"},
    ("GET", "/api/v1/records/{record_id}/history"): {"staff", "admin"},
    ("GET", "/api/v1/residents/{atena_no}/history"): {"staff", "admin"},
    ("POST", "/api/v1/residents/{atena_no}/my-number"): {"staff", "admin"},
    ("GET", "/api/v1/reports/yearly"): {"staff", "admin"},
    ("GET", "/api/v1/reports/clinics"): {"staff", "admin"},
    ("GET", "/api/v1/forms/issued"): {"staff", "admin"},
    ("POST", "/api/v1/forms/reissue"): {"staff", "admin"},
    ("GET", "/api/v1/residents/{atena_no}/certificate"): {"staff", "admin"},
    ("POST", "/api/v1/requests"): {"staff", "admin"},
    ("GET", "/api/v1/requests"): {"staff", "admin"},
    ("POST", "/api/v1/requests/{request_id}/record"): {"staff", "admin"},
}
MY_NUMBER = "123456789018"  # a synthetic 12-digit number planted on the form's resident


def plant_my_number(session: Session, resident: Resident, tmp_path: Path) -> None:
    """個人番号 arrives as the ward's register brings it: a 個人番号 column through the real import."""
    csv_path = tmp_path / "register_with_my_number.csv"
    csv_path.write_text(
        "宛名番号,氏名,氏名_振り仮名,生年月日,性別,個人番号\n"
        f"{resident.atena_no},{resident.name},{resident.name_kana},{resident.birth_date},{resident.sex},{MY_NUMBER}\n",
        encoding="utf-8",
    )
    summary = import_residents(session, csv_path)
    assert not summary.errors and summary.updated == 1, summary
    raw = session.execute(text("SELECT my_number FROM resident WHERE atena_no = :a"), {"a": resident.atena_no}).scalar()
    assert raw and MY_NUMBER not in raw  # encrypted at rest


def test_role_matrix_cell_by_cell(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str], tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    routes = {
        (m, r["path"])
        for r in [{"path": p, **v} for p, v in client.get("/api/openapi.json").json()["paths"].items()]
        for m in ("GET", "POST")
        if m.lower() in r
    }
    assert routes == set(MATRIX), f"routes without a matrix row: {routes - set(MATRIX)}; stale rows: {set(MATRIX) - routes}"

    receipt = upload(client, scanner_headers, BATCH)
    run_worker(settings)
    headers = {"anonymous": {}, "scanner": scanner_headers} | {role: login(client, u) for role, u in USER.items()}
    form = client.post("/api/v1/review/next", headers=headers["reviewer"]).json()  # the reviewer holds this page
    page = session.get(Page, form["id"])
    assert page is not None
    resident = session.get(Resident, form["candidates"][0]["atena_no"])
    assert resident is not None
    plant_my_number(session, resident, tmp_path)
    pid, bid = form["id"], receipt["batch_id"]

    def call(method: str, path: str, role: str):  # type: ignore[no-untyped-def]
        url = (
            path.replace("{page_id}", str(pid))
            .replace("{batch_id}", str(bid))
            .replace("{record_id}", "999999")
            .replace("{atena_no}", resident.atena_no)
            .replace("{field}", "lot_number")
        )
        h = headers[role]
        if (method, path) == ("POST", "/api/v1/batches"):
            return client.post(
                url, data={"clinic_code": "1310001"}, files=[("files", ("e.pdf", b"", "application/pdf"))], headers=h
            )
        if path.endswith("/login"):
            return client.post(url, json={"username": "nobody", "password": "x" * 12})
        if path.endswith(("/accept", "/reject", "/defer")):
            return client.post(
                url, json={"version": -1, "atena_no": resident.atena_no, "values": {}, "reason": "x"}, headers=h
            )
        if path.endswith("/group/take"):
            return client.post(url, params={"field": "lot_number", "limit": 1}, headers=h)
        if path.endswith("/group/confirm"):
            return client.post(url, params={"field": "lot_number"}, json={"items": []}, headers=h)
        if path.endswith("/correct"):
            return client.post(url, json={"changes": {"lot_number": "X"}, "reason": "test"}, headers=h)
        if path.endswith("/yearly"):
            return client.get(url, params={"fiscal_year": 2026, "format": "csv"}, headers=h)
        if path.endswith("/clinics"):
            return client.get(url, params={"month": "2026-11", "format": "csv"}, headers=h)
        if path == "/api/v1/records":
            return client.get(url, params={"atena_no": resident.atena_no}, headers=h)
        if path.endswith("/candidates"):
            return client.get(url, params={"atena_no": resident.atena_no}, headers=h)
        if path.endswith("/my-number"):
            return client.post(url, json={"purpose": "他市区町村への照会"}, headers=h)
        return client.request(method, url, headers=h)

    def last_audit_id() -> int:
        session.expire_all()
        return int(session.exec(select(func.max(AuditEvent.id))).one() or 0)

    def denial_rows_since(before: int) -> list[AuditEvent]:
        session.expire_all()
        rows = session.exec(select(AuditEvent).where(col(AuditEvent.id) > before)).all()
        return [e for e in rows if e.outcome.startswith("denied") or e.outcome == "locked"]

    cells = denials = 0
    for (method, path), allowed in MATRIX.items():
        for role in ROLES:
            if path.endswith("/logout"):
                continue  # checked last: it ends the session the other cells use
            before = last_audit_id()
            r = call(method, path, role)
            if path.endswith("/my-number") and role in allowed:  # the one place it may be read: staff, with purpose
                assert r.status_code == 200 and r.json()["my_number"] == MY_NUMBER, r.text
                cells += 1
                continue
            if r.status_code in (401, 403):  # every denial has its audit row, naming who and where
                rows = denial_rows_since(before)
                assert len(rows) == 1, (method, path, role, r.status_code, [(e.action, e.outcome) for e in rows])
                assert role in ("anonymous",) or rows[0].actor != "anonymous" or path.endswith("/login"), rows[0]
                denials += 1
            assert r.status_code < 500, (method, path, role, r.text)
            assert MY_NUMBER not in r.text, (method, path, role)
            denied = r.status_code in (401, 403)
            if role in allowed:
                assert not denied or path.endswith("/login"), (method, path, role, r.status_code, r.text)
            else:
                assert denied, (method, path, role, r.status_code)
            cells += 1
    for role in ROLES:
        before = last_audit_id()
        r = client.post("/api/v1/auth/logout", headers=headers[role])
        assert (r.status_code in (401, 403)) == (role not in MATRIX[("POST", "/api/v1/auth/logout")]), (role, r.status_code)
        if r.status_code in (401, 403):
            assert len(denial_rows_since(before)) == 1, role
            denials += 1
        cells += 1
    assert cells == len(MATRIX) * len(ROLES)
    print(f"{denials} denials across the route × role matrix, each with its audit row")
    out, err = capfd.readouterr()
    assert MY_NUMBER not in out + err  # in no log line either
    session.expire_all()
    reads = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "mynumber.read")).all()
    assert len(reads) == 2 and all(e.outcome.startswith("purpose:") for e in reads)


def test_a_bad_key_and_a_scanner_reading_a_page_image_are_audited(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    """The two denials the assessor asked about first: a scanner key asking for a page image (403), and a wrong
    key (401). And a flood of bad keys is counted, not written row by row."""
    from intake.services import denials

    denials.reset()
    r = client.get("/api/v1/review/pages/1/image", headers=scanner_headers)
    assert r.status_code == 403
    rows = session.exec(select(AuditEvent).where(col(AuditEvent.outcome) == "denied 403")).all()
    assert rows and rows[-1].action == "GET /api/v1/review/pages/1/image" and rows[-1].actor.startswith("key:")
    for _ in range(denials.BURST + 15):
        assert client.get("/api/v1/records", headers={"X-API-Key": "not-a-key"}).status_code == 401
    session.expire_all()
    bad = session.exec(select(AuditEvent).where(col(AuditEvent.outcome) == "denied 401")).all()
    assert len(bad) == denials.BURST and all(e.action == "GET /api/v1/records" for e in bad)
    denials.flush(session)
    summary = session.exec(select(AuditEvent).where(col(AuditEvent.object_id) == "×15 more")).all()
    assert len(summary) == 1 and summary[0].outcome == "denied 401"


def test_staff_can_ask_who_looked_at_a_resident(
    client: TestClient, settings: Settings, scanner_headers: dict[str, str]
) -> None:
    reviewer, form = first_form(client, settings, scanner_headers)
    atena = form["candidates"][0]["atena_no"]
    staff = login(client, "staff1")
    rows = client.get("/api/v1/audit", params={"object_id": atena}, headers=staff).json()
    me = client.get("/api/v1/auth/me", headers=reviewer).json()
    assert me["username"] == "reviewer1"
    assert any(r["action"] == "resident.read" and r["actor"].startswith("user:") and r["remote"] for r in rows)
    assert all("name" not in r for r in rows)
