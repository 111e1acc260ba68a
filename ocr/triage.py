"""Page triage: blank page, separator sheet, or something to register as a form."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from ocr.template import load_separator
from ocr.types import Gray

BLANK_INK = 0.004  # share of dark pixels under which a page is blank (punch holes and dust stay below)


def ink_ratio(img: Gray, threshold: int = 128) -> float:
    return float(np.count_nonzero(img < threshold)) / img.size


def _inner(img: Gray) -> Gray:
    small = np.asarray(cv2.resize(img, (img.shape[1] // 4, img.shape[0] // 4), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    # ignore a 4% margin: scanner edges, punch holes and fold shadows live there
    h, w = small.shape
    return small[int(h * 0.04) : int(h * 0.96), int(w * 0.06) : int(w * 0.94)]


def is_blank(img: Gray) -> bool:
    """No ink darker than a fixed grey level (a page with faint ink only may still be a form: `faint_ink`)."""
    return ink_ratio(_inner(img)) < BLANK_INK


FAINT_DARKNESS = 30  # grey levels below the paper around it: pale ink (a scanner set too light, pencil) still is ink


def faint_ink(img: Gray) -> bool:
    """Ink against the page's own paper rather than a fixed grey level: a form scanned far too light (its black at
    grey 170–200) has none darker than 128 and read as blank — skipped, the form lost. Straight lines across most of
    the page (a fold's crease, a scanner's streak) are not counted. Blank pages with stains or a dark bitonal
    threshold have faint ink too (9 of 47 blank pages of the wide tuning corpora, up to 39%), so faint ink alone
    does not make a page a form: the caller registers it first (ocr.pipeline)."""
    inner = _inner(img).astype(np.float32)
    paper = cv2.GaussianBlur(cv2.dilate(inner, np.ones((9, 9), np.uint8)), (0, 0), 2)  # ~4.5 mm: wider than a stroke
    ink = ((paper - inner) > FAINT_DARKNESS).astype(np.uint8)
    h, w = ink.shape
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, int(w * 0.4)), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((int(h * 0.4), 1), np.uint8))
    ink[cv2.dilate(np.maximum(across, down), np.ones((3, 3), np.uint8)) > 0] = 0
    return float(ink.mean()) >= BLANK_INK


def is_separator(img: Gray) -> bool:
    """The ward's separator sheet (ocr/templates/separator-v1.yaml): its heavy vertical bars across the band the
    template names, in any of the four orientations. How dark a bar's column must be, how wide a bar may be and how
    many must be seen are the template's `recognition` (measured there)."""
    sheet = load_separator()
    seen = sheet.recognition
    small = cv2.resize(img, (420, int(420 * img.shape[0] / img.shape[1])), interpolation=cv2.INTER_AREA)
    turns = (cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE)
    for candidate in (small, *(cv2.rotate(small, t) for t in turns)):
        h, w = candidate.shape
        top, bottom = (int(h * mm / sheet.height_mm) for mm in seen.band_mm)
        band = candidate[top:bottom, :] < 100
        if _bars(band.mean(axis=0) > seen.dark_share, w / sheet.width_mm, seen.bar_width_mm) >= seen.min_bars:
            return True
    return False


def _bars(cols: npt.NDArray[np.bool_], px_per_mm: float, width_mm: tuple[float, float]) -> int:
    """Runs of dark columns as wide as a separator's bar."""
    edges = np.diff(np.concatenate(([0], cols.astype(np.int8), [0])))
    widths = (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)) / px_per_mm
    lo, hi = width_mm
    return int(np.count_nonzero((widths >= lo) & (widths <= hi)))
