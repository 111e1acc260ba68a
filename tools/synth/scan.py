"""Fill forms as clinics do and degrade them as scanners do; write pages, batches and truth."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from intake.forms import FormContent, render_pdf, render_separator_pdf
from ocr.codes import FormIdentity, make_form_no
from ocr.template import load_template
from tools.synth.handwriting import Hand, stamp, sticker
from tools.synth.people import RELATIONS, SURNAMES, SynthResident, make_lots, make_residents
from tools.synth.real_digits import DigitPool, digits_from, write_digit

DPI = 200
K = DPI / 25.4  # pixels per mm
LAYOUT = "yoshin-v1"


@dataclass
class SynthPage:
    kind: str  # form | blank | separator | foreign
    image: Image.Image
    truth: dict[str, Any] = field(default_factory=dict)


def render_page(content: FormContent) -> Image.Image:
    pdf = pdfium.PdfDocument(render_pdf([content]))
    image: Image.Image = pdf[0].render(scale=DPI / 72).to_pil().convert("RGB")
    return image


def fill(
    img: Image.Image, rng: random.Random, vaccine_dose_ml: float, vdate: date, lot: str, clinic_name: str,
    digit_pool: DigitPool | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Write the clinic's and guardian's entries; return the truth for every field. `digit_pool`: real hand-written
    digits for the digit boxes (else the writer's handwriting font)."""
    t = load_template(LAYOUT)
    hand, doctor_hand = Hand(rng, K), Hand(rng, K)

    def box_digit(writer: Hand, ch: str, cell: tuple[float, float, float, float]) -> None:
        if digit_pool is None:
            writer.glyph(img, ch, cell[0] + cell[2] / 2, cell[1] + cell[3] / 2, 7)
        else:
            write_digit(img, int(ch), cell, rng, digit_pool, writer.pen, K)

    truth: dict[str, Any] = {}
    for f in t.fields:
        if f.kind == "checkbox_pair" and f.box_yes and f.box_no:
            answer = "yes" if (f.name == "q1") != (rng.random() < 0.08) else "no"
            if rng.random() < 0.02:
                answer = "both"
            style = rng.choice(["tick", "tick", "cross", "fill"])
            if answer in ("yes", "both"):
                hand.tick(img, f.box_yes, style)
            if answer in ("no", "both"):
                hand.tick(img, f.box_no, style)
            truth[f.name] = answer
    temp = f"{rng.choice([36, 36, 36, 37])}{rng.randint(0, 9)}"
    if rng.random() < 0.03:  # left empty
        truth["temperature"] = ""
    else:
        for ch, cell in zip(temp, t.field("temperature").cells, strict=True):
            box_digit(hand, ch, cell)
        truth["temperature"] = f"{temp[:2]}.{temp[2]}"
    hand.scribble(img, t.field("guardian_signature").box or (0, 0, 0, 0))
    truth["guardian_signature"] = "present"
    relation = rng.choice(RELATIONS)
    rbox = t.field("guardian_relation").box or (0, 0, 0, 0)
    if rng.random() < 0.05:  # crossed out and rewritten: a wrong word struck through, the right one after it
        wrong = rng.choice([r for r in RELATIONS if r != relation])
        hand.write(img, wrong, (rbox[0], rbox[1], rbox[2] / 2, rbox[3]), 6)
        hand.strike(img, (rbox[0] + 1, rbox[1], len(wrong) * 6 + 3, rbox[3]))
        hand.write(img, relation, (rbox[0] + rbox[2] / 2, rbox[1], rbox[2] / 2, rbox[3]), 6)
    else:
        hand.write(img, relation, rbox, 7)
    truth["guardian_relation"] = relation
    deferred = rng.random() < 0.04
    choice = t.field("screening_result").options[1 if deferred else 0]
    doctor_hand.circle(img, choice.box)
    truth["screening_result"] = choice.value
    doctor_hand.scribble(img, t.field("doctor_signature").box or (0, 0, 0, 0))
    truth["doctor_signature"] = "present"
    if deferred:
        for name in ("lot_number", "dose_ml", "vaccination_date"):
            truth[name] = ""
    else:
        sticker(img, lot, t.field("lot_number").box or (0, 0, 0, 0), rng, K)
        truth["lot_number"] = lot
        dose = f"{vaccine_dose_ml:.2f}"
        for ch, cell in zip(dose.replace(".", ""), t.field("dose_ml").cells, strict=True):
            box_digit(doctor_hand, ch, cell)
        truth["dose_ml"] = dose
        digits = f"{vdate.year - 2018:02d}{vdate.month:02d}{vdate.day:02d}"
        for ch, cell in zip(digits, t.field("vaccination_date").cells, strict=True):
            box_digit(doctor_hand, ch, cell)
        truth["vaccination_date"] = vdate.isoformat()
    stamp(img, clinic_name, t.field("clinic_stamp").box or (0, 0, 0, 0), rng, K)
    truth["clinic_stamp"] = "present"
    doctor = rng.choice(SURNAMES)[0]
    if rng.random() < 0.03:  # the doctor relied on the stamp and wrote no name
        doctor = ""
    doctor_hand.write(img, doctor, t.field("doctor_name").box or (0, 0, 0, 0), 7)
    truth["doctor_name"] = doctor
    return truth


def degrade(img: Image.Image, rng: random.Random, level: str, force: str = "") -> tuple[Image.Image, dict[str, Any]]:
    """Scanner and handling damage. Returns the image and what was done (kept in the truth).
    `force` names one damage that must happen (turned, cut, bitonal, holes, shadow): the small committed
    sample uses it so that every case is in it."""
    if level == "wide" and not force:
        return degrade_wide(img, rng)
    if force:
        level = "heavy"
    elif level == "mixed":  # the committed sample: some clean, some light, some heavy
        level = rng.choice(["none", "light", "light", "heavy", "heavy"])
    if level == "none":
        return img.convert("L"), {}
    heavy = level == "heavy"
    done: dict[str, Any] = {}
    a: Any = np.asarray(img.convert("L"), dtype=np.float32)  # cv2/numpy stubs widen dtypes; Any keeps it readable
    h, w = a.shape
    if force == "shadow" or (heavy and rng.random() < 0.3):  # uneven lighting / fold shadow
        grad = np.linspace(rng.uniform(0.75, 0.9), 1.0, w, dtype=np.float32)[None, :]
        a = a * grad
        fold = int(rng.uniform(0.3, 0.7) * h)
        a[fold - 6 : fold + 6, :] *= 0.85
        done["shadow"] = True
    angle = rng.uniform(-3, 3) if heavy else rng.uniform(-1, 1)
    scale = rng.uniform(0.8, 1.2) if heavy else 1.0  # 160-240 dpi effective
    if heavy and rng.random() < 0.3:  # perspective
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        d = 0.015 * w
        dst = np.array(
            [
                [rng.uniform(0, d), rng.uniform(0, d)],
                [w - rng.uniform(0, d), rng.uniform(0, d)],
                [w - rng.uniform(0, d), h - rng.uniform(0, d)],
                [rng.uniform(0, d), h - rng.uniform(0, d)],
            ],
            dtype=np.float32,
        )
        a = cv2.warpPerspective(a, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=255)
        done["perspective"] = True
    # The scanner bed is larger than the sheet (overscan), so a skewed page keeps its corners; a different
    # resolution makes a larger or smaller image, not a cropped one.
    pad = int(0.03 * w)
    a = cv2.copyMakeBorder(a, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    ph, pw = a.shape
    m = cv2.getRotationMatrix2D((pw / 2, ph / 2), angle, 1.0)
    a = cv2.warpAffine(a, m, (pw, ph), borderValue=255)
    if scale != 1.0:
        a = cv2.resize(a, (int(pw * scale), int(ph * scale)), interpolation=cv2.INTER_AREA)
    done.update(skew=round(angle, 2), scale=round(scale, 2))
    if force == "cut" or (heavy and rng.random() < 0.03):  # a page fed crooked and cut at one edge: two markers lost
        side = rng.choice(["top", "bottom"])
        cut = int(a.shape[0] * 0.05)
        a = a[cut:] if side == "top" else a[:-cut]
        done["cut"] = side
    if force == "holes" or (heavy and rng.random() < 0.25):  # punched holes in the margin
        for yy in (h // 3, 2 * h // 3):
            cv2.circle(a, (int(0.025 * w), yy), int(0.012 * w), 40, -1)
        done["holes"] = True
    if rng.random() < (0.6 if heavy else 0.3):
        a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.5, 1.3 if heavy else 0.8))
    a = a + np.random.default_rng(rng.randint(0, 2**31)).normal(0, 8 if heavy else 3, a.shape)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if heavy and rng.random() < 0.4:
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=rng.randint(35, 60))
        out = Image.open(io.BytesIO(buf.getvalue())).convert("L")
        done["jpeg"] = True
    if force == "bitonal" or (heavy and rng.random() < 0.3):
        out = out.point(lambda v: 255 if v > 150 else 0).convert("1").convert("L")
        done["bitonal"] = True
    if force == "turned" or (heavy and rng.random() < 0.12):
        turn = 90 if force == "turned" else rng.choice([90, 180, 180, 270])
        out = out.rotate(turn, expand=True)
        done["turned"] = turn
    return out, done


def degrade_wide(img: Image.Image, rng: random.Random) -> tuple[Image.Image, dict[str, Any]]:
    """A wider family of scanner and handling damage than `degrade`, every parameter drawn at random: keystone of a
    sheet not flat on the glass, a feeder's scale change (not the same across and along), 150–300 dpi, cut
    corners, uneven light in two directions, folds, stains, noise, blur, JPEG, a bitonal threshold from good to
    bad, pages turned. For corpora that are not the reader's own mirror (tune on some seeds, seal others)."""
    done: dict[str, Any] = {}
    a: Any = np.asarray(img.convert("L"), dtype=np.float32)
    h, w = a.shape
    nrng = np.random.default_rng(rng.randrange(2**31))
    if rng.random() < 0.5:  # light falling off in two directions
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        plane = 1.0 - rng.uniform(0, 0.25) * xx / w - rng.uniform(0, 0.2) * yy / h
        a = a * plane
        done["light"] = True
    if rng.random() < 0.3:  # a fold: a dark crease and a step in brightness
        if rng.random() < 0.5:
            at = int(rng.uniform(0.3, 0.7) * h)
            a[at - 4 : at + 4, :] *= 0.7
            a[at:, :] *= rng.uniform(0.9, 1.0)
        else:
            at = int(rng.uniform(0.3, 0.7) * w)
            a[:, at - 4 : at + 4] *= 0.7
            a[:, at:] *= rng.uniform(0.9, 1.0)
        done["fold"] = True
    if rng.random() < 0.2:  # stains: tea, coffee, a damp thumb
        for _ in range(rng.randint(1, 3)):
            mask = np.zeros((h, w), dtype=np.float32)
            centre = (int(rng.uniform(0.1, 0.9) * w), int(rng.uniform(0.1, 0.9) * h))
            axes = (int(rng.uniform(8, 30) * K), int(rng.uniform(8, 30) * K))
            cv2.ellipse(mask, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
            mask = cv2.GaussianBlur(mask, (0, 0), 6)
            a = a * (1 - rng.uniform(0.1, 0.3) * mask)
        done["stain"] = True
    d = rng.uniform(0.0, 0.035) * w  # keystone: corners moved independently
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    dst = src + nrng.uniform(-d, d, (4, 2)).astype(np.float32)
    a = cv2.warpPerspective(a, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=255)
    done["keystone_mm"] = round(d / K, 1)
    pad = int(0.04 * w)
    a = cv2.copyMakeBorder(a, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    ph, pw = a.shape
    angle = rng.uniform(-3, 3)
    a = cv2.warpAffine(a, cv2.getRotationMatrix2D((pw / 2, ph / 2), angle, 1.0), (pw, ph), borderValue=255)
    dpi = rng.uniform(150, 300)
    sx, sy = dpi / DPI, dpi / DPI * rng.uniform(0.97, 1.03)  # a feeder stretches along the feed, not across
    a = cv2.resize(a, (int(pw * sx), int(ph * sy)), interpolation=cv2.INTER_AREA if sx < 1 else cv2.INTER_LINEAR)
    done.update(skew=round(angle, 2), dpi=round(dpi), feed_scale=round(sy / sx, 3))
    if rng.random() < 0.25:  # a corner cut off (torn, folded under): its marker is gone
        ch, cw = a.shape
        size = int(rng.uniform(0.08, 0.14) * cw)
        corner = rng.choice(["tl", "tr", "bl", "br"])
        x0 = 0 if corner[1] == "l" else cw
        y0 = 0 if corner[0] == "t" else ch
        tri = np.array([[x0, y0], [abs(x0 - size), y0], [x0, abs(y0 - size)]], dtype=np.int32)
        cv2.fillPoly(a, [tri], 255)
        done["cut_corner"] = corner
    if rng.random() < 0.6:
        a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.3, 1.3))
    a = a + nrng.normal(0, rng.uniform(0, 10), a.shape)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rng.random() < 0.35:
        threshold = rng.uniform(95, 200)  # from too light (strokes break) to too dark (grey turns black)
        out = out.point(lambda v: 255 if v > threshold else 0).convert("1").convert("L")
        done["bitonal"] = round(threshold)
    elif rng.random() < 0.4:
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=rng.randint(30, 85))
        out = Image.open(io.BytesIO(buf.getvalue())).convert("L")
        done["jpeg"] = True
    if rng.random() < 0.1:
        turn = rng.choice([90, 180, 270])
        out = out.rotate(turn, expand=True)
        done["turned"] = turn
    return out, done


def separator_sheet() -> Image.Image:
    """The separator sheet as the ward prints it (`intake forms separator`), at the corpus's resolution."""
    image: Image.Image = pdfium.PdfDocument(render_separator_pdf())[0].render(scale=DPI / 72).to_pil().convert("L")
    return image


def make_corpus(
    out: Path,
    n: int,
    seed: int,
    degrade_level: str,
    *,
    today: date | None = None,
    digits: str = "font",
    progress: Callable[[int, int], None] | None = None,
    registry: bool = False,
) -> list[SynthPage]:
    """n pages: mostly forms, plus blank pages, separator sheets and other-municipality forms. `digits`: "real"
    writes real hand-written digits (tools.synth.real_digits, a pool disjoint from the classifier's training
    pool) into the digit boxes, "mnist-test" writers the classifier never saw (MNIST's test split), "uci" other
    writers' (the UCI optdigits test split), "font" the handwriting fonts.
    `registry`: the forms carry numbers of an issuance registry written beside the pages (issued.csv), a fifth of
    them numbers the registry must stop (RegistryMix)."""
    today = today or date(2026, 11, 20)
    pool = digits_from("corpus" if digits == "real" else digits) if digits != "font" else None
    rng = random.Random(seed)
    residents = make_residents(max(50, n * 2), seed, today=today)
    vaccines = _vaccines()
    lots = make_lots(list(vaccines), seed, today=today)
    pages: list[SynthPage] = []
    mix = RegistryMix(random.Random(seed * 7919 + 1)) if registry else None  # its own draws: the pages stay the same
    # A small sample (20–60 pages, like scans_sample/) holds every case at fixed places, whatever the draw;
    # larger corpora keep the random mix.
    sample = 20 <= n <= 60
    forced_kind = {n // 3: "blank", 2 * n // 3: "separator", n - 3: "foreign"} if sample else {}
    forced_damage = {1: "turned", 4: "cut", 7: "bitonal", 13: "holes", 16: "shadow"} if sample else {}
    for i in range(n):
        if progress:
            progress(i, n)
        roll = rng.random()
        kind = forced_kind.get(i)
        if kind == "blank":
            roll = 0.0
        elif kind == "separator":
            roll = 0.05
        elif kind == "foreign":
            roll = 0.99
        elif sample and (roll < 0.07 or roll > 0.97):
            roll = 0.5  # in a forced corpus, only the forced places hold the special kinds
        if i > 0 and roll < 0.04:
            pages.append(
                SynthPage(
                    "blank",
                    degrade(Image.new("RGB", (int(210 * K), int(297 * K)), "white"), rng, degrade_level)[0],
                    {"kind": "blank"},
                )
            )
            continue
        if i > 0 and roll < 0.07:
            pages.append(
                SynthPage(
                    "separator", degrade(separator_sheet().convert("RGB"), rng, degrade_level)[0], {"kind": "separator"}
                )
            )
            continue
        foreign = roll > 0.97
        pages.append(
            _form_page(
                rng,
                residents,
                vaccines,
                lots,
                today,
                degrade_level,
                foreign,
                serial=seed * 100000 + i,
                force=forced_damage.get(i, ""),
                digits=pool,
                mix=None if foreign else mix,
            )
        )
    _write(out, pages, residents, lots)
    if mix is not None:
        mix.write(out / "issued.csv")
    return pages


class RegistryMix:
    """The issuance registry a synthetic corpus was printed from (issued.csv: one row per issued form, its id the
    registry's row id, so 予診票番号 = intake.services.issuance.number_of(id)), and the numbers on the pages: most
    forms carry the number issued to them; about 5% each carry a voided number, a number never issued, the number
    of an earlier page (a copy of that form), or a number issued to another resident. The truth says which
    (`registry`: ok | voided | unknown | received | other_form) — tools.evaluate checks the registry stops them."""

    KINDS = (("voided", 0.05), ("unknown", 0.10), ("received", 0.15), ("other_form", 0.20))

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[dict[str, Any]] = []
        self.earlier: list[tuple[SynthResident, str, int, int]] = []  # (resident, vaccine, dose, row id) of ok pages

    def _issue(self, atena_no: str, code: str, dose: int, voided: bool = False) -> int:
        self.rows.append({"id": len(self.rows) + 1, "atena_no": atena_no, "vaccine_code": code, "dose_no": dose,
                          "voided": voided})  # fmt: skip
        return len(self.rows)

    def draw(self, resident: SynthResident, code: str, dose: int, others: list[SynthResident]) -> tuple[str, int | str]:
        """(kind, row id — or for `unknown` the number itself) for a form about to be printed. A `received` page
        reprints an earlier page's resident, vaccine and dose: the caller takes them from `copy_of`."""
        from intake.services.issuance import number_of
        from intake.settings import Settings

        roll = self.rng.random()
        kind = next((k for k, p in self.KINDS if roll < p), "ok")
        if kind == "received" and not self.earlier:
            kind = "ok"
        if kind == "voided":  # the form was reissued: the old number, voided, came back
            row = self._issue(resident.atena_no, code, dose, voided=True)
            self._issue(resident.atena_no, code, dose)
            return kind, row
        if kind == "unknown":  # in the registry's range, never issued
            return kind, number_of(Settings(), 10_000_000 + self.rng.randrange(1_000_000))
        if kind == "other_form":
            other = self.rng.choice([o for o in others if o.atena_no != resident.atena_no])
            return kind, self._issue(other.atena_no, code, dose)
        if kind == "received":
            return kind, self.rng.choice(self.earlier)[3]
        row = self._issue(resident.atena_no, code, dose)
        self.earlier.append((resident, code, dose, row))
        return kind, row

    def copy_of(self, row: int) -> tuple[SynthResident, str, int]:
        r, code, dose, _ = next(e for e in self.earlier if e[3] == row)
        return r, code, dose

    def write(self, path: Path) -> None:
        import csv

        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["id", "atena_no", "vaccine_code", "dose_no", "voided"])
            w.writeheader()
            w.writerows(self.rows)


CLINIC_NAMES = ["豊玉こどもクリニック", "石神井公園内科小児科", "光が丘ファミリークリニック", "大泉学園小児科医院"]

# Routine vaccines by age at vaccination (months from, months to, code, dose number): the forms a clinic
# plausibly returns for a child of that age (standard windows, simplified). A dose is only drawn when the
# schedule checker finds the age inside its legal window, so the corpus holds valid doses.
AGE_PLAN = [
    (2, 7, "Hib", 1),
    (2, 7, "PCV", 1),
    (2, 7, "HepB", 1),
    (2, 7, "DPT-IPV", 1),
    (3, 8, "Hib", 2),
    (3, 8, "PCV", 2),
    (3, 8, "DPT-IPV", 2),
    (3, 8, "HepB", 2),
    (4, 9, "DPT-IPV", 3),
    (5, 12, "BCG", 1),
    (7, 12, "HepB", 3),
    (12, 24, "MR", 1),
    (12, 15, "VAR", 1),
    (12, 18, "PCV", 4),
    (12, 18, "Hib", 4),
    (12, 24, "DPT-IPV", 4),
    (18, 36, "VAR", 2),
    (36, 60, "JE", 1),
    (37, 61, "JE", 2),
    (48, 89, "JE", 3),
    (60, 84, "MR", 2),
    (108, 156, "JE", 4),
]


def vaccine_for_age(rng: random.Random, birth: date, when: date, sex: str) -> tuple[str, int] | None:
    from intake.services.schedule import check_dose

    months = (when.year - birth.year) * 12 + when.month - birth.month - (when.day < birth.day)
    fits = [(code, dose) for lo, hi, code, dose in AGE_PLAN if lo <= months < hi]
    if sex == "2" and 144 <= months < 204:
        fits.append(("HPV", 1 + rng.randint(0, 2)))
    eligible = [
        (c, d) for c, d in fits if not any(x.rule == "age_window" for x in check_dose(c, d, when, birth, None, [], None, ""))
    ]
    return rng.choice(eligible) if eligible else None


def _vaccines() -> dict[str, tuple[str, float]]:
    import csv

    path = Path(__file__).resolve().parent.parent.parent / "intake" / "data" / "vaccines.csv"
    with path.open(encoding="utf-8") as fh:
        # vaccines whose amount depends on the product (Rota, COVID-19) carry no standard dose: not drawn here
        return {r["接種種類コード"]: (r["ワクチン名"], float(r["接種量"])) for r in csv.DictReader(fh) if r["接種量"]}


def _form_page(
    rng: random.Random,
    residents: list[SynthResident],
    vaccines: dict[str, tuple[str, float]],
    lots: list[tuple[str, str, date]],
    today: date,
    level: str,
    foreign: bool,
    serial: int,
    force: str = "",
    digits: DigitPool | None = None,
    mix: RegistryMix | None = None,
) -> SynthPage:
    for _ in range(50):  # a resident of an age some routine dose fits
        r = rng.choice(residents)
        vdate = today - timedelta(days=rng.randint(1, 60))
        chosen = vaccine_for_age(rng, r.birth_date, vdate, r.sex)
        if chosen is not None:
            break
    assert chosen is not None, "no resident of a vaccinable age in the synthetic register"
    code, dose_no = chosen
    form_no, registry = make_form_no(serial), ""
    if mix is not None:
        from intake.services.issuance import number_of
        from intake.settings import Settings

        registry, row = mix.draw(r, code, dose_no, residents)
        if registry == "received":  # a copy of an earlier form: its resident, vaccine and dose
            r, code, dose_no = mix.copy_of(int(row))
        form_no = row if isinstance(row, str) else number_of(Settings(), row)
    vname, dose_ml = vaccines[code]
    lot = rng.choice([lt for lt in lots if lt[1] == code])[0]
    muni = ("220001", "静岡県") if foreign else ("131202", "練馬区")
    ident = FormIdentity(muni[0], r.atena_no, code, dose_no, form_no, LAYOUT)
    content = FormContent(ident, muni[1], vname, r.name, r.name_kana, r.birth_date, r.sex, r.address, r.guardian_name)
    img = render_page(content)
    if foreign:  # another municipality's form carries no QR: blank it out
        q = load_template(LAYOUT).qr["box"]
        ImageDraw.Draw(img).rectangle(
            [int(q[0] * K), int(q[1] * K), int((q[0] + q[2]) * K), int((q[1] + q[3]) * K)], fill="white"
        )
    clinic = rng.choice(CLINIC_NAMES)
    fields = fill(img, rng, dose_ml, vdate, lot, clinic, digits)
    scanned, damage = degrade(img, rng, level, force)
    truth = {
        "kind": "foreign" if foreign else "form",
        "identity": None
        if foreign
        else {
            "municipality_code": ident.municipality_code,
            "atena_no": ident.atena_no,
            "vaccine_code": code,
            "dose_no": ident.dose_no,
            "form_no": ident.form_no,
            "layout": LAYOUT,
        },
        "resident": {
            "atena_no": r.atena_no,
            "name": r.name,
            "name_kana": r.name_kana,
            "birth_date": r.birth_date.isoformat(),
            "sex": r.sex,
        },
        "fields": fields,
        "clinic_name": clinic,  # the stamp's clinic (intake.services.clinic_check)
        "degradation": damage,
        **({"registry": registry} if registry else {}),
    }
    return SynthPage(str(truth["kind"]), scanned, truth)


def _write(out: Path, pages: list[SynthPage], residents: list[SynthResident], lots: list[tuple[str, str, date]]) -> None:
    from tools.synth.people import write_residents_csv

    (out / "pages").mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(pages):
        stem = f"page_{i:04d}"
        _save_page(p.image, out / "pages" / stem)
        (out / "pages" / f"{stem}.json").write_text(json.dumps(p.truth, ensure_ascii=False, indent=1), encoding="utf-8")
    write_residents_csv(residents, out / "residents.csv")
    with (out / "lots.csv").open("w", encoding="utf-8") as fh:
        fh.write("ロット番号,接種種類コード,ワクチンメーカー,有効期限\n")
        for lot, code, expiry in lots:
            fh.write(f"{lot},{code},,{expiry.isoformat()}\n")


def _save_page(img: Image.Image, stem: Path) -> Path:
    """Two-level pages as 1-bit PNG (tiny, lossless); gray pages as JPEG, as many scanners write them."""
    values = np.unique(np.asarray(img.convert("L"))[::7, ::7])
    if len(values) <= 2:
        path = stem.with_suffix(".png")
        img.convert("L").point(lambda v: 255 if v > 127 else 0).convert("1").save(path, optimize=True)
    else:
        path = stem.with_suffix(".jpg")
        img.convert("L").save(path, "JPEG", quality=85)
    return path


def page_images(corpus: Path) -> list[Path]:
    return sorted(p for p in (corpus / "pages").iterdir() if p.suffix in (".png", ".jpg", ".tif"))


def write_batches(out: Path, pages: list[SynthPage], size: int) -> list[Path]:
    """Group pages into scanner batches: alternately a multi-page PDF and a CCITT G4 TIFF."""
    (out / "batches").mkdir(parents=True, exist_ok=True)
    paths = []
    for b, start in enumerate(range(0, len(pages), size)):
        imgs = [p.image.convert("L") for p in pages[start : start + size]]
        if b % 2 == 0:
            path = out / "batches" / f"batch_{b:02d}.pdf"
            imgs[0].convert("RGB").save(
                path, save_all=True, append_images=[i.convert("RGB") for i in imgs[1:]], resolution=DPI
            )
        else:
            path = out / "batches" / f"batch_{b:02d}.tif"
            bw = [i.point(lambda v: 255 if v > 160 else 0).convert("1") for i in imgs]
            bw[0].save(path, save_all=True, append_images=bw[1:], compression="group4", dpi=(DPI, DPI))
        manifest = [f"page_{i:04d}" for i in range(start, start + len(imgs))]
        path.with_suffix(".pages.json").write_text(json.dumps(manifest), encoding="utf-8")
        paths.append(path)
    return paths
