"""`python -m tools.dev bench-ledger`: the ledger at ward scale on PostgreSQL — 740,000 residents, 5,000,000 records —
timing the staff queries and the commit path through the service code. A benchmark command, not a test."""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from intake.db import dispose_engines, get_engine
from intake.migrate import upgrade
from intake.services import ledger
from intake.services.kana import fold_kana
from models import Batch, Clinic, Original, Page, PageStatus, Resident

KANA = [
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ヤマモト",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
    "ヨシダ",
    "ヤマダ",
    "ササキ",
    "ヤマグチ",
    "マツモト",
    "イノウエ",
    "キムラ",
    "ハヤシ",
    "サイトウ",
    "シミズ",
]
GIVEN = ["ハルト", "レン", "ミナト", "ユイナ", "ヒマリ", "リン", "アオイ", "ツムギ", "サクラ", "ミサキ", "ソウタ", "ユウマ"]
VACCINES = [
    ("MR", 2),
    ("DPT-IPV-Hib", 4),
    ("PCV", 4),
    ("HepB", 3),
    ("BCG", 1),
    ("VAR", 2),
    ("JE", 4),
    ("HPV", 3),
    ("FLU-ELDERLY", 1),
    ("DT", 1),
]


def _p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[18] * 1000, 2)


def load(url: str, residents: int, records: int, lots: int) -> dict[str, float]:
    upgrade(url)
    engine = get_engine(url)
    t: dict[str, float] = {}
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO clinic (code, name) SELECT '13' || lpad(g::text, 5, '0'), 'クリニック' || g "
                "FROM generate_series(1, 300) g ON CONFLICT DO NOTHING"
            )
        )
        for code, doses in VACCINES:
            c.execute(
                text(
                    "INSERT INTO vaccine (code, name, maker, dose_ml, legal_class, doses) VALUES "
                    "(:c, :c, '', 0.5, '定期', :d) ON CONFLICT DO NOTHING"
                ),
                {"c": code, "d": doses},
            )
        c.execute(
            text(
                "INSERT INTO lot (lot_number, vaccine_code, maker, expiry) SELECT 'L' || lpad(g::text, 5, '0'), "
                "(ARRAY[" + ",".join(f"'{v}'" for v, _ in VACCINES) + "])[1 + g % :nv], '', DATE '2030-01-01' "
                "FROM generate_series(1, :lots) g ON CONFLICT DO NOTHING"
            ),
            {"lots": lots, "nv": len(VACCINES)},
        )
    s = time.perf_counter()
    kana_array = "ARRAY[" + ",".join(f"'{k}'" for k in KANA) + "]"
    given_array = "ARRAY[" + ",".join(f"'{g}'" for g in GIVEN) + "]"
    with engine.begin() as c:
        c.execute(
            text(f"""
            INSERT INTO resident (atena_no, household_no, name, name_kana, kana_key, birth_date, birth_date_unknown,
                                  sex, address, postal_code, move_reason, deleted, updated_at)
            SELECT lpad(g::text, 12, '0'), lpad((g / 2)::text, 10, '0'), '架空 ' || g,
                   k || ' ' || n, k || n, DATE '1940-01-01' + (hashint % 31000), false,
                   (1 + g % 2)::text, '東京都練馬区架空' || (g % 999), '176-0001', '', false, now()
            FROM (SELECT g, abs(hashtext(g::text)) AS hashint,
                         ({kana_array})[1 + abs(hashtext('k' || g)) % {len(KANA)}] AS k,
                         ({given_array})[1 + abs(hashtext('n' || g)) % {len(GIVEN)}] AS n
                  FROM generate_series(1, :n) g) x
        """),
            {"n": residents},
        )
    t["load_residents_s"] = round(time.perf_counter() - s, 1)
    s = time.perf_counter()
    with engine.begin() as c:
        c.execute(
            text("""
            INSERT INTO vaccinationrecord (lineage_id, version, is_current, change_reason, municipality_code, atena_no,
                vaccine_code, dose_no, performed_on, screened_only, legal_class, clinic_code, clinic_name, doctor_name,
                lot_number, dose_ml, maker, vaccine_name, form_no, fee_class, created_at, deleted, schedule_flags)
            SELECT g, 1, true, '', '131202', lpad((1 + abs(hashtext('r' || g)) % :residents)::text, 12, '0'),
                   v.code, 1 + g % v.doses, DATE '2021-04-01' + (g % 2000), false, '定期',
                   '13' || lpad((1 + g % 300)::text, 5, '0'), '', '', 'L' || lpad((1 + g % :lots)::text, 5, '0'),
                   0.5, '', v.code, '', '', now(), false, '[]'
            FROM generate_series(1, :records) g
            JOIN (SELECT row_number() OVER () - 1 AS i, code, doses FROM vaccine) v ON v.i = g % :nv
        """),
            {"records": records, "residents": residents, "lots": lots, "nv": len(VACCINES)},
        )
        c.execute(text("SELECT setval(pg_get_serial_sequence('vaccinationrecord', 'id'), :n)"), {"n": records})
    t["load_records_s"] = round(time.perf_counter() - s, 1)
    with engine.begin() as c:
        c.execute(text("ANALYZE"))
    return t


def measure(url: str, residents: int, lots: int, commits: int, seed: int = 1) -> dict[str, Any]:  # noqa: C901
    rng = random.Random(seed)
    out: dict[str, Any] = {}
    with Session(get_engine(url)) as s:
        hist = []
        for _ in range(300):
            a = f"{rng.randint(1, residents):012d}"
            t = time.perf_counter()
            ledger.resident_history(s, a)
            hist.append(time.perf_counter() - t)
        out["resident_history_p95_ms"] = _p95(hist)
        kana = []
        for _ in range(300):
            r = s.get(Resident, f"{rng.randint(1, residents):012d}")
            assert r is not None and r.birth_date is not None
            t = time.perf_counter()
            ledger.search_records(s, ledger.RecordQuery(kana=r.name_kana, birth_date=r.birth_date))
            kana.append(time.perf_counter() - t)
        out["kana_birth_search_p95_ms"] = _p95(kana)
        recall, sizes = [], []
        for _ in range(50):
            lot = f"L{rng.randint(1, lots):05d}"
            t = time.perf_counter()
            rows = ledger.search_records(s, ledger.RecordQuery(lot_number=lot, limit=100_000))  # a recall is everyone
            recall.append(time.perf_counter() - t)
            sizes.append(len(rows))
        out["lot_recall_p95_ms"] = _p95(recall)
        out["lot_recall_rows_median"] = statistics.median(sizes)
        t = time.perf_counter()
        from intake.services.reports import yearly_counts

        out["yearly_report_rows"] = len(yearly_counts(s, 2024))
        out["yearly_report_s"] = round(time.perf_counter() - t, 2)
    out["commits"] = commits
    for streams in (1, 4):
        out.update(_commit_rate(url, residents, commits, streams))
    return out


def _commit_stream(url: str, page_ids: list[int], residents: int, seed: int) -> None:
    dispose_engines()
    rng = random.Random(seed)
    with Session(get_engine(url)) as s:
        for pid in page_ids:
            page = s.get(Page, pid)
            assert page is not None
            entry = ledger.Entry(
                atena_no=f"{rng.randint(1, residents):012d}",
                vaccine_code="MR",
                dose_no=1,
                performed_on=date(2026, 11, 1) - timedelta(days=rng.randint(0, 30)),
                lot_number="L00001",
                dose_ml=0.5,
                doctor_name="",
                screened_only=False,
            )
            checks = ledger.schedule_checks(s, entry)
            ledger.commit_page(s, page, entry, 1, "131202", flags=[c.message for c in checks])
            s.commit()


def _commit_rate(url: str, residents: int, n: int, streams: int) -> dict[str, Any]:
    """The commit path of an accepted form: schedule checks against the resident's history, the ledger row,
    the page state and the audit event, one transaction per form; `streams` reviewers committing at once."""
    import multiprocessing as mp

    with Session(get_engine(url)) as s:
        clinic = s.exec(select(Clinic)).first()
        assert clinic is not None
        batch = Batch(clinic_code=clinic.code, uploaded_by="bench")
        s.add(batch)
        s.flush()
        assert batch.id is not None
        sha = f"bench{streams}".ljust(64, "0")
        s.add(Original(sha256=sha, batch_id=batch.id, filename="bench", media_type="image/png", size=0, page_count=n))
        pages = [Page(batch_id=batch.id, original_sha256=sha, page_index=i, status=PageStatus.committed) for i in range(n)]
        s.add_all(pages)
        s.commit()
        ids = [p.id for p in pages if p.id is not None]
    dispose_engines()
    ctx = mp.get_context("fork")
    t = time.perf_counter()
    procs = [ctx.Process(target=_commit_stream, args=(url, ids[k::streams], residents, k)) for k in range(streams)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t
    return {f"commits_per_second_{streams}_streams": round(n / elapsed, 1)}


def measure_api(url: str, residents: int, lots: int, seed: int = 2) -> dict[str, Any]:
    """The same staff queries as the ward uses them: `intake serve` on loopback, real HTTP, a logged-in staff
    user, every read audited (one event per request)."""
    import os
    import socket
    import subprocess
    import sys
    import tempfile

    import httpx

    from intake.services.auth import create_user
    from models import Role

    with Session(get_engine(url)) as s:
        create_user(s, "bench-staff", "bench-staff-password", Role.staff)
        s.commit()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "INTAKE_DATABASE_URL": url,
        "INTAKE_VAR_DIR": tempfile.mkdtemp(prefix="bench-ledger-"),
        "INTAKE_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from intake.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}"
    rng = random.Random(seed)
    out: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=api, timeout=60) as http:
            for _ in range(120):
                try:
                    if http.get("/api/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            token = http.post("/api/v1/auth/login", json={"username": "bench-staff", "password": "bench-staff-password"})
            http.headers["Authorization"] = f"Bearer {token.json()['token']}"
            hist = []
            for _ in range(300):
                t = time.perf_counter()
                r = http.get(f"/api/v1/residents/{rng.randint(1, residents):012d}/history")
                hist.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            out["api_resident_history_p95_ms"] = _p95(hist)
            recall, sizes = [], []
            for _ in range(50):
                t = time.perf_counter()
                r = http.get("/api/v1/records", params={"lot": f"L{rng.randint(1, lots):05d}"})
                recall.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
                sizes.append(len(r.json()))
            out["api_lot_recall_p95_ms"] = _p95(recall)
            out["api_lot_recall_rows_median"] = statistics.median(sizes)
            t = time.perf_counter()
            r = http.get("/api/v1/records", params={"vaccine": "MR", "date_from": "2024-04-01", "date_to": "2024-04-30"})
            out["api_vaccine_month_ms"] = round((time.perf_counter() - t) * 1000, 1)
            out["api_vaccine_month_rows"] = f"{len(r.json())} of {r.headers.get('X-Total-Count')}"
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def run(admin_url: str, residents: int, records: int, lots: int, commits: int) -> dict[str, Any]:
    base = admin_url.rsplit("/", 1)[0]
    admin = get_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS intake_bench WITH (FORCE)"))
        c.execute(text("CREATE DATABASE intake_bench"))
    url = f"{base}/intake_bench"
    try:
        result: dict[str, Any] = {"residents": residents, "records": records, "lots": lots}
        result.update(load(url, residents, records, lots))
        result.update(measure(url, residents, lots, commits))
        result.update(measure_api(url, residents, lots))
        return result
    finally:
        dispose_engines()
        with get_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text("DROP DATABASE IF EXISTS intake_bench WITH (FORCE)"))
        dispose_engines()


__all__ = ["fold_kana", "run"]
