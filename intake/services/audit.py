"""Append-only, hash-chained audit log. Rows hold ids, never names or 個人番号.

Appends are serialized (PostgreSQL: a transaction-scoped advisory lock; SQLite: its single writer), so
each row's hash covers exactly the previous row's hash. The hash is an HMAC with a key that is not in the
database (`audit_key` / `audit_key_file`): without it, nobody can recompute the chain after altering a row.
After each commit that wrote audit rows (every `audit_checkpoint_every` rows), a signed checkpoint — last id, its
hash, the time — is appended to a file outside the database, so deleting the newest rows is seen too.
`verify_chain` recomputes the chain end to end and checks it against every checkpoint.

What it protects against: an insider with database rights (no key) who alters, deletes or reorders rows, or
truncates the tail. Out of scope: someone holding both the key and write access to the checkpoint file (a DBA
who is also the host's administrator); ship the checkpoints off the host (log shipping) against that.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from intake.secrets import secret
from intake.settings import get_settings
from models import AuditEvent

AUDIT_LOCK_KEY = 727_001  # arbitrary constant for pg_advisory_xact_lock

# Where the current request comes from, set once per request by the API's middleware, so every audit row
# says "from where" without each service having to carry the request.
current_remote: ContextVar[str] = ContextVar("current_remote", default="")
# Who runs an unattended or command-line action: "system" for the service itself (worker, scheduler); the CLI sets
# "operator:NAME@OSUSER" (`intake --as NAME …`), so an administrator's act is audited as that person.
current_operator: ContextVar[str] = ContextVar("current_operator", default="system")


def operator() -> str:
    return current_operator.get()


@lru_cache(maxsize=8)
def _key_from(env_key: str, path: str) -> bytes:
    return secret(env_key, Path(path), lambda: os.urandom(32).hex()).encode()


def audit_key() -> bytes:
    s = get_settings()
    return _key_from(s.audit_key, str(s.audit_key_file or s.var_dir / "secrets" / "audit.key"))


def checkpoint_file() -> Path:
    s = get_settings()
    return s.audit_checkpoint_file or s.var_dir / "audit" / "checkpoints.jsonl"


def _digest(prev_hash: str, ev: AuditEvent) -> str:
    body = json.dumps(
        [prev_hash, ev.at.isoformat(), ev.actor, ev.action, ev.object_type, ev.object_id, ev.outcome, ev.remote],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(audit_key(), body.encode(), hashlib.sha256).hexdigest()


def _signature(last_id: int, last_hash: str, at: str) -> str:
    return hmac.new(audit_key(), f"checkpoint|{last_id}|{last_hash}|{at}".encode(), hashlib.sha256).hexdigest()


_last_checkpointed: dict[str, int] = {}  # checkpoint file → last id checkpointed by this process
_last_fsync = 0.0
FSYNC_EVERY_S = 1.0  # an fsync per commit cut commits from ~150 to ~50 forms/s (bench-ledger); see write_checkpoint


def write_checkpoint(last_id: int, last_hash: str) -> None:
    """Append a signed checkpoint (one line, under an exclusive lock: API and workers share the file)."""
    at = datetime.now(UTC).isoformat()
    line = json.dumps({"id": last_id, "hash": last_hash, "at": at, "sig": _signature(last_id, last_hash, at)})
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    global _last_fsync
    with os.fdopen(fd, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(line + "\n")
        fh.flush()  # in the kernel now: a crash of this process loses nothing
        # On disk at most a second later: only a power cut can lose the newest checkpoints, and a lost checkpoint
        # is a missing anchor (the chain still verifies), never a false alarm.
        if time.monotonic() - _last_fsync >= FSYNC_EVERY_S:
            os.fsync(fh.fileno())
            _last_fsync = time.monotonic()
    _last_checkpointed[str(path)] = last_id


@event.listens_for(OrmSession, "after_commit")
def _checkpoint_after_commit(session: OrmSession) -> None:
    last = session.info.pop("audit_last", None)
    if last is None:
        return
    before = _last_checkpointed.get(str(checkpoint_file()), 0)
    if last[0] - before >= get_settings().audit_checkpoint_every or last[0] < before:
        write_checkpoint(*last)


@event.listens_for(OrmSession, "after_rollback")
def _forget_after_rollback(session: OrmSession) -> None:
    session.info.pop("audit_last", None)


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    outcome: str = "ok",
    remote: str = "",
) -> AuditEvent:
    """Append one event in the caller's transaction (committed with the change it describes); returns it (with
    its id, for rows that refer to it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    else:
        # SQLite: take the database's write lock before reading the last row (a no-op UPDATE does), so two
        # writers cannot both chain onto the same row. Others wait on busy_timeout.
        session.execute(text("UPDATE auditevent SET hash = hash WHERE 1 = 0"))
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    ev = AuditEvent(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        outcome=outcome,
        remote=remote or current_remote.get(),
    )
    ev.prev_hash = last.hash if last else ""
    ev.hash = _digest(ev.prev_hash, ev)
    session.add(ev)
    session.flush()
    session.info["audit_last"] = (ev.id, ev.hash)  # checkpointed once the transaction commits
    return ev


@dataclass
class ChainReport:
    rows: int
    ok: bool
    first_bad_id: int | None = None
    problem: str = ""
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)


def _checkpoints() -> tuple[list[dict[str, object]], list[str]]:
    path = checkpoint_file()
    if not path.exists():
        return [], []
    good, bad = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            cp = json.loads(line)
            valid = hmac.compare_digest(str(cp["sig"]), _signature(int(cp["id"]), str(cp["hash"]), str(cp["at"])))
        except (ValueError, KeyError, TypeError):
            valid = False
        if valid:
            good.append(cp)
        else:
            bad.append(f"checkpoint line {n} of {path} is not signed with this installation's key (forged or damaged)")
    return good, bad


def verify_chain(session: Session) -> ChainReport:
    """Recompute the keyed chain end to end, then check it against every signed checkpoint: an altered row,
    a recomputed chain, a gap and a truncated tail are each found and named."""
    prev = ""
    expected_id: int | None = None
    n = 0
    hashes: dict[int, str] = {}
    problems: list[str] = []
    first_bad: int | None = None
    for ev in session.exec(select(AuditEvent).order_by(col(AuditEvent.id))):
        n += 1
        evid = ev.id or 0
        if expected_id is not None and evid != expected_id:
            problems.append(f"rows {expected_id}–{evid - 1} are missing (a gap before row {evid})")
        elif ev.prev_hash != prev:
            problems.append(f"row {evid} does not follow the previous row (deleted or reordered)")
        elif not hmac.compare_digest(_digest(prev, ev), ev.hash):
            problems.append(f"row {evid} was altered after it was written (its keyed hash does not match)")
        if problems and first_bad is None:
            first_bad = evid
            if "altered" in problems[-1]:
                break  # every later row's hash is suspect: the first is named
        hashes[evid] = ev.hash
        prev = ev.hash
        expected_id = evid + 1
    checkpoints, forged = _checkpoints()
    problems += forged
    last_id = max(hashes, default=0)
    vouched = max((int(str(cp["id"])) for cp in checkpoints), default=0)
    if vouched > last_id:
        first_bad = first_bad if first_bad is not None else last_id + 1
        problems.append(
            f"the tail is truncated: rows {last_id + 1}–{vouched} are missing "
            f"(a checkpoint written outside the database vouches for them)"
        )
    for cp in checkpoints:
        cid = int(str(cp["id"]))
        if cid in hashes and not hmac.compare_digest(hashes[cid], str(cp["hash"])):
            first_bad = first_bad if first_bad is not None else cid
            problems.append(f"row {cid} differs from its checkpoint of {cp['at']}: the chain was recomputed")
            break
    return ChainReport(
        n, not problems, first_bad, problems[0] if problems else "", checkpoints=len(checkpoints), problems=problems
    )
