"""Recognition engines behind one interface: `recognize(image) -> Reading`.

- PP-OCR recognition models shipped inside the rapidocr wheel (kana, kanji, Latin, digits; handwriting
  far better than Tesseract). Recognition only, on a field crop; no detection pass, no download.
- Tesseract (Debian tessdata) through tesserocr's in-process API: `eng` with a character whitelist,
  single-line mode, as the independent second reading for digit fields.

Engines are built lazily once per process (rq forks a work horse per job; the parent warms them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from ocr.types import Gray

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract threads made one page take seconds

TESSDATA_DIRS = (Path("/usr/share/tesseract-ocr/5/tessdata"), Path("/usr/share/tesseract-ocr/4.00/tessdata"))


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float
    engine: str


class Engine(Protocol):
    name: str

    def recognize(self, image: Gray, *, charset: str = "") -> Reading: ...


def trim_to_ink(image: Gray, dark: int = 150, margin: float = 0.3) -> Gray:
    """The crop narrowed to its written part, with a margin of `margin` × its height. The recognizer scales a
    crop to 48 px high and its cost grows with the width that results: a 90 mm box holding 30 mm of writing
    costs three times what the writing needs. A column or row counts as written where it has at least two
    dark pixels, so lone specks of scanner noise do not hold the margins open."""
    mask = image < dark
    cols = np.flatnonzero(mask.sum(axis=0) >= 2)
    rows = np.flatnonzero(mask.sum(axis=1) >= 2)
    if cols.size == 0 or rows.size == 0:
        return image
    pad = max(4, int(margin * image.shape[0]))
    y0, y1 = max(0, rows[0] - pad), min(image.shape[0], rows[-1] + pad + 1)
    x0, x1 = max(0, cols[0] - pad), min(image.shape[1], cols[-1] + pad + 1)
    return image[y0:y1, x0:x1]


class RapidRec:
    name = "ppocr"

    def __init__(self) -> None:
        import rapidocr
        from rapidocr import RapidOCR

        models = Path(str(rapidocr.__file__)).parent / "models"
        if not any(models.glob("*rec*.onnx")):
            raise RuntimeError(f"the rapidocr wheel has no recognition model in {models}; reinstall rapidocr")
        self._ocr = RapidOCR(
            params={
                "Global.log_level": "error",
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def recognize(self, image: Gray, *, charset: str = "") -> Reading:
        if image.size == 0:
            return Reading("", 0.0, self.name)
        bgr = cv2.cvtColor(trim_to_ink(image), cv2.COLOR_GRAY2BGR)
        out: Any = self._ocr(bgr, use_det=False, use_cls=False, use_rec=True)
        txts, scores = getattr(out, "txts", None), getattr(out, "scores", None)
        if not txts or scores is None:
            return Reading("", 0.0, self.name)
        return Reading(str(txts[0]).strip(), float(scores[0]), self.name)


class TesseractLine:
    """Single text line, optional whitelist. Confidence is Tesseract's mean word confidence / 100."""

    def __init__(self, lang: str = "eng") -> None:
        import tesserocr

        path = next((p for p in TESSDATA_DIRS if (p / f"{lang}.traineddata").exists()), None)
        if path is None:
            raise RuntimeError(f"Tesseract language data '{lang}' missing: apt-get install tesseract-ocr-{lang}")
        self.name = f"tesseract-{lang}"
        self._api = tesserocr.PyTessBaseAPI(path=str(path), lang=lang, psm=tesserocr.PSM.SINGLE_LINE)
        self._charset = ""

    def recognize(self, image: Gray, *, charset: str = "") -> Reading:
        from PIL import Image

        if image.size == 0:
            return Reading("", 0.0, self.name)
        if charset != self._charset:
            self._api.SetVariable("tessedit_char_whitelist", charset)
            self._charset = charset
        self._api.SetImage(Image.fromarray(image))
        text = self._api.GetUTF8Text().strip().replace(" ", "")
        conf = float(np.mean(self._api.AllWordConfidences() or [0])) / 100.0
        return Reading(text, conf, self.name)

    def full_page(self, image: Gray) -> str:
        """Generic full-page OCR, used only as the benchmark baseline."""
        import tesserocr
        from PIL import Image

        self._api.SetPageSegMode(tesserocr.PSM.AUTO)
        self._api.SetImage(Image.fromarray(image))
        text: str = self._api.GetUTF8Text()
        self._api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE)
        return text


@lru_cache(maxsize=1)
def ppocr() -> RapidRec:
    return RapidRec()


@lru_cache(maxsize=2)
def tesseract(lang: str = "eng") -> TesseractLine:
    return TesseractLine(lang)


def warm_up() -> None:
    """Load models before forking work horses so each job does not pay the load."""
    blank = np.full((48, 160), 255, dtype=np.uint8)
    ppocr().recognize(blank)
    tesseract("eng").recognize(blank, charset="0123456789")
