"""Benchmarks of the issuance registry (#16) — commands, not tests:

- `python -m tools.dev bench-registry-numbers`: numbers issued by several processes at once (and counter reissues among
  them) on PostgreSQL, checked for duplicates in the database;
- `python -m tools.dev bench-mailing`: a month's mailing for the ward (~8,000 forms) through `print_bulk`, timed;
- `python -m tools.dev bench-registry-intake`: printed forms read back by the reader with the printed resident block
  damaged — how many the registry anchors to their resident (and how many wrongly) — mixed with voided, never issued,
  already received and other residents' numbers, which must all be stopped before the ledger."""

from __future__ import annotations

import multiprocessing
import random
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlmodel import Session, select

from intake.db import dispose_engines, get_engine
from intake.settings import Settings

SAMPLE = Path(__file__).resolve().parent.parent / "scans_sample"


def _scratch_settings(var: Path, database_url: str = "") -> Settings:
    from intake.demo import setup_demo

    settings = Settings(var_dir=var, database_url=database_url)
    list(setup_demo(settings, SAMPLE))
    return settings


def _issue_worker(args: tuple[str, int, int, int]) -> int:
    from intake.services import issuance

    url, n, chunk, seed = args
    settings = Settings(database_url=url)
    rng = random.Random(seed)
    with Session(get_engine(url)) as s:
        residents = [r for (r,) in s.execute(text("SELECT atena_no FROM resident")).all()]
        done = 0
        while done < n:
            k = min(chunk, n - done)
            wanted = [issuance.Wanted(rng.choice(residents), "MR", 1 + rng.randrange(2)) for _ in range(k)]
            issuance.issue(s, settings, wanted, issuance.Channel.mailing, f"bench:{seed}", date.today())
            s.commit()
            done += k
            if done % (chunk * 20) == 0:  # a counter reissue among the mailings
                issuance.reissue(s, settings, wanted[0], "bench", f"bench:{seed}", date.today())
                s.commit()
                done += 1
    dispose_engines()
    return done


def numbers(admin_url: str, total: int, processes: int, chunk: int) -> dict[str, Any]:
    db = f"intake_bench_registry_{int(time.time())}"
    admin = get_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {db}"))
    url = admin_url.rsplit("/", 1)[0] + f"/{db}"
    try:
        with tempfile.TemporaryDirectory() as var:
            _scratch_settings(Path(var), url)
        dispose_engines()
        started = time.perf_counter()
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(processes) as pool:
            issued = sum(pool.map(_issue_worker, [(url, total // processes, chunk, k) for k in range(processes)]))
        seconds = time.perf_counter() - started
        with get_engine(url).connect() as c:
            rows, distinct, bad = c.execute(
                text(
                    "SELECT count(*), count(DISTINCT form_no), count(*) FILTER (WHERE length(form_no) <> 11) FROM issuedform"
                )
            ).one()
            voided = c.execute(text("SELECT count(*) FROM issuedform WHERE voided")).scalar_one()
        dispose_engines()
        return {
            "issued": int(rows),
            "asked": issued,
            "distinct_numbers": int(distinct),
            "duplicates": int(rows) - int(distinct),
            "malformed": int(bad),
            "voided_by_reissues": int(voided),
            "processes": processes,
            "seconds": round(seconds, 1),
            "numbers_per_second": round(int(rows) / seconds),
        }
    finally:
        dispose_engines()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        dispose_engines()


def mailing(forms: int) -> dict[str, Any]:
    from intake.progress import Progress
    from intake.services.mailing import print_bulk
    from models import Resident

    with tempfile.TemporaryDirectory() as var:
        settings = _scratch_settings(Path(var))
        with Session(get_engine(settings.effective_database_url)) as s:
            residents = [r.atena_no for r in s.exec(select(Resident).where(Resident.move_reason == "")).all()]
            targets = Path(var) / "targets.csv"
            lines = ["宛名番号,接種種類コード,回数"]
            lines += [f"{residents[i % len(residents)]},MR,{1 + i % 2}" for i in range(forms)]
            targets.write_text("\n".join(lines) + "\n", encoding="utf-8")
            shown = Progress("print", total=forms, unit="forms")
            started = time.perf_counter()
            files = print_bulk(s, settings, targets, Path(var) / "mail", "bench", progress=shown)
            seconds = time.perf_counter() - started
            shown.finish()
            size = sum(p.stat().st_size for p, _ in files)
        dispose_engines()
    return {
        "forms": forms,
        "files": len(files),
        "seconds": round(seconds, 1),
        "ms_per_form": round(seconds * 1000 / forms, 2),
        "megabytes": round(size / 1e6, 1),
    }


def _png(pdf: bytes) -> np.ndarray:
    import pypdfium2 as pdfium

    return np.asarray(pdfium.PdfDocument(pdf)[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")).copy()


def _damage(img: np.ndarray, template: Any, rng: random.Random) -> np.ndarray:
    """The printed resident block unread or damaged: whited out, smeared with noise, or half torn off."""
    k = 200 / 25.4
    how = rng.choice(("white", "noise", "half"))
    for row in template.resident_block:
        x, y, w, h = row["box"]
        x0, x1 = int((x + template.resident_value_x_mm - 1) * k), int((x + w - 1) * k)
        y0, y1 = int((y + 0.8) * k), int((y + h - 0.8) * k)
        if how == "white" or (how == "half" and rng.random() < 0.7):
            img[y0:y1, x0:x1] = 255
        elif how == "noise":
            noise = np.asarray(np.random.default_rng(rng.randrange(1 << 30)).integers(0, 256, (y1 - y0, x1 - x0)))
            img[y0:y1, x0:x1] = np.where(noise < 90, 0, img[y0:y1, x0:x1]).astype(np.uint8)
    return img


def intake(forms: int, seed: int, damage: str = "none") -> dict[str, Any]:
    """Each form printed by the registry, rendered, its printed block damaged, read by the reader and checked against
    the registry as the worker does; a quarter more pages carry numbers the registry must stop."""
    from intake.forms import render_pdf
    from intake.services import issuance
    from intake.services.mailing import form_content
    from intake.services.matching import match_identity
    from models import Batch, Original, Page, Resident, Vaccine
    from ocr.codes import make_form_no
    from ocr.fields import ReadContext
    from ocr.pipeline import process_page
    from ocr.template import load_template

    rng = random.Random(seed)
    from tools.evaluate_registry import kept_how

    by_reason = {"by_registry_reason": 0, "number_unread": 0, "no_automatic_match": 0}

    def stopped(verdict: issuance.Verdict, match: Any, code: str) -> bool:
        """Kept from the ledger (tools.evaluate_registry.kept_how says how); the form waits for a person."""
        how = kept_how(verdict, match, code)
        if how != "passed":
            by_reason[how] += 1
        return how != "passed"

    counts = {"anchored_pages": 0, "auto_right": 0, "auto_wrong": 0, "not_auto": 0}
    stops = {"voided": [0, 0], "unknown": [0, 0], "received": [0, 0], "other_form": [0, 0]}
    first_reads = 0  # copies whose original's number went unread
    with tempfile.TemporaryDirectory() as var:
        settings = _scratch_settings(Path(var))
        template = load_template(settings.template_version)
        with Session(get_engine(settings.effective_database_url)) as s:
            residents = list(s.exec(select(Resident).where(Resident.move_reason == "")).all())
            vaccine = s.get(Vaccine, "MR")
            assert vaccine is not None
            s.add(Batch(id=1, clinic_code="1310001", uploaded_by="bench"))
            s.add(Original(sha256="0" * 64, batch_id=1, filename="bench", media_type="image/png", size=0, page_count=0))
            s.commit()
            page_no = 0

            def read(r: Resident, form_no: str, dose: int) -> tuple[issuance.Verdict, Any]:
                nonlocal page_no
                page_no += 1
                page = Page(id=page_no, batch_id=1, original_sha256="0" * 64, page_index=page_no)
                s.add(page)
                s.flush()
                img = _damage(_png(render_pdf([form_content(settings, r, vaccine, dose, form_no)])), template, rng)
                if damage != "none":  # and the whole sheet scanned with the corpus's damage (keystone, dpi, light…)
                    from PIL import Image

                    from tools.synth.scan import degrade

                    img = np.asarray(degrade(Image.fromarray(img).convert("RGB"), rng, damage)[0].convert("L"))
                result = process_page(img, template, lambda _i: ReadContext())
                verdict = issuance.check_at_intake(s, settings, result.identity, result.identity_source, page_no)
                match = match_identity(
                    s, verdict.identity, settings.municipality_code, result.identity_source, result.printed, verdict.anchored
                )
                s.commit()
                return verdict, match

            for i in range(forms):
                r = rng.choice(residents)
                (row,) = issuance.issue(
                    s,
                    settings,
                    [issuance.Wanted(r.atena_no, "MR", 1 + i % 2)],
                    issuance.Channel.mailing,
                    "bench",
                    date.today(),
                )
                s.commit()
                verdict, match = read(r, row.form_no, row.dose_no)
                counts["anchored_pages"] += verdict.anchored
                if match.decision == "auto":
                    counts["auto_right" if match.atena_no == r.atena_no else "auto_wrong"] += 1
                else:
                    counts["not_auto"] += 1
                if i % 4 == 0:  # the same form again (a copy): already received
                    v2, m2 = read(r, row.form_no, row.dose_no)
                    if verdict.identity is None:
                        # the original's number went unread, so this copy is the first page it is read on: the
                        # original waits for a person, whom the ledger's duplicate-dose check shows this dose
                        first_reads += 1
                    else:
                        stops["received"][0] += 1
                        stops["received"][1] += stopped(v2, m2, "registry.received")
                if i % 4 == 1:  # reissued: the old number read back
                    wanted = issuance.Wanted(r.atena_no, "MR", 2)
                    (old,) = issuance.issue(s, settings, [wanted], issuance.Channel.mailing, "bench", date.today())
                    issuance.reissue(s, settings, wanted, "bench", "bench", date.today())
                    s.commit()
                    v2, m2 = read(r, old.form_no, 2)
                    stops["voided"][0] += 1
                    stops["voided"][1] += stopped(v2, m2, "registry.voided")
                if i % 4 == 2:  # a number in the registry's range never issued
                    v2, m2 = read(r, make_form_no(settings.form_no_start + 10_000_000 + i), 1)
                    stops["unknown"][0] += 1
                    stops["unknown"][1] += stopped(v2, m2, "registry.unknown")
                if i % 4 == 3:  # another resident's number on this resident's form
                    other = rng.choice([x for x in residents if x.atena_no != r.atena_no])
                    (theirs,) = issuance.issue(
                        s,
                        settings,
                        [issuance.Wanted(other.atena_no, "MR", 1)],
                        issuance.Channel.mailing,
                        "bench",
                        date.today(),
                    )
                    s.commit()
                    v2, m2 = read(r, theirs.form_no, 1)
                    stops["other_form"][0] += 1
                    stops["other_form"][1] += stopped(v2, m2, "registry.other_form")
        dispose_engines()
    auto = counts["auto_right"] + counts["auto_wrong"]
    return {
        **counts,
        "forms": forms,
        "scan_damage": damage,
        "matched_automatically": round(auto / forms, 4),
        "stopped": {k: f"{v[1]}/{v[0]}" for k, v in stops.items()},
        "stopped_how": by_reason,
        "stopped_all": sum(v[1] for v in stops.values()) == sum(v[0] for v in stops.values()),
        "copies_read_first_their_originals_number_unread": first_reads,
    }
