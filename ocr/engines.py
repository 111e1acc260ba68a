"""Recognition engines behind one interface: `recognize(image) -> Reading`.

- PP-OCR recognition models shipped inside the rapidocr wheel (kana, kanji, Latin, digits; handwriting
  far better than Tesseract). Recognition only, on a field crop; no detection pass, no download.
- Tesseract (Debian tessdata) through tesserocr's in-process API: `eng` with a character whitelist,
  single-line mode, as the independent second reading for digit fields.

Engines are built lazily once per process: the supervised work process (intake.supervisor) builds them once
and keeps them; with rq's fork per page the worker builds them before forking and each work horse inherits them.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from ocr.types import Gray

if TYPE_CHECKING:
    from ocr.digits import DigitClassifier

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract threads made one page take seconds

# The text recognizer behind every accuracy figure in the README, chosen by name and checked by its SHA-256: a
# rapidocr upgrade that ships another model stops the worker with this message instead of silently changing what
# the figures mean (re-measure with `python -m tools.dev eval`, then update both lines; tests/test_packaging.py checks them).
REC_MODEL = "PP-OCRv6_rec_small.onnx"
REC_MODEL_SHA256 = "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"


class ModelMismatch(RuntimeError):
    pass


def check_model(path: Path, sha256: str) -> None:
    import hashlib

    if not path.is_file():
        raise ModelMismatch(f"recognition model {path.name} not found in {path.parent}: install the locked rapidocr")
    got = hashlib.sha256(path.read_bytes()).hexdigest()
    if got != sha256:
        raise ModelMismatch(
            f"recognition model {path.name} has SHA-256 {got[:12]}…, the measured one {sha256[:12]}…: "
            "install the locked rapidocr, or re-measure and update ocr.engines.REC_MODEL_SHA256"
        )


TESSDATA_DIRS = (Path("/usr/share/tesseract-ocr/5/tessdata"), Path("/usr/share/tesseract-ocr/4.00/tessdata"))


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float
    engine: str
    chars: tuple[tuple[str, float], ...] = ()  # each character read with its probability, where the engine says
    # Where the engine says, for a crop read with a digits-only character set: each output step's centre
    # in the crop's own pixel columns and the probability of each character of that set (in its order). A reader
    # that knows where each character must be (digit boxes) decodes them box by box instead of trusting the
    # greedy decoding's count (which drops a digit now and then: see ocr.fields.second_by_box).
    steps: tuple[tuple[float, tuple[float, ...]], ...] = ()

    def confidence_of(self, wanted: str) -> float:
        """The weakest probability among the characters in `wanted` (e.g. the digits of a strip of digit boxes,
        whose gaps read as spaces of low probability that say nothing about the digits); else `confidence`."""
        scores = [p for ch, p in self.chars if unicodedata.normalize("NFKC", ch) in wanted]
        return min(scores) if scores else self.confidence


class Recognizer(Protocol):
    """A text recognizer: one crop in, a reading out; `charset` limits what it may read (digits, an alphabet)."""

    name: str

    def recognize(self, image: Gray, *, charset: str = "") -> Reading: ...


def ink_frame(
    image: Gray, dark: int = 150, margin: float = 0.3, margin_of_writing: bool = False
) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1): the crop's written part with a margin of `margin` × the crop's height, or × the writing's
    own height (`margin_of_writing`: a doctor's name written small in a tall box stays large once scaled — with the
    box's height, 山田 in a 128 px box kept 38 px of paper on each side, was scaled to 14 px characters and lost its
    first one beside another crop; tuning corpora 521 / 511: text exact 94.96 → 96.58% clean, 91.94 → 93.91% wide).
    The whole crop when nothing is written. A column or row counts as written where it has at least two dark
    pixels, so lone specks of scanner noise do not hold the margins open."""
    mask = image < dark
    cols = np.flatnonzero(mask.sum(axis=0) >= 2)
    rows = np.flatnonzero(mask.sum(axis=1) >= 2)
    if cols.size == 0 or rows.size == 0:
        return 0, image.shape[0], 0, image.shape[1]
    basis = int(rows[-1]) - int(rows[0]) + 1 if margin_of_writing else image.shape[0]
    pad = max(4, int(margin * basis))
    y0, y1 = max(0, int(rows[0]) - pad), min(image.shape[0], int(rows[-1]) + pad + 1)
    x0, x1 = max(0, int(cols[0]) - pad), min(image.shape[1], int(cols[-1]) + pad + 1)
    return y0, y1, x0, x1


def digits_only(charset: str) -> bool:
    """A closed character set of digits alone (a strip of digit boxes, a digit string)."""
    return bool(charset) and all(unicodedata.normalize("NFKC", ch).isdigit() for ch in charset)


class PPOCRRecognizer:
    """PP-OCR text recognition on the ONNX model shipped inside the rapidocr wheel, run directly.

    Why not through rapidocr's own pipeline: it pads every crop to at least 320 px wide (its training width),
    and the network's cost grows with the width it is given (~0.09 ms a pixel column here) — a 3-digit strip
    is ~120 px and paid for 320. Here short crops share a line instead (`read_lines`), so the padding is paid
    once per line, not once per crop. Decoding is rapidocr's: greedy CTC, repeats collapsed, blank dropped,
    confidence the mean probability of the characters kept."""

    name = "ppocr"
    HEIGHT = 48
    GAP = 32  # px of white between two crops on one line: four output steps, so no character straddles two

    def __init__(self, min_width: int = 320) -> None:
        import onnxruntime as ort
        import rapidocr

        path = Path(str(rapidocr.__file__)).parent / "models" / REC_MODEL
        check_model(path, REC_MODEL_SHA256)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallel by process, never by thread (OMP_THREAD_LIMIT=1 likewise)
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        charset = self._session.get_modelmeta().custom_metadata_map.get("character", "")
        if not charset:
            raise RuntimeError(f"{path.name} carries no character list; reinstall rapidocr")
        self._chars = ["", *charset.splitlines(), " "]  # CTC blank first; PaddleOCR appends the space
        self._masks: dict[str, npt.NDArray[np.bool_]] = {}
        self._outputs: dict[str, list[int]] = {}  # a character (NFKC) → every output that reads as it ("1", "１")
        for i, ch in enumerate(self._chars[1:], start=1):
            self._outputs.setdefault(unicodedata.normalize("NFKC", ch), []).append(i)
        self.min_width = min_width

    def _framed(self, image: Gray, charset: str = "") -> tuple[npt.NDArray[np.float32], int, float]:
        """The crop narrowed to its writing (`ink_frame`: the network's cost grows with the width it is given — a
        90 mm box holding 30 mm of writing costs three times what the writing needs), 48 px high, width by aspect
        ratio, values in [-1, 1]; with where it came from: the first column kept and the horizontal scale. Writing
        keeps a margin of 0.3 × its own height; a crop read as digits only (a strip of digit boxes) 0.3 × the crop's
        height, as the digit fields' second reading was measured and tuned (sessions 5–10)."""
        y0, y1, x0, x1 = ink_frame(image, margin_of_writing=not digits_only(charset))
        image = image[y0:y1, x0:x1]
        h, w = image.shape
        width = max(8, int(np.ceil(self.HEIGHT * w / h)))
        scaled = np.asarray(cv2.resize(image, (width, self.HEIGHT)), dtype=np.float32) / 127.5 - 1.0
        return scaled, x0, width / w

    def recognize(self, image: Gray, *, charset: str = "") -> Reading:
        return self.read_lines([{"crop": image}], {"crop": charset} if charset else None)["crop"]

    def read_lines(
        self, lines: Sequence[Mapping[str, Gray]], charsets: Mapping[str, str] | None = None
    ) -> dict[str, Reading]:
        """Crops read a line at a time: the crops of one line side by side, `GAP` px of white paper apart, the
        line padded to at least `min_width` (the network was trained on 320 px lines and reads a shorter one
        worse: measured), one network run per line, each character given back to the crop it was read in.
        Which crops share a line is the caller's choice (ocr.fields.recognition_lines: measured per kind).
        `charsets`: a crop's closed character set (digits, the lot alphabet, kana); its decoding chooses only
        among those characters and the blank, so a digit strip can no longer read as "/", "C" or "の"."""
        out: dict[str, Reading] = {}
        for line in lines:
            pieces = [(key, *self._framed(crop, (charsets or {}).get(key, ""))) for key, crop in line.items() if crop.size]
            out.update({key: Reading("", 0.0, self.name) for key, crop in line.items() if not crop.size})
            if pieces:
                out.update(self._read_line(pieces, charsets or {}))
        return out

    def _allowed(self, charset: str) -> npt.NDArray[np.bool_]:
        if charset not in self._masks:
            wanted = set(unicodedata.normalize("NFKC", charset))
            self._masks[charset] = np.array(
                [i == 0 or unicodedata.normalize("NFKC", ch) in wanted for i, ch in enumerate(self._chars)], dtype=bool
            )
        return self._masks[charset]

    def _read_line(
        self, line: list[tuple[str, npt.NDArray[np.float32], int, float]], charsets: Mapping[str, str]
    ) -> dict[str, Reading]:
        width = sum(p.shape[1] for _, p, _, _ in line) + self.GAP * (len(line) - 1)
        x = np.zeros((1, 3, self.HEIGHT, max(width, self.min_width)), dtype=np.float32)  # 0 = PaddleOCR's grey pad
        spans: list[tuple[str, int, int]] = []
        frames: dict[str, tuple[int, float]] = {}
        left = 0
        for key, piece, x0, scale in line:
            if spans:
                x[0, :, :, left : left + self.GAP] = 1.0  # white paper between two crops
                left += self.GAP
            x[0, :, :, left : left + piece.shape[1]] = piece
            spans.append((key, left, left + piece.shape[1]))
            frames[key] = (x0, scale)
            left += piece.shape[1]
        probs = self._session.run(None, {self._input: x})[0][0]
        centre = (np.arange(probs.shape[0]) + 0.5) * (x.shape[3] / probs.shape[0])  # each step covers a few columns
        out: dict[str, Reading] = {}
        for i, (key, start, end) in enumerate(spans):
            lo = start - self.GAP / 2 if i else -np.inf
            hi = end + self.GAP / 2 if i < len(spans) - 1 else np.inf
            inside = (centre >= lo) & (centre < hi)
            p = probs[inside]
            charset = charsets.get(key, "")
            steps: tuple[tuple[float, tuple[float, ...]], ...] = ()
            if charset:
                p = np.where(self._allowed(charset)[None, :], p, 0.0)
                if digits_only(charset):  # steps in the charset's order: what a digit-box reader needs
                    trimmed, scale = frames[key]
                    at = trimmed + (centre[inside] - start) / scale  # the step's centre in the crop's own columns
                    each = np.stack(
                        [p[:, self._outputs.get(unicodedata.normalize("NFKC", ch), [])].sum(axis=1) for ch in charset], 1
                    )
                    steps = tuple((float(c), tuple(float(v) for v in row)) for c, row in zip(at, each, strict=True))
            best, score = p.argmax(axis=1), p.max(axis=1)
            keep = np.ones(best.size, dtype=bool)
            keep[1:] = best[1:] != best[:-1]
            keep &= best != 0
            chars = tuple((self._chars[c], float(s)) for c, s in zip(best[keep], score[keep], strict=True))
            text = "".join(ch for ch, _ in chars).strip()
            out[key] = Reading(text, float(score[keep].mean()) if text else 0.0, self.name, chars, steps)
        return out


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
def ppocr() -> PPOCRRecognizer:
    return PPOCRRecognizer()


@lru_cache(maxsize=2)
def tesseract(lang: str = "eng") -> TesseractLine:
    return TesseractLine(lang)


@dataclass(frozen=True)
class Engines:
    """The engines a page is read with, handed to the field readers as one bundle: a new reader is a class that
    fits one of these slots and a line in `default_engines`, not an edit at every call site."""

    text: Recognizer  # hand-written and printed text, lots, the digit strips' second reading
    printed_digits: Recognizer  # printed digits with a whitelist (the printed birth date, the id digits)
    digit_boxes: DigitClassifier  # one hand-written digit per box


@lru_cache(maxsize=1)
def default_engines() -> Engines:
    from ocr.digits import classifier

    return Engines(text=ppocr(), printed_digits=tesseract("eng"), digit_boxes=classifier())


def warm_up() -> None:
    """Load the models once, before the first page (and before forking, where a worker forks per page)."""
    blank = np.full((48, 160), 255, dtype=np.uint8)
    e = default_engines()
    e.text.recognize(blank)
    e.printed_digits.recognize(blank, charset="0123456789")
    e.digit_boxes.classify([np.full((69, 53), 255, dtype=np.uint8)])
