"""`intake eval`: run the recognition pipeline on a corpus with truth and measure it.

Runs the same ocr.pipeline the workers run, in a process pool (one process per core, as workers are
deployed). Throughput through the real queue is measured by the benchmark in bench/ (see README).
"""

from __future__ import annotations

import csv
import json
import os
import resource
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from intake.services.kana import fold_kana
from ocr.fields import ReadContext

DATA = Path(__file__).resolve().parent / "data"


def _vaccine_doses() -> dict[str, float]:
    with (DATA / "vaccines.csv").open(encoding="utf-8") as fh:
        return {r["接種種類コード"]: float(r["接種量"]) for r in csv.DictReader(fh)}


def _lots(corpus: Path) -> dict[str, str]:
    path = corpus / "lots.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {r["ロット番号"]: r["接種種類コード"] for r in csv.DictReader(fh)}


def _one(args: tuple[str, dict[str, Any], dict[str, str], dict[str, float], str]) -> dict[str, Any]:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from ocr.pipeline import process_page
    from ocr.template import load_template

    path, truth, lots, doses, today = args
    img = np.asarray(Image.open(path).convert("L"), dtype=np.uint8)
    birth = truth.get("resident", {}).get("birth_date")

    def ctx(identity: Any) -> ReadContext:
        return ReadContext(
            known_lots=lots,
            vaccine_code=identity.vaccine_code if identity else None,
            expected_dose_ml=doses.get(identity.vaccine_code) if identity else None,
            birth_date=date.fromisoformat(birth) if birth else None,
            today=date.fromisoformat(today),
        )

    t = time.perf_counter()
    r = process_page(img, load_template("yoshin-v1"), ctx)
    return {
        "path": path,
        "seconds": time.perf_counter() - t,
        "kind": r.page_kind,
        "identity": r.identity.form_no if r.identity else None,
        "registered": bool(r.registration and r.registration.ok),
        "fields": {n: {"value": f.value, "auto_ok": f.auto_ok, "kind": f.kind} for n, f in r.fields.items()},
        "printed": r.printed,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def cer(a: str, b: str) -> float:
    if not b:
        return 0.0 if not a else 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] / len(b)


def evaluate(corpus: Path, workers: int = 2, today: str = "2026-11-20") -> dict[str, Any]:
    from intake.synth.scan import page_images

    images = page_images(corpus)
    truths = [json.loads(p.with_suffix(".json").read_text(encoding="utf-8")) for p in images]
    lots, doses = _lots(corpus), _vaccine_doses()
    jobs = [(str(p), t, lots, doses, today) for p, t in zip(images, truths, strict=True)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_one, jobs, chunksize=1))
    wall = time.perf_counter() - t0
    by_kind: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    qr_pages = qr_read = forms = forms_clean = reg_fail = triage_ok = 0
    printed = {"kana": 0, "birth_date": 0, "n": 0}
    auto_total = auto_right = fields_total = 0
    for res, truth in zip(results, truths, strict=True):
        expected_kind = truth["kind"]
        triage_ok += (res["kind"] == expected_kind) or (expected_kind in ("form", "foreign") and res["kind"] == "form")
        if expected_kind not in ("form", "foreign"):
            continue
        forms += 1
        reg_fail += not res["registered"]
        if truth.get("identity"):
            qr_pages += 1
            qr_read += res["identity"] == truth["identity"]["form_no"]
        resident = truth.get("resident")
        if resident and res["registered"] and res["identity"]:
            # the printed block as the matcher compares it: folded kana, ISO birth date (it verifies the QR)
            printed["n"] += 1
            printed["kana"] += fold_kana(res["printed"].get("name_kana", "")) == fold_kana(resident["name_kana"])
            printed["birth_date"] += res["printed"].get("birth_date_text") == resident["birth_date"]
        clean = res["registered"]
        for name, true_value in truth["fields"].items():
            got = res["fields"].get(name)
            fields_total += 1
            k = got["kind"] if got else "missing"
            s = by_kind[k]
            s["n"] += 1
            value = got["value"] if got else ""
            right = value == true_value
            s["exact"] += right
            s["cer"] += cer(value, str(true_value))
            if got and got["auto_ok"]:
                auto_total += 1
                auto_right += right
                s["auto"] += 1
                s["auto_right"] += right
            clean = clean and right
        forms_clean += clean
    kinds = {
        k: {
            "n": int(s["n"]),
            "exact": s["exact"] / s["n"],
            "cer": s["cer"] / s["n"],
            "auto_share": s["auto"] / s["n"],
            "auto_precision": (s["auto_right"] / s["auto"]) if s["auto"] else None,
        }
        for k, s in sorted(by_kind.items())
    }
    secs = sorted(r["seconds"] for r in results)
    return {
        "pages": len(results),
        "forms": forms,
        "wall_seconds": round(wall, 2),
        "pages_per_second": round(len(results) / wall, 2) if wall else None,
        "median_page_ms": round(1000 * secs[len(secs) // 2], 1) if secs else None,
        "peak_worker_rss_mb": round(max((r["maxrss_mb"] for r in results), default=0), 1),
        "triage_accuracy": triage_ok / len(results) if results else None,
        "qr_read_rate": qr_read / qr_pages if qr_pages else None,
        "registration_failures": reg_fail / forms if forms else None,
        "field_exact": sum(s["exact"] for s in by_kind.values()) / fields_total if fields_total else None,
        "auto_accepted_share": auto_total / fields_total if fields_total else None,
        "auto_accepted_precision": auto_right / auto_total if auto_total else None,
        "forms_no_correction": forms_clean / forms if forms else None,
        "printed_kana_agrees": printed["kana"] / printed["n"] if printed["n"] else None,
        "printed_birth_date_agrees": printed["birth_date"] / printed["n"] if printed["n"] else None,
        "by_kind": kinds,
    }


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:6.2f}%"


def print_table(m: dict[str, Any]) -> None:
    print(
        f"pages {m['pages']}  forms {m['forms']}  {m['pages_per_second']} pages/s  median {m['median_page_ms']} ms/page"
        f"  peak worker RSS {m['peak_worker_rss_mb']} MB"
    )
    for key in (
        "triage_accuracy",
        "qr_read_rate",
        "registration_failures",
        "field_exact",
        "auto_accepted_share",
        "auto_accepted_precision",
        "forms_no_correction",
        "printed_kana_agrees",
        "printed_birth_date_agrees",
    ):
        print(f"  {key:26s} {_pct(m[key])}")
    print(f"  {'field kind':14s} {'n':>5s} {'exact':>8s} {'CER':>8s} {'auto':>8s} {'auto prec':>9s}")
    for k, s in m["by_kind"].items():
        print(
            f"  {k:14s} {s['n']:5d} {_pct(s['exact'])} {_pct(s['cer'])} {_pct(s['auto_share'])} {_pct(s['auto_precision'])}"
        )


def read_field_image(path: Path, kind: str) -> dict[str, Any]:
    """One field crop through the engine chosen for its kind (for `intake ocr-field`)."""
    from ocr import engines
    from ocr.normalize import DateProblem, clean_lot, parse_date

    img = np.asarray(Image.open(path).convert("L"), dtype=np.uint8)
    if kind in ("digits", "dose"):
        a = engines.ppocr().recognize(img)
        b = engines.tesseract("eng").recognize(img, charset="0123456789.")
        agree = a.text.replace(" ", "") == b.text
        sure = a.confidence_of("0123456789")  # the digits' own probability, as the page pipeline scores them
        return {
            "text": a.text,
            "confidence": round(sure if agree else sure * 0.85, 4),
            "engine": "ppocr+tesseract" if agree else "ppocr",
        }
    r = engines.ppocr().recognize(img)
    text = r.text
    if kind == "lot":
        text = clean_lot(text)
    elif kind == "date":
        try:
            text = parse_date(text).isoformat()
        except DateProblem:
            pass
    return {"text": text, "confidence": round(r.confidence, 4), "engine": r.engine}
