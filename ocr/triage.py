"""Page triage: blank page, separator sheet, or something to register as a form."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

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


# The separator sheet's bars are printed 10 mm wide (26 mm apart); a bar counts from 2.5 mm (a bitonal threshold
# eats its edges: 5.5–10 mm seen on the wide tuning corpora, one bar cut by the sheet's edge 1.5 mm) to 20 mm. Runs
# of any width counted before: a form copied three times over, its lower half crushed to black speckle, showed
# five or more 1–4 px runs of dark columns and was skipped as a separator (`stress --damage photocopy`, 2 of 40).
SEPARATOR_BAR_MM = (2.5, 20.0)
# A column is a bar's when 60% of the band is dark there: the bars reach down past the band by only 2 mm, and a sheet
# turned 2–3° leaves no column of the band 80% dark (a separator of sealed 10202 went to review as unknown; 0.6 and 0.5
# find all 57 separators of six corpora and take none of their 1,743 other pages, nor the copied forms above).
BAR_DARK = 0.6
SHEET_WIDTH_MM = 210.0


def is_separator(img: Gray) -> bool:
    """The ward's separator sheet: six heavy vertical bars in the upper part of the page."""
    small = cv2.resize(img, (420, int(420 * img.shape[0] / img.shape[1])), interpolation=cv2.INTER_AREA)
    turns = (cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE)
    for candidate in (small, *(cv2.rotate(small, t) for t in turns)):
        band = candidate[int(candidate.shape[0] * 0.12) : int(candidate.shape[0] * 0.38), :] < 100
        if _bars(band.mean(axis=0) > BAR_DARK, candidate.shape[1] / SHEET_WIDTH_MM) >= 5:
            return True
    return False


def _bars(cols: npt.NDArray[np.bool_], px_per_mm: float) -> int:
    """Runs of dark columns as wide as a separator's bar."""
    edges = np.diff(np.concatenate(([0], cols.astype(np.int8), [0])))
    widths = (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)) / px_per_mm
    lo, hi = SEPARATOR_BAR_MM
    return int(np.count_nonzero((widths >= lo) & (widths <= hi)))
