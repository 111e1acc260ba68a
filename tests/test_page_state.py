"""A page's state is typed from the reader to the ledger (models.page_state), its status moves only as
models.enums.TRANSITIONS allows, and migration 0012 turns what earlier versions stored into the typed state."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text as sql
from sqlmodel import Session, select

from intake.migrate import alembic_config
from intake.services import review
from intake.settings import Settings
from models import Page, PageStatus, Role, SearchedResident
from models.enums import REQUEUEABLE, REVIEWABLE, TRANSITIONS, BadTransition, move
from models.page_state import Extraction, FirstEntry, MatchResult, PydanticJSON, Reason
from tests.support.api import upload
from tests.support.env import BATCH
from tests.support.worker import run_worker


def test_every_status_has_its_moves_and_the_queues_agree_with_the_table() -> None:
    assert set(TRANSITIONS) == set(PageStatus)
    assert set(REVIEWABLE) == {PageStatus.extracted, PageStatus.in_review}  # what a reviewer can take
    assert set(REQUEUEABLE) == {PageStatus.queued, PageStatus.processing}  # what the reader can claim
    assert move(PageStatus.in_review, PageStatus.committed) == PageStatus.committed
    for final in (PageStatus.committed, PageStatus.rejected, PageStatus.skipped):
        with pytest.raises(BadTransition):
            move(final, PageStatus.in_review)
    with pytest.raises(BadTransition):  # a form is never committed by skipping review's hold
        move(PageStatus.queued, PageStatus.committed)


def test_the_columns_refuse_a_misspelt_or_mistyped_state() -> None:
    """A typo in a service (a key the model does not have, a decision that does not exist) fails where it is written,
    instead of being stored and read as "missing" later."""
    column = PydanticJSON(MatchResult)
    with pytest.raises(ValueError):
        column.process_bind_param({"decison": "auto"}, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        column.process_bind_param({"decision": "sure"}, None)  # type: ignore[arg-type]
    stored = column.process_bind_param(MatchResult(decision="auto", atena_no="1"), None)  # type: ignore[arg-type]
    assert column.process_result_value(stored, None) == MatchResult(decision="auto", atena_no="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # frozen: an in-place change (which SQLAlchemy would not see) is refused
        Extraction().printed = {}  # type: ignore[misc]


def test_a_read_page_carries_typed_state_into_the_database_and_back(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    receipt = upload(client, scanner_headers, BATCH)
    run_worker(settings)
    session.expire_all()
    pages = [session.get(Page, i) for i in receipt["page_ids"]]
    forms = [p for p in pages if p is not None and p.extraction.fields]
    assert forms, "no form read in the sample batch"
    for page in forms:
        assert isinstance(page.extraction, Extraction) and isinstance(page.match, MatchResult)
        assert all(isinstance(r, Reason) for r in page.needs_review_reasons)
        assert page.extraction.alignment is not None and page.extraction.alignment.markers_found >= 0
        assert page.extraction.identity.source in ("qr", "digits", "none", "")
        assert page.first_entry is None and not page.deferred


def test_upgrade_turns_the_old_page_state_into_the_typed_one(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    """Migration 0012 on both databases: fields with "_identity"/"_printed" mixed in become `extraction`; the
    workflow keys of `match` become the `deferred` column and searched-resident rows; an empty first keying is
    none; and back down again."""
    from alembic import command

    from intake.services.auth import Principal

    upload(client, scanner_headers, BATCH)
    page_id = session.exec(select(Page.id)).first()
    reviewer = session.execute(sql("SELECT id FROM useraccount WHERE role = 'reviewer' ORDER BY id")).first()
    assert page_id is not None and reviewer is not None
    session.close()
    url = settings.effective_database_url
    command.downgrade(alembic_config(url), "0011_review_reasons_coded")
    fields = {
        "lot_number": {"kind": "lot", "value": "AB12", "confidence": 0.9, "engine": "x", "evidence": {}, "messages": [],
                       "auto_ok": False, "reviewed": "AB12"},
        "_identity": {"source": "qr", "atena_no": "000100000001", "vaccine_code": "MR", "dose_no": 1},
        "_printed": {"name_kana": "カクウ タロウ"},
    }  # fmt: skip
    match = {"decision": "review", "atena_no": None, "score": 0.4, "deferred": True, "searched": ["000100000002"],
             "candidates": [{"atena_no": "000100000001", "score": 0.4, "agree": {}, "flags": []}],
             "explanation": []}  # fmt: skip
    session.execute(
        sql("UPDATE page SET fields = :f, match = :m, first_entry = :e WHERE id = :i"),
        {"f": json.dumps(fields), "m": json.dumps(match), "e": "{}", "i": page_id},
    )
    session.execute(
        sql("INSERT INTO reviewaction (page_id, user_id, action, detail, at) VALUES (:p, :u, 'take', '{}', :at)"),
        {"p": page_id, "u": reviewer[0], "at": "2026-11-01 10:00:00"},
    )
    session.commit()
    session.close()
    command.upgrade(alembic_config(url), "head")
    session.expire_all()
    page = session.get(Page, page_id)
    assert page is not None
    assert page.extraction.fields["lot_number"].reviewed == "AB12"
    assert page.extraction.identity.vaccine_code == "MR" and page.extraction.printed == {"name_kana": "カクウ タロウ"}
    assert page.match.decision == "review" and page.match.proposed() == {"000100000001"}
    assert page.deferred and page.first_entry is None
    searched = session.exec(select(SearchedResident).where(SearchedResident.page_id == page_id)).all()
    assert [(s.atena_no, s.searched_by) for s in searched] == [("000100000002", reviewer[0])]
    # a reviewer may choose the resident found by the search, as before the upgrade
    who = Principal(kind="user", id=reviewer[0], role=Role.reviewer, name="reviewer")
    assert review.candidates_allowed(session, who, page, "000100000002")
    assert not review.candidates_allowed(session, who, page, "000100000009")
    page.first_entry = FirstEntry(by=reviewer[0], values={"lot_number": "AB12"}, atena_no="000100000001")
    session.add(page)
    session.commit()
    session.close()
    command.downgrade(alembic_config(url), "0011_review_reasons_coded")
    row = session.execute(sql("SELECT fields, match, first_entry FROM page WHERE id = :i"), {"i": page_id}).one()
    session.commit()
    old_fields, old_match, old_first = (json.loads(v) if isinstance(v, str) else v for v in row)
    assert old_fields["_identity"]["vaccine_code"] == "MR" and old_fields["lot_number"]["value"] == "AB12"
    assert old_match["deferred"] is True and old_match["searched"] == ["000100000002"]
    assert old_first["by"] == reviewer[0]
    session.close()
    command.upgrade(alembic_config(url), "head")
