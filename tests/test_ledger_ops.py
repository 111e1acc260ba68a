"""Staff work on the ledger: corrections as versions, history with next due, reports, targets, retention."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from intake.services.reports import targets
from intake.services.retention import purge
from intake.settings import Settings
from intake.store import ContentStore
from models import AuditEvent, Original, Page, Resident, VaccinationRecord
from tests.support.api import accept_one, login
from tests.support.env import BATCH


def test_correction_is_a_new_version_and_the_old_one_stays(
    client: TestClient, settings: Settings, scanner_headers: dict[str, str]
) -> None:
    rec = accept_one(client, settings, scanner_headers)
    staff = login(client, "staff1")
    r = client.post(
        f"/api/v1/records/{rec['id']}/correct", json={"changes": {"lot_number": "AB0001"}, "reason": ""}, headers=staff
    )
    assert r.status_code == 422 and r.json()["code"] == "ledger.correction_reason" and "理由" in r.json()["message"]
    r = client.post(
        f"/api/v1/records/{rec['id']}/correct",
        json={"changes": {"lot_number": "AB0001"}, "reason": "医療機関から訂正連絡"},
        headers=staff,
    )
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["lot_number"] == "AB0001"
    again = client.post(
        f"/api/v1/records/{rec['id']}/correct", json={"changes": {"lot_number": "X"}, "reason": "x"}, headers=staff
    )
    assert again.status_code == 409  # the old version is no longer current
    hist = client.get(f"/api/v1/records/{rec['id']}/history", headers=staff).json()
    assert [(h["version"], h["lot_number"]) for h in hist] == [(1, rec["lot_number"]), (2, "AB0001")]
    found = client.get("/api/v1/records", params={"atena_no": rec["atena_no"]}, headers=staff).json()
    assert [f["version"] for f in found] == [2]
    history = client.get(f"/api/v1/residents/{rec['atena_no']}/history", headers=staff).json()
    assert [x["id"] for x in history["records"]] == [r.json()["id"]] and "my_number" not in history
    assert all({"vaccine_code", "dose_no", "earliest", "latest"} <= set(d) for d in history["next_due"])


def test_reports_count_people_and_export_no_personal_numbers(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    rec = accept_one(client, settings, scanner_headers)
    resident = session.get(Resident, rec["atena_no"])
    assert resident is not None
    resident.my_number = "123456789018"
    session.add(resident)
    session.commit()
    staff = login(client, "staff1")
    yearly = client.get("/api/v1/reports/yearly", params={"fiscal_year": 2026}, headers=staff).json()
    assert yearly == [
        {
            "年度": 2026,
            "接種種類コード": rec["vaccine_code"],
            "ワクチン名": rec["vaccine_name"],
            "回数": rec["dose_no"],
            "接種者数": 1,
        }
    ]
    text = client.get("/api/v1/reports/yearly", params={"fiscal_year": 2026, "format": "csv"}, headers=staff).text
    month = date.today().strftime("%Y-%m")
    clinics = client.get("/api/v1/reports/clinics", params={"month": month, "format": "csv"}, headers=staff).text
    rows = list(csv.DictReader(io.StringIO(clinics)))
    import json

    from tests.support.env import SAMPLE

    kinds = [
        json.loads((SAMPLE / "pages" / f"{m}.json").read_text())["kind"]
        for m in json.loads(BATCH.with_suffix(".pages.json").read_text())
    ]
    forms = sum(k not in ("blank", "separator") for k in kinds)  # blank pages and separators are not forms
    assert rows[0]["受付予診票数"] == str(forms) and rows[0]["登録件数"] == "1"
    for exported in (text, clinics):
        assert "123456789018" not in exported and resident.name not in exported and resident.atena_no not in exported


def test_targets_are_residents_who_become_due_and_lack_the_dose(settings: Settings, session: Session) -> None:
    due = Resident(atena_no="900000000001", name="架空 一", name_kana="カクウ イチ", birth_date=date(2025, 12, 10), sex="1")
    has = Resident(atena_no="900000000002", name="架空 二", name_kana="カクウ ニ", birth_date=date(2025, 12, 11), sex="2")
    moved = Resident(
        atena_no="900000000003",
        name="架空 三",
        name_kana="カクウ サン",
        birth_date=date(2025, 12, 12),
        sex="1",
        move_reason="転出",
    )
    session.add_all([due, has, moved])
    session.add(
        VaccinationRecord(
            municipality_code="131202",
            atena_no=has.atena_no,
            vaccine_code="MR",
            dose_no=1,
            performed_on=date(2026, 12, 12),
            clinic_code="1310001",
        )
    )
    session.commit()
    found = {(t["宛名番号"], t["接種種類コード"], t["回数"]) for t in targets(session, "2026-12")}
    assert ("900000000001", "MR", 1) in found  # 1 year old on 2026-12-09
    assert ("900000000002", "MR", 1) not in found  # already has it
    assert not any(a == "900000000003" for a, _, _ in found)  # moved out: no form is mailed


def test_purge_deletes_only_past_retention_and_records_it(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    rec = accept_one(client, settings, scanner_headers)
    old = session.get(VaccinationRecord, rec["id"])
    assert old is not None and old.page_id is not None
    old.performed_on = date.today() - timedelta(days=5 * 366 + 1)
    session.add(old)
    session.add(
        VaccinationRecord(
            municipality_code="131202",
            atena_no=rec["atena_no"],
            vaccine_code="MR",
            dose_no=2,
            performed_on=date.today() - timedelta(days=30),
            clinic_code="1310001",
        )
    )
    session.commit()
    page = session.get(Page, old.page_id)
    assert page is not None and page.image_sha256
    store = ContentStore(settings.store_dir)
    dry = purge(session, store, date.today(), 5, dry_run=True)
    assert (dry.records, dry.pages) == (1, 1) and store.exists(page.image_sha256)
    done = purge(session, store, date.today(), 5, dry_run=False)
    assert (done.records, done.pages, done.originals) == (1, 1, 0)  # the original still holds 9 other pages
    session.expire_all()
    assert session.get(VaccinationRecord, rec["id"]) is None and session.get(Page, old.page_id) is None
    assert not store.exists(page.image_sha256)
    assert len(session.exec(select(VaccinationRecord)).all()) == 1  # the recent one stays
    assert session.exec(select(Original)).all()
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "retention.purge")).one()


def test_reports_count_each_vaccination_once_whatever_its_corrections(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    rec = accept_one(client, settings, scanner_headers)
    staff = login(client, "staff1")
    month = date.today().strftime("%Y-%m")

    def reports() -> tuple[str, list[dict[str, object]]]:
        clinics = client.get("/api/v1/reports/clinics", params={"month": month}, headers=staff).json()
        yearly = client.get("/api/v1/reports/yearly", params={"fiscal_year": 2026}, headers=staff).json()
        return str(clinics[0]["登録件数"]), yearly

    before = reports()
    assert before[0] == "1"
    current = rec["id"]
    for lot in ("AB0001", "AB0002"):  # corrected twice: still one vaccination, in every report
        r = client.post(
            f"/api/v1/records/{current}/correct", json={"changes": {"lot_number": lot}, "reason": "訂正連絡"}, headers=staff
        )
        assert r.status_code == 200, r.text
        current = r.json()["id"]
        assert reports() == before
    r = client.post(
        f"/api/v1/records/{current}/correct",
        json={"changes": {"dose_no": rec["dose_no"] + 1}, "reason": "回数訂正"},
        headers=staff,
    )
    assert r.status_code == 200
    clinics, yearly = reports()
    assert clinics == "1" and [y["回数"] for y in yearly] == [rec["dose_no"] + 1]  # counted under its corrected dose
    record = session.get(VaccinationRecord, r.json()["id"])
    assert record is not None
    record.deleted = True  # retracted (the record stays, flagged): no longer a vaccination in any report
    session.add(record)
    session.commit()
    clinics, yearly = reports()
    assert clinics == "0" and yearly == []
    again = accept_one(client, settings, scanner_headers)  # the next form of the bundle is committed
    clinics, yearly = reports()
    assert clinics == "1" and [(y["接種種類コード"], y["接種者数"]) for y in yearly] == [(again["vaccine_code"], 1)]


def test_a_search_is_one_audit_event_and_who_saw_a_resident_still_answers(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    from sqlmodel import col, func

    from models import RecordRead

    rec = accept_one(client, settings, scanner_headers)
    staff = login(client, "staff1")
    before = session.exec(select(func.max(AuditEvent.id))).one() or 0
    r = client.get("/api/v1/records", params={"lot": rec["lot_number"]}, headers=staff)
    assert r.status_code == 200 and [x["id"] for x in r.json()] == [rec["id"]]
    assert r.headers["X-Total-Count"] == "1" and "X-Next-Offset" not in r.headers
    session.expire_all()
    events = session.exec(select(AuditEvent).where(col(AuditEvent.id) > before)).all()
    assert [(e.action, e.object_id) for e in events] == [("record.search", f"lot={rec['lot_number']}")]
    assert events[0].outcome.startswith("ok: 1 of 1 records from 0; ids sha256:")
    reads = session.exec(select(RecordRead).where(RecordRead.audit_id == events[0].id)).all()
    assert [(x.atena_no, x.record_id) for x in reads] == [(rec["atena_no"], rec["id"])]
    seen = client.get("/api/v1/audit", params={"object_id": rec["atena_no"]}, headers=staff).json()
    assert any(e["action"] == "record.search" and e["id"] == events[0].id for e in seen)  # who saw resident X
    csv_body = client.get("/api/v1/records", params={"lot": rec["lot_number"], "format": "csv"}, headers=staff)
    assert csv_body.content.startswith("\ufeff宛名番号".encode()) and rec["atena_no"] in csv_body.text


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_records_come_a_page_at_a_time_with_a_total(settings: Settings, session: Session, client: TestClient) -> None:
    from intake.services.ledger import RecordQuery
    from intake.services.record_reads import read_records

    for i in range(7):
        session.add(
            VaccinationRecord(
                municipality_code="131202", atena_no=f"{i:012d}", vaccine_code="MR", dose_no=1,
                performed_on=date(2026, 10, 1) + timedelta(days=i), clinic_code="1310001", lot_number="P1",
            )
        )  # fmt: skip
    session.commit()
    q = RecordQuery(vaccine_code="MR", date_from=date(2026, 10, 1), limit=3)
    pages = [read_records(session, "user:1", q, offset) for offset in (0, 3, 6)]
    assert [p.total for p in pages] == [7, 7, 7] and [p.next_offset for p in pages] == [3, 6, None]
    ids = [r["id"] for p in pages for r in p.items]
    assert len(ids) == len(set(ids)) == 7  # no overlap, nothing skipped
    staff = login(client, "staff1")
    r = client.get("/api/v1/records", params={"vaccine": "MR", "limit": 3, "offset": 3}, headers=staff)
    assert r.headers["X-Total-Count"] == "7" and r.headers["X-Next-Offset"] == "6" and len(r.json()) == 3
