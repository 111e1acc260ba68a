"""What a reviewer's keys must be able to say, server side: a 見合わせ form committed as the paper says (no invented
date), the second keying of a form without a ward QR keeping what the first keyed outside the blind fields, and a
screen that never takes a form the reviewer did not ask for."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from intake.settings import Settings
from models import Page, VaccinationRecord
from tests.support.api import keyed_values, login, take_form_with_doubtful_critical, upload
from tests.support.env import BATCH
from tests.support.worker import run_worker

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


def _accept(client: TestClient, who: dict[str, str], form: dict, atena: str, values: dict[str, str]):  # type: ignore[no-untyped-def,type-arg]
    body = {"version": form["version"], "atena_no": atena, "values": values, "acknowledged": True}
    return client.post(f"/api/v1/review/pages/{form['id']}/accept", json=body, headers=who)


def test_a_mi_awase_form_without_a_date_is_recorded_as_screening_only_with_no_date(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    upload(client, scanner_headers, BATCH)
    run_worker(settings)
    sup = login(client, "supervisor1")  # decides alone: no second keying in the way of what is tested here
    form = client.post("/api/v1/review/next", headers=sup).json()
    values = {**keyed_values(form), "vaccination_date": "", "lot_number": ""}
    # a dose given (接種可) needs its date: refused in words, nothing stored
    given = _accept(client, sup, form, form["candidates"][0]["atena_no"], {**values, "screening_result": "接種可"})
    assert given.status_code == 422 and given.json()["code"] == "date.empty", given.text
    assert given.json()["message"] == "接種年月日が空欄です"
    assert session.exec(select(VaccinationRecord)).all() == []
    # 見合わせ with no date on the paper: 予診のみ, the date recorded as not written
    r = _accept(client, sup, form, form["candidates"][0]["atena_no"], {**values, "screening_result": "見合わせ"})
    assert r.status_code == 200 and r.json()["status"] == "committed", r.text
    record = r.json()["record"]
    assert record["screened_only"] is True and record["performed_on"] is None
    staff = login(client, "staff1")
    history = client.get(f"/api/v1/residents/{record['atena_no']}/history", headers=staff)
    assert history.status_code == 200, history.text
    assert [x["performed_on"] for x in history.json()["records"] if x["id"] == record["id"]] == [None]


def test_the_second_keying_keeps_vaccine_dose_and_resident_the_first_keyed(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    """A form whose vaccine and dose the first reviewer typed from the title and whose resident was found by a
    search (another municipality's form): the second reviewer keys only the blind fields."""
    upload(client, scanner_headers, BATCH)
    run_worker(settings)
    r1, r2 = login(client, "reviewer1"), login(client, "reviewer2")
    form = take_form_with_doubtful_critical(client, r1)
    proposed = {c["atena_no"] for c in form["candidates"]}
    other = next(
        a for a in ("000100000007", "000100000014") if a not in proposed
    )  # a resident of the sample register the machine did not propose
    found = client.get(f"/api/v1/review/pages/{form['id']}/candidates", params={"atena_no": other}, headers=r1)
    assert found.status_code == 200 and [c["atena_no"] for c in found.json()] == [other], found.text
    values = {**keyed_values(form), "vaccine_code": "MR", "dose_no": "1"}
    first = _accept(client, r1, form, other, values)
    assert first.json()["status"] == "second_entry_needed", first.text

    second = client.post("/api/v1/review/next", headers=r2).json()
    assert second["id"] == form["id"] and second["second_entry"]
    assert second["keyed"] == {"vaccine_code": "MR", "dose_no": "1"}  # not blind: kept
    assert second["chosen_atena_no"] == other and other in [c["atena_no"] for c in second["candidates"]]
    assert all(f["value"] == "" for f in second["fields"] if f["blind"])  # the critical fields stay blind
    done = _accept(client, r2, second, other, values)
    assert done.status_code == 200 and done.json()["status"] == "committed", done.text
    assert done.json()["record"]["atena_no"] == other and done.json()["record"]["vaccine_code"] == "MR"


@SQLITE
def test_looking_at_the_queue_takes_no_form(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    """The statistics a screen shows before the reviewer asks for a form lock nothing; only /review/next takes."""
    upload(client, scanner_headers, BATCH)
    run_worker(settings)
    r1 = login(client, "reviewer1")
    assert client.get("/api/v1/review/queue", headers=r1).status_code == 200
    session.expire_all()
    assert [p.id for p in session.exec(select(Page).where(Page.locked_by.is_not(None))).all()] == []  # type: ignore[union-attr]
    assert client.post("/api/v1/review/next", headers=r1).json() is not None
    session.expire_all()
    assert len(session.exec(select(Page).where(Page.locked_by.is_not(None))).all()) == 1  # type: ignore[union-attr]
