"""Commands an operator on call runs: bring the services up, watch them, back them up."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from intake.cli.base import BIND_HELP, OPERATIONS, FieldKind, app, refused, say, session
from intake.errors import BadInput, IntakeError
from intake.messages import STATUS_JA, render
from intake.settings import get_settings


@app.command(rich_help_panel=OPERATIONS)
def migrate() -> None:
    """Create or upgrade the database schema.  Example: intake migrate"""
    from intake.migrate import upgrade

    upgrade(get_settings().effective_database_url)
    say("migrate.done")


@app.command(rich_help_panel=OPERATIONS)
def upload(
    files: list[Path],
    clinic: Annotated[str, typer.Option(help="実施機関コード")],
    api_url: Annotated[str, typer.Option(envvar="INTAKE_API_URL")] = "http://127.0.0.1:8000",
    api_key: Annotated[str, typer.Option(envvar="INTAKE_API_KEY")] = "",
) -> None:
    """Upload a clinic's bundle as one batch.  Example: intake upload bundle.pdf --clinic 1310001"""
    import errno

    import httpx

    from intake.errors import BadInput, from_os_error

    for f in files:  # a folder is named as one, as every other command names it
        if f.is_dir():
            raise from_os_error(IsADirectoryError(errno.EISDIR, "Is a directory", str(f)))
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise BadInput("file.missing", paths=", ".join(missing))
    parts = [("files", (f.name, f.read_bytes(), "application/octet-stream")) for f in files]
    r = httpx.post(
        f"{api_url}/api/v1/batches", data={"clinic_code": clinic}, files=parts, headers={"X-API-Key": api_key}, timeout=300
    )
    if r.status_code >= 400:
        raise refused(r)
    body = r.json()
    say(
        "upload.done",
        batch=body["batch_id"],
        new=len(body["new_page_ids"]),
        duplicate=len(body["duplicate_page_ids"]),
        queued=body["queued"],
    )


@app.command(rich_help_panel=OPERATIONS)
def worker(burst: Annotated[bool, typer.Option(help="exit when the queue is empty")] = False) -> None:
    """Run a page worker (rq; one supervised work process).  Example: intake worker"""
    from intake.worker_start import run_worker

    code = run_worker(burst=burst)
    if code:
        raise typer.Exit(code)


@app.command(rich_help_panel=OPERATIONS)
def reconcile(minutes: int = 10) -> None:
    """Re-queue pages stuck in queued/processing.  Example: intake reconcile --minutes 10"""
    from datetime import timedelta

    from intake.services.reading_lease import reconcile as run

    with session() as s:
        stuck, queued = run(s, get_settings(), timedelta(minutes=minutes))
    say("reconcile.done", queued=queued, stuck=stuck)


@app.command(rich_help_panel=OPERATIONS)
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


@app.command(rich_help_panel=OPERATIONS)
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


@app.command(rich_help_panel=OPERATIONS)
def scheduler(once: Annotated[bool, typer.Option(help="run what is due now, then exit")] = False) -> None:
    """Run the routine jobs: reconcile every 5 min, daily backup and audit verify (times in INTAKE_BACKUP_AT,
    INTAKE_AUDIT_VERIFY_AT).  Example: intake scheduler"""
    from intake.scheduler import run_scheduler

    code = run_scheduler(get_settings(), once=once)
    if code:
        raise typer.Exit(code)


@app.command(rich_help_panel=OPERATIONS)
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


@app.command(rich_help_panel=OPERATIONS)
def ui(
    host: Annotated[str, typer.Option(help=BIND_HELP)] = "127.0.0.1",
    port: int = 8501,
) -> None:
    """Serve the review UI (Streamlit).  Example: intake ui"""
    import signal
    import subprocess

    from intake.logs import as_log_line

    settings = get_settings()
    script = Path(__file__).resolve().parents[2] / "review_ui" / "app.py"
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


@app.command(rich_help_panel=OPERATIONS)
def backup(target: Path) -> None:
    """Back up the database and the content store into a new folder (run daily; copy it off-site).
    Example: intake backup /backups/2026-11-26"""
    from intake.progress import Progress
    from intake.services.backup import backup as run

    shown = Progress("backup", unit="files")
    rep = run(get_settings(), target, progress=shown)
    shown.finish()
    say("backup.done", database=rep.database, files=rep.files, path=rep.directory)


@app.command(rich_help_panel=OPERATIONS)
def restore(source: Path) -> None:
    """Restore a backup into an EMPTY database and store.  Example: intake restore /backups/2026-11-26"""
    from intake.progress import Progress
    from intake.services.backup import restore as run

    shown = Progress("restore", unit="files")
    rep = run(get_settings(), source, progress=shown)
    shown.finish()
    say("restore.done", database=rep.database, files=rep.files)


@app.command("ocr-overlay", rich_help_panel=OPERATIONS)
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


@app.command("ocr-field", rich_help_panel=OPERATIONS)
def ocr_field(images: list[Path], kind: Annotated[FieldKind, typer.Option()]) -> None:
    """Read one field image with the engines.  Example: intake ocr-field --kind digits cell.png"""
    from PIL import Image

    from ocr.decode import grey
    from ocr.field_image import read_field_image

    for path in images:
        try:  # a field's crop, not a page: the page decoder's size limits do not apply, Pillow's pixel limit does
            with Image.open(path) as im:
                img = grey(im)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            if isinstance(exc, OSError) and exc.errno is not None:  # missing, a folder, not readable: said as such
                raise
            raise BadInput("field_image.unreadable", name=path.name, detail=type(exc).__name__) from None
        typer.echo(json.dumps(read_field_image(img, kind), ensure_ascii=False))
