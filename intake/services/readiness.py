"""Is this installation ready to serve? Each check says what is wrong and what to do about it.

`/api/v1/health` is liveness only (the process answers: restart it if not); `/api/v1/ready` and
`intake status` run these checks: the database answers and its schema is at the code's head revision, Redis
answers, and the content store takes a write. Compose's health checks and an operator's monitoring use them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from intake.db import get_engine
from intake.migrate import alembic_config
from intake.settings import Settings


@dataclass(frozen=True)
class Check:
    name: str  # database | schema | redis | store
    ok: bool
    detail: str  # what was found, in words
    fix: str = ""  # what to do when not ok
    code: str = ""  # intake.messages: the failed check as a person reads it (CLI, worker start-up)
    params: Mapping[str, Any] = field(default_factory=dict)


NEVER_MIGRATED = "なし（未移行）"


def head_revision(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head() or ""


def check_database(settings: Settings) -> list[Check]:
    url = settings.effective_database_url
    if url.startswith("sqlite:///") and not os.path.exists(url.removeprefix("sqlite:///")):
        # never create an empty database by asking whether it is ready
        return [
            Check(
                "database",
                False,
                f"no database file at {url.removeprefix('sqlite:///')}",
                "run: intake migrate",
                "db.no_file",
                {"path": url.removeprefix("sqlite:///")},
            ),
            Check(
                "schema",
                False,
                "no schema",
                "run: intake migrate",
                "db.not_migrated",
                {"found": NEVER_MIGRATED, "head": head_revision(url)},
            ),
        ]
    try:
        with get_engine(url).connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision() or ""
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        return [
            Check(
                "database",
                False,
                f"not reachable: {reason}",
                "start the database or correct INTAKE_DATABASE_URL",
                "db.unreachable",
                {"where": reason},
            ),
            Check("schema", False, "unknown (database not reachable)", "start the database"),
        ]
    head = head_revision(url)
    db = Check("database", True, "reachable")
    if current == head:
        return [db, Check("schema", True, f"at head ({head})")]
    found = current or "none (never migrated)"
    return [
        db,
        Check(
            "schema",
            False,
            f"revision {found}, the code needs {head}",
            "run: intake migrate",
            "db.not_migrated",
            {"found": current or NEVER_MIGRATED, "head": head},
        ),
    ]


def check_redis(settings: Settings) -> Check:
    from redis.exceptions import RedisError

    from intake.queue import redis_conn

    try:
        redis_conn(settings).ping()
    except (RedisError, OSError) as exc:
        return Check(
            "redis",
            False,
            f"not reachable: {exc}"[:200],
            "start Redis or correct INTAKE_REDIS_URL",
            "redis.unreachable",
            {"where": str(exc)[:200]},
        )
    return Check("redis", True, "answers")


def check_store(settings: Settings) -> Check:
    root = settings.store_dir
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".ready-"):
            pass
    except OSError as exc:
        detail = exc.strerror or str(exc)
        return Check(
            "store",
            False,
            f"{root} takes no write: {detail}",
            f"make {root} writable by the service",
            "store.unwritable",
            {"path": root, "detail": detail},
        )
    return Check("store", True, f"{root} writable")


def check_schedule() -> Check:
    from intake.errors import IntakeError
    from intake.services.schedule_data import schedule

    try:
        n = len(schedule().vaccines)
    except IntakeError as exc:
        return Check("schedule", False, exc.message, exc.fix, exc.code, exc.params)
    return Check("schedule", True, f"vaccine_schedule.yaml: {n} vaccines")


def readiness(settings: Settings) -> list[Check]:
    return [*check_database(settings), check_redis(settings), check_store(settings), check_schedule()]
