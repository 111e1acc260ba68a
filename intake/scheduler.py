"""`intake scheduler`: the routine jobs an installation needs, in one long-running process (compose's
`scheduler` service), so no host crontab is needed:

- reconcile every `reconcile_every_minutes` (pages Redis lost, leases that expired),
- a backup every day at `backup_at` into `backups_dir/YYYY-MM-DD` (0700/0600), keeping `backup_keep` of them,
- `audit verify` every day at `audit_verify_at`, and a signed checkpoint after it.

What ran and when is kept in `var_dir/scheduler.json`, so a restart neither repeats today's backup nor skips one
whose hour passed while the scheduler was down (it runs at once). A job that fails is logged at ERROR with its
traceback and tried again after `RETRY`; the others go on.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType

from intake.errors import BadInput
from intake.settings import Settings

log = logging.getLogger("intake.scheduler")

RETRY = timedelta(minutes=15)
TICK_SECONDS = 20.0
BACKUP_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}(-\d{4})?$")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Settings], str]  # returns what it did, in words
    every: timedelta | None = None  # an interval job …
    at: str = ""  # … or a daily one, "HH:MM" local time

    def slot(self, now: datetime) -> datetime | None:
        """The start of the period the job must have run in by `now` (None: not yet due today)."""
        if self.every is not None:
            return None
        hour, minute = _hhmm(self.at)
        today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return today if now >= today else today - timedelta(days=1)

    def due(self, now: datetime, last_ok: datetime | None, last_try: datetime | None) -> bool:
        if last_try is not None and now - last_try < RETRY and (last_ok is None or last_try > last_ok):
            return False  # failed a moment ago: give whatever broke time to mend
        if self.every is not None:
            return last_ok is None or now - last_ok >= self.every
        slot = self.slot(now)
        return slot is not None and (last_ok is None or last_ok < slot)


def _hhmm(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if m is None:
        raise BadInput("time.bad", value=value)
    return int(m.group(1)), int(m.group(2))


def run_reconcile(settings: Settings) -> str:
    from intake.db import session_scope
    from intake.services import denials
    from intake.services.reading_lease import reconcile

    with session_scope(settings.effective_database_url) as s:
        stuck, queued = reconcile(s, settings, timedelta(minutes=settings.reconcile_older_than_minutes))
        denials.flush(s)
    return f"re-queued {queued} of {stuck} stuck page(s)"


def run_backup(settings: Settings) -> str:
    from intake.services.backup import backup

    root = settings.backups_dir
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    root.chmod(0o700)
    now = datetime.now()
    target = root / now.strftime("%Y-%m-%d")
    if target.exists():
        target = root / now.strftime("%Y-%m-%d-%H%M")
    rep = backup(settings, target)
    kept = sorted(p for p in root.iterdir() if p.is_dir() and BACKUP_NAME.match(p.name) and (p / "manifest.json").exists())
    removed = kept[: max(0, len(kept) - settings.backup_keep)]
    for old in removed:
        shutil.rmtree(old)
    return f"backup of the {rep.database} database and {rep.files} file(s) in {target}; {len(removed)} old one(s) removed"


class AuditBroken(RuntimeError):
    pass


def run_audit_verify(settings: Settings) -> str:
    from sqlmodel import col, select

    from intake.db import session_scope
    from intake.services.audit import verify_chain, write_checkpoint
    from models import AuditEvent

    with session_scope(settings.effective_database_url) as s:
        rep = verify_chain(s)
        last = s.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    if not rep.ok:
        raise AuditBroken(f"audit chain BROKEN ({rep.rows} rows read): " + "; ".join(rep.problems[:5]))
    if last is not None and last.id is not None:
        write_checkpoint(last.id, last.hash)
    return f"audit chain intact: {rep.rows} rows, {rep.checkpoints} checkpoints agree"


def jobs_for(settings: Settings) -> list[Job]:
    _hhmm(settings.backup_at)
    _hhmm(settings.audit_verify_at)
    return [
        Job("reconcile", run_reconcile, every=timedelta(minutes=settings.reconcile_every_minutes)),
        Job("backup", run_backup, at=settings.backup_at),
        Job("audit-verify", run_audit_verify, at=settings.audit_verify_at),
    ]


class State:
    """Last success and last attempt of each job, in a small JSON file written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def get(self, job: str, key: str) -> datetime | None:
        value = self.data.get(job, {}).get(key)
        return datetime.fromisoformat(value) if value else None

    def mark(self, job: str, key: str, when: datetime, note: str) -> None:
        self.data.setdefault(job, {}).update({key: when.isoformat(timespec="seconds"), "note": note[:300]})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)


def run_due(settings: Settings, state: State, now: datetime | None = None) -> list[tuple[str, bool, str]]:
    """Run every job that is due now; returns (job, ok, what happened) for each one run."""
    done = []
    for job in jobs_for(settings):
        when = now or datetime.now()
        if not job.due(when, state.get(job.name, "ok"), state.get(job.name, "tried")):
            continue
        state.mark(job.name, "tried", when, "running")
        started = time.perf_counter()
        try:
            note = job.run(settings)
        except Exception as exc:  # noqa: BLE001 — one job's failure must not stop the others
            log.error("job %s failed: %s", job.name, exc, exc_info=True, extra={"job": job.name, "outcome": "failed"})
            state.mark(job.name, "tried", when, f"failed: {exc}")
            done.append((job.name, False, str(exc)))
            continue
        seconds = round(time.perf_counter() - started, 2)
        log.info("job %s: %s", job.name, note, extra={"job": job.name, "outcome": "ok", "seconds": seconds})
        state.mark(job.name, "ok", when, note)
        done.append((job.name, True, note))
    return done


def run_scheduler(settings: Settings, once: bool = False, tick: float = TICK_SECONDS) -> int:
    """The scheduler's loop: run what is due, sleep a tick, until SIGTERM (compose stop). 0 on a clean stop; with
    `once`, 1 if a job failed."""
    state = State(settings.var_dir / "scheduler.json")
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler started: %s", ", ".join(f"{j.name} ({j.at or j.every})" for j in jobs_for(settings)))
    while True:
        results = run_due(settings, state)
        if once:
            return 0 if all(ok for _, ok, _ in results) else 1
        slept = 0.0
        while slept < tick and not stopping:
            time.sleep(0.5)
            slept += 0.5
        if stopping:
            log.info("scheduler stopped")
            return 0
