"""`python -m tools.dev stress`: damage the corpus family never drew (`tools.synth.scan.degrade_wide`), applied to
the form pages of an existing corpus, through the same evaluation as `eval` — the question is never "how good" but
"does anything wrong get auto-accepted, does any page crash or vanish". Found with it (session 12): a form
scanned far too light was triaged blank and skipped; (session 14) on a crumpled sheet the checkbox column lay 3–4 mm
off while the page's landmarks proved it, and wrong answers were auto-accepted (now each field is checked in place);
(session 18) a form copied three times over, its lines heavy, was skipped as a separator sheet (ocr.triage); two
forms on one image were read as one, the other lost without a word (ocr.register.forms_on_page).
"""

from __future__ import annotations

import io
import json
import os
import random
import tempfile
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from tools.evaluate import _lots, _one, _vaccine_doses

Page = npt.NDArray[np.float32]


def _pale(a: Page, rng: random.Random) -> Page:  # a scanner set far too light, a pencil: black at grey ~165
    return 255 - (255 - a) * rng.uniform(0.3, 0.4)


def _streak(a: Page, rng: random.Random) -> Page:  # dirt on a feeder's glass: thin dark lines down the whole sheet
    w = a.shape[1]
    for _ in range(rng.randint(1, 3)):
        x = rng.randint(int(0.1 * w), int(0.9 * w))
        a[:, x : x + rng.randint(1, 3)] *= rng.uniform(0.2, 0.6)
    return a


def _strike(a: Page, rng: random.Random) -> Page:  # a pen line drawn across the sheet by accident
    h, w = a.shape
    for _ in range(2):
        y = rng.randint(int(0.3 * h), int(0.9 * h))
        cv2.line(a, (0, y), (w, y + rng.randint(-80, 80)), rng.uniform(20, 90), rng.randint(2, 4))
    return a


def _motion(a: Page, rng: random.Random) -> Page:  # the sheet slipping in the feeder
    n = rng.randint(5, 9)
    return np.asarray(cv2.filter2D(a, -1, np.full((1, n), 1 / n, np.float32)), dtype=np.float32)


def _resample(factor: float) -> Callable[[Page, random.Random], Page]:  # 100 dpi, 400–600 dpi
    def run(a: Page, rng: random.Random) -> Page:
        how = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        return np.asarray(cv2.resize(a, None, fx=factor, fy=factor, interpolation=how), dtype=np.float32)

    return run


def _skew(a: Page, rng: random.Random) -> Page:  # 8–11°: more than the family's 3°
    h, w = a.shape
    pad = int(0.1 * w)
    a = cv2.copyMakeBorder(a, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    ph, pw = a.shape
    turn = cv2.getRotationMatrix2D((pw / 2, ph / 2), rng.choice([-1, 1]) * rng.uniform(8, 11), 1.0)
    return np.asarray(cv2.warpAffine(a, turn, (pw, ph), borderValue=255), dtype=np.float32)


def _grey_paper(a: Page, rng: random.Random) -> Page:  # recycled paper: the whole sheet ~40% darker
    return a * rng.uniform(0.58, 0.66)


def _black_border(a: Page, rng: random.Random) -> Page:  # the lid left open: black all round the sheet
    pad = int(0.05 * a.shape[1])
    return np.asarray(cv2.copyMakeBorder(a, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0), dtype=np.float32)


def _shift(a: Page, rng: random.Random) -> Page:  # a sheet off the glass: its right 8% not scanned
    return a[:, : int(a.shape[1] * 0.92)]


def _dither(a: Page, rng: random.Random) -> Page:  # a bitonal scan by error diffusion, not a threshold
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).convert("1")
    return np.asarray(img.convert("L"), dtype=np.float32)


def _salt_pepper(a: Page, rng: random.Random) -> Page:
    m = np.random.default_rng(rng.randrange(2**31)).random(a.shape)
    a[m < 0.01], a[m > 0.99] = 0, 255
    return a


def _jpeg10(a: Page, rng: random.Random) -> Page:
    buf = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=10)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"), dtype=np.float32)


def _show_through(a: Page, rng: random.Random) -> Page:  # thin paper: the back (another form, mirrored) shows through
    back = a[:, ::-1]
    return a - (255 - back) * rng.uniform(0.12, 0.25)


def _covered(a: Page, rng: random.Random) -> Page:  # a sticky note or a label over part of the sheet
    h, w = a.shape
    x0, y0 = rng.randint(0, int(0.6 * w)), rng.randint(int(0.2 * h), int(0.8 * h))
    a[y0 : y0 + int(rng.uniform(0.08, 0.15) * h), x0 : x0 + int(rng.uniform(0.25, 0.4) * w)] = rng.uniform(235, 255)
    return a


def _scribble(a: Page, rng: random.Random) -> Page:  # a child's pen strokes over the lower half
    h, w = a.shape
    pts = [(rng.randint(0, w), rng.randint(h // 2, h)) for _ in range(8)]
    for p, q in zip(pts, pts[1:], strict=False):
        cv2.line(a, p, q, rng.uniform(20, 80), rng.randint(2, 5))
    return a


def _upside_down(a: Page, rng: random.Random) -> Page:  # the sheet fed head last
    return np.ascontiguousarray(a[::-1, ::-1])


def _displace(a: Page, dx: npt.NDArray[np.float32], dy: npt.NDArray[np.float32]) -> Page:
    h, w = a.shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return np.asarray(cv2.remap(a, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=255), dtype=np.float32)


def _curl(a: Page, rng: random.Random) -> Page:  # a sheet not flat on the glass: one edge lifted, bent (no homography fits)
    h, w = a.shape
    amp = rng.uniform(0.012, 0.02) * w  # 2.5–4 mm at the lifted edge of an A4 sheet
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None] ** 2  # lifted at the bottom, bending more and more
    x = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    dx = np.broadcast_to(amp * t * x, (h, w)).astype(np.float32)  # the lifted part looks narrower
    dy = np.broadcast_to(amp * t * (1 - x * x), (h, w)).astype(np.float32)
    return _displace(a, dx, dy)


def _crumple(a: Page, rng: random.Random) -> Page:  # a sheet crumpled and smoothed: small local warps everywhere
    h, w = a.shape
    g = np.random.default_rng(rng.randrange(2**31))
    coarse = g.normal(0.0, 1.0, (2, 8, 6)).astype(np.float32) * (0.0025 * max(h, w) / 297 * 210)  # σ ≈ 0.5 mm
    dx = cv2.resize(coarse[0], (w, h), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(coarse[1], (w, h), interpolation=cv2.INTER_CUBIC)
    return _displace(a, dx, dy)


def _punched(a: Page, rng: random.Random) -> Page:  # two filing holes at the left edge, dark (the lid open)
    h, w = a.shape
    r = int(0.013 * w)
    for y in (int(0.5 * h - 0.19 * w), int(0.5 * h + 0.19 * w)):  # 80 mm apart, as a two-hole punch makes them
        cv2.circle(a, (int(0.057 * w), y), r, rng.uniform(0, 40), -1)
    return a


def _quarter_turn(a: Page, rng: random.Random) -> Page:  # the sheet fed sideways (landscape), either way round
    return np.ascontiguousarray(np.rot90(a, rng.choice((1, 3))))


def _fax(a: Page, rng: random.Random) -> Page:  # a fax's "normal" mode: half the lines (200 × 100 dpi), bitonal
    h, w = a.shape
    squashed = cv2.resize(a, (w, h // 2), interpolation=cv2.INTER_AREA)
    return np.where(squashed > rng.uniform(140, 180), 255.0, 0.0).astype(np.float32)


def _shrunk(a: Page, rng: random.Random) -> Page:  # printed "fit to page": the form 86–95% of its size on the sheet
    h, w = a.shape
    f = rng.uniform(0.86, 0.95)
    small = cv2.resize(a, (int(w * f), int(h * f)), interpolation=cv2.INTER_AREA)
    out = np.full_like(a, 255.0)
    y0, x0 = rng.randint(0, h - small.shape[0]), rng.randint(0, w - small.shape[1])
    out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return out


def _enlarged(a: Page, rng: random.Random) -> Page:  # copied B5 → A4 (122%): the sheet's edges, markers too, cut off
    h, w = a.shape
    big = cv2.resize(a, None, fx=1.22, fy=1.22, interpolation=cv2.INTER_CUBIC)
    y0, x0 = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return np.ascontiguousarray(big[y0 : y0 + h, x0 : x0 + w])


def _highlighter(a: Page, rng: random.Random) -> Page:  # a yellow or pink marker drawn along a few rows: light grey bands
    h, w = a.shape
    for _ in range(rng.randint(2, 4)):
        y, band = rng.randint(int(0.15 * h), int(0.9 * h)), rng.randint(int(0.012 * h), int(0.025 * h))
        x0 = rng.randint(0, w // 3)
        a[y : y + band, x0 : x0 + rng.randint(w // 3, w - x0)] *= rng.uniform(0.75, 0.9)
    return a


def _phone_photo(a: Page, rng: random.Random) -> Page:  # a phone's photo of the sheet: steep perspective, light falling off
    h, w = a.shape
    pad = int(0.08 * w)
    a = cv2.copyMakeBorder(a, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=rng.uniform(60, 120))  # the desk
    ph, pw = a.shape
    src = np.float32([[pad, pad], [pw - pad, pad], [pw - pad, ph - pad], [pad, ph - pad]])
    lean = rng.uniform(0.04, 0.07) * w  # the far edge narrower: the phone held at an angle
    top = rng.random() < 0.5
    dst = src.copy()
    dst[0 if top else 3, 0] += lean
    dst[1 if top else 2, 0] -= lean
    dst += np.float32([[rng.uniform(-0.01, 0.01) * w, rng.uniform(-0.01, 0.01) * w] for _ in range(4)])
    warped = cv2.warpPerspective(a, cv2.getPerspectiveTransform(src, dst), (pw, ph), borderValue=90)
    ys, xs = np.mgrid[0:ph, 0:pw].astype(np.float32)
    r2 = ((xs - pw * rng.uniform(0.3, 0.7)) / pw) ** 2 + ((ys - ph * rng.uniform(0.3, 0.7)) / ph) ** 2
    light = 1.0 - rng.uniform(0.25, 0.4) * r2 / r2.max()  # brighter where the lamp is
    blurred = cv2.GaussianBlur(warped * light, (0, 0), rng.uniform(0.6, 1.2))
    return np.asarray(blurred, dtype=np.float32)


def _photocopy(a: Page, rng: random.Random) -> Page:  # a copy of a copy: strokes thicken, grey goes dark, toner specks
    h, w = a.shape
    for _ in range(rng.randint(2, 3)):  # each generation: ink spreads ~0.1 mm, contrast crushed, scale 98–101%
        a = np.asarray(cv2.erode(a, np.ones((2, 2), np.uint8)), dtype=np.float32)
        a = np.clip((a - rng.uniform(20, 45)) * rng.uniform(1.15, 1.3), 0, 255)
        f = rng.uniform(0.98, 1.01)
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-0.6, 0.6), f)
        a = np.asarray(cv2.warpAffine(a, turn, (w, h), borderValue=255), dtype=np.float32)
    specks = np.random.default_rng(rng.randrange(2**31)).random(a.shape) < 0.0004
    a[cv2.dilate(specks.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = rng.uniform(30, 90)
    return a


def _halftone(a: Page, rng: random.Random) -> Page:  # a bitonal scan by an ordered (Bayer) screen, as copiers' photo mode
    bayer = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], dtype=np.float32)
    h, w = a.shape
    screen = (np.tile(bayer, (h // 4 + 1, w // 4 + 1))[:h, :w] + 0.5) * 16
    return np.where(a > screen * rng.uniform(0.9, 1.1), 255.0, 0.0).astype(np.float32)


def _dog_ear(a: Page, rng: random.Random) -> Page:  # a corner folded over: the back of the sheet, a crease, a marker hidden
    h, w = a.shape
    size = int(rng.uniform(0.12, 0.24) * w)  # up to the corner marker and past it
    ys, xs = np.mgrid[0:h, 0:w]
    corner = rng.choice(((0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1)))
    fold = np.abs(ys - corner[0]) + np.abs(xs - corner[1]) < size
    a[fold] = rng.uniform(200, 235)  # the back of the paper, a little darker (its shadow)
    crease = np.abs(np.abs(ys - corner[0]) + np.abs(xs - corner[1]) - size) < 3
    a[crease] *= rng.uniform(0.5, 0.7)
    return a


def _two_up(a: Page, rng: random.Random) -> Page:  # two sheets side by side on an A3 flatbed (here the same form twice)
    return np.concatenate([a, np.full((a.shape[0], int(0.03 * a.shape[1])), 255.0, np.float32), a], axis=1)


def _two_in_one(a: Page, rng: random.Random) -> Page:  # a "2 in 1" copy: two pages turned and shrunk onto one sheet
    h, w = a.shape
    turned = np.ascontiguousarray(np.rot90(a))
    f = min(w / turned.shape[1], 0.48 * h / turned.shape[0])  # ~0.7 for A4: each page on half the sheet
    half = cv2.resize(turned, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    out = np.full_like(a, 255.0)
    x0 = (w - half.shape[1]) // 2
    for y0 in (int(0.01 * h), int(0.51 * h)):
        out[y0 : y0 + half.shape[0], x0 : x0 + half.shape[1]] = half
    return out


DIGIT_FIELDS = ("vaccination_date", "temperature", "dose_ml")  # the hand-written digit-box fields
STRUCK = "(a digit struck out)"  # the truth of a field with a struck-out digit: no value may be auto-accepted


def struck_field(seed: int) -> str:
    """The field `_corrected` strikes on the page damaged with `seed` (its rng's first draw)."""
    return random.Random(seed).choice(DIGIT_FIELDS)


def _registered(a: Page) -> tuple[Page, Any] | None:
    """The page as registered (ocr.register.PX_PER_MM) and its template, for damage drawn on a field's own boxes:
    drawn there, the damage lands where it means to whatever the family's damage did to the page, and the page
    registered is then the scan. None where the page does not register."""
    from ocr.register import register
    from ocr.template import load_template

    template = load_template("yoshin-v1")
    reg = register(a.astype(np.uint8), template)
    return None if reg.image is None else (reg.image.astype(np.float32), template)


def _corrected(a: Page, rng: random.Random) -> Page:
    """A digit written in a box and struck out, as a person corrects a form (`tools.synth.corrections`); the right
    value would be written beside it (not drawn: the field's truth becomes `STRUCK`, so any value auto-accepted is
    wrong)."""
    from ocr.fields import ink
    from ocr.register import PX_PER_MM, crop_mm
    from tools.synth.corrections import strike

    name = rng.choice(DIGIT_FIELDS)  # first draw: `struck_field` repeats it
    got = _registered(a)
    if got is None:
        return a
    page, template = got
    cells = template.field(name).cells
    written = [c for c in cells if ink(crop_mm(page.astype(np.uint8), c, 0.5), 128) > 0.02] or cells
    x, y, w, h = (v * PX_PER_MM for v in rng.choice(written))
    strike(page, (x, y, w, h), rng, PX_PER_MM)
    return page


def _seal_over(a: Page, rng: random.Random) -> Page:
    """A clinic's or doctor's seal (印, red ink: mid grey in a grey scan) pressed half over a digit field's boxes: a
    ring 10–18 mm across with strokes inside, as a 認印 or the clinic's round stamp leaves. The digits stay legible
    to a person (the truth is unchanged); the question is whether ink crossing a box is read as, or into, a digit."""
    from ocr.register import PX_PER_MM

    got = _registered(a)
    if got is None:
        return a
    page, template = got
    x, y, w, h = rng.choice(template.field(rng.choice(DIGIT_FIELDS)).cells)
    r = rng.uniform(5, 9) * PX_PER_MM
    cx, cy = (x + w * rng.uniform(-0.3, 1.3)) * PX_PER_MM, (y + h * rng.choice((-0.2, 1.2)) + rng.uniform(-3, 3)) * PX_PER_MM
    grey, pen = rng.uniform(110, 170), max(2, round(rng.uniform(0.5, 1.0) * PX_PER_MM))
    seal = np.full_like(page, 255.0)
    cv2.circle(seal, (int(cx), int(cy)), int(r), grey, pen)
    for _ in range(rng.randint(4, 8)):  # the name's strokes inside the ring
        p0 = (int(cx + rng.uniform(-0.6, 0.6) * r), int(cy + rng.uniform(-0.6, 0.6) * r))
        p1 = (int(p0[0] + rng.uniform(-0.5, 0.5) * r), int(p0[1] + rng.uniform(-0.5, 0.5) * r))
        cv2.line(seal, p0, p1, grey, max(2, pen - 1))
    return np.minimum(page, seal)  # ink over ink: the darker wins, as a red seal over black pen in grey


def _rewritten(a: Page, rng: random.Random, how: Callable[[Page, random.Random], Page]) -> Page:
    """Each written digit box of the digit fields, inside its printed border, redrawn by `how` (the border untouched)."""
    from ocr.register import PX_PER_MM

    got = _registered(a)
    if got is None:
        return a
    page, template = got
    inset = 0.6 * PX_PER_MM  # the whole box inside its border: no piece of a digit left outside what is redrawn
    edge = 5  # px: what the printed border leaves inside the inset, cleared, or it is drawn into the digit
    for name in DIGIT_FIELDS:
        for x, y, w, h in template.field(name).cells:
            x0, y0 = int(x * PX_PER_MM + inset), int(y * PX_PER_MM + inset)
            x1, y1 = int((x + w) * PX_PER_MM - inset), int((y + h) * PX_PER_MM - inset)
            box = page[y0:y1, x0:x1].copy()
            paper = float(np.percentile(box, 90))
            box[:edge], box[-edge:], box[:, :edge], box[:, -edge:] = paper, paper, paper, paper
            page[y0:y1, x0:x1] = how(box, rng)
    return page


def _thick_pen(a: Page, rng: random.Random) -> Page:  # the digits written with a felt-tip: strokes 0.6–1.1 mm wider
    k = rng.choice((5, 7, 9))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    return _rewritten(a, rng, lambda box, r: np.asarray(cv2.erode(box, kernel), dtype=np.float32))


def _small_digits(a: Page, rng: random.Random) -> Page:  # the digits written small, off-centre in their boxes
    f = rng.uniform(0.5, 0.65)

    def shrink(box: Page, r: random.Random) -> Page:
        h, w = box.shape
        small = cv2.resize(box, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
        out = np.full_like(box, float(box.max()))
        y0, x0 = r.randint(0, h - small.shape[0]), r.randint(0, w - small.shape[1])
        out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
        return out

    return _rewritten(a, rng, shrink)


def _pushed(a: Page, rng: random.Random) -> Page:  # each digit pushed against a side of its box, as a hurried hand
    def push(box: Page, r: random.Random) -> Page:
        paper = float(box.max())
        ys, xs = np.nonzero(box < paper - 60)
        if ys.size == 0:
            return box
        ink = box[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        h, w = box.shape
        side = r.choice(("left", "right", "top", "bottom"))
        y0 = {"top": 0, "bottom": h - ink.shape[0]}.get(side, int(ys.min()))
        x0 = {"left": 0, "right": w - ink.shape[1]}.get(side, int(xs.min()))
        out = np.full_like(box, paper)
        out[y0 : y0 + ink.shape[0], x0 : x0 + ink.shape[1]] = ink
        return out

    return _rewritten(a, rng, push)


def _overflow(a: Page, rng: random.Random) -> Page:
    """Digits written larger than their boxes (`tools.synth.corrections.write_past_boxes`) in one digit field. The
    truth is unchanged: a person reads them; the question is whether a digit cut by its box (a 2 without its curl
    and foot) is taken surely for another."""
    from tools.synth.corrections import write_past_boxes

    got = _registered(a)
    if got is None:
        return a
    page, template = got
    write_past_boxes(page, template.field(rng.choice(DIGIT_FIELDS)).cells, rng.uniform(1.25, 1.6), rng)
    return page


DAMAGE: dict[str, Callable[[Page, random.Random], Page]] = {
    "pale": _pale,
    "streak": _streak,
    "strike": _strike,
    "motion": _motion,
    "dpi100": _resample(0.5),
    "dpi600": _resample(3.0),
    "skew10": _skew,
    "grey_paper": _grey_paper,
    "black_border": _black_border,
    "shift": _shift,
    "dither": _dither,
    "salt_pepper": _salt_pepper,
    "jpeg10": _jpeg10,
    "show_through": _show_through,
    "covered": _covered,
    "scribble": _scribble,
    "upside_down": _upside_down,
    "curl": _curl,
    "crumple": _crumple,
    "punched": _punched,
    "corrected": _corrected,
    "seal_over": _seal_over,
    "overflow": _overflow,
    "quarter_turn": _quarter_turn,
    "fax": _fax,
    "shrunk": _shrunk,
    "enlarged": _enlarged,
    "highlighter": _highlighter,
    "phone_photo": _phone_photo,
    "photocopy": _photocopy,
    "halftone": _halftone,
    "dog_ear": _dog_ear,
    "two_up": _two_up,
    "two_in_one": _two_in_one,
    "thick_pen": _thick_pen,
    "small_digits": _small_digits,
    "pushed": _pushed,
}


def _damaged(job: tuple[str, str, int, dict[str, Any], dict[str, str], dict[str, float]]) -> tuple[str, dict[str, Any]]:
    damage, path, seed, truth, lots, doses = job
    a = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
    page = np.clip(DAMAGE[damage](a, random.Random(seed)), 0, 255).astype(np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "page.png"
        Image.fromarray(page).save(out)
        try:
            return damage, _one((str(out), truth, lots, doses, "2026-11-20", True))
        except Exception as exc:  # a crash is a finding, counted and named, not the end of the run
            return damage, {"crash": f"{type(exc).__name__}: {exc}"}


def stress(corpus: Path, damages: list[str], n: int = 40, workers: int = 2) -> dict[str, dict[str, Any]]:
    """Each damage on the first `n` form pages of `corpus`: pages registered and trusted, crashes, fields exact,
    auto-accepted, and auto-accepted but wrong (with what was read)."""
    from tools.synth.scan import page_images

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    forms = []
    for p in page_images(corpus):
        truth = json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))
        if truth["kind"] == "form":
            forms.append((p, truth))
    forms = forms[:n]
    lots, doses = _lots(corpus), _vaccine_doses()
    jobs = [(d, str(p), i, t, lots, doses) for d in damages for i, (p, t) in enumerate(forms)]
    truths = [_struck(t, i) if d == "corrected" else t for d in damages for i, (_, t) in enumerate(forms)]
    out: dict[str, dict[str, Any]] = {d: defaultdict(int) for d in damages}
    wrong: dict[str, list[tuple[str, str, str]]] = {d: [] for d in damages}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for (damage, r), truth in zip(pool.map(_damaged, jobs, chunksize=2), truths, strict=True):
            m = out[damage]
            m["pages"] += 1
            if "crash" in r:
                m["crashed"] += 1
                continue
            m["registered"] += r["registered"]
            m["trusted"] += r["trusted"]
            m["read_as_form"] += r["kind"] == "form"
            m["skipped"] += r["kind"] in ("blank", "separator")  # a form lost: no person sees it
            for name, value in truth["fields"].items():
                got = r["fields"].get(name)
                m["fields"] += 1
                right = got is not None and got["value"] == value
                m["exact"] += right
                if got is not None and got["auto_ok"]:
                    m["auto"] += 1
                    if not right:
                        m["wrong"] += 1
                        wrong[damage].append((name, str(value), str(got["value"])))
    return {d: {**out[d], "wrong_values": wrong[d]} for d in damages}


def _struck(truth: dict[str, Any], seed: int) -> dict[str, Any]:
    name = struck_field(seed)
    return {**truth, "fields": {**truth["fields"], **({name: STRUCK} if name in truth["fields"] else {})}}


def print_stress(m: dict[str, dict[str, Any]]) -> None:
    for damage, s in m.items():
        fields = max(1, s.get("fields", 0))
        print(
            f"{damage:13s} pages {s.get('pages', 0):3d}  read as form {s.get('read_as_form', 0):3d}"
            f"  trusted {s.get('trusted', 0):3d}  skipped {s.get('skipped', 0)}"
            f"  crashed {s.get('crashed', 0)}  exact {100 * s.get('exact', 0) / fields:5.1f}%"
            f"  auto {100 * s.get('auto', 0) / fields:5.1f}%  auto-accepted wrong {s.get('wrong', 0)} of {s.get('auto', 0)}"
        )
        for name, truth, read in s["wrong_values"]:
            print(f"    {name}: {truth!r} read {read!r}")
