"""One field crop read on its own (`intake ocr-field`: what the engines make of a cut-out field, for an operator
checking a doubtful reading; `python -m tools.dev eval-digit-strings` measures the digit-string reader)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ocr.types import Gray


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
