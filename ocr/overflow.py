"""Writing that runs past its printed box: a digit written larger than its box (a hurried or elderly hand) is cut
by the box's crop, and what is left inside can be another digit, surely — a "2" without its curl and foot reads 1
(`python -m tools.dev stress --damage overflow`: one such date auto-accepted wrong in 100 tuning pages). The
box's reading cannot be trusted when handwriting lies just outside it: ink in a ring round the box that the blank
form does not print there (its reference image, `ocr.register.reference_image`) and that is not in another box.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from ocr.digits import STRIKE_TILT, ink_map, tilt
from ocr.register import PX_PER_MM, crop_mm
from ocr.types import Gray

Box = tuple[float, float, float, float]
RING_MM = (0.45, 1.6)  # from just outside the printed border's line to where another field's writing could begin
PRINTED_PAD_MM = 0.35  # round what the blank form prints there: a border a registration residual off
# Solid handwriting (px at 8 px/mm) in the ring from which a box's writing runs past it: a 0.4 mm pen crossing the
# ring leaves ~0.5 mm² (~30 px). Tuning pages (300 each; digit fields' largest box): clean 521 none above 0; wide
# 511 / 513 3 / 2 of ~820 fields at ≥ 30 px (a crease, stains; each field already sent to a person for its own
# reasons); fields written 1.25–1.6× too large (`stress --damage overflow`, 521): 60 of 100 (the rest still fit).
PAST_PX = 30
LINE_SHARE = 0.6  # a column (row) inked along more of the crop than this is a line across it (`_lines_across`)
MIN_STROKE_PX = 20  # a piece of ink smaller than this (~0.3 mm²) is a speck: bitonal noise, dust


def past_box(img: Gray, reference: Gray, box: Box, others: list[Box]) -> int:
    """Solid handwriting, px, in the ring round `box` (RING_MM outside its border): ink in `img` (the registered
    page) where `reference` prints nothing, outside every box in `others`."""
    x, y, w, h = box
    m = RING_MM[1]
    outer = (x - m, y - m, w + 2 * m, h + 2 * m)
    page, blank = crop_mm(img, outer), crop_mm(reference, outer)
    if page.shape != blank.shape or page.size == 0:
        return 0
    ink = (ink_map(page) > 0.4).astype(np.uint8)
    pad = max(1, round(PRINTED_PAD_MM * PX_PER_MM))
    printed = cv2.dilate((blank < 170).astype(np.uint8), np.ones((2 * pad + 1, 2 * pad + 1), np.uint8)) > 0
    ring = _ring(page.shape, m, box, others)
    found = (ink > 0) & ~printed & ring & ~_lines_across(ink)
    _, _, stats, _ = cv2.connectedComponentsWithStats(found.astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return int(areas[areas >= MIN_STROKE_PX].sum())


def _lines_across(ink: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Lines across most of the crop — a fold's crease, a feeder's streak, a pen line across the sheet — which no
    digit written past its box makes: columns (rows) inked along more than LINE_SHARE of the crop's height (width),
    with a pixel either side for their blurred or ragged edges (a bitonal crease is broken, so not a solid run)."""
    out = np.zeros(ink.shape, dtype=bool)
    cols = np.flatnonzero(ink.mean(axis=0) > LINE_SHARE)
    rows = np.flatnonzero(ink.mean(axis=1) > LINE_SHARE)
    for c in cols:
        out[:, max(0, c - 2) : c + 3] = True
    for r in rows:
        out[max(0, r - 2) : r + 3, :] = True
    return out


def _ring(shape: tuple[int, ...], margin: float, box: Box, others: list[Box]) -> npt.NDArray[np.bool_]:
    """Pixels of the crop (box + `margin` mm each side) more than RING_MM[0] outside `box` and outside `others`
    (each grown by RING_MM[0])."""
    k, near = PX_PER_MM, RING_MM[0]
    out = np.ones(shape[:2], dtype=bool)
    x0, y0 = box[0] - margin, box[1] - margin
    for bx, by, bw, bh in [box, *others]:
        c0, r0 = int((bx - near - x0) * k), int((by - near - y0) * k)
        c1, r1 = int((bx + bw + near - x0) * k) + 1, int((by + bh + near - y0) * k) + 1
        out[max(0, r0) : max(0, r1), max(0, c0) : max(0, c1)] = False
    return out


# A box struck through (a person's correction, 二重線 or one line): a level line that runs from outside the box's
# left side to outside its right side, through the box. The box's own crop cannot tell a line across it from a 5's or
# a 7's bar when the digit fills the box (`ocr.digits.struck_out` looks inside the box only); the page can: no digit
# reaches past both sides of its box at one height. Looked for between STRIKE_ROWS_MM inside the box's top and bottom
# (its printed top and bottom are level lines across it too), reaching STRIKE_PAST_MM past each printed side.
# `stress --damage corrected --n 100`: tuning 511 2 struck fields auto-accepted → 0, sealed wide 10002 4 → 0; on
# undamaged tuning pages (521, 511) no field found struck.
STRIKE_ROWS_MM = 0.8
STRIKE_PAST_MM = 0.35
STRIKE_STRIP_MM = 0.6  # the strip looked at reaches this much further out, where the line must be seen to begin


def struck_through(img: Gray, box: Box) -> bool:
    """Whether a level line crosses `box` from outside its left side to outside its right side (see above)."""
    x, y, w, h = box
    reach = STRIKE_PAST_MM + STRIKE_STRIP_MM
    strip = crop_mm(img, (x - reach, y + STRIKE_ROWS_MM, w + 2 * reach, h - 2 * STRIKE_ROWS_MM))
    if strip.size == 0:
        return False
    ink = (ink_map(strip) > 0.4).astype(np.uint8) * 255
    sw = strip.shape[1]
    segments = cv2.HoughLinesP(ink, 1, np.pi / 180, threshold=int(0.5 * sw), minLineLength=int(0.8 * sw), maxLineGap=4)
    if segments is None:
        return False
    left, right = STRIKE_STRIP_MM * PX_PER_MM, sw - STRIKE_STRIP_MM * PX_PER_MM  # STRIKE_PAST_MM outside each side
    for sx0, sy0, sx1, sy1 in segments.reshape(-1, 4).astype(float):
        if abs(tilt(sx0, sy0, sx1, sy1)) <= STRIKE_TILT and min(sx0, sx1) <= left and max(sx0, sx1) >= right:
            return True
    return False
