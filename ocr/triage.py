"""Page triage: blank page, separator sheet, or something to register as a form."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.types import Gray

BLANK_INK = 0.004  # share of dark pixels under which a page is blank (punch holes and dust stay below)


def ink_ratio(img: Gray, threshold: int = 128) -> float:
    return float(np.count_nonzero(img < threshold)) / img.size


def is_blank(img: Gray) -> bool:
    small = np.asarray(cv2.resize(img, (img.shape[1] // 4, img.shape[0] // 4), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    # ignore a 4% margin: scanner edges, punch holes and fold shadows live there
    h, w = small.shape
    inner = small[int(h * 0.04) : int(h * 0.96), int(w * 0.06) : int(w * 0.94)]
    return ink_ratio(inner) < BLANK_INK


def is_separator(img: Gray) -> bool:
    """The ward's separator sheet: six heavy vertical bars in the upper part of the page."""
    small = cv2.resize(img, (420, int(420 * img.shape[0] / img.shape[1])), interpolation=cv2.INTER_AREA)
    turns = (cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE)
    for candidate in (small, *(cv2.rotate(small, t) for t in turns)):
        band = candidate[int(candidate.shape[0] * 0.12) : int(candidate.shape[0] * 0.38), :] < 100
        cols = band.mean(axis=0) > 0.8
        runs = np.count_nonzero(np.diff(cols.astype(np.int8)) == 1)
        if runs >= 5:
            return True
    return False
