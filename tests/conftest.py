"""Test fixtures on real services: Redis (a dedicated db index, flushed per test, jobs run by a burst
SimpleWorker in-process, as rq's own tests do), SQLite and PostgreSQL (a dedicated database)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import text
from sqlmodel import Session

from intake.api.app import create_app
from intake.db import dispose_engines, get_engine
from intake.demo import DEMO_SCANNER_KEY, DEMO_USERS, setup_demo
from intake.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "scans_sample"
REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PG_ADMIN_URL = os.environ.get("INTAKE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = f"intake_test_{os.getpid()}"  # per process: parallel runs (a developer and CI) never collide
QUEUE = f"test-pages-{os.getpid()}"


def _pg_url() -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DB}"


def _reset_pg() -> str:
    admin = get_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    dispose_engines()
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        c.execute(text(f"CREATE DATABASE {PG_DB}"))
    return _pg_url()


def _empty_queue(name: str) -> None:
    """Remove this run's queue and jobs only; other runs on the same Redis keep theirs."""
    conn = Redis.from_url(REDIS_URL)
    for key in conn.scan_iter(f"rq:*{name}*"):
        conn.delete(key)


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_database() -> Iterator[None]:
    yield
    try:
        admin = get_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
        dispose_engines()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
    except Exception as exc:  # PostgreSQL absent: nothing to drop
        print(f"(no PostgreSQL test database dropped: {type(exc).__name__})")


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    url = "" if request.param == "sqlite" else _reset_pg()
    s = Settings(var_dir=tmp_path / "var", database_url=url, redis_url=REDIS_URL, queue_name=QUEUE)
    # the rq job builds its settings from the environment, as a real worker does
    monkeypatch.setenv("INTAKE_VAR_DIR", str(s.var_dir))
    monkeypatch.setenv("INTAKE_DATABASE_URL", url)
    monkeypatch.setenv("INTAKE_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("INTAKE_QUEUE_NAME", QUEUE)
    get_settings.cache_clear()
    _empty_queue(QUEUE)
    list(setup_demo(s, SAMPLE))
    yield s
    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    with Session(get_engine(settings.effective_database_url), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture
def scanner_headers() -> dict[str, str]:
    return {"X-API-Key": DEMO_SCANNER_KEY}


def login(client: TestClient, user: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"username": user, "password": DEMO_USERS[user][1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def run_worker(settings: Settings) -> None:
    """Process everything queued, in-process (rq's burst SimpleWorker on the real Redis)."""
    from rq import SimpleWorker

    from intake.queue import get_queue, redis_conn

    conn = redis_conn(settings)
    SimpleWorker([get_queue(settings, conn)], connection=conn).work(burst=True)


def as_database_admin_disable_audit_guard(session: Session) -> None:
    """What an insider with database rights would do before editing history: drop the append-only trigger.
    The hash chain must still expose the edit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE auditevent DISABLE TRIGGER auditevent_no_update"))
    else:
        session.execute(text("DROP TRIGGER auditevent_no_update"))
    session.commit()


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
