"""Every form the ward issues is on record (#16): numbered by the database's sequence, reissued with the old number
voided, and checked at intake — received once, never voided, never another's — a number the registry vouches for
anchoring the form to its resident."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from intake.forms import render_pdf
from intake.services import issuance
from intake.services.mailing import form_content
from intake.settings import Settings
from models import IssuedForm, Page, Resident, Vaccine
from ocr.codes import form_no_valid, make_form_no
from ocr.template import load_template
from tests.support.api import login
from tests.support.env import ROOT
from tests.support.worker import run_worker

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
DPI = 200


def _targets(session: Session, path: Path, n: int) -> Path:
    residents = session.exec(select(Resident).where(Resident.move_reason == "").where(Resident.deleted == False)).all()  # noqa: E712
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["宛名番号", "接種種類コード", "回数"])
        for i in range(n):
            w.writerow([residents[i % len(residents)].atena_no, "MR", 1 + i % 2])
    return path


def test_two_mailings_at_once_and_a_counter_reissue_never_share_a_number(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    """Two `intake forms print-bulk` runs as separate processes at the same time, and a counter reissue between:
    every number distinct, check digit valid, and on record with its resident (both databases)."""
    n = 120
    targets = _targets(session, tmp_path / "targets.csv", n)
    cli = [sys.executable, "-c", "from intake.cli import main; main()"]
    runs = [
        subprocess.Popen([*cli, "forms", "print-bulk", str(targets), "--out", str(tmp_path / f"mail{k}")], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
        for k in (1, 2)
    ]  # fmt: skip
    someone = session.exec(select(Resident).where(Resident.move_reason == "")).first()
    assert someone is not None
    counter = subprocess.run(
        [*cli, "forms", "print", "--resident", someone.atena_no, "--vaccine", "MR", "--dose", "1",
         "--out", str(tmp_path / "counter.pdf")], cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert counter.returncode == 0, counter.stderr
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    session.expire_all()
    rows = session.exec(select(IssuedForm)).all()
    numbers = [row.form_no for row in rows]
    assert len(rows) == 2 * n + 1 and len(set(numbers)) == len(numbers)
    assert all(form_no_valid(x) and int(x[:10]) >= settings.form_no_start for x in numbers)
    assert sum(len(list((tmp_path / f"mail{k}").glob("mailing_*.pdf"))) for k in (1, 2)) >= 2
    assert not list((tmp_path / "mail1").glob(".mailing-*"))  # the staging folder is gone
    # (which earlier forms the reissue voided depends on which mailing had committed first: the void itself is
    # the next test's)
    counter_row = next(row for row in rows if row.channel == "counter")
    assert not counter_row.voided


@SQLITE
def test_a_reissue_voids_the_earlier_form_and_counts_the_reissues(
    client: TestClient, settings: Settings, session: Session
) -> None:
    staff = login(client, "staff1")
    someone = session.exec(select(Resident).where(Resident.move_reason == "")).first()
    assert someone is not None
    body = {"atena_no": someone.atena_no, "vaccine_code": "MR", "dose_no": 2, "reason": "紛失"}
    first = client.post("/api/v1/forms/reissue", json=body, headers=staff)
    assert first.status_code == 200 and first.content[:5] == b"%PDF-" and first.headers["X-Voided"] == ""
    second = client.post("/api/v1/forms/reissue", json=body, headers=staff)
    assert second.headers["X-Voided"] == first.headers["X-Form-No"]
    listed = client.get("/api/v1/forms/issued", params={"atena_no": someone.atena_no}, headers=staff).json()
    assert [(f["form_no"], f["voided"], f["reissue_no"]) for f in listed] == [
        (first.headers["X-Form-No"], True, 0),
        (second.headers["X-Form-No"], False, 1),
    ]
    assert listed[0]["void_reason"] == "紛失"
    bad = client.post("/api/v1/forms/reissue", json={**body, "dose_no": 7}, headers=staff)
    assert bad.status_code == 422 and bad.json()["code"] == "vaccine.no_such_dose"
    assert len(session.exec(select(IssuedForm)).all()) == 2  # the refused one recorded nothing


def _page_png(
    settings: Settings, session: Session, atena_no: str, form_no: str, blank_printed: bool = False, hide_qr: bool = False
) -> bytes:
    """The form as a clinic sends it back: the printed PDF rendered at 200 dpi (no handwriting), as a PNG."""
    r, v = session.get(Resident, atena_no), session.get(Vaccine, "MR")
    assert r is not None and v is not None
    pdf = render_pdf([form_content(settings, r, v, 1, form_no)])
    img = np.asarray(pdfium.PdfDocument(pdf)[0].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")).copy()
    if blank_printed:  # the printed resident block unreadable (smudged, cut off): its values whited out
        t, k = load_template(settings.template_version), DPI / 25.4
        for row in t.resident_block:
            x, y, w, h = row["box"]
            x0 = x + t.resident_value_x_mm - 1
            img[int((y + 0.8) * k) : int((y + h - 0.8) * k), int(x0 * k) : int((x + w - 1) * k)] = 255
    if hide_qr:  # the QR torn or stained past reading; the id printed under it left whole
        x, y, w, h = load_template(settings.template_version).qr["box"]
        k = DPI / 25.4
        img[int(y * k) : int((y + h) * k), int(x * k) : int((x + w) * k)] = 255
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    return buf.getvalue()


def _read(client: TestClient, settings: Settings, session: Session, png: bytes, name: str) -> Page:
    headers = {"X-API-Key": "demo-scanner-key-not-for-production"}
    r = client.post(
        "/api/v1/batches", data={"clinic_code": "1310001"}, files=[("files", (name, png, "image/png"))], headers=headers
    )
    assert r.status_code == 201, r.text
    run_worker(settings)
    session.expire_all()
    page = session.get(Page, r.json()["page_ids"][0])
    assert page is not None
    return page


def _codes(page: Page) -> set[str]:
    return {r.code for r in page.needs_review_reasons}


@SQLITE
def test_intake_checks_every_numbered_form_against_the_registry(
    client: TestClient, settings: Settings, session: Session
) -> None:
    someone = session.exec(select(Resident).where(Resident.move_reason == "")).first()
    assert someone is not None
    (issued,) = issuance.issue(
        session, settings, [issuance.Wanted(someone.atena_no, "MR", 1)], issuance.Channel.mailing, "test", date.today()
    )
    session.commit()
    form_no = issued.form_no

    # the printed block unreadable: the registry's word anchors the form to its resident
    first = _read(client, settings, session, _page_png(settings, session, someone.atena_no, form_no, True), "a.png")
    assert first.match.decision == "auto" and first.match.atena_no == someone.atena_no, first.match
    assert first.match.explanation[0].code == "match.registry_anchor" and not _codes(first) & {"registry.received"}
    session.refresh(issued)
    assert issued.received_page_id == first.id

    # the same form again, re-wrapped (another file): caught at reading time, naming the first batch
    again = _read(client, settings, session, _page_png(settings, session, someone.atena_no, form_no), "copy.png")
    assert "registry.received" in _codes(again)
    said = next(r for r in again.needs_review_reasons if r.code == "registry.received")
    assert said.params["batch"] == first.batch_id and again.status != "committed"

    # a number in the registry's range that was never issued: to a person, with the reason
    forged = make_form_no(settings.form_no_start + 5000)
    unknown = _read(client, settings, session, _page_png(settings, session, someone.atena_no, forged, True), "u.png")
    assert "registry.unknown" in _codes(unknown) and unknown.match.decision != "auto"

    # a voided number
    staff = login(client, "staff1")
    body = {"atena_no": someone.atena_no, "vaccine_code": "MR", "dose_no": 2, "reason": "紛失"}
    old = client.post("/api/v1/forms/reissue", json=body, headers=staff).headers["X-Form-No"]
    client.post("/api/v1/forms/reissue", json=body, headers=staff)
    r, v = session.get(Resident, someone.atena_no), session.get(Vaccine, "MR")
    assert r is not None and v is not None
    voided = _read(client, settings, session, _voided_png(settings, r, v, old), "v.png")
    assert "registry.voided" in _codes(voided)

    # old stock (a number below the registry's first): read as before — no anchor, no registry reason
    stock = _read(client, settings, session, _page_png(settings, session, someone.atena_no, make_form_no(77), True), "o.png")
    assert not {c for c in _codes(stock) if c.startswith("registry.")} and stock.match.decision != "auto"


@SQLITE
def test_a_form_whose_qr_cannot_be_read_is_checked_by_the_id_printed_under_it(
    client: TestClient, settings: Settings, session: Session
) -> None:
    """The printed id (市区町村コード-宛名番号-予診票番号, both check digits) stands in for an unreadable QR: the registry
    checks it as it checks a QR, and a number it vouches for anchors the form, with the vaccine and dose on record."""
    someone, other = session.exec(select(Resident).where(Resident.move_reason == "")).all()[:2]
    issued, theirs = issuance.issue(
        session,
        settings,
        [issuance.Wanted(someone.atena_no, "MR", 1), issuance.Wanted(other.atena_no, "MR", 1)],
        issuance.Channel.mailing,
        "test",
        date.today(),
    )
    session.commit()

    png = _page_png(settings, session, someone.atena_no, issued.form_no, blank_printed=True, hide_qr=True)
    page = _read(client, settings, session, png, "no-qr.png")
    ident = page.extraction.identity
    assert ident.source == "digits" and (ident.vaccine_code, ident.dose_no) == ("MR", 1), ident
    assert page.match.decision == "auto" and page.match.atena_no == someone.atena_no, page.match
    assert page.match.explanation[0].code == "match.registry_anchor"
    session.refresh(issued)
    assert issued.received_page_id == page.id

    # another resident's number printed beside this resident's 宛名番号: stopped, as from a QR
    png = _page_png(settings, session, someone.atena_no, theirs.form_no, blank_printed=True, hide_qr=True)
    stopped = _read(client, settings, session, png, "other.png")
    assert stopped.extraction.identity.source == "digits"
    assert "registry.other_form" in _codes(stopped) and stopped.match.decision != "auto"


def _voided_png(settings: Settings, r: Resident, v: Vaccine, form_no: str) -> bytes:
    pdf = render_pdf([form_content(settings, r, v, 2, form_no)])
    buf = io.BytesIO()
    pdfium.PdfDocument(pdf)[0].render(scale=DPI / 72, grayscale=True).to_pil().convert("L").save(buf, "PNG")
    return buf.getvalue()


@SQLITE
def test_a_vaccination_certificate_lists_the_ledgers_doses_and_its_print_is_recorded(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    from models import AuditEvent, CertificatePrint
    from tests.support.api import accept_one

    record = accept_one(client, settings, scanner_headers)
    staff = login(client, "staff1")
    r = client.get(f"/api/v1/residents/{record['atena_no']}/certificate", headers=staff)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdfium.PdfDocument(r.content)[0].get_textpage().get_text_range()
    resident = session.get(Resident, record["atena_no"])
    assert resident is not None and resident.name in text and "予防接種済証" in text
    assert record["lot_number"] in text and f"第{record['dose_no']}回" in text
    assert "令和" in text  # dates as the ward writes them
    session.expire_all()
    printed = session.exec(select(CertificatePrint)).all()
    assert [(p.atena_no, p.doses) for p in printed] == [(record["atena_no"], 1)]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "certificate.print")).first() is not None
    assert client.get("/api/v1/residents/000000000000/certificate", headers=staff).status_code == 404


@SQLITE
def test_a_mailing_with_bad_lines_names_each_and_records_and_prints_nothing(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    good = session.exec(select(Resident).where(Resident.move_reason == "")).first()
    assert good is not None
    targets = tmp_path / "targets.csv"
    targets.write_text(
        f"宛名番号,接種種類コード,回数\n{good.atena_no},MR,1\n999999999999,MR,1\n{good.atena_no},XX,1\n{good.atena_no},MR,5\n",
        encoding="utf-8",
    )
    r = subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", "forms", "print-bulk", str(targets),
         "--out", str(tmp_path / "mail")], cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    for said in ("3 行目: 宛名番号が見つかりません", "4 行目: 接種種類コードが見つかりません", "5 行目: 回数「5」は"):
        assert said in r.stderr, r.stderr
    assert "[csv.rejected]" in r.stderr and "Traceback" not in r.stderr
    session.expire_all()
    assert session.exec(select(IssuedForm)).all() == [] and not list((tmp_path / "mail").glob("*.pdf"))


@SQLITE
def test_no_form_is_reissued_to_a_resident_who_moved_out(client: TestClient, session: Session) -> None:
    gone = session.exec(select(Resident).where(Resident.move_reason != "")).first()
    assert gone is not None, "the sample register has a resident who moved out"
    r = client.post(
        "/api/v1/forms/reissue",
        json={"atena_no": gone.atena_no, "vaccine_code": "MR", "dose_no": 1},
        headers=login(client, "staff1"),
    )
    assert r.status_code == 422 and r.json()["code"] == "form.resident_gone" and gone.move_reason in r.json()["message"]
    assert session.exec(select(IssuedForm)).all() == []


@SQLITE
def test_a_request_letter_is_numbered_and_its_vaccination_entered_against_it(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    from models import RequestLetter, VaccinationRecord
    from tests.support.api import accept_one

    given = accept_one(client, settings, scanner_headers)  # a dose on the ledger already
    staff = login(client, "staff1")
    ask = {"atena_no": given["atena_no"], "vaccine_code": given["vaccine_code"], "dose_no": given["dose_no"],
           "receiver": "架空市 健康課", "stay_address": "架空県架空市1-2-3", "reason": "里帰り出産"}  # fmt: skip
    twice = client.post("/api/v1/requests", json=ask, headers=staff)
    assert twice.status_code == 409 and twice.json()["code"] == "request.already_given"  # a warning to acknowledge
    assert session.exec(select(RequestLetter)).all() == []
    assert client.post("/api/v1/requests", json={**ask, "acknowledged": True}, headers=staff).status_code == 200

    other = {**ask, "vaccine_code": "JE", "dose_no": 1}
    r = client.post("/api/v1/requests", json=other, headers=staff)
    assert r.status_code == 200 and r.headers["X-Request-No"].startswith("R")
    text = pdfium.PdfDocument(r.content)[0].get_textpage().get_text_range()
    assert "予防接種依頼書" in text and "架空市 健康課" in text and r.headers["X-Request-No"] in text
    number = int(r.headers["X-Request-Id"])
    listed = client.get("/api/v1/requests", params={"atena_no": given["atena_no"]}, headers=staff).json()
    assert [x["vaccine_code"] for x in listed] == [given["vaccine_code"], "JE"] and listed[1]["received_on"] is None

    back = {"performed_on": "2026-11-02", "lot_number": "JE-OUT-1", "clinic_name": "架空市民病院"}
    resident = session.get(Resident, given["atena_no"])
    assert resident is not None and resident.birth_date is not None
    early = client.post(
        f"/api/v1/requests/{number}/record", json={**back, "performed_on": str(resident.birth_date)}, headers=staff
    )
    assert early.status_code == 409 and early.json()["code"] == "review.schedule"  # the same checks as review
    entered = client.post(f"/api/v1/requests/{number}/record", json={**back, "acknowledged": True}, headers=staff)
    assert entered.status_code == 200, entered.text
    rec = entered.json()
    assert rec["clinic_name"] == "架空市民病院" and rec["lot_number"] == "JE-OUT-1" and rec["vaccine_code"] == "JE"
    session.expire_all()
    letter = session.get(RequestLetter, number)
    assert letter is not None and letter.record_id == rec["id"] and letter.received_on is not None
    assert session.get(VaccinationRecord, rec["id"]) is not None
    again = client.post(f"/api/v1/requests/{number}/record", json=back, headers=staff)
    assert again.status_code == 409 and again.json()["code"] == "request.already_entered"


@SQLITE
def test_a_form_stamped_by_another_clinic_than_its_batchs_goes_to_a_person_with_both_named(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    from intake.services.clinic_check import check, stamped_clinic
    from models import Batch, Clinic
    from tests.support.api import upload
    from tests.support.env import BATCH

    clinics = list(session.exec(select(Clinic)).all())
    assert stamped_clinic(clinics, "鬱玉こどもクリニック") is not None  # a reading with a wrong character still names it
    assert stamped_clinic(clinics, "東京都練馬区") is None and stamped_clinic(clinics, "") is None  # says nothing
    receipt = upload(client, scanner_headers, BATCH, clinic="1310001")
    run_worker(settings)
    session.expire_all()
    named = {c.code: c.name for c in clinics}
    seen_other = seen_same = 0
    for pid in receipt["page_ids"]:
        page = session.get(Page, pid)
        assert page is not None
        stamp = page.extraction.fields.get("clinic_stamp")
        said = stamped_clinic(clinics, str(stamp.evidence.get("text", ""))) if stamp is not None else None
        codes = _codes(page)
        if said is not None and said.code != "1310001":
            seen_other += 1
            reason = next(r for r in page.needs_review_reasons if r.code == "clinic.other_than_batch")
            assert reason.params["stamp"] == said.name and reason.params["batch"] == named["1310001"]
        else:
            seen_same += said is not None
            assert "clinic.other_than_batch" not in codes
    assert seen_other >= 1, "the sample batch holds forms stamped by other clinics"
    batch = session.get(Batch, receipt["batch_id"])
    assert batch is not None and check(session, batch.id or 0, named["1310001"]) == []


@SQLITE
def test_a_mailings_send_date_is_recorded_on_its_forms(settings: Settings, session: Session, tmp_path: Path) -> None:
    from datetime import timedelta

    from intake.services.mailing import print_bulk

    targets = _targets(session, tmp_path / "targets.csv", 5)
    today = date.today()
    print_bulk(session, settings, targets, tmp_path / "mail", "test", today=today)
    cli = [sys.executable, "-c", "from intake.cli import main; main()", "forms", "sent"]
    early = subprocess.run([*cli, "--printed", str(today), "--on", str(today - timedelta(days=1))], cwd=ROOT,
                           capture_output=True, text=True)  # fmt: skip
    assert early.returncode == 2 and "[forms.sent_before_printed]" in early.stderr
    r = subprocess.run([*cli, "--printed", str(today), "--on", str(today)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "5 枚に発送日" in r.stdout, r.stderr
    session.expire_all()
    assert [row.sent_on for row in session.exec(select(IssuedForm)).all()] == [today] * 5
