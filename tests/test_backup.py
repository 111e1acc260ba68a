"""Backup, then restore into an empty database and store: the same data, an intact audit chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, func, select

from intake.db import dispose_engines, get_engine, session_scope
from intake.errors import Conflict
from intake.services.audit import verify_chain
from intake.services.backup import backup, restore
from intake.settings import Settings
from intake.store import ContentStore
from models import AuditEvent, Original, Page, Resident
from tests.support.api import upload
from tests.support.env import BATCH, PG_ADMIN_URL, PG_DB
from tests.support.worker import run_worker


def _counts(url: str) -> dict[str, int]:
    with session_scope(url) as s:
        return {
            t.__name__: s.exec(select(func.count()).select_from(t)).one() for t in (Page, Resident, Original, AuditEvent)
        }


def test_backup_restores_into_an_empty_database(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str], tmp_path: Path
) -> None:
    upload(client, scanner_headers, BATCH)
    run_worker(settings)
    url = settings.effective_database_url
    before = _counts(url)
    rep = backup(settings, tmp_path / "bk")
    assert rep.files == len(list(p for p in settings.store_dir.rglob("*") if p.is_file()))
    with pytest.raises(Conflict):
        restore(settings, tmp_path / "bk")  # never over live data
    if url.startswith("postgresql"):
        empty_db = f"{PG_DB}_restore"
        admin = get_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {empty_db} WITH (FORCE)"))
            c.execute(text(f"CREATE DATABASE {empty_db}"))
        target = settings.model_copy(
            update={"database_url": url.rsplit("/", 1)[0] + f"/{empty_db}", "var_dir": tmp_path / "restored"}
        )
    else:
        target = settings.model_copy(update={"var_dir": tmp_path / "restored"})
    restore(target, tmp_path / "bk")
    try:
        assert _counts(target.effective_database_url) == before
        with session_scope(target.effective_database_url) as s:
            assert verify_chain(s).ok
            originals = s.exec(select(Original)).all()
        store = ContentStore(target.store_dir)
        assert originals and all(store.exists(o.sha256) for o in originals)
    finally:
        dispose_engines()
        if url.startswith("postgresql"):
            with get_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT").connect() as c:
                c.execute(text(f"DROP DATABASE IF EXISTS {PG_DB}_restore WITH (FORCE)"))
