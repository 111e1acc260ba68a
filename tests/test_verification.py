"""The verification station's server side: double entry, group verification, QA sampling (real Redis + worker)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from intake.services import auto_commit, qa, reasons
from intake.settings import Settings, get_settings
from models import Page, PageStatus, VaccinationRecord
from models.page_state import FirstEntry, IdentityRead
from tests.support.api import committed_record, keyed_values, login, take_form_with_doubtful_critical, upload
from tests.support.env import BATCH, SAMPLE
from tests.support.worker import run_worker

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


@SQLITE
def test_double_entry_agreeing_keyings_commit_and_disagreeing_go_to_a_supervisor(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    upload(client, scanner_headers, BATCH)
    run_worker(settings)
    r1, r2, sup = login(client, "reviewer1"), login(client, "reviewer2"), login(client, "supervisor1")

    # disagreement: reviewer2 reads another vaccination date → a supervisor decides
    form = take_form_with_doubtful_critical(client, r1)
    values = keyed_values(form)
    body = {
        "version": form["version"],
        "atena_no": form["candidates"][0]["atena_no"],
        "values": values,
        "acknowledged": True,
    }
    first = client.post(f"/api/v1/review/pages/{form['id']}/accept", json=body, headers=r1).json()
    assert first["status"] == "second_entry_needed" and first["record"] is None
    retried = client.post(f"/api/v1/review/pages/{form['id']}/accept", json=body, headers=r1).json()
    assert retried["status"] == "second_entry_needed"  # a lost reply retried: held once, nothing else
    assert session.exec(select(VaccinationRecord)).all() == []
    again = client.post("/api/v1/review/next", headers=r1).json()
    assert again is None or again["id"] != form["id"]  # never your own second keying

    second = client.post("/api/v1/review/next", headers=r2).json()
    assert second["id"] == form["id"] and second["second_entry"]
    blind = [f for f in second["fields"] if f["blind"]]
    assert blind and all(f["value"] == "" and f["confidence"] == 0 for f in blind)
    assert {f["name"] for f in blind} <= {"vaccination_date", "lot_number"}
    differ = blind[0]["name"]
    other = dict(values, **{differ: "2026-10-02" if differ == "vaccination_date" else "ZZ9999"})
    out = client.post(
        f"/api/v1/review/pages/{form['id']}/accept", json={**body, "version": second["version"], "values": other}, headers=r2
    ).json()
    label = next(f["label"] for f in form["fields"] if f["name"] == differ)  # the field as the form prints it
    assert out["status"] == "sent_to_supervisor" and out["message"].startswith(f"2人の入力が一致しません: {label}: "), out
    assert session.exec(select(VaccinationRecord)).all() == []
    held = client.post("/api/v1/review/next", headers=r2).json()
    assert held["id"] != form["id"]  # a supervisor's form now
    client.post(f"/api/v1/review/pages/{held['id']}/defer", json={"version": held["version"], "reason": "later"}, headers=r2)
    page = client.get(f"/api/v1/review/pages/{form['id']}", headers=sup).json()
    differs = [r for r in page["reasons"] if r["code"] == "review.keyings_differ"]
    assert differs and differs[0]["text"].startswith("2人の入力が一致しません: ")
    done = client.post(
        f"/api/v1/review/pages/{form['id']}/accept", json={**body, "version": page["version"]}, headers=sup
    ).json()
    assert done["status"] == "committed" and done["record"]["lot_number"] == values["lot_number"]

    # agreement: the same values keyed blind by reviewer2 → committed
    form = take_form_with_doubtful_critical(client, r1)
    body = {"version": form["version"], "atena_no": form["candidates"][0]["atena_no"], "values": keyed_values(form)}
    body["acknowledged"] = True
    keyed_twice = {f["name"] for f in form["fields"] if f["critical"] and not f["auto_ok"]}  # blind for reviewer2
    rec = committed_record(
        client, form["id"], body, client.post(f"/api/v1/review/pages/{form['id']}/accept", json=body, headers=r1).json()
    )
    assert rec["page_id"] == form["id"]

    stats = client.get("/api/v1/review/stats", headers=sup).json()["double_entry"]
    assert stats["pairs"] == 2 and stats["disagreed"] == 1
    # per field: the first form's disagreement, and the second form's agreement where that field was keyed twice
    assert stats["by_field"][differ] == {"pairs": 1 + (differ in keyed_twice), "disagreed": 1}, (stats, keyed_twice)
    assert all(stats["by_field"][name]["disagreed"] == 0 for name in keyed_twice - {differ})


@SQLITE
def test_group_verification_confirms_one_field_across_forms(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    upload(client, scanner_headers, BATCH)
    run_worker(settings)
    r1, r2 = login(client, "reviewer1"), login(client, "reviewer2")
    assert client.post("/api/v1/review/group/take", params={"field": "atena_no"}, headers=r1).status_code == 422

    items = client.post("/api/v1/review/group/take", params={"field": "doctor_name", "limit": 4}, headers=r1).json()
    assert len(items) == 4
    theirs = client.post("/api/v1/review/group/take", params={"field": "doctor_name"}, headers=r2).json()
    assert not {i["page_id"] for i in items} & {i["page_id"] for i in theirs}  # locked: never the same page twice
    crop = client.get(f"/api/v1/review/pages/{items[0]['page_id']}/crop/doctor_name", headers=r1)
    assert crop.status_code == 200 and crop.content[:4] == b"\x89PNG"
    assert client.get(f"/api/v1/review/pages/{items[0]['page_id']}/crop/doctor_name", headers=r2).status_code == 403

    confirm = [
        {"page_id": items[0]["page_id"], "version": items[0]["version"], "value": "確認 医師"},  # corrected
        {"page_id": items[1]["page_id"], "version": items[1]["version"], "value": items[1]["value"]},  # as read
        {"page_id": items[2]["page_id"], "version": items[2]["version"] - 1, "value": "x"},  # stale
    ]
    out = client.post(
        "/api/v1/review/group/confirm", params={"field": "doctor_name"}, json={"items": confirm}, headers=r1
    ).json()
    assert sorted(out["confirmed"]) == sorted([items[0]["page_id"], items[1]["page_id"]])
    assert out["corrected"] == [items[0]["page_id"]]
    assert list(out["refused"]) == [str(items[2]["page_id"])] and "もう一度取得" in out["refused"][str(items[2]["page_id"])]
    session.expire_all()
    page = session.get(Page, items[0]["page_id"])
    assert page is not None and page.status == PageStatus.extracted and page.locked_by is None
    doctor = page.extraction.fields["doctor_name"]
    assert doctor.value == "確認 医師" and doctor.confirmed_by
    assert "doctor_name" not in reasons.check_fields(page.needs_review_reasons)
    # the form view shows the field confirmed (✓, no stop) when the form comes up for review
    unconfirmed = session.get(Page, items[2]["page_id"])
    assert unconfirmed is not None and unconfirmed.extraction.fields["doctor_name"].confirmed_by is None

    dates = client.post("/api/v1/review/group/take", params={"field": "vaccination_date", "limit": 1}, headers=r2).json()
    if dates:
        bad = [{"page_id": dates[0]["page_id"], "version": dates[0]["version"], "value": "13月45日"}]
        out = client.post(
            "/api/v1/review/group/confirm", params={"field": "vaccination_date"}, json={"items": bad}, headers=r2
        ).json()
        assert out["confirmed"] == [] and "日付として読めません" in next(iter(out["refused"].values()))


def test_qa_sample_share_is_what_was_set_and_stable() -> None:
    picked = [i for i in range(20000) if qa.sampled(i, 0.05)]
    assert 0.04 < len(picked) / 20000 < 0.06
    assert picked == [i for i in range(20000) if qa.sampled(i, 0.05)]  # the same page, the same answer
    assert not any(qa.sampled(i, 0.0) for i in range(1000)) and all(qa.sampled(i, 1.0) for i in range(1000))


@SQLITE
def test_qa_samples_measure_the_machines_precision(
    client: TestClient,
    settings: Settings,
    session: Session,
    scanner_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTAKE_QA_SAMPLE_RATE", "1")  # every form a sample; the worker reads its own settings
    monkeypatch.setenv("INTAKE_DOUBLE_ENTRY", "false")
    get_settings.cache_clear()
    upload(client, scanner_headers, BATCH)
    run_worker(settings)
    session.expire_all()
    forms = session.exec(select(Page).where(Page.status == PageStatus.extracted)).all()
    assert forms and all(p.qa_sample and "review.qa_sample" in reasons.codes(p.needs_review_reasons) for p in forms)

    r1 = login(client, "reviewer1")
    form = client.post("/api/v1/review/next", headers=r1).json()
    assert form["qa_sample"]
    sure = [f["name"] for f in form["fields"] if f["auto_ok"]]
    assert sure, "the sample form has auto-accepted fields"
    values = keyed_values(form)
    values[sure[0]] = values[sure[0]] + "X"  # the reviewer finds one auto-accepted field wrong
    body = {
        "version": form["version"],
        "atena_no": form["candidates"][0]["atena_no"],
        "values": values,
        "acknowledged": True,
    }
    client.app.state.settings = settings.model_copy(update={"double_entry": False})  # type: ignore[attr-defined]
    out = client.post(f"/api/v1/review/pages/{form['id']}/accept", json=body, headers=r1).json()
    assert out["status"] == "committed", out
    stats = client.get("/api/v1/review/stats", headers=login(client, "supervisor1")).json()["qa"]
    assert stats["reviewed"] == 1 and stats["auto_fields"] == len(sure) and stats["auto_fields_corrected"] == 1
    assert stats["auto_field_precision"] == round(1 - 1 / len(sure), 4) and stats["waiting"] == len(forms) - 1


@SQLITE
def test_auto_commit_writes_a_form_the_machine_was_sure_of_and_only_when_switched_on(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    receipt = upload(client, scanner_headers, BATCH)
    run_worker(settings)
    manifest = json.loads(BATCH.with_suffix(".pages.json").read_text())
    session.expire_all()
    for page_id, name in zip(receipt["page_ids"], manifest, strict=True):
        truth = json.loads((SAMPLE / "pages" / f"{name}.json").read_text())
        page = session.get(Page, page_id)
        assert page is not None
        if page.match.decision == "auto" and truth.get("fields", {}).get("lot_number"):
            break
    else:
        raise AssertionError("no automatically matched form with a lot in the sample batch")
    # as if the machine had been sure of every field: the values are the truth, all auto-accepted
    sure = page.extraction
    for k, f in page.extraction.fields.items():
        sure = sure.with_field(k, value=str(truth["fields"].get(k) or f.value), auto_ok=True)
    page.extraction = sure
    assert not auto_commit.commit_sure(session, page, settings)  # the ward's default: every form reviewed
    on = settings.model_copy(update={"auto_commit": True})
    # its number unread (neither QR nor printed id): vaccine and dose unknown, never committed automatically, however
    # well the printed block matched — such a page is one the issuance registry could not check (a copy, a voided form)
    numbered, reasons_before = page.extraction, page.needs_review_reasons
    page.extraction = numbered.model_copy(update={"identity": IdentityRead(source="none")})
    assert not auto_commit.commit_sure(session, page, on)
    assert page.needs_review_reasons[-1].params["error"] == "review.vaccine_unknown", page.needs_review_reasons
    page.extraction, page.needs_review_reasons = numbered, reasons_before
    assert auto_commit.commit_sure(session, page, on), page.needs_review_reasons
    session.commit()
    row = session.exec(select(VaccinationRecord).where(VaccinationRecord.page_id == page_id)).one()
    assert row.operator_id is None and row.lot_number == truth["fields"]["lot_number"]
    assert row.atena_no == page.match.atena_no


@SQLITE
def test_the_queue_filters_by_batch_clinic_and_reason(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    first = upload(client, scanner_headers, BATCH)
    second = upload(client, scanner_headers, SAMPLE / "batches" / "batch_02.pdf", clinic="1310002")
    run_worker(settings)
    r1 = login(client, "reviewer1")

    def take(**params: Any) -> Any:
        r = client.post("/api/v1/review/next", params=params, headers=r1)
        assert r.status_code == 200, r.text
        form = r.json()
        if form is not None:  # give it back, so the next call starts again from the whole queue
            client.post(
                f"/api/v1/review/pages/{form['id']}/defer", json={"version": form["version"], "reason": "t"}, headers=r1
            )
        return form

    assert take(batch_id=second["batch_id"])["batch_id"] == second["batch_id"]
    assert take(clinic="1310002")["batch_id"] == second["batch_id"]
    assert take(clinic="9999999") is None
    no_match = take(reason="no_match")
    assert no_match is not None and any(r["code"].startswith("match.") for r in no_match["reasons"])
    assert first["batch_id"] != second["batch_id"]
    bad = client.post("/api/v1/review/next", params={"reason": "bogus"}, headers=r1)
    assert bad.status_code == 422 and "low_confidence" in bad.json()["fix"]


def test_a_reviewers_pace_is_the_median_gap_between_finished_forms_breaks_left_out() -> None:
    from datetime import datetime, timedelta

    from intake.services.oversight import pace

    t0 = datetime(2026, 11, 26, 9, 0, 0)
    at = [t0 + timedelta(seconds=s) for s in (0, 4, 9, 12, 12 + 45 * 60, 12 + 45 * 60 + 5)]  # a 45-minute break
    assert pace(at) == 4.5  # gaps 4, 5, 3 and 5 s; the break is not work
    assert pace(at[:1]) is None and pace([t0, t0 + timedelta(hours=1)]) is None  # nothing to measure yet


def test_double_entry_compares_every_field_the_ledger_stores_not_only_the_blind_ones() -> None:
    from intake.services.double_entry import disagreements
    from models import Page

    page = Page(batch_id=1, original_sha256="x", page_index=0)
    keyed = {"vaccination_date": "令和8年11月1日", "lot_number": "ab 12", "dose_no": "2", "dose_ml": "0.5"}
    page.first_entry = FirstEntry(by=1, atena_no="000100000001", values=keyed)
    same = {"vaccination_date": "2026-11-01", "lot_number": "AB12", "dose_no": "2", "dose_ml": "0.50"}
    assert disagreements(page, ["vaccination_date"], same, "000100000001") == []
    other_dose = {**same, "dose_no": "3"}
    assert disagreements(page, ["vaccination_date"], other_dose, "000100000001") == ["dose_no: '2' ≠ '3'"]
