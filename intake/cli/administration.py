"""Commands an administrator runs: the register and masters, users and keys, the audit log, retention."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from intake.cli.base import (
    ADMINISTRATION,
    SAMPLE,
    MasterKind,
    app,
    audit_app,
    masters_app,
    readable,
    rejected,
    residents_app,
    say,
    session,
    users_app,
)
from intake.messages import MASTER_JA, ROLE_JA, STATE_JA, said
from intake.settings import get_settings
from models import Role


@residents_app.command("import")
def residents_import(file: Path) -> None:
    """Import or update residents from the ward's CSV.  Example: intake residents import residents.csv"""
    from intake.services.masters import import_residents

    readable(file)  # the person's file first: its problem is the one they can fix right away
    from intake.progress import Progress

    t = time.perf_counter()
    checked, written = Progress("check", unit="rows"), Progress("write", unit="rows")
    with session() as s:

        def progress(n: int) -> None:  # negative: rows checked (first pass); then rows written of those checked
            checked(-n) if n < 0 else written(n, total=checked.done or None)

        summary = import_residents(s, file, progress=progress)
    (written if written.done else checked).finish()
    if not summary.ok:
        rejected(file, summary.errors, limit=20)
    say("residents.done", created=summary.created, updated=summary.updated, seconds=f"{time.perf_counter() - t:.1f}")


@masters_app.command("import")
def masters_import(kind: MasterKind, file: Path) -> None:
    """Import a master CSV.  Example: intake masters import lots lots.csv"""
    from intake.services import masters

    fn = {
        MasterKind.vaccines: masters.import_vaccines,
        MasterKind.lots: masters.import_lots,
        MasterKind.clinics: masters.import_clinics,
    }[kind]
    readable(file)
    with session() as s:
        summary = fn(s, file)
    if summary.errors:
        rejected(file, summary.errors, limit=50)
    say("master.done", kind=MASTER_JA[kind.value], kind_en=kind.value, created=summary.created, updated=summary.updated)


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[Role, typer.Option()],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="INTAKE_NEW_PASSWORD")],
) -> None:
    """Create a user.  Example: intake users create sato --role reviewer"""
    from intake.services.auth import create_user

    with session() as s:
        create_user(s, username, password, role)
        s.commit()
    say("user.created", user=username, role=ROLE_JA[role.value], role_en=role.value)


@users_app.command("list")
def users_list() -> None:
    """Who has access: every account and scanner key, active or not.  Example: intake users list"""
    from sqlmodel import select

    from models import ApiKey, UserAccount

    with session() as s:
        for u in s.exec(select(UserAccount).order_by(UserAccount.username)).all():
            state = "active" if u.active else "disabled"
            say(
                "user.row",
                user=u.username,
                role=ROLE_JA.get(u.role, u.role),
                role_en=u.role,
                state=STATE_JA[state],
                state_en=state,
            )
        for k in s.exec(select(ApiKey).order_by(ApiKey.label)).all():
            state = "active" if k.active else "revoked"
            say("key.row", label=k.label, state=STATE_JA[state], state_en=state)


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable an account and end its sessions at once.  Example: intake users disable sato"""
    from intake.services.auth import disable_user

    with session() as s:
        disable_user(s, username)
    say("user.disabled", user=username)


@users_app.command("revoke-key")
def users_revoke_key(label: str) -> None:
    """Revoke a workstation's keys; issue a new one with create-key.  Example: intake users revoke-key scanner-01"""
    from intake.services.auth import revoke_api_keys

    with session() as s:
        n = revoke_api_keys(s, label)
    say("key.revoked", n=n, label=label)


@users_app.command("create-key")
def users_create_key(label: str) -> None:
    """Issue a scanner workstation API key (shown once).  Example: intake users create-key scanner-3F-01"""
    from intake.services.auth import create_api_key

    with session() as s:
        key = create_api_key(s, label)
        s.commit()
    typer.echo(key)


@audit_app.command("verify")
def audit_verify() -> None:
    """Re-compute the audit hash chain.  Example: intake audit verify"""
    from intake.services.audit import verify_chain

    with session() as s:
        rep = verify_chain(s)
    if not rep.ok:
        for problem in rep.problems:
            say("audit.broken", err=True, rows=rep.rows, problem=problem)
        raise typer.Exit(8)
    say("audit.intact", rows=rep.rows, checkpoints=rep.checkpoints)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Write a signed checkpoint of the newest audit row outside the database.  Example: intake audit checkpoint"""
    from sqlmodel import col, select

    from intake.services.audit import checkpoint_file, write_checkpoint
    from models import AuditEvent

    with session() as s:
        last = s.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    if last is None or last.id is None:
        say("audit.empty")
        return
    write_checkpoint(last.id, last.hash)
    say("audit.checkpoint", row=last.id, file=checkpoint_file())


@app.command(rich_help_panel=ADMINISTRATION)
def purge(years: int = 5, dry_run: Annotated[bool, typer.Option("--dry-run/--execute")] = True) -> None:
    """Delete ledger rows, page images and originals older than the retention period (from the vaccination
    date), recorded in the audit log. Dry run unless --execute.  Example: intake purge --years 5 --execute"""
    from datetime import date

    from intake.progress import Progress
    from intake.services.retention import purge as run
    from intake.store import ContentStore

    shown = Progress("purge", unit="records")
    with session() as s:
        rep = run(s, ContentStore(get_settings().store_dir), date.today(), years, dry_run, progress=shown)
    say(
        "purge.dry" if rep.dry_run else "purge.done",
        cutoff=rep.cutoff,
        records=rep.records,
        pages=rep.pages,
        originals=rep.originals,
    )


@app.command("demo-setup", rich_help_panel=ADMINISTRATION)
def demo_setup() -> None:
    """Migrate, load sample residents and masters, create demo users and the demo scanner key."""
    from intake.demo import setup_demo

    for code, params in setup_demo(get_settings(), SAMPLE):
        typer.echo(said(code, params, get_settings().lang))
