"""What an operator on call sees and does: readiness with reasons, metrics, JSON logs with the traceback and the
stage a failed page reached, `intake status`, the scheduler's routine jobs, admin acts audited as the person,
servers on loopback unless told, the recognition model pinned by checksum."""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from intake import scheduler
from intake.api.app import create_app
from intake.cli import app as cli
from intake.logs import JsonFormatter
from intake.migrate import alembic_config
from intake.settings import Settings
from models import AuditEvent, Page, PageStatus
from tests.support.api import upload
from tests.support.env import BATCH, ROOT, SAMPLE

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


def _ready(settings: Settings) -> tuple[int, dict[str, dict[str, object]]]:
    r = TestClient(create_app(settings)).get("/api/v1/ready")
    return r.status_code, {c["name"]: c for c in r.json()["checks"]}


@SQLITE
def test_ready_is_true_on_a_working_installation(settings: Settings) -> None:
    status, checks = _ready(settings)
    assert status == 200 and all(c["ok"] for c in checks.values()), checks


@SQLITE
def test_ready_is_false_with_the_reason_when_the_schema_is_behind(settings: Settings) -> None:
    from alembic import command

    command.downgrade(alembic_config(settings.effective_database_url), "-1")
    status, checks = _ready(settings)
    assert status == 503 and not checks["schema"]["ok"]
    assert "the code needs" in str(checks["schema"]["detail"]) and checks["schema"]["fix"] == "run: intake migrate"
    health = TestClient(create_app(settings)).get("/api/v1/health")
    assert health.status_code == 200  # alive, not ready — and says what the operator first asks
    body = health.json()
    assert body["status"] == "degraded" and body["redis"]["ok"] and body["database"]["ok"]
    assert not body["schema"]["ok"] and "the code needs" in body["schema"]["detail"] and body["schema"]["fix"]


@SQLITE
def test_ready_is_false_with_the_reason_when_redis_is_down(settings: Settings) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    status, checks = _ready(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"}))
    assert status == 503 and not checks["redis"]["ok"] and "not reachable" in str(checks["redis"]["detail"])
    assert checks["database"]["ok"] and checks["schema"]["ok"]


@SQLITE
def test_ready_is_false_with_the_reason_when_the_store_takes_no_write(settings: Settings) -> None:
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    settings.store_dir.rename(settings.var_dir / "store-moved")
    settings.store_dir.write_text("a file where the store folder should be")  # root ignores permission bits
    status, checks = _ready(settings)
    assert status == 503 and not checks["store"]["ok"] and "takes no write" in str(checks["store"]["detail"])


def test_ready_never_creates_a_database(tmp_path: Path) -> None:
    s = Settings(var_dir=tmp_path / "var", database_url="")
    status, checks = _ready(s)
    assert status == 503 and "no database file" in str(checks["database"]["detail"])
    assert not (tmp_path / "var" / "intake.db").exists()


@SQLITE
def test_metrics_show_pages_by_state_the_queue_and_refused_logins(
    client: TestClient, settings: Settings, scanner_headers: dict[str, str]
) -> None:
    upload(client, scanner_headers, BATCH)
    client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": "not-the-password"})
    body = client.get("/metrics").text
    lines = dict(line.rsplit(" ", 1) for line in body.splitlines() if line.startswith("intake_"))
    assert float(lines['intake_pages{status="queued"}']) == 10
    assert float(lines["intake_queue_depth"]) == 10
    assert float(lines['intake_auth_failures_total{status="401"}']) >= 1
    assert float(lines['intake_http_requests_total{method="POST",route="/api/v1/batches",status="201"}']) >= 1
    assert float(lines["intake_oldest_waiting_page_seconds"]) >= 0


@SQLITE
def test_a_scanner_key_reads_its_own_batch_and_no_other(
    client: TestClient, settings: Settings, scanner_headers: dict[str, str], session: Session
) -> None:
    from intake.services.auth import create_api_key

    receipt = upload(client, scanner_headers, BATCH)
    mine = client.get(f"/api/v1/batches/{receipt['batch_id']}", headers=scanner_headers)
    assert mine.status_code == 200 and mine.json()["status_counts"] == {"queued": 10}
    other = create_api_key(session, "scanner-other")
    session.commit()
    theirs = client.get(f"/api/v1/batches/{receipt['batch_id']}", headers={"X-API-Key": other})
    assert theirs.status_code == 404


def test_json_log_lines_carry_fields_and_the_traceback() -> None:
    fmt = JsonFormatter("worker")
    try:
        raise ValueError("a broken stage")
    except ValueError:
        record = logging.getLogger("intake.worker").makeRecord(
            "intake.worker", logging.ERROR, __file__, 1, "page=%s failed", (7,), sys.exc_info(),
            extra={"page": 7, "stage_timings_ms": {"decode": 3.0}},
        )  # fmt: skip
    out = json.loads(fmt.format(record))
    assert out["message"] == "page=7 failed" and out["level"] == "ERROR" and out["component"] == "worker"
    assert out["page"] == 7 and out["stage_timings_ms"] == {"decode": 3.0}
    assert "ValueError: a broken stage" in out["traceback"]


@SQLITE
def test_a_failed_page_logs_its_traceback_at_error_with_the_stages_it_reached(
    client: TestClient,
    settings: Settings,
    scanner_headers: dict[str, str],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A bug in a stage cannot be caused by any input on purpose: the identity stage is replaced by one that raises
    # (the only mock here, for a fault we cannot cause for real).
    import ocr.pipeline
    from intake.worker import process_page_job

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("identity stage bug")

    monkeypatch.setattr(ocr.pipeline, "read_identity", broken)
    monkeypatch.setenv("INTAKE_JOB_MAX_ATTEMPTS", "1")
    from intake.settings import get_settings

    get_settings.cache_clear()
    receipt = upload(client, scanner_headers, BATCH)
    page_id = receipt["new_page_ids"][0]
    with caplog.at_level(logging.ERROR, logger="intake.worker"):
        assert process_page_job(page_id) == "failed"
    record = next(r for r in caplog.records if "failed after stage" in r.getMessage())
    assert record.levelno == logging.ERROR and record.exc_info is not None
    timings = record.__dict__["stage_timings_ms"]
    assert {"decode", "register"} <= set(timings) and "identity" not in timings
    assert "failed after stage register: RuntimeError: identity stage bug" in record.getMessage()
    session.expire_all()
    page = session.get(Page, page_id)
    assert page is not None and page.status == PageStatus.failed


@SQLITE
def test_status_names_the_queue_states_and_what_is_wrong(
    client: TestClient, settings: Settings, scanner_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    upload(client, scanner_headers, BATCH)
    r = CliRunner().invoke(cli, ["status"])
    assert r.exit_code == 0, r.output
    assert "キュー    待ち 10 件" in r.output and "読取待ち 10" in r.output and "最も古い待ちページ" in r.output
    assert "ワーカー  動いていません  → 起動: intake worker" in r.output
    monkeypatch.setenv("INTAKE_REDIS_URL", "redis://127.0.0.1:1/0")
    from intake.settings import get_settings

    get_settings.cache_clear()
    r = CliRunner().invoke(cli, ["status"])
    assert r.exit_code == 7 and "異常 redis" in r.output and "Redis を起動" in r.output
    monkeypatch.setenv("INTAKE_LANG", "en")  # English is a setting
    get_settings.cache_clear()
    r = CliRunner().invoke(cli, ["status"])
    assert r.exit_code == 7 and "NOT redis" in r.output and "start Redis" in r.output


@SQLITE
def test_admin_acts_from_the_cli_are_audited_as_the_operator(settings: Settings, session: Session) -> None:
    r = CliRunner().invoke(cli, ["--as", "suzuki", "users", "disable", "reviewer2"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["users", "create-key", "scanner-9"])
    assert r.exit_code == 0, r.output
    session.expire_all()
    rows = session.exec(select(AuditEvent).where(col(AuditEvent.action).in_(("user.disable", "apikey.create")))).all()
    assert {(e.action, e.actor) for e in rows} == {
        ("user.disable", f"operator:suzuki@{getpass.getuser()}"),
        ("apikey.create", f"operator:{getpass.getuser()}"),
    }


# ---- the scheduler -----------------------------------------------------------------------------------------


def test_a_daily_job_is_due_once_per_day_after_its_hour_and_an_interval_job_every_interval() -> None:
    daily = scheduler.Job("backup", lambda s: "", at="02:00")
    at = datetime(2026, 11, 30, 1, 59)
    assert not daily.due(at, last_ok=datetime(2026, 11, 29, 2, 0), last_try=None)  # yesterday's run covers it
    assert daily.due(at + timedelta(minutes=1), last_ok=datetime(2026, 11, 29, 2, 0), last_try=None)
    assert not daily.due(at + timedelta(hours=5), last_ok=datetime(2026, 11, 30, 2, 0, 5), last_try=None)
    assert daily.due(at, last_ok=None, last_try=None)  # never ran: yesterday's slot is owed
    every = scheduler.Job("reconcile", lambda s: "", every=timedelta(minutes=5))
    assert not every.due(at, last_ok=at - timedelta(minutes=4), last_try=None)
    assert every.due(at, last_ok=at - timedelta(minutes=5), last_try=None)
    # a failure one minute ago waits RETRY before the next try
    assert not every.due(at, last_ok=at - timedelta(hours=1), last_try=at - timedelta(minutes=1))
    assert every.due(at, last_ok=at - timedelta(hours=1), last_try=at - scheduler.RETRY)


def test_a_bad_time_of_day_is_one_clear_error() -> None:
    from intake.errors import BadInput

    with pytest.raises(BadInput, match="is not HH:MM"):
        scheduler.jobs_for(Settings(backup_at="2am"))


@SQLITE
def test_the_scheduler_runs_what_is_due_remembers_it_across_a_restart_and_prunes_old_backups(settings: Settings) -> None:
    s = settings.model_copy(update={"backup_at": "00:00", "audit_verify_at": "00:00", "backup_keep": 2})
    for old in ("2026-01-01", "2026-01-02", "2026-01-03"):  # three earlier backups
        (s.backups_dir / old).mkdir(parents=True)
        (s.backups_dir / old / "manifest.json").write_text("{}")
    state = scheduler.State(s.var_dir / "scheduler.json")
    done = {name: ok for name, ok, _ in scheduler.run_due(s, state)}
    assert done == {"reconcile": True, "backup": True, "audit-verify": True}
    kept = sorted(p.name for p in s.backups_dir.iterdir())
    assert len(kept) == 2 and kept[0] == "2026-01-03"  # the newest two: 2026-01-03 and today's
    today = s.backups_dir / kept[1]
    assert oct(today.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in today.rglob("*") if p.is_file()} == {"0o600"}
    # a restarted scheduler reads what ran: nothing is due again
    assert scheduler.run_due(s, scheduler.State(s.var_dir / "scheduler.json")) == []


@SQLITE
def test_a_failing_job_is_logged_and_the_others_still_run(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    s = settings.model_copy(update={"backup_at": "00:00", "audit_verify_at": "00:00", "backup_dir": settings.var_dir / "f"})
    s.var_dir.mkdir(parents=True, exist_ok=True)
    (s.var_dir / "f").write_text("a file where the backup folder should be")
    with caplog.at_level(logging.ERROR, logger="intake.scheduler"):
        done = {name: ok for name, ok, _ in scheduler.run_due(s, scheduler.State(s.var_dir / "scheduler.json"))}
    assert done == {"reconcile": True, "backup": False, "audit-verify": True}
    failed = next(r for r in caplog.records if r.getMessage().startswith("job backup failed"))
    assert failed.exc_info is not None


# ---- servers, model ----------------------------------------------------------------------------------------


def _listening(port: int) -> set[str]:
    """Addresses listening on `port`, read from /proc (no tool needed)."""
    out = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port and len(addr) == width:
                out.add(socket.inet_ntoa(bytes.fromhex(addr)[::-1]) if width == 8 else addr)
    return out


@pytest.mark.parametrize("command", ["serve", "ui"])
def test_servers_listen_on_loopback_log_json_and_stop_whole(command: str, tmp_path: Path) -> None:
    import os
    import signal

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"INTAKE_VAR_DIR": str(tmp_path / "var"), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    log = tmp_path / "server.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from intake.cli import main; main()", command, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=fh,
            start_new_session=True,
        )
    try:
        for _ in range(120):
            if _listening(port):
                break
            time.sleep(0.25)
        assert _listening(port) == {"127.0.0.1"}
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)  # what compose's stop sends: to the server's own process only
        proc.wait(timeout=30)
        time.sleep(0.5)
        left = [p for p in Path("/proc").glob("[0-9]*") if p.name.isdigit() and _pgid(int(p.name)) == proc.pid]
        assert left == [], "a child (Streamlit) outlived its server"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["component"] == ("api" if command == "serve" else "ui") for line in lines), lines


def _pgid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return -1


def test_the_recognition_model_is_the_measured_one_by_name_and_checksum(tmp_path: Path) -> None:
    import rapidocr

    from ocr.engines import REC_MODEL, REC_MODEL_SHA256, ModelMismatch, check_model

    check_model(Path(rapidocr.__file__).parent / "models" / REC_MODEL, REC_MODEL_SHA256)
    other = tmp_path / REC_MODEL
    other.write_bytes(b"another model")
    with pytest.raises(ModelMismatch, match="re-measure"):
        check_model(other, REC_MODEL_SHA256)


@SQLITE
def test_api_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/api/docs").text
    assert "cdn" not in page.lower() and "/api/docs-assets/swagger-ui-bundle.js" in page
    assert client.get("/api/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_no_deprecated_streamlit_call_in_the_ui() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "review_ui").glob("*.py"))
    assert "use_container_width=" not in text and "streamlit.components" not in text


def _processes_with(marker: str) -> list[int]:
    found = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in env.read_bytes():
                found.append(int(env.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_demo_serves_on_loopback_and_stops_everything_it_started(tmp_path: Path) -> None:
    import os
    import signal

    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    var = tmp_path / "demo-var"
    env = {
        **os.environ,
        "INTAKE_VAR_DIR": str(var),
        "INTAKE_REDIS_URL": "redis://127.0.0.1:6379/13",
        "INTAKE_QUEUE_NAME": f"demo-{os.getpid()}",  # parallel runs (a developer and CI) never share a queue
        "INTAKE_DATABASE_URL": "",
        "DEMO_API_PORT": str(ports[0]),
        "DEMO_UI_PORT": str(ports[1]),
    }
    demo = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "demo.sh")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert demo.stdout is not None
        said = []
        for line in demo.stdout:
            said.append(line)
            if "Ctrl-C stops everything" in line:
                break
        assert any("Ctrl-C stops everything" in line for line in said), "".join(said[-30:])
        for _ in range(60):  # Streamlit binds a moment after the banner
            if _listening(ports[1]):
                break
            time.sleep(0.5)
        assert _listening(ports[0]) == {"127.0.0.1"} and _listening(ports[1]) == {"127.0.0.1"}
        assert len(_processes_with(str(var))) >= 3  # api, worker (and its work process), streamlit
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
        time.sleep(1)
        assert _processes_with(str(var)) == []
    finally:
        for pid in _processes_with(str(var)):
            os.kill(pid, signal.SIGKILL)


def test_login_on_a_database_never_migrated_says_so(tmp_path: Path) -> None:
    from intake.db import get_engine

    s = Settings(var_dir=tmp_path / "var", database_url="")
    s.var_dir.mkdir(parents=True)
    with get_engine(s.effective_database_url).connect():  # an empty database file, no schema
        pass
    r = TestClient(create_app(s)).post("/api/v1/auth/login", json={"username": "reviewer1", "password": "x" * 12})
    assert r.status_code == 503 and r.json()["code"] == "db.schema_not_ready", r.text
    assert r.json()["message"].startswith("データベースがこの版向けに準備されていません（スキーマ なし（未移行）、必要 0")
    assert r.json()["fix"] == "運用担当者が intake migrate を実行してください"
    english = TestClient(create_app(s)).post(
        "/api/v1/auth/login", json={"username": "reviewer1", "password": "x" * 12}, headers={"Accept-Language": "en"}
    )
    assert english.json()["fix"] == "the operator runs: intake migrate"


def test_progress_says_done_total_rate_and_time_left() -> None:
    import io

    from intake.progress import Progress

    out = io.StringIO()
    p = Progress("targets", 1000, "residents", every=0.0, out=out, lang="ja")
    p(250)
    p.finish()
    first, last = out.getvalue().splitlines()
    assert first.startswith("  対象抽出: 250/1,000 人（") and "残り約" in first
    assert last.startswith("  対象抽出: 250/1,000 人（") and last.endswith(" 秒）")
    out = io.StringIO()
    p = Progress("targets", 1000, "residents", every=0.0, out=out, lang="en")
    p(250)
    assert out.getvalue().startswith("  targets: 250/1,000 residents (") and "left" in out.getvalue()


@SQLITE
def test_long_commands_show_their_progress(settings: Settings, tmp_path: Path) -> None:
    cli = [sys.executable, "-c", "from intake.cli import main; main()"]
    r = subprocess.run([*cli, "targets", "--month", "令和8年12月", "--out", str(tmp_path / "t.csv")], cwd=ROOT,
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0 and "  対象抽出: " in r.stderr and " 人（" in r.stderr, r.stderr
    dev = [sys.executable, "-m", "tools.dev"]
    r = subprocess.run([*dev, "synth", str(tmp_path / "c"), "--n", "3", "--degrade", "none"], cwd=ROOT,
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0 and "  合成: " in r.stderr and "/3 ページ" in r.stderr, r.stderr
    register = str(SAMPLE / "residents.csv")
    r = subprocess.run([*cli, "residents", "import", register], cwd=ROOT, capture_output=True, text=True)
    rows = len((SAMPLE / "residents.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert r.returncode == 0 and f"  検査: {rows:,} 行" in r.stderr and f"  書込: {rows:,}/{rows:,} 行" in r.stderr, r.stderr
    assert r.stdout.startswith(f"住民: 新規 0 件、更新 {rows} 件"), r.stdout
    r = subprocess.run([*cli, "backup", str(tmp_path / "b")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "  バックアップ: " in r.stderr and "ファイル" in r.stderr, r.stderr
    assert "にバックアップしました" in r.stdout


def test_review_reasons_stored_as_sentences_become_codes_on_upgrade(
    client: TestClient, settings: Settings, session: Session, scanner_headers: dict[str, str]
) -> None:
    """Migration 0011: the sentences earlier versions stored as a page's review reasons become coded reasons, so
    the queue's filters keep working on an upgraded installation (both databases)."""
    from alembic import command
    from sqlalchemy import text as sql

    from intake.services import review_queue

    upload(client, scanner_headers, BATCH)
    page_id = session.exec(select(Page.id)).first()
    session.close()  # no open transaction while the schema moves
    url = settings.effective_database_url
    command.downgrade(alembic_config(url), "0010_record_date_unwritten")
    old = ["check: lot_number, doctor_name", "resident: score 8.0 / margin 1.0 below 14 / 6: choose by hand",
           "QA sample: check every field against the image", "deferred: 氏名が読めない", "something else"]  # fmt: skip
    session.execute(sql("UPDATE page SET needs_review_reasons = :r WHERE id = :i"), {"r": json.dumps(old), "i": page_id})
    session.commit()
    session.close()
    command.upgrade(alembic_config(url), "head")
    session.expire_all()
    page = session.get(Page, page_id)
    assert page is not None and [r.model_dump() for r in page.needs_review_reasons] == [
        {"code": "review.check", "params": {"fields": ["lot_number", "doctor_name"]}},
        {"code": "match.text", "params": {"text": "score 8.0 / margin 1.0 below 14 / 6: choose by hand"}},
        {"code": "review.qa_sample", "params": {}},
        {"code": "review.deferred", "params": {"note": "氏名が読めない"}},
        {"code": "text", "params": {"text": "something else"}},
    ]
    assert review_queue.has_reason(page, "low_confidence") and review_queue.has_reason(page, "no_match")


@SQLITE
def test_the_page_reader_yields_the_cpu_to_reviewers(settings: Settings, tmp_path: Path) -> None:
    """The supervised worker's work process runs at INTAKE_WORKER_NICE (reading is throughput work; a reviewer's
    Enter on the same machine is latency work); the supervisor itself stays at the ordinary priority."""
    env = {**os.environ, "INTAKE_WORKER_NICE": "7"}
    worker = subprocess.Popen(
        [sys.executable, "-c", "from intake.cli import main; main()", "worker"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline, nice = time.monotonic() + 60, None
        while time.monotonic() < deadline and nice is None:
            children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
            for child in children:
                if os.getpriority(os.PRIO_PROCESS, int(child)) == 7:
                    nice = 7
            time.sleep(0.5)
        assert nice == 7, "the work process never ran at the configured niceness"
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        worker.terminate()
        worker.wait(30)
