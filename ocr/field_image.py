"""One field crop read on its own (`intake ocr-field`: what the engines make of a cut-out field, for an operator
checking a doubtful reading; `python -m tools.dev eval-digit-strings` measures the digit-string reader)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


def read_field_image(path: Path, kind: str) -> dict[str, Any]:
    """One field crop through the engine chosen for its kind (for `intake ocr-field`)."""
    from ocr import engines
    from ocr.normalize import DateProblem, clean_lot, parse_date

    img = np.asarray(Image.open(path).convert("L"), dtype=np.uint8)
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


def read_digit_string(img: np.ndarray) -> dict[str, Any]:
    """A string of hand-written digits: each digit cut out (box borders removed) and read by the box classifier
    (trained on real handwriting), PP-OCR limited to digits as the second reading. Where both find the same number
    of digits, each position is fused as on the form (ocr.fields); otherwise the reader that is surer of its
    count wins, and the reading is marked doubtful."""
    from ocr import engines
    from ocr.digits import classifier, split_string_at
    from ocr.fields import box_scores, fuse

    e = engines.default_engines()
    cut = split_string_at(img)
    boxes = classifier().classify([piece for piece, _ in cut]) if cut else []
    second = e.text.recognize(img, charset="0123456789")
    chars = [(ch, p) for ch, p in second.chars if ch.isdigit()]
    theirs = "".join(ch for ch, _ in chars)
    if boxes and len(boxes) == len(chars):
        probs = fuse(boxes, chars, box_scores(second, [span for _, span in cut]))
        text = "".join(str(int(i)) for i in probs.argmax(axis=1))
        return {"text": text, "confidence": round(float(np.prod(probs.max(axis=1))), 4), "engine": "digit-cnn+ppocr"}
    mine = "".join(b.digit for b in boxes)
    sure = float(np.prod([b.probability for b in boxes])) if boxes and all(b.digit for b in boxes) else 0.0
    if (sure >= 0.9 and len(mine) > len(theirs)) or not theirs:  # PP-OCR dropped a digit the cut found
        return {"text": mine, "confidence": round(min(sure, 0.5), 4), "engine": "digit-cnn", "second": theirs}
    return {"text": theirs, "confidence": round(min(second.confidence, 0.5), 4), "engine": "ppocr", "second": mine}
