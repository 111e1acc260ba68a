"""One field crop read on its own (`intake ocr-field`: what the engines make of a cut-out field, for an operator
checking a doubtful reading; `python -m tools.dev eval-digit-strings` measures the digit-string reader)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ocr.register import PX_PER_MM
from ocr.types import Gray

# The frame the digit-string reader was built and tuned in (`eval-digit-strings`: a field cut from a page at
# ocr.register.PX_PER_MM, 8 px a mm): 14 mm high, printed boxes 10 mm high, free writing 5–8 mm. A field image
# from elsewhere (another scanner's resolution, a phone, a crop with wide margins) is brought to it first: read as
# given, the same strings read 56% exact at 2.5× the scale, 37% at 4×, 41% with wide margins (tuning seed 905).
FRAME_PX = int(14 * PX_PER_MM)
# a box's height (with its rules) the reader reads as it is, 9–11 mm; outside, scaled to the nearer end
BOX_PX = (int(9 * PX_PER_MM), int(11 * PX_PER_MM))
WRITING_PX = (int(5 * PX_PER_MM), int(8 * PX_PER_MM))  # likewise free writing's height, 5–8 mm
SIDE_PX = int(3 * PX_PER_MM)  # paper left and right


def _in_frame(left: int, right: int, top: int, bottom: int) -> bool:
    """Paper around the ink as a field cut from a page has it: some, not a page's worth."""
    return SIDE_PX // 2 <= min(left, right) and max(left, right) <= 3 * SIDE_PX and min(top, bottom) >= 4


def to_reading_frame(img: Gray) -> Gray:
    """The field image cropped to its ink (specks left out) and scaled so that its printed boxes, or its writing
    where there are no boxes, have the height the reader expects, centred in a frame of FRAME_PX with paper around."""
    if img.size == 0 or min(img.shape) < 4 or float(img.max()) - float(img.min()) < 40:
        return img  # no ink at all: nothing to frame
    _, dark = cv2.threshold(img, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, _, stats, _ = cv2.connectedComponentsWithStats(dark.astype(np.uint8), connectivity=8)
    comps = stats[1:n]
    if len(comps) == 0:
        return img
    tallest = int(comps[:, cv2.CC_STAT_HEIGHT].max())
    keep = comps[(comps[:, cv2.CC_STAT_HEIGHT] >= 0.25 * tallest) | (comps[:, cv2.CC_STAT_AREA] >= 0.15 * tallest**2)]
    x0, y0 = int(keep[:, 0].min()), int(keep[:, 1].min())
    x1 = int((keep[:, 0] + keep[:, 2]).max())
    y1 = int((keep[:, 1] + keep[:, 3]).max())
    height = max(1, y1 - y0)
    band = dark[y0:y1, x0:x1]
    rows = band.mean(axis=1) >= 0.6  # a box's top and bottom rule cross the whole string; writing never does
    edge = max(1, height // 4)
    boxed = bool(rows[:edge].any() and rows[-edge:].any())
    lo, hi = BOX_PX if boxed else WRITING_PX
    scale = min(max(height, lo), hi) / height
    margins = (x0, img.shape[1] - x1, y0, img.shape[0] - y1)
    if scale == 1 and abs(img.shape[0] - FRAME_PX) <= FRAME_PX // 4 and _in_frame(*margins):
        return img  # already as the reader expects: read as it is
    paper = float(np.percentile(img, 90))
    tall = int(round(FRAME_PX / scale))  # the frame's height in the image's own pixels
    top = y0 - (tall - height) // 2
    bottom = top + tall
    left, right = int(round(x0 - SIDE_PX / scale)), int(round(x1 + SIDE_PX / scale))
    padded = cv2.copyMakeBorder(
        img,
        max(0, -top),
        max(0, bottom - img.shape[0]),
        max(0, -left),
        max(0, right - img.shape[1]),
        cv2.BORDER_CONSTANT,
        value=paper,
    )
    oy, ox = max(0, -top), max(0, -left)
    crop = padded[top + oy : bottom + oy, left + ox : right + ox]
    if scale == 1:
        return np.ascontiguousarray(crop)
    size = (max(8, int(round(crop.shape[1] * scale))), FRAME_PX)
    how = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(crop, size, interpolation=how), dtype=np.uint8)


def read_field_image(img: Gray, kind: str) -> dict[str, Any]:
    """One field crop (8-bit grey) through the engine chosen for its kind (for `intake ocr-field`)."""
    from ocr import engines
    from ocr.normalize import DateProblem, clean_lot, parse_date

    if kind in ("digits", "dose"):
        return read_digit_string(img)
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


# How much worse (log probability) than the best grouping of the ink a grouping into PP-OCR's count of digits may
# read and still be fused with it; and how sure the classifier's own best grouping must be to stand against
# PP-OCR's count where digits touch. Tuning seeds 901 / 903 (300 strings each): 0.2–1.0 within ±1 string; a
# margin of 3 let PP-OCR's miscounts through (84.0% on 901). Merging atoms up to 0.15–0.3 of the line's height
# apart (ocr.digits.MERGE_GAP) within ±1%; 0.35 → 84.0%, 0.5 → 81.3%.
SEGMENT_MARGIN = 0.5
SURE_CUT = 0.5


def read_digit_string(img: np.ndarray) -> dict[str, Any]:
    """A string of hand-written digits: box borders removed, the ink grouped into digits (`ocr.digits.segmentations`)
    and each read by the box classifier (trained on real handwriting), PP-OCR limited to digits as the second
    reading. Where a grouping into as many digits as PP-OCR read is nearly as good as the best, each position is
    fused as on the form (ocr.fields); otherwise the better-read of the two wins, and the reading is doubtful."""
    from ocr import engines
    from ocr.digits import BoxReading, classifier, segmentations, spans_of, string_ink
    from ocr.fields import box_scores, fuse

    e = engines.default_engines()
    img = to_reading_frame(img)
    ink = string_ink(img)
    segs = segmentations(ink, classifier())
    second = e.text.recognize(img, charset="0123456789")
    chars = [(ch, p) for ch, p in second.chars if ch.isdigit()]
    theirs = "".join(ch for ch, _ in chars)
    best = max(segs.values(), key=lambda s: s.score) if segs else None
    same = segs.get(len(chars))
    # PP-OCR read more digits than there are separate pieces of ink: digits that touch, where the classifier's
    # reading of a piece left whole (two digits as one "8") is no evidence against the count. `eval-digit-strings
    # --touching --n 200`: tuning 77 126 → 133, sealed 78 123 → 125; ordinary strings (901 / 903 / 904) identical.
    touching = len(chars) > ink.pieces
    if best and same and (same.score >= best.score - SEGMENT_MARGIN or touching):
        # a group the classifier calls no digit (a faint thin 1) is PP-OCR's to read, never sure
        boxes = [b if b.digit else BoxReading("", 0.0, "no digit", (0.1,) * 10) for b in same.boxes]
        probs = fuse(boxes, chars, box_scores(second, spans_of(ink, same.groups)))
        text = "".join(str(int(i)) for i in probs.argmax(axis=1))
        return {"text": text, "confidence": round(float(np.prod(probs.max(axis=1))), 4), "engine": "digit-cnn+ppocr"}
    mine = "".join(b.digit for b in best.boxes) if best else ""
    sure = float(np.exp(best.score)) if best and all(b.digit for b in best.boxes) else 0.0
    # PP-OCR read more digits than there are pieces of ink, and no grouping of the cut pieces reads as many
    if best and (len(chars) <= ink.pieces or sure >= SURE_CUT):
        return {"text": mine, "confidence": round(min(sure, 0.5), 4), "engine": "digit-cnn", "second": theirs}
    return {"text": theirs, "confidence": round(min(second.confidence, 0.5), 4), "engine": "ppocr", "second": mine}
