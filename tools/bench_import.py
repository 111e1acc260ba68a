"""The resident register at ward scale through `intake residents import` (the product command, in a process of its
own so its peak memory is its own): a synthetic 740,000-row register into a fresh PostgreSQL database, then the
same file again (every row an update), then a night's changes (異動: 2,000 rows).

    python -m tools.bench_import [--rows 740000] [--delta 2000]

Synthetic people only. Development tooling; not part of the product package.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from intake.db import dispose_engines, get_engine
from intake.synth.people import GIVEN, RESIDENT_COLUMNS, SURNAMES

PG_ADMIN = os.environ.get("INTAKE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def write_register(path: Path, rows: int, seed: int, start: int = 1, moved: bool = False) -> None:
    """The synthetic corpus's names (intake.synth.people) in the register's own columns, at any size."""
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


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=740_000)
    ap.add_argument("--delta", type=int, default=2_000)
    a = ap.parse_args(argv)
    db = f"intake_import_{os.getpid()}"
    admin = get_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {db}"))
    dispose_engines()
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        subprocess.run(
            [sys.executable, "-c", "from intake.cli import main; main()", "migrate"],
            env={**os.environ, "INTAKE_DATABASE_URL": url, "INTAKE_VAR_DIR": str(work)},
            check=True,
            capture_output=True,
        )
        register, delta = work / "register.csv", work / "delta.csv"
        write_register(register, a.rows, seed=1)
        write_register(delta, a.delta, seed=2, start=a.rows // 2, moved=True)
        for label, path in (
            ("first import", register),
            ("same file again (all updates)", register),
            ("night's 異動", delta),
        ):
            seconds, peak_mb, said = run_import(url, path, work)
            rows = a.rows if path == register else a.delta
            rate = rows / seconds
            print(f"{label}: {rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s, peak RSS {peak_mb:,.0f} MB — {said}")
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        dispose_engines()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
