"""`intake` command line. Errors map to exit codes once, in main()."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from intake.csv_out import ENCODINGS, Encoding, encode_csv
from intake.errors import BadInput, IntakeError, from_os_error
from intake.messages import MASTER_JA, ROLE_JA, STATE_JA, STATUS_JA, render, said, usage_text
from intake.settings import get_settings

app = typer.Typer(
    help="Intake of scanned vaccination pre-screening forms (予診票).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
residents_app = typer.Typer(help="The resident register.", no_args_is_help=True)
masters_app = typer.Typer(help="Masters: vaccines, lots, clinics.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts and scanner keys.", no_args_is_help=True)
forms_app = typer.Typer(help="Print the ward's forms.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
for sub, name in (
    (residents_app, "residents"),
    (masters_app, "masters"),
    (users_app, "users"),
    (forms_app, "forms"),
    (audit_app, "audit"),
):
    app.add_typer(sub, name=name)


@app.callback()
def _operator(
    as_name: Annotated[
        str,
        typer.Option(
            "--as",
            envvar="INTAKE_OPERATOR",
            help="who is acting, for the audit log (default: the OS user). Example: intake --as tanaka users disable sato",
        ),
    ] = "",
) -> None:
    """An administrator's act from the command line is audited as that person: operator:NAME@OSUSER."""
    import getpass

    from intake.services.audit import current_operator

    os_user = getpass.getuser()
    current_operator.set(f"operator:{as_name}@{os_user}" if as_name else f"operator:{os_user}")


SAMPLE = Path(__file__).resolve().parent.parent / "scans_sample"
BIND_HELP = "address to bind; loopback unless told (0.0.0.0 inside a container, behind the TLS proxy)"
DATA = Path(__file__).resolve().parent / "data"


def _readable(path: Path) -> None:
    """Opening it raises the OSError that main() turns into one line with a fix."""
    with path.open("rb"):
        pass


def _session():  # type: ignore[no-untyped-def]
    """A session on the installation's database — never a new, empty one made by accident (a command run from the
    wrong folder used to create var/intake.db there and then fail with "no such table")."""
    from intake.db import session_scope
    from intake.errors import ServiceUnavailable
    from intake.services.readiness import check_database

    settings = get_settings()
    for c in check_database(settings):
        if not c.ok:
            where = f"（INTAKE_VAR_DIR={settings.var_dir.resolve()}）" if not settings.database_url else ""
            raise ServiceUnavailable(c.code, **{"where": where, **c.params})
    return session_scope(settings.effective_database_url)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema.  Example: intake migrate"""
    from intake.migrate import upgrade

    upgrade(get_settings().effective_database_url)
    say("migrate.done")


@residents_app.command("import")
def residents_import(file: Path) -> None:
    """Import or update residents from the ward's CSV.  Example: intake residents import residents.csv"""
    from intake.services.masters import import_residents

    _readable(file)  # the person's file first: its problem is the one they can fix right away
    from intake.progress import Progress

    t = time.perf_counter()
    checked, written = Progress("check", unit="rows"), Progress("write", unit="rows")
    with _session() as s:

        def progress(n: int) -> None:  # negative: rows checked (first pass); then rows written of those checked
            checked(-n) if n < 0 else written(n, total=checked.done or None)

        summary = import_residents(s, file, progress=progress)
    (written if written.done else checked).finish()
    if not summary.ok:
        _rejected(file, summary.errors, limit=20)
    say("residents.done", created=summary.created, updated=summary.updated, seconds=f"{time.perf_counter() - t:.1f}")


@masters_app.command("import")
def masters_import(kind: Annotated[str, typer.Argument(help="vaccines | lots | clinics")], file: Path) -> None:
    """Import a master CSV.  Example: intake masters import lots lots.csv"""
    from intake.errors import BadInput
    from intake.services import masters

    fn = {"vaccines": masters.import_vaccines, "lots": masters.import_lots, "clinics": masters.import_clinics}.get(kind)
    if fn is None:
        raise BadInput("value.choice", what="マスタ", value=kind, choices="vaccines, lots, clinics")
    _readable(file)
    with _session() as s:
        summary = fn(s, file)
    if summary.errors:
        _rejected(file, summary.errors, limit=50)
    say("master.done", kind=MASTER_JA[kind], kind_en=kind, created=summary.created, updated=summary.updated)


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[str, typer.Option(help="scanner|reviewer|supervisor|staff|admin")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="INTAKE_NEW_PASSWORD")],
) -> None:
    """Create a user.  Example: intake users create sato --role reviewer"""
    from intake.errors import BadInput
    from intake.services.auth import create_user
    from models import Role

    if role not in Role.__members__:
        raise BadInput("value.choice", what="役割", value=role, choices=", ".join(Role.__members__))
    with _session() as s:
        create_user(s, username, password, Role(role))
        s.commit()
    say("user.created", user=username, role=ROLE_JA.get(role, role), role_en=role)


@users_app.command("list")
def users_list() -> None:
    """Who has access: every account and scanner key, active or not.  Example: intake users list"""
    from sqlmodel import select

    from models import ApiKey, UserAccount

    with _session() as s:
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

    with _session() as s:
        disable_user(s, username)
    say("user.disabled", user=username)


@users_app.command("revoke-key")
def users_revoke_key(label: str) -> None:
    """Revoke a workstation's keys; issue a new one with create-key.  Example: intake users revoke-key scanner-01"""
    from intake.services.auth import revoke_api_keys

    with _session() as s:
        n = revoke_api_keys(s, label)
    say("key.revoked", n=n, label=label)


@users_app.command("create-key")
def users_create_key(label: str) -> None:
    """Issue a scanner workstation API key (shown once).  Example: intake users create-key scanner-3F-01"""
    from intake.services.auth import create_api_key

    with _session() as s:
        key = create_api_key(s, label)
        s.commit()
    typer.echo(key)


@app.command()
def upload(
    files: list[Path],
    clinic: Annotated[str, typer.Option(help="実施機関コード")],
    api_url: Annotated[str, typer.Option(envvar="INTAKE_API_URL")] = "http://127.0.0.1:8000",
    api_key: Annotated[str, typer.Option(envvar="INTAKE_API_KEY")] = "",
) -> None:
    """Upload a clinic's bundle as one batch.  Example: intake upload bundle.pdf --clinic 1310001"""
    import httpx

    from intake.errors import BadInput

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise BadInput("file.missing", paths=", ".join(missing))
    parts = [("files", (f.name, f.read_bytes(), "application/octet-stream")) for f in files]
    r = httpx.post(
        f"{api_url}/api/v1/batches", data={"clinic_code": clinic}, files=parts, headers={"X-API-Key": api_key}, timeout=300
    )
    if r.status_code >= 400:
        raise _refused(r)
    body = r.json()
    say(
        "upload.done",
        batch=body["batch_id"],
        new=len(body["new_page_ids"]),
        duplicate=len(body["duplicate_page_ids"]),
        queued=body["queued"],
    )


@app.command()
def worker(burst: Annotated[bool, typer.Option(help="exit when the queue is empty")] = False) -> None:
    """Run a page worker (rq; one supervised work process).  Example: intake worker"""
    from intake.worker_start import run_worker

    code = run_worker(burst=burst)
    if code:
        raise typer.Exit(code)


@app.command()
def reconcile(minutes: int = 10) -> None:
    """Re-queue pages stuck in received/queued/processing.  Example: intake reconcile --minutes 10"""
    from datetime import timedelta

    from intake.services.processing import reconcile as run

    with _session() as s:
        stuck, queued = run(s, get_settings(), timedelta(minutes=minutes))
    say("reconcile.done", queued=queued, stuck=stuck)


@app.command()
def status(failures: Annotated[int, typer.Option(help="how many recent failed pages to list")] = 10) -> None:
    """What an operator on call asks first: ready?, queue, pages by state, failures, workers.  Example: intake status
    Exit 0 when ready, 7 when a part is not (each named, with what to do)."""
    from intake.db import session_scope
    from intake.services.status import status as read_status

    settings = get_settings()
    usable = (
        not settings.effective_database_url.startswith("sqlite:///")
        or Path(settings.effective_database_url.removeprefix("sqlite:///")).exists()
    )
    if usable:
        with session_scope(settings.effective_database_url) as s:
            st = read_status(settings, s, failures)
    else:
        st = read_status(settings, None, failures)
    lang = settings.lang
    for c in st.checks:
        detail, fix = render(c.code, c.params, lang) if c.code and lang != "en" else (c.detail, c.fix)
        say("status.check_ok" if c.ok else "status.check_bad", name=c.name, detail=detail, fix=fix)
    if st.queue_depth is not None:
        say("status.queue", waiting=st.queue_depth, running=st.running)
    if st.pages:
        names = STATUS_JA if lang != "en" else {}
        say("status.pages", pages=", ".join(f"{names.get(k, k)} {v}" for k, v in sorted(st.pages.items())))
    if st.oldest_waiting_seconds is not None:
        say("status.oldest", minutes=f"{st.oldest_waiting_seconds / 60:.1f}")
    for w in st.workers:
        page = f" ページ {w.page_id}" if w.page_id else ""
        page_en = f" page {w.page_id}" if w.page_id else ""
        say("status.worker", name=w.name, state=w.state, page=page, page_en=page_en, seconds=f"{w.last_seen_seconds:.0f}")
    if st.queue_depth is not None and not st.workers:
        say("status.no_worker")
    for f in st.failures:
        say("status.failed", page=f.page_id, batch=f.batch_id, at=f"{f.at:%Y-%m-%d %H:%M}", reason=f.reason)
    if not st.ready:
        raise typer.Exit(7)


@app.command()
def ready() -> None:
    """Exit 0 when the database schema is at head, Redis answers and the store takes a write (compose's health
    check); else name what is wrong, exit 7.  Example: intake ready"""
    from intake.services.readiness import readiness

    lang = get_settings().lang
    bad = [c for c in readiness(get_settings()) if not c.ok]
    for c in bad:
        detail, fix = render(c.code, c.params, lang) if c.code and lang != "en" else (c.detail, c.fix)
        say("ready.bad", err=True, name=c.name, detail=detail, fix=fix)
    if bad:
        raise typer.Exit(7)
    say("ready.ok")


@app.command()
def scheduler(once: Annotated[bool, typer.Option(help="run what is due now, then exit")] = False) -> None:
    """Run the routine jobs: reconcile every 5 min, daily backup and audit verify (times in INTAKE_BACKUP_AT,
    INTAKE_AUDIT_VERIFY_AT).  Example: intake scheduler"""
    from intake.scheduler import run_scheduler

    code = run_scheduler(get_settings(), once=once)
    if code:
        raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="address to bind; loopback unless told (0.0.0.0 inside a container)")
    ] = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Serve the API.  Example: intake serve --port 8000"""
    import uvicorn

    from intake.api.app import create_app
    from intake.logs import uvicorn_log_config

    uvicorn.run(create_app(get_settings()), host=host, port=port, log_config=uvicorn_log_config())


@app.command()
def ui(
    host: Annotated[str, typer.Option(help=BIND_HELP)] = "127.0.0.1",
    port: int = 8501,
) -> None:
    """Serve the review UI (Streamlit).  Example: intake ui"""
    import signal
    import subprocess

    from intake.logs import as_log_line

    settings = get_settings()
    script = Path(__file__).resolve().parent.parent / "review_ui" / "app.py"
    # Streamlit prints its banner and early messages itself: they pass through here and leave as the same JSON
    # lines as everything else; a stop (SIGTERM from compose or demo.sh) is passed on, so Streamlit never outlives us.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.address",
            host,
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--client.toolbarMode",  # no Deploy button, no ⋮ menu (nor its Tab stops): a ward's station, not a demo
            "minimal",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        env={**os.environ, "INTAKE_API_URL": settings.api_url},  # the UI's way to the API: this one setting
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: proc.send_signal(signum))
    assert proc.stdout is not None
    for line in proc.stdout:
        out = as_log_line(settings, "ui", line)
        if out:
            sys.stderr.write(out + "\n")
            sys.stderr.flush()
    raise typer.Exit(proc.wait())


@forms_app.command("print")
def forms_print(
    resident: Annotated[str, typer.Option(help="宛名番号")],
    vaccine: Annotated[str, typer.Option(help="接種種類コード")],
    dose: Annotated[int, typer.Option(help="回数")],
    out: Annotated[Path, typer.Option(help="PDF to write")],
    serial: int = 1,
) -> None:
    """Print one form.  Example: intake forms print --resident 000100000007 --vaccine MR --dose 1 --out form.pdf"""
    from intake.errors import NotFound
    from intake.forms import render_pdf
    from intake.services.mailing import form_content
    from models import Resident, Vaccine

    with _session() as s:
        r, v = s.get(Resident, resident), s.get(Vaccine, vaccine)
        if r is None or v is None:
            raise (
                NotFound("resident.not_found", atena_no=resident)
                if r is None
                else NotFound("vaccine.not_in_master", value=vaccine)
            )
        from intake.errors import BadInput
        from intake.services.schedule_data import schedule

        known = schedule().vaccine(vaccine)
        doses = max(v.doses, (known.series_total or 1) if known else 1)
        if not 1 <= dose <= doses:
            raise BadInput("vaccine.no_such_dose", vaccine=v.name, doses=doses, dose=dose)
        content = form_content(get_settings(), r, v, dose, serial)
    out.write_bytes(render_pdf([content]))
    say("file.written", path=out)


@forms_app.command("reference")
def forms_reference() -> None:
    """Write the blank reference image recognition matches against when markers are damaged (after a
    template change).  Example: intake forms reference"""
    import cv2

    from intake.forms import render_reference
    from ocr.register import PX_PER_MM, reference_path

    layout = get_settings().template_version
    path = reference_path(layout)
    cv2.imwrite(str(path), render_reference(layout, PX_PER_MM), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    say("file.written", path=path)


@forms_app.command("print-bulk")
def forms_print_bulk(
    targets: Path,
    out: Annotated[Path, typer.Option(help="folder for the PDFs (created)")],
    first_serial: int = 1,
) -> None:
    """Monthly mailing: one PDF per post-office group (postal code's first 3 digits).
    TARGETS.csv columns: 宛名番号,接種種類コード,回数.  Example: intake forms print-bulk targets.csv --out mail/"""
    from intake.progress import Progress
    from intake.services.mailing import print_bulk

    shown = Progress("print", unit="forms")
    with _session() as s:
        files = print_bulk(s, get_settings(), targets, out, first_serial, progress=shown)
    shown.finish()
    for path, count in files:
        say("mailing.file", path=path, count=count)


@app.command("ocr-overlay")
def ocr_overlay(
    image: Path,
    out: Annotated[Path, typer.Option("--out")],
    page: Annotated[int, typer.Option(help="which page of a PDF or TIFF (1 = the first)")] = 1,
) -> None:
    """Draw a page's fields, coloured by confidence (green auto-accepted, amber doubtful, red unread). Any scan the
    intake takes: PDF, TIFF, PNG or JPEG.  Example: intake ocr-overlay scans_sample/batches/batch_00.pdf --out o.png"""
    import cv2

    from intake.messages import text_of
    from intake.services.ingest import limits_of
    from ocr.decode import DecodeError, decode_page, probe
    from ocr.fields import ReadContext
    from ocr.overlay import outline_fields
    from ocr.pipeline import process_page
    from ocr.template import load_template

    settings = get_settings()
    template = load_template(settings.template_version)
    data = image.read_bytes()
    try:  # the intake's own decoder: what it cannot read is said as an upload refusal would say it
        found = probe(data, limits_of(settings))
        if not 1 <= page <= found.page_count:
            raise BadInput("value.choice", what="--page", value=page, choices=f"1〜{found.page_count}")
        img = decode_page(data, found.media_type, page - 1, limits_of(settings))
    except DecodeError as exc:
        raise BadInput(f"decode.{exc.code}", name=image.name, **exc.params) from None
    res = process_page(img, template, lambda _i: ReadContext())
    if res.registration is None or res.registration.image is None:
        why = "; ".join(text_of(r.as_json(), settings.lang) for r in res.review_reasons) or res.page_kind
        raise IntakeError("overlay.not_registered", reason=why)
    cv2.imwrite(str(out), outline_fields(res.registration.image, template, res.fields))
    say("file.written", path=out)


@app.command("ocr-field")
def ocr_field(images: list[Path], kind: Annotated[str, typer.Option(help="digits|date|lot|dose|text|kana")]) -> None:
    """Read one field image with the engines.  Example: intake ocr-field --kind digits cell.png"""
    from intake.errors import BadInput
    from ocr.field_image import read_field_image

    kinds = ("digits", "date", "lot", "dose", "text", "kana")
    if kind not in kinds:
        raise BadInput("value.choice", what="項目の種類", value=kind, choices=", ".join(kinds))
    for img in images:
        typer.echo(json.dumps(read_field_image(img, kind), ensure_ascii=False))


@audit_app.command("verify")
def audit_verify() -> None:
    """Re-compute the audit hash chain.  Example: intake audit verify"""
    from intake.services.audit import verify_chain

    with _session() as s:
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

    with _session() as s:
        last = s.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    if last is None or last.id is None:
        say("audit.empty")
        return
    write_checkpoint(last.id, last.hash)
    say("audit.checkpoint", row=last.id, file=checkpoint_file())


@app.command("match-batch")
def match_batch(
    queries: Path,
    out: Annotated[Path, typer.Option("--out")],
    workers: Annotated[int, typer.Option(help="processes (0: one per core)")] = 0,
) -> None:
    """Match forms to residents from a CSV (columns form_id,宛名番号,氏名,氏名_振り仮名,生年月日,性別,住所,保護者_氏名).
    Example: intake match-batch queries.csv --out matches.csv"""
    from collections import Counter

    from intake.services.match_batch import match_all, read_queries, write_matches

    t = time.perf_counter()
    qs = read_queries(queries)
    url = get_settings().effective_database_url
    from intake.progress import Progress

    shown = Progress("match", total=len(qs), unit="forms")
    decisions = match_all(url, qs, workers, progress=shown)
    shown.finish()
    write_matches(out, qs, decisions)
    counts = Counter(d.decision for d in decisions)
    say(
        "match.done",
        count=f"{len(qs):,}",
        seconds=f"{time.perf_counter() - t:.1f}",
        counts=", ".join(f"{k} {v:,}" for k, v in counts.items()),
    )


@app.command()
def targets(
    month: Annotated[str, typer.Option(help="2026-12, 2026年12月 or 令和8年12月")],
    out: Annotated[Path, typer.Option()],
    encoding: Annotated[str, typer.Option(help="utf-8 (with BOM) | cp932")] = "utf-8",
) -> None:
    """Next month's mailing targets: residents for whom a dose becomes due and who lack it.
    Example: intake targets --month 2026-12 --out targets.csv  (then: intake forms print-bulk targets.csv --out mail/)"""
    from intake.progress import Progress
    from intake.services.reports import TARGET_COLUMNS, to_csv
    from intake.services.reports import targets as find
    from intake.ward_dates import parse_month

    month = parse_month(month)
    chosen = _encoding(encoding)
    shown = Progress("targets", unit="residents")
    with _session() as s:
        rows = list(find(s, month, progress=shown))
    shown.finish()
    out.write_bytes(encode_csv(to_csv(rows, TARGET_COLUMNS), chosen))
    say("targets.done", count=len(rows), month=month, path=out)


@app.command()
def report(
    kind: Annotated[str, typer.Argument(help="yearly | clinics")],
    period: str,
    out: Path,
    encoding: Annotated[str, typer.Option(help="utf-8 (with BOM) | cp932")] = "utf-8",
) -> None:
    """Reports as CSV (no 個人番号, no names; UTF-8 with BOM).  Example: intake report yearly 令和8 yearly.csv
    (period: a fiscal year — 2026, 令和8 — for yearly; a month — 2026-10, 令和8年10月 — for clinics)"""
    from intake.errors import BadInput
    from intake.services import reports
    from intake.ward_dates import parse_fiscal_year, parse_month

    if kind not in ("yearly", "clinics"):
        raise BadInput("value.choice", what="報告", value=kind, choices="yearly, clinics")
    chosen = _encoding(encoding)
    fiscal_year = parse_fiscal_year(period) if kind == "yearly" else 0
    month = parse_month(period) if kind == "clinics" else ""
    with _session() as s:
        if kind == "yearly":
            rows, columns = reports.yearly_counts(s, fiscal_year), reports.YEARLY_COLUMNS
        else:
            rows, columns = reports.clinic_month(s, month), reports.CLINIC_COLUMNS
    out.write_bytes(encode_csv(reports.to_csv(rows, columns), chosen))
    say("report.done", count=len(rows), path=out)


@app.command()
def purge(years: int = 5, dry_run: Annotated[bool, typer.Option("--dry-run/--execute")] = True) -> None:
    """Delete ledger rows, page images and originals older than the retention period (from the vaccination
    date), recorded in the audit log. Dry run unless --execute.  Example: intake purge --years 5 --execute"""
    from datetime import date

    from intake.progress import Progress
    from intake.services.retention import purge as run
    from intake.store import ContentStore

    shown = Progress("purge", unit="records")
    with _session() as s:
        rep = run(s, ContentStore(get_settings().store_dir), date.today(), years, dry_run, progress=shown)
    say(
        "purge.dry" if rep.dry_run else "purge.done",
        cutoff=rep.cutoff,
        records=rep.records,
        pages=rep.pages,
        originals=rep.originals,
    )


@app.command()
def backup(target: Path) -> None:
    """Back up the database and the content store into a new folder (run daily; copy it off-site).
    Example: intake backup /backups/2026-11-26"""
    from intake.progress import Progress
    from intake.services.backup import backup as run

    shown = Progress("backup", unit="files")
    rep = run(get_settings(), target, progress=shown)
    shown.finish()
    say("backup.done", database=rep.database, files=rep.files, path=rep.directory)


@app.command()
def restore(source: Path) -> None:
    """Restore a backup into an EMPTY database and store.  Example: intake restore /backups/2026-11-26"""
    from intake.progress import Progress
    from intake.services.backup import restore as run

    shown = Progress("restore", unit="files")
    rep = run(get_settings(), source, progress=shown)
    shown.finish()
    say("restore.done", database=rep.database, files=rep.files)


@app.command("demo-setup")
def demo_setup() -> None:
    """Migrate, load sample residents and masters, create demo users and the demo scanner key."""
    from intake.demo import setup_demo

    for code, params in setup_demo(get_settings(), SAMPLE):
        typer.echo(said(code, params, get_settings().lang))


GROUPS = {"residents", "masters", "users", "forms", "audit", "train"}  # commands with sub-commands

# Servers log JSON (intake.logs); a person's command logs warnings only, as text, beside its own output.
SERVERS = {"serve": "api", "worker": "worker", "ui": "ui", "scheduler": "scheduler"}


def main(application: typer.Typer | None = None) -> None:
    """The edge of every command (the product's; tools.dev passes its own app): one line per error."""
    from intake.logs import configure_logging

    application = application or app

    args = sys.argv[1:]
    words = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "--as")]
    command = words[0] if words else ""
    if command in SERVERS:
        configure_logging(get_settings(), SERVERS[command])
    else:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s", stream=sys.stderr)
    try:
        # not standalone: a usage error (missing option, a word where a number goes) comes here, to be said in one
        # line in the installation's language like every other error, instead of click's English box
        returned = application(standalone_mode=False)
        sys.exit(returned if isinstance(returned, int) else 0)
    except typer.Abort:
        sys.exit(130)  # Ctrl-C at a prompt
    except typer.TyperException as exc:  # typer's (vendored click) usage errors: a missing option, a bad number
        detail = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        group = words[:2] if words and words[0] in GROUPS else words[:1]
        lang = get_settings().lang
        known = not detail.startswith("No such command")
        _fail(BadInput("cli.usage", detail=usage_text(detail, lang), command=" ".join(group) + " " if known else ""))
    except IntakeError as exc:
        _fail(exc)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        _fail(from_os_error(exc))
    except Exception as exc:  # noqa: BLE001 — the edge: a person reads one line, the log keeps the traceback
        _fail(_unreachable(exc) or _unexpected(exc))


def _unreachable(exc: Exception) -> IntakeError | None:
    """A service the command needs is down: which one, and what to check (one line, no traceback)."""
    from intake.errors import ServiceUnavailable

    kind = f"{type(exc).__module__}.{type(exc).__name__}"
    settings = get_settings()
    if kind.startswith("sqlalchemy.exc.OperationalError"):
        where = settings.database_url.split("@")[-1] if settings.database_url else settings.effective_database_url
        return ServiceUnavailable("db.unreachable", where=where)
    if kind.startswith("redis.exceptions.") and ("Connection" in kind or "Timeout" in kind):
        return ServiceUnavailable("redis.unreachable", where=settings.redis_url)
    if kind.startswith("httpx.") and ("Connect" in kind or "Timeout" in kind):
        return ServiceUnavailable("api.unreachable", where=str(exc)[:200])
    return None


def _unexpected(exc: Exception) -> IntakeError:
    """A bug: one line for the person; the traceback to var/cli-errors.log for whoever mends it."""
    import traceback

    log = get_settings().var_dir / "cli-errors.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(sys.argv)}\n{traceback.format_exc()}\n")
    except OSError:
        return IntakeError("unexpected.no_log", kind=type(exc).__name__)
    return IntakeError("unexpected", kind=type(exc).__name__, log=log)


def say(code: str, err: bool = False, **params: Any) -> None:
    """What a command reports when it worked, in the installation's language (intake.messages.SAID)."""
    typer.echo(said(code, params, get_settings().lang), err=err)


def _encoding(value: str) -> Encoding:
    """--encoding as the ward says it (utf-8, UTF8, cp932, sjis, shift_jis)."""
    v = value.lower().replace("_", "-")
    if v in ("utf-8", "utf8"):
        return "utf-8"
    if v in ("cp932", "sjis", "shift-jis", "windows-31j"):
        return "cp932"
    raise BadInput("value.choice", what="文字コード", value=value, choices=", ".join(ENCODINGS))


def _line(exc: IntakeError) -> str:
    """One line a person reads: what is wrong — what to do [code], in the installation's language."""
    lang = get_settings().lang
    message, fix = exc.text(lang)
    return f"{'error' if lang == 'en' else 'エラー'}: {message}" + (f" — {fix}" if fix else "") + f" [{exc.code}]"


def _fail(exc: IntakeError) -> None:
    typer.echo(_line(exc), err=True)
    sys.exit(exc.exit_code)


def _rejected(file: Path, errors: list[IntakeError], limit: int) -> None:
    """A file with bad lines: each named (up to `limit`), then the verdict — nothing was imported."""
    lang = get_settings().lang
    for e in errors[:limit]:
        typer.echo("  " + e.text(lang)[0], err=True)
    count = f"{len(errors)}{'+' if len(errors) >= 1000 else ''}"
    _fail(BadInput("csv.rejected", name=file.name, count=count))


def _refused(r: Any) -> IntakeError:
    """The API's refusal as this CLI's error: its code and parameters, rendered here in the CLI's language."""
    try:
        body = r.json()
    except ValueError:
        body = {}
    err = IntakeError(str(body.get("code", "server.unexpected")), **dict(body.get("params") or {}))
    err.exit_code = 2 if r.status_code < 500 else 7
    return err
