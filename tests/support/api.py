"""Driving the API as the people do: a scanner uploads, reviewers log in, take forms and accept them (with the
second blind keying where double entry asks for it)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from intake.demo import DEMO_USERS
from intake.settings import Settings
from tests.support.env import BATCH
from tests.support.worker import run_worker


def login(client: TestClient, user: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"username": user, "password": DEMO_USERS[user][1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def upload(client: TestClient, headers: dict[str, str], *paths: object, clinic: str = "1310001") -> dict:  # type: ignore[type-arg]
    files = [("files", (p.name, p.read_bytes(), "application/pdf")) for p in paths]  # type: ignore[attr-defined]
    r = client.post("/api/v1/batches", data={"clinic_code": clinic}, files=files, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def first_form(client: TestClient, settings: Settings, scanner_headers: dict[str, str]) -> tuple[dict[str, str], dict]:  # type: ignore[type-arg]
    """The common prologue: a batch uploaded and read, reviewer1 logged in holding the first form."""
    upload(client, scanner_headers, BATCH)
    run_worker(settings)
    reviewer = login(client, "reviewer1")
    return reviewer, client.post("/api/v1/review/next", headers=reviewer).json()


def committed_record(client: TestClient, page_id: int, body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    """The ledger row of an accept. Where the machine was unsure of a critical field (double entry), the first
    accept only holds the keying: reviewer2 then takes the same form, sees those fields blind, keys the same
    values and the row is committed."""
    if reply["status"] == "committed":
        return reply["record"]  # type: ignore[no-any-return]
    assert reply["status"] == "second_entry_needed", reply
    other = login(client, "reviewer2")
    form = client.post("/api/v1/review/next", headers=other).json()
    assert form["id"] == page_id and form["second_entry"], form
    assert all(f["value"] == "" for f in form["fields"] if f["blind"])  # blind: the first keying is not shown
    r = client.post(f"/api/v1/review/pages/{page_id}/accept", json={**body, "version": form["version"]}, headers=other)
    assert r.status_code == 200 and r.json()["status"] == "committed", r.text
    return r.json()["record"]  # type: ignore[no-any-return]


def accept_body(form: dict[str, Any]) -> dict[str, Any]:
    """An accept of a form as read, with the first candidate, a date and lot where the reading left them empty, and
    any schedule finding acknowledged."""
    values = {f["name"]: f["value"] for f in form["fields"]}
    values.update(vaccination_date="2026-11-01", lot_number=values["lot_number"] or "n/a", screening_result="接種可")
    return {
        "version": form["version"],
        "atena_no": form["candidates"][0]["atena_no"],
        "values": values,
        "acknowledged": True,
    }


def accept_one(client: TestClient, settings: Settings, scanner_headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    reviewer, form = first_form(client, settings, scanner_headers)
    body = accept_body(form)
    r = client.post(f"/api/v1/review/pages/{form['id']}/accept", json=body, headers=reviewer)
    assert r.status_code == 200, r.text
    return committed_record(client, form["id"], body, r.json())


def keyed_values(form: dict[str, Any]) -> dict[str, str]:
    values = {f["name"]: f["value"] for f in form["fields"]}
    values.update(vaccination_date=values["vaccination_date"] or "2026-11-01", lot_number=values["lot_number"] or "n/a")
    return values


def take_form_with_doubtful_critical(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """Take forms until one whose critical field the machine was unsure of (they are most of the sample)."""
    for _ in range(12):
        form = client.post("/api/v1/review/next", headers=headers).json()
        assert form is not None, "no form with a doubtful critical field in the sample batch"
        if any(f["critical"] and not f["auto_ok"] for f in form["fields"]):
            return form  # type: ignore[no-any-return]
        r = client.post(
            f"/api/v1/review/pages/{form['id']}/defer", json={"version": form["version"], "reason": "skip"}, headers=headers
        )
        assert r.status_code == 204
    raise AssertionError("no form with a doubtful critical field")
