"""Test fixtures on real services: Redis (a dedicated db index, flushed per test, jobs run by a burst
SimpleWorker in-process, as rq's own tests do), SQLite and PostgreSQL (a dedicated database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import text
from sqlmodel import Session

from intake.api.app import create_app
from intake.db import dispose_engines, get_engine
from intake.demo import DEMO_SCANNER_KEY, setup_demo
from intake.settings import Settings, get_settings
from tests.support.env import PG_ADMIN_URL, PG_DB, QUEUE, REDIS_URL, SAMPLE


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
