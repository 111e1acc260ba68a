"""The compose installation: checked statically (no Docker daemon here) and brought up as processes — the same
commands, environment, order, health checks, one-shot migrate, restart policies and routine jobs — on this
machine's PostgreSQL and Redis, from secrets made by deploy/make-secrets.sh, to a reviewer seeing a form."""

from __future__ import annotations

import copy
import getpass
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from intake.db import dispose_engines, get_engine
from tests.support.env import PG_ADMIN_URL, ROOT, SAMPLE
from tools.compose import Local, Runner, compose_problems, dockerfile_problems, load

BIN = str(Path(sys.executable).parent)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_compose_file_and_image_recipe_have_no_problem() -> None:
    assert compose_problems(load()) == []
    assert dockerfile_problems() == []


def test_compose_checks_name_what_an_operator_would_trip_over() -> None:
    bad: dict[str, Any] = copy.deepcopy(load())
    svc = bad["services"]
    svc["api"]["restart"] = "no"
    svc["api"]["ports"] = ["8000:8000"]
    svc["ui"]["depends_on"] = ["api"]
    svc["worker"]["depends_on"].pop("migrate")
    svc["postgres"]["environment"]["POSTGRES_PASSWORD"] = "intake"
    svc["migrate"]["restart"] = "unless-stopped"
    svc["redis"]["command"] = ["redis-server"]
    del svc["scheduler"]
    problems = "\n".join(compose_problems(bad))
    for expected in (
        "api: no restart policy",
        "api: port 8000:8000 is published on every interface",
        "ui: depends_on without conditions",
        "worker: does not wait for migrate",
        "postgres: POSTGRES_PASSWORD set inline",
        "migrate: a one-shot service must have restart: 'no'",
        "redis: the queue must persist",
        "service scheduler is missing",
    ):
        assert expected in problems, (expected, problems)


def test_dockerfile_checks_name_a_root_single_stage_image(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY . .\nRUN pip install .\n")
    (tmp_path / ".dockerignore").write_text(".git\n")
    problems = "\n".join(dockerfile_problems(tmp_path))
    for expected in ("not a multi-stage build", "runs as root", "no HEALTHCHECK", "postgresql-client", "COPY . copies"):
        assert expected in problems
    assert ".dockerignore: var would go into the image" in problems


def _fresh_database(name: str) -> None:
    admin = get_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        if c.execute(text("SELECT 1 FROM pg_roles WHERE rolname = 'intake'")).first() is None:
            c.execute(text("CREATE ROLE intake LOGIN"))
        c.execute(text(f"CREATE DATABASE {name} OWNER intake"))
    dispose_engines()


def _drop_database(name: str) -> None:
    admin = get_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    dispose_engines()


def _machine_answers() -> dict[str, Any]:
    def pg() -> bool:
        return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0

    def redis() -> bool:
        return subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True).returncode == 0

    return {"postgres": pg, "redis": redis}


def _wait(what: str, ok: Any, timeout: float = 90) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if ok():
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {timeout:.0f} s")


@pytest.mark.skipif(shutil.which("pg_isready") is None, reason="needs PostgreSQL's client tools (make setup installs them)")
def test_the_compose_installation_comes_up_works_heals_and_runs_its_jobs(tmp_path: Path) -> None:
    database = f"intake_compose_{os.getpid()}"
    _fresh_database(database)
    here = Local(tmp_path, database=database, redis_db=14, ports={8000: free_port(), 8501: free_port(), 9101: free_port()})
    made = subprocess.run(
        [str(ROOT / "deploy" / "make-secrets.sh"), str(tmp_path / "secrets")], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert oct((tmp_path / "secrets").stat().st_mode & 0o777) == "0o700"
    compose = load()
    extra = {
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "INTAKE_QUEUE_NAME": f"compose-{os.getpid()}",  # parallel runs never share a queue
        "INTAKE_RECONCILE_EVERY_MINUTES": "0.05",  # the scheduler's jobs due within seconds, not at 02:00
        "INTAKE_BACKUP_AT": "00:00",
        "INTAKE_AUDIT_VERIFY_AT": "00:00",
    }
    runner = Runner(compose, here.rewrite(compose), tmp_path, extra_env=extra)
    api = f"http://127.0.0.1:{here.ports[8000]}"
    started = time.monotonic()
    try:
        runner.up(["migrate", "api", "worker", "ui"], _machine_answers())
        assert runner.services["migrate"].process is not None and runner.services["migrate"].process.wait() == 0

        # the first admin, then the ward's masters and register and a scanner key: the README's one-shot commands
        first = runner.run(
            "api",
            ["intake", "--as", "tester", "users", "create", "admin1", "--role", "admin"],
            {"INTAKE_NEW_PASSWORD": "a-long-admin-pass"},
        )
        assert first.returncode == 0, first.stderr
        for cmd in (
            ["intake", "masters", "import", "vaccines", str(ROOT / "intake" / "data" / "vaccines.csv")],
            ["intake", "masters", "import", "clinics", str(ROOT / "intake" / "data" / "clinics.csv")],
            ["intake", "masters", "import", "lots", str(SAMPLE / "lots.csv")],
            ["intake", "residents", "import", str(SAMPLE / "residents.csv")],
        ):
            r = runner.run("api", cmd)
            assert r.returncode == 0, (cmd, r.stderr)
        r = runner.run(
            "api",
            ["intake", "users", "create", "reviewer1", "--role", "reviewer"],
            {"INTAKE_NEW_PASSWORD": "a-long-review-pass"},
        )
        assert r.returncode == 0, r.stderr
        key = runner.run("api", ["intake", "users", "create-key", "scanner-01"]).stdout.strip()

        runner.wait_for("api", "service_healthy")
        up = runner.run(
            "api",
            ["intake", "upload", str(SAMPLE / "batches" / "batch_00.pdf"), "--clinic", "1310001"],
            {"INTAKE_API_URL": api, "INTAKE_API_KEY": key},
        )
        assert up.returncode == 0, up.stderr
        token = httpx.post(
            f"{api}/api/v1/auth/login", json={"username": "reviewer1", "password": "a-long-review-pass"}
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}

        def a_form() -> bool:
            r = httpx.post(f"{api}/api/v1/review/next", headers=auth, timeout=10)
            return r.status_code == 200 and r.json() is not None

        _wait("a form for the reviewer", a_form, timeout=170)
        first_form = time.monotonic() - started
        print(f"\nclean start to a logged-in reviewer's first form: {first_form:.1f} s")
        assert first_form <= 180
        runner.wait_for("ui", "service_healthy")
        runner.up(["scheduler"], _machine_answers())  # now: so that its first backup holds the batch

        # admin acts audited as the person, not "system"
        with get_engine(here.rewrite(compose)("postgresql+psycopg://intake@postgres:5432/intake")).connect() as c:
            actors = {row[0] for row in c.execute(text("SELECT actor FROM auditevent WHERE action = 'user.create'"))}
        dispose_engines()
        assert actors == {f"operator:tester@{getpass.getuser()}", f"operator:{getpass.getuser()}"}

        # metrics: pages by state from the database, the queue from Redis, and the worker's stage timings
        body = httpx.get(f"{api}/metrics").text
        assert 'intake_up{part="database"} 1.0' in body and "intake_queue_depth" in body
        assert 'intake_http_requests_total{method="POST",route="/api/v1/review/next",status="200"}' in body
        worker_metrics = httpx.get(f"http://127.0.0.1:{here.ports[9101]}/metrics").text
        assert 'intake_page_stage_seconds_count{stage="register"}' in worker_metrics

        # a killed API, worker or UI comes back by itself (restart: unless-stopped)
        for name, check in (
            ("api", lambda: httpx.get(f"{api}/api/v1/ready").status_code == 200),
            ("ui", lambda: httpx.get(f"http://127.0.0.1:{here.ports[8501]}/_stcore/health").status_code == 200),
            ("worker", lambda: runner.services["worker"].starts >= 2 and runner.healthy("worker")),
        ):
            before = runner.services[name].starts
            runner.kill(name)
            _wait(f"{name} restarted", lambda n=name, b=before, c=check: runner.services[n].starts > b and c(), timeout=90)

        # the scheduler ran the routine jobs: reconcile, a backup (0700/0600), the audit verification
        state_file = tmp_path / "data" / "scheduler.json"
        _wait(
            "the scheduler's jobs",
            lambda: (
                state_file.exists()
                and {"reconcile", "backup", "audit-verify"}
                <= {k for k, v in json.loads(state_file.read_text()).items() if "ok" in v}
            ),
            timeout=90,
        )
        backups = [p for p in (tmp_path / "backups").iterdir() if p.is_dir()]
        assert len(backups) == 1 and (backups[0] / "database.pgdump").stat().st_size > 0
        assert oct(backups[0].stat().st_mode & 0o777) == "0o700"
        assert {oct(p.stat().st_mode & 0o777) for p in backups[0].rglob("*") if p.is_file()} == {"0o600"}
        assert "audit chain intact" in json.loads(state_file.read_text())["audit-verify"]["note"]

        # and that backup restores into a new, empty installation
        restored = f"{database}_restored"
        _fresh_database(restored)
        try:
            r = runner.run(
                "api",
                ["intake", "restore", str(backups[0])],
                {
                    "INTAKE_DATABASE_URL": f"postgresql+psycopg://intake@127.0.0.1:5432/{restored}",
                    "INTAKE_VAR_DIR": str(tmp_path / "restored"),
                },
            )
            assert r.returncode == 0, r.stderr
            with get_engine(f"postgresql+psycopg://intake@127.0.0.1:5432/{restored}").connect() as c:
                assert c.execute(text("SELECT count(*) FROM page")).scalar() == 10
            dispose_engines()
        finally:
            _drop_database(restored)
    finally:
        runner.down()
        _drop_database(database)


def test_docker_compose_itself_accepts_the_file(tmp_path: Path) -> None:
    """The Compose Specification's own validation, by Debian's docker-compose (no daemon needed for `config`)."""
    tool = shutil.which("docker-compose")
    assert tool is not None, "docker-compose (Debian package) is missing: `make setup` installs it"
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / "deploy" / "Caddyfile", tmp_path / "deploy")
    r = subprocess.run([tool, "config", "-q"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    full = subprocess.run([tool, "config"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "service_completed_successfully" in full and "INTAKE_DATABASE_PASSWORD_FILE" in full
    shutil.copy(ROOT / "deploy" / "compose.shared-store.yml", tmp_path / "deploy")
    shared = subprocess.run(
        [tool, "-f", "docker-compose.yml", "-f", "deploy/compose.shared-store.yml", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "INTAKE_NFS_SERVER": "10.0.0.5", "INTAKE_NFS_PATH": "/export/store"},
    )
    assert shared.returncode == 0 and "type: nfs" in shared.stdout, shared.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "docker-compose.yml").write_text((ROOT / "docker-compose.yml").read_text() + "\nnot_a_compose_key: 1\n")
    assert subprocess.run([tool, "config", "-q"], cwd=broken, capture_output=True).returncode != 0
