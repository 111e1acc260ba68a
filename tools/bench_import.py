"""The resident register at ward scale through `intake residents import` (the product command, in a process of its
own so its peak memory is its own): a synthetic 740,000-row register into a fresh database, then the same file
again (every row an update), then a night's changes (異動: 2,000 rows).

With --probe-logins, the API runs on the same database and a reviewer logs in four times a second while each
import runs: the import commits a chunk at a time, so logins must neither hang nor fail (latency median / p95 /
max and refusals are printed per import).

    python -m tools.bench_import [--rows 740000] [--delta 2000] [--database postgresql|sqlite] [--probe-logins]

Synthetic people only. Development tooling; not part of the product package.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from intake.db import dispose_engines, get_engine
from tools.synth.people import GIVEN, RESIDENT_COLUMNS, SURNAMES

PG_ADMIN = os.environ.get("INTAKE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def write_register(path: Path, rows: int, seed: int, start: int = 1, moved: bool = False) -> None:
    """The synthetic corpus's names (tools.synth.people) in the register's own columns, at any size."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(RESIDENT_COLUMNS)
        for i in range(start, start + rows):
            (surname, surname_kana), (given, given_kana, sex) = rng.choice(SURNAMES), rng.choice(GIVEN)
            birth = f"{rng.randint(1930, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            w.writerow(
                [f"{i:012d}", f"{i // 2:010d}", f"{surname} {given}", f"{surname_kana} {given_kana}", birth, sex,
                 f"東京都架空区{i % 999}", "176-0001", "転出" if moved else "", "2026-11-29" if moved else "", "0"]
            )  # fmt: skip


def run_import(url: str, path: Path, var: Path) -> tuple[float, float, str]:
    env = {**os.environ, "INTAKE_DATABASE_URL": url, "INTAKE_VAR_DIR": str(var)}
    t = time.perf_counter()
    # a wrapper process reports its child's peak memory (getrusage of its only child)
    wrapper = (
        "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
        "print('peak-kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)"
    )
    cli = [sys.executable, "-c", "from intake.cli import main; main()", "residents", "import", str(path)]
    r = subprocess.run([sys.executable, "-c", wrapper, *cli], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if r.returncode:
        raise SystemExit(r.stderr[-2000:])
    peak = re.search(r"peak-kb (\d+)", r.stderr)
    return seconds, int(peak[1]) / 1024 if peak else float("nan"), r.stdout.strip()


class LoginProbe:
    """A reviewer logging in every `every` seconds against a running API, from start() to stop()."""

    def __init__(self, api: str, every: float = 0.25) -> None:
        self.api, self.every = api, every
        self.seconds: list[float] = []
        self.refused: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self._stop.is_set():
                t = time.perf_counter()
                try:
                    r = client.post(
                        self.api + "/api/v1/auth/login", json={"username": "reviewer1", "password": "review-demo-pass"}
                    )
                    status = r.status_code
                except httpx.HTTPError:
                    status = 0
                self.seconds.append(time.perf_counter() - t)
                if status != 200:
                    self.refused.append(status)
                self._stop.wait(self.every)

    def start(self) -> LoginProbe:
        self._thread.start()
        return self

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        ms = sorted(x * 1000 for x in self.seconds)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        return (
            f"logins during it: {len(ms)}, median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms, "
            f"refused {len(self.refused)}" + (f" {sorted(set(self.refused))}" if self.refused else "")
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "INTAKE_DATABASE_URL": url, "INTAKE_VAR_DIR": str(work), "INTAKE_LOG_LEVEL": "WARNING"}
    api = subprocess.Popen(
        [sys.executable, "-c", "from intake.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                return api, base
        except httpx.HTTPError:
            time.sleep(0.2)
    api.kill()
    raise SystemExit("the API did not come up")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=740_000)
    ap.add_argument("--delta", type=int, default=2_000)
    ap.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--probe-logins", action="store_true", help="log in 4×/s through the API during each import")
    a = ap.parse_args(argv)
    db = f"intake_import_{os.getpid()}"
    admin = get_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    if a.database == "postgresql":
        with admin.connect() as c:
            c.execute(text(f"CREATE DATABASE {db}"))
        dispose_engines()
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"
    else:
        url = f"sqlite:///{work / 'intake.db'}"
    api = None
    try:
        # demo-setup: the schema, and the demo users the login probe needs (its sample register is tiny)
        subprocess.run(
            [sys.executable, "-c", "from intake.cli import main; main()", "demo-setup"],
            env={**os.environ, "INTAKE_DATABASE_URL": url, "INTAKE_VAR_DIR": str(work)},
            check=True,
            capture_output=True,
        )
        if a.probe_logins:
            api, base = _serve(url, work)
        register, delta = work / "register.csv", work / "delta.csv"
        write_register(register, a.rows, seed=1, start=900_000_000)  # beside the demo register, not over it
        write_register(delta, a.delta, seed=2, start=900_000_000 + a.rows // 2, moved=True)
        print(f"database: {a.database}")
        for label, path in (
            ("first import", register),
            ("same file again (all updates)", register),
            ("night's 異動", delta),
        ):
            probe = LoginProbe(base).start() if api else None
            seconds, peak_mb, said = run_import(url, path, work)
            rows = a.rows if path == register else a.delta
            rate = rows / seconds
            print(f"{label}: {rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s, peak RSS {peak_mb:,.0f} MB — {said}")
            if probe:
                print(f"  {probe.stop()}")
    finally:
        if api:
            api.terminate()
            api.wait(30)
        if a.database == "postgresql":
            with admin.connect() as c:
                c.execute(text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        dispose_engines()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
