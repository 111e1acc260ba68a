"""`python -m tools.dev eval`: run the recognition pipeline on a corpus with truth and measure it.

Runs the same ocr.pipeline the workers run, in a process pool (one process per core, as workers are
deployed). Throughput through the real queue is measured by the benchmark in bench/ (see README).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from intake.services.clinic_check import stamped_clinic
from intake.services.kana import fold_kana
from ocr.field_image import read_digit_string
from ocr.fields import ReadContext
from ocr.register import NOT_IN_PLACE
from tools.evaluate_registry import print_registry, registry_figures

DATA = Path(__file__).resolve().parent.parent / "intake" / "data"


def _vaccine_doses() -> dict[str, float]:
    with (DATA / "vaccines.csv").open(encoding="utf-8") as fh:
        return {r["接種種類コード"]: float(r["接種量"]) for r in csv.DictReader(fh) if r["接種量"]}


def _lots(corpus: Path) -> dict[str, str]:
    path = corpus / "lots.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {r["ロット番号"]: r["接種種類コード"] for r in csv.DictReader(fh)}


def _one(args: tuple[str, dict[str, Any], dict[str, str], dict[str, float], str, bool]) -> dict[str, Any]:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from intake.services.vaccine_facts import expected_dose_ml
    from ocr.pipeline import process_page
    from ocr.template import load_template

    path, truth, lots, doses, today, charsets = args
    img = np.asarray(Image.open(path).convert("L"), dtype=np.uint8)
    birth = truth.get("resident", {}).get("birth_date")

    def ctx(identity: Any) -> ReadContext:
        born, on = date.fromisoformat(birth) if birth else None, date.fromisoformat(today)
        return ReadContext(
            known_lots=lots,
            vaccine_code=identity.vaccine_code if identity else None,
            # the product's own answer (intake.services.vaccine_facts), the master's amount read from its CSV
            expected_dose_ml=expected_dose_ml(
                identity.vaccine_code, identity.dose_no, on, born, doses.get(identity.vaccine_code)
            )
            if identity
            else None,
            birth_date=born,
            today=on,
        )

    t = time.perf_counter()
    r = process_page(img, load_template("yoshin-v1"), ctx, charsets=charsets)
    return {
        "path": path,
        "seconds": time.perf_counter() - t,
        "kind": r.page_kind,
        "identity": r.identity.form_no if r.identity else None,
        "ident": dataclasses.asdict(r.identity) if r.identity else None,
        "identity_source": r.identity_source,
        "registered": bool(r.registration and r.registration.ok),
        "trusted": bool(r.registration and r.registration.trusted),
        "residual_mm": r.registration.residual_mm if r.registration else None,
        "fields": {
            n: {
                "value": f.value,
                "auto_ok": f.auto_ok,
                "kind": f.kind,
                "confidence": f.confidence,
                "not_in_place": any(m.code in NOT_IN_PLACE for m in f.messages),
                **{k: f.evidence[k] for k in ("primary_min", "second_min") if k in f.evidence},
            }
            for n, f in r.fields.items()
        },
        "printed": r.printed,
        "stamp_text": str(r.fields["clinic_stamp"].evidence.get("text", "")) if "clinic_stamp" in r.fields else "",
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


def evaluate(
    corpus: Path,
    workers: int = 2,
    today: str = "2026-11-20",
    charsets: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    from tools.synth.scan import page_images

    images = page_images(corpus)
    truths = [json.loads(p.with_suffix(".json").read_text(encoding="utf-8")) for p in images]
    lots, doses = _lots(corpus), _vaccine_doses()
    jobs = [(str(p), t, lots, doses, today, charsets) for p, t in zip(images, truths, strict=True)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = []
        for res in pool.map(_one, jobs, chunksize=1):
            results.append(res)
            if progress:
                progress(len(results), len(jobs))
    wall = time.perf_counter() - t0
    by_kind: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    qr_pages = qr_read = forms = forms_clean = reg_fail = triage_ok = 0
    printed = {"kana": 0, "birth_date": 0, "n": 0}
    auto_total = auto_right = fields_total = 0
    residuals: list[float] = []
    untrusted = untrusted_auto = 0
    fields_off = 0  # fields on trusted pages whose printed frame was not proven in place (ocr.register.misplaced)
    calibration: list[tuple[float, bool]] = []  # digit fields: (confidence, right)
    wrong_auto: list[dict[str, Any]] = []  # fields auto-accepted with a wrong value
    clinics = _clinics()
    stamps = {"n": 0, "right": 0, "wrong": 0, "silent": 0}  # the stamp's clinic as intake.services.clinic_check says
    for res, truth in zip(results, truths, strict=True):
        expected_kind = truth["kind"]
        triage_ok += (res["kind"] == expected_kind) or (expected_kind in ("form", "foreign") and res["kind"] == "form")
        if expected_kind not in ("form", "foreign"):
            continue
        forms += 1
        reg_fail += not res["registered"]
        if res["registered"]:
            residuals.append(res["residual_mm"])
            if not res["trusted"]:
                untrusted += 1
                untrusted_auto += any(f["auto_ok"] for f in res["fields"].values())
            fields_off += sum(f["not_in_place"] for f in res["fields"].values())
        if truth.get("identity"):
            qr_pages += 1
            qr_read += res["identity"] == truth["identity"]["form_no"]
        resident = truth.get("resident")
        if resident and res["registered"] and res["identity"]:
            # the printed block as the matcher compares it: folded kana, ISO birth date (it verifies the QR)
            printed["n"] += 1
            printed["kana"] += fold_kana(res["printed"].get("name_kana", "")) == fold_kana(resident["name_kana"])
            printed["birth_date"] += res["printed"].get("birth_date_text") == resident["birth_date"]
        if truth.get("clinic_name"):
            said = stamped_clinic(clinics, res["stamp_text"])
            stamps["n"] += 1
            if said is None:
                stamps["silent"] += 1
            else:
                stamps["right" if said.name == truth["clinic_name"] else "wrong"] += 1
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
            if got and k in ("date", "digits", "dose") and value:
                calibration.append((got["confidence"], right))
            if got and got["auto_ok"]:
                auto_total += 1
                auto_right += right
                if not right:  # what a maintainer looks at first: the page, the field, the truth and the reading
                    wrong_auto.append(
                        {"page": Path(res["path"]).name, "field": name, "truth": str(true_value), "read": value,
                         "confidence": round(got["confidence"], 4)}
                    )  # fmt: skip
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
        "alignment": {**_alignment(residuals, untrusted, untrusted_auto), "fields_not_in_place": fields_off},
        "stamp_clinic": stamps,
        "reliability_digits": reliability_table(calibration),
        "wrong_auto_accepted": wrong_auto,
        "registry": registry_figures(corpus, results, truths),
    }


def _clinics() -> list[Any]:
    from models import Clinic

    path = Path(__file__).resolve().parent.parent / "intake" / "data" / "clinics.csv"
    with path.open(encoding="utf-8") as fh:
        return [Clinic(code=r["実施機関コード"], name=r["実施機関名"]) for r in csv.DictReader(fh)]


def _alignment(residuals: list[float], untrusted: int, untrusted_auto: int) -> dict[str, Any]:
    finite = sorted(r for r in residuals if r != float("inf"))
    pct = {f"p{q}": round(float(np.percentile(finite, q)), 3) for q in (50, 90, 99)} if finite else {}
    return {
        "pages": len(residuals),
        **pct,
        "max_mm": round(finite[-1], 3) if finite else None,
        "unmeasured": len(residuals) - len(finite),
        "stopped": untrusted,  # pages whose alignment is not proven: sent to review with nothing auto-accepted
        "stopped_with_auto_accepted": untrusted_auto,  # must be 0
    }


RELIABILITY_BINS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.0001)


def reliability_table(pairs: list[tuple[float, bool]]) -> list[dict[str, Any]]:
    """Confidence bins → how often a digit field's value was right: the evidence a threshold is chosen from."""
    rows = []
    for lo, hi in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:], strict=False):
        inside = [right for conf, right in pairs if lo <= conf < hi]
        if inside:
            rows.append({"from": lo, "to": min(hi, 1.0), "n": len(inside), "accuracy": sum(inside) / len(inside)})
    return rows


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
    a = m["alignment"]
    print(
        f"  alignment residual (mm): p50 {a.get('p50')}  p90 {a.get('p90')}  p99 {a.get('p99')}  max {a.get('max_mm')}"
        f"  unmeasured {a['unmeasured']}  stopped {a['stopped']} of {a['pages']}"
        f"  (stopped yet auto-accepted: {a['stopped_with_auto_accepted']})"
        f"  fields not proven in place: {a.get('fields_not_in_place', 0)}"
    )
    st = m["stamp_clinic"]
    if st["n"]:
        print(f"  stamp → clinic: right {st['right']}  wrong {st['wrong']}  said nothing {st['silent']}  of {st['n']}")
    if m.get("registry"):
        print_registry(m["registry"])
    for w in m.get("wrong_auto_accepted", [])[:20]:
        print(
            f"  WRONG auto-accepted: {w['page']} {w['field']}: truth {w['truth']!r}, read {w['read']!r} ({w['confidence']})"
        )
    print("  digit fields, confidence → accuracy:")
    for row in m["reliability_digits"]:
        print(f"    [{row['from']:.3f}, {row['to']:.3f})  n {row['n']:5d}  right {_pct(row['accuracy'])}")


STRING_PX_PER_MM = 8.0  # generated field images are drawn as the page reader cuts fields (ocr.register.PX_PER_MM)


def digit_string_images(
    n: int, seed: int, source: str = "corpus", touching: bool = False, damage: bool = True, plain: bool = False
) -> list[tuple[np.ndarray, str]]:
    """Field images of real hand-written digit strings, 3–8 digits, some in printed boxes, some free, scanned
    with random damage: `source` "corpus" (MNIST digits never trained on), "mnist-test" (MNIST's test split: writers
    never trained on) or "uci" (UCI optdigits test split, upscaled from 8×8: other writers, other pens).
    `touching`: free strings written so close that neighbours touch (a digit every 3.6–4.6 mm, 6–8 mm tall), as a
    hurried hand writes a number."""
    import random

    import cv2

    from tools.synth.real_digits import digit_alpha, digits_from, paste_ink

    rng = random.Random(seed)
    pool = digits_from(source)
    k = STRING_PX_PER_MM
    if touching:
        return [_touching_string(rng, pool, k) for _ in range(n)]
    if plain:
        return [_plain_string(rng, pool) for _ in range(n)]
    out = []
    for _ in range(n):
        text = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(3, 8)))
        boxed = rng.random() < 0.5
        step = rng.uniform(7.5, 10.0) if boxed else rng.uniform(5.0, 7.0)
        w, h = int((len(text) * step + 6) * k), int(14 * k)
        paper = rng.uniform(200, 250)
        c = np.full((h, w), paper, dtype=np.float32)
        pen = rng.uniform(10, 110)
        for i, ch in enumerate(text):
            cx = (3 + step * (i + 0.5)) * k
            if boxed:
                x0 = int((3 + step * i + 0.4) * k)
                cv2.rectangle(c, (x0, int(2 * k)), (x0 + int((step - 0.8) * k), int(12 * k)), rng.uniform(0, 100), 2)
            alpha = digit_alpha(pool.draw(rng, int(ch)), rng, k, rng.uniform(5, 8), max_width_mm=step - 1.5)
            paste_ink(c, alpha, cx + rng.uniform(-0.5, 0.5) * k, 7 * k + rng.uniform(-0.7, 0.7) * k, pen)
        # the same draws with or without damage: `damage=False` gives the same strings, clean
        if rng.random() < 0.5:
            sigma = rng.uniform(0.3, 1.0)
            if damage:
                c = np.asarray(cv2.GaussianBlur(c, (0, 0), sigma), dtype=np.float32)
        noise = np.random.default_rng(rng.randrange(2**31)).normal(0, rng.uniform(0, 8), c.shape)
        img = np.clip(c + noise if damage else c, 0, 255).astype(np.uint8)
        if rng.random() < 0.25:
            level = rng.uniform(0.5, 0.85)
            if damage:
                img = np.where(img > paper * level, 255, 0).astype(np.uint8)
        out.append((img, text))
    return out


def _plain_string(rng: Any, pool: Any) -> tuple[np.ndarray, str]:
    """3–8 of the source's digits side by side in their own 28 × 28 cells, black on white, a little paper around:
    a digit string as a data set's images make one, not as a page renders it."""
    import cv2

    text = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(3, 8)))
    strip = np.concatenate([pool.draw(rng, int(ch)) for ch in text], axis=1)
    img = np.asarray(255 - np.clip(strip, 0, 1) * 255, dtype=np.uint8)
    return np.asarray(cv2.copyMakeBorder(img, 4, 4, 8, 8, cv2.BORDER_CONSTANT, value=255), dtype=np.uint8), text


def _touching_string(rng: Any, pool: Any, k: float) -> tuple[np.ndarray, str]:
    from tools.synth.real_digits import digit_alpha, paste_ink

    text = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(3, 7)))
    step = rng.uniform(3.6, 4.6)
    c = np.full((int(14 * k), int((len(text) * step + 8) * k)), rng.uniform(210, 245), dtype=np.float32)
    pen = rng.uniform(10, 80)
    for i, ch in enumerate(text):
        alpha = digit_alpha(pool.draw(rng, int(ch)), rng, k, rng.uniform(6, 8), max_width_mm=step + 0.8)
        paste_ink(c, alpha, (4 + step * (i + 0.5)) * k, 7 * k + rng.uniform(-0.5, 0.5) * k, pen)
    return np.clip(c, 0, 255).astype(np.uint8), text


def elsewhere(img: np.ndarray, scale: float = 1.0, margin_mm: float = 0.0) -> np.ndarray:
    """A field image as another source gives it: scanned at `scale` × the page reader's resolution (3: 600 dpi),
    with `margin_mm` more paper around it."""
    import cv2

    if margin_mm:
        pad = int(margin_mm * STRING_PX_PER_MM)
        img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(np.percentile(img, 90)))
    if scale != 1.0:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return np.asarray(img, dtype=np.uint8)


def evaluate_digit_strings(
    n: int,
    seed: int,
    source: str = "corpus",
    touching: bool = False,
    scale: float = 1.0,
    margin_mm: float = 0.0,
    damage: bool = True,
    plain: bool = False,
) -> dict[str, Any]:
    """`read_digit_string` (what `intake ocr-field --kind digits` runs) on generated real-handwriting strings,
    optionally as another source gives them (`elsewhere`)."""
    exact = digits_right = digits_total = 0
    for img, text in digit_string_images(n, seed, source, touching, damage, plain):
        got = read_digit_string(elsewhere(img, scale, margin_mm))["text"]
        exact += got == text
        digits_total += len(text)
        digits_right += sum(a == b for a, b in zip(got, text, strict=False)) if len(got) == len(text) else 0
    return {
        "strings": n,
        "exact": exact / n,
        "digits_right": digits_right / digits_total,
        "source": source
        + (", touching" if touching else "")
        + (f", ×{scale:g}" if scale != 1.0 else "")
        + (f", +{margin_mm:g} mm paper" if margin_mm else "")
        + ("" if damage else ", no scan damage")
        + (", plain 28 px cells" if plain else ""),
    }


def evaluate_digit_boxes(source: str, seed: int, limit: int = 0) -> dict[str, Any]:
    """The committed classifier (`ocr.digits`, ONNX, as the page reader runs it) on single boxes of real handwriting
    scanned as its validation boxes are (`tools.synth.train_digits.build_set`): "val" (MNIST digits of the
    training writers, never trained on), "mnist-test" (MNIST's test split: writers never trained on) or "uci"
    (other writers, 8×8 upscaled). Accuracy, the share the page reader trusts alone (`ocr.fields.DIGIT_BOX_AUTO`)
    and how often it is right there, and a reliability table."""
    from ocr.digits import classifier
    from ocr.fields import DIGIT_BOX_AUTO
    from tools.synth.real_digits import mnist_test_digits, pool, uci_test_digits
    from tools.synth.train_digits import build_set

    loaders = {"val": lambda: pool("val"), "mnist-test": mnist_test_digits, "uci": uci_test_digits}
    x, y = loaders[source]()
    if limit:
        x, y = x[:limit], y[:limit]
    boxes, labels = build_set(x, y, 1, empties=0, seed=seed)
    probs = classifier().probabilities(boxes)
    best, sure = probs.argmax(axis=1), probs.max(axis=1)
    right = best == labels
    trusted = sure >= DIGIT_BOX_AUTO
    return {
        "source": source,
        "boxes": len(labels),
        "accuracy": float(right.mean()),
        "trusted_share": float(trusted.mean()),
        "trusted_accuracy": float(right[trusted].mean()) if trusted.any() else None,
        "trusted_wrong": int((trusted & ~right).sum()),
        "reliability": reliability_table([(float(c), bool(r)) for c, r in zip(sure, right, strict=True)]),
    }
