"""A corpus through the compose installation (run as processes, tools/compose.py), watched through /metrics the
way an operator's Prometheus would: the queue draining and the page rate, every few seconds.

    python -m tools.bench_compose CORPUS [--every 5] [--workers 1]

CORPUS is a `python -m tools.dev synth` folder (batches/, residents.csv, lots.csv). A fresh PostgreSQL database
and a queue of its own are used and dropped afterwards. Development tooling; not part of the product package.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from intake.db import dispose_engines, get_engine
from tools.compose import ROOT, Local, Runner, load
from tools.watch_metrics import scrape, waiting

PG_ADMIN = os.environ.get("INTAKE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database(name: str, create: bool) -> None:
    admin = get_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        if create:
            if c.execute(text("SELECT 1 FROM pg_roles WHERE rolname = 'intake'")).first() is None:
                c.execute(text("CREATE ROLE intake LOGIN"))
            c.execute(text(f"CREATE DATABASE {name} OWNER intake"))
    dispose_engines()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--every", type=float, default=5.0)
    a = ap.parse_args(argv)
    db = f"intake_bench_{os.getpid()}"
    _database(db, create=True)
    work = Path(tempfile.mkdtemp(prefix="bench-compose-"))
    here = Local(work, database=db, ports={8000: _port(), 8501: _port(), 9101: _port()})
    compose = load()
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "INTAKE_QUEUE_NAME": f"bench-{os.getpid()}"}
    runner = Runner(compose, here.rewrite(compose), work, extra_env=env)
    api = f"http://127.0.0.1:{here.ports[8000]}"
    subprocess.run([str(ROOT / "deploy" / "make-secrets.sh"), str(work / "secrets")], check=True, capture_output=True)
    try:
        runner.up(["migrate", "api", "worker"], {"postgres": lambda: True, "redis": lambda: True})
        for cmd in (
            ["intake", "masters", "import", "vaccines", str(ROOT / "intake" / "data" / "vaccines.csv")],
            ["intake", "masters", "import", "clinics", str(ROOT / "intake" / "data" / "clinics.csv")],
            ["intake", "masters", "import", "lots", str(a.corpus / "lots.csv")],
            ["intake", "residents", "import", str(a.corpus / "residents.csv")],
        ):
            r = runner.run("api", cmd)
            if r.returncode:
                raise SystemExit(f"{' '.join(cmd)}: {r.stderr}")
        key = runner.run("api", ["intake", "users", "create-key", "bench"]).stdout.strip()
        runner.wait_for("api", "service_healthy")
        runner.wait_for("worker", "service_healthy")
        files = sorted(p for p in (a.corpus / "batches").iterdir() if p.suffix in (".pdf", ".tif"))
        for f in files:
            to_api = {"INTAKE_API_URL": api, "INTAKE_API_KEY": key}
            r = runner.run("api", ["intake", "upload", str(f), "--clinic", "1310001"], to_api)
            if r.returncode:
                raise SystemExit(f"upload {f}: {r.stderr}")
        start = time.monotonic()
        prev: tuple[float, float] | None = None
        rates = []
        print(f"{len(files)} files uploaded; scraping {api}/metrics every {a.every:.0f} s")
        print(f"{'t (s)':>6} {'queue':>6} {'waiting':>8} {'pages/s':>8}")
        while True:
            m = scrape(api)
            now, w = time.monotonic() - start, waiting(m)
            rate = (prev[1] - w) / (now - prev[0]) if prev else float("nan")
            if prev:
                rates.append(rate)
            print(f"{now:6.0f} {m.get('intake_queue_depth', -1):6.0f} {w:8.0f} {rate:8.2f}", flush=True)
            if w == 0:
                break
            prev = (now, w)
            time.sleep(a.every)
        states = {k: int(v) for k, v in m.items() if k.startswith("intake_pages{") and v}
        worker = httpx.get(f"http://127.0.0.1:{here.ports[9101]}/metrics").text
        stages = {}
        for line in worker.splitlines():
            for kind in ("sum", "count"):
                if line.startswith(f"intake_page_stage_seconds_{kind}"):
                    stage = line.split('stage="')[1].split('"')[0]
                    stages.setdefault(stage, {})[kind] = float(line.rsplit(" ", 1)[1])
        print(f"drained in {now:.0f} s; page rate median {statistics.median(rates):.2f} pages/s; states {states}")
        means = [f"{s} {v['sum'] / v['count']:.3f}" for s, v in stages.items() if v.get("count")]
        print("mean seconds by stage: " + ", ".join(means))
    finally:
        runner.down()
        _database(db, create=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
