"""Backup and restore of the database and the content store.

- SQLite: the online backup API (a consistent copy while the service runs).
- PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore` (Debian postgresql-client).
- Content store: every file copied and its SHA-256 checked on the way out and on the way back.
A restore goes only into an empty database: it never merges into, or overwrites, live data.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from intake.db import dispose_engines, get_engine
from intake.errors import Conflict, IntakeError, NotFound
from intake.settings import Settings
from intake.store import ContentStore, sha256_of


class BackupFailed(IntakeError):
    kind = "backup_failed"
    exit_code = 9


@dataclass
class BackupReport:
    directory: Path
    database: str
    files: int


def _pg_args(url: str) -> tuple[list[str], str]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    return args, u.database or ""


def _pg_env(url: str) -> dict[str, str]:
    """pg_dump/pg_restore take the password from the environment, never from their command line (ps shows it)."""
    password = make_url(url).password
    return {**os.environ, "PGPASSWORD": str(password)} if password else dict(os.environ)


def backup(settings: Settings, target: Path, progress: Callable[[int, int], None] | None = None) -> BackupReport:
    """A backup holds personal data: the folder is 0700 and every file in it 0600, whatever the umask."""
    old_umask = os.umask(0o077)
    try:
        return _backup(settings, target, progress)
    finally:
        os.umask(old_umask)


def _backup(settings: Settings, target: Path, progress: Callable[[int, int], None] | None) -> BackupReport:
    url = settings.effective_database_url
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise Conflict("backup.not_empty", path=target)
    target.chmod(0o700)
    if url.startswith("sqlite"):
        db_file = target / "database.sqlite"
        src = sqlite3.connect(url.removeprefix("sqlite:///"))
        dst = sqlite3.connect(db_file)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        db_file.chmod(0o600)
        kind = "sqlite"
    else:
        args, name = _pg_args(url)
        out = target / "database.pgdump"
        r = subprocess.run(
            ["pg_dump", *args, "--format=custom", "--no-owner", "-f", str(out), name],
            capture_output=True,
            text=True,
            env=_pg_env(url),
        )
        if r.returncode != 0:
            raise BackupFailed("backup.tool_failed", tool="pg_dump", detail=r.stderr.strip()[:300])
        kind = "postgresql"
    files = _copy_store(settings.store_dir, target / "store", progress)
    manifest = {"created_at": datetime.now(UTC).isoformat(), "database": kind, "files": files}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    for path in (target, *target.rglob("*")):
        path.chmod(0o700 if path.is_dir() else 0o600)
    return BackupReport(target, kind, len(files))


def _copy_store(src_root: Path, dst_root: Path, progress: Callable[[int, int], None] | None = None) -> list[str]:
    digests: list[str] = []
    if src_root.exists():
        paths = sorted(p for p in src_root.rglob("*") if p.is_file() and not p.name.startswith("."))
        for path in paths:
            if progress:
                progress(len(digests), len(paths))
            data = path.read_bytes()
            if sha256_of(data) != path.name:
                raise BackupFailed("backup.file_damaged", digest=path.name[:12])
            dest = dst_root / path.relative_to(src_root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            dest.chmod(0o600)
            digests.append(path.name)
    return digests


def _database_is_empty(url: str) -> bool:
    engine = get_engine(url)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    if not tables:
        return True
    with engine.connect() as c:
        return all(c.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar() == 0 for t in tables)


def restore(settings: Settings, source: Path, progress: Callable[[int, int], None] | None = None) -> BackupReport:
    manifest_path = source / "manifest.json"
    if not manifest_path.exists():
        raise NotFound("backup.no_manifest", path=source)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    url = settings.effective_database_url
    if not _database_is_empty(url):
        raise Conflict("backup.target_not_empty")
    dispose_engines()
    if manifest["database"] == "sqlite":
        if not url.startswith("sqlite"):
            raise Conflict("backup.is_sqlite")
        target = Path(url.removeprefix("sqlite:///"))
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source / "database.sqlite", target)
    else:
        args, name = _pg_args(url)
        with get_engine(url).begin() as c:  # the empty schema an earlier `migrate` may have made
            for t in reversed(inspect(c).get_table_names()):
                c.execute(text(f'DROP TABLE IF EXISTS "{t}" CASCADE'))
        dispose_engines()
        r = subprocess.run(
            ["pg_restore", *args, "--no-owner", "-d", name, str(source / "database.pgdump")],
            capture_output=True,
            text=True,
            env=_pg_env(url),
        )
        if r.returncode != 0:
            raise BackupFailed("backup.tool_failed", tool="pg_restore", detail=r.stderr.strip()[:300])
    store = ContentStore(settings.store_dir)
    for n, digest in enumerate(manifest["files"]):
        if progress:
            progress(n, len(manifest["files"]))
        data = (source / "store" / digest[:2] / digest[2:4] / digest).read_bytes()
        if sha256_of(data) != digest:
            raise BackupFailed("backup.file_damaged", digest=digest[:12])
        store.put(data)
    return BackupReport(source, manifest["database"], len(manifest["files"]))
