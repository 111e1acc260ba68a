"""What people do to digit boxes that the corpus never draws. A digit struck out, as a person corrects a form by
hand: a double line (二重線, the usual way in Japan), a single line, a cross, or the box scribbled over. Digits
written larger than their boxes (a hurried or elderly hand). Drawn by `python -m tools.dev stress --damage
corrected` / `overflow` on pages and by the tests."""

from __future__ import annotations

import random

import cv2
import numpy as np
import numpy.typing as npt

STYLES = ("double", "single", "cross", "scribble")


def strike(
    a: npt.NDArray[np.float32], box: tuple[float, float, float, float], rng: random.Random, px_per_mm: float, style: str = ""
) -> str:
    """Strike out what is written in `box` (x, y, w, h in px) of `a`, in place; returns the style drawn. Lines run
    from a little before the box to a little past it, tilted up to ±8% of its width; a 0.35–0.7 mm pen."""
    x, y, w, h = box
    style = style or rng.choice(STYLES)
    pen, grey = max(2, round(rng.uniform(0.35, 0.7) * px_per_mm)), rng.uniform(10, 90)
    tilt = rng.uniform(-0.08, 0.08) * w
    if style in ("double", "single"):
        for dy in (-0.07, 0.07) if style == "double" else (rng.uniform(-0.1, 0.1),):
            yy = y + h * (0.5 + dy)
            cv2.line(a, (int(x - 0.1 * w), int(yy - tilt)), (int(x + 1.1 * w), int(yy + tilt)), grey, pen)
    elif style == "cross":
        cv2.line(a, (int(x + 0.1 * w), int(y + 0.85 * h)), (int(x + 0.9 * w), int(y + 0.15 * h)), grey, pen)
        cv2.line(a, (int(x + 0.1 * w), int(y + 0.15 * h)), (int(x + 0.9 * w), int(y + 0.85 * h)), grey, pen)
    else:
        for i in range(7):
            yy = y + h * (0.25 + 0.5 * i / 6)
            cv2.line(a, (int(x + 0.15 * w), int(yy)), (int(x + 0.85 * w), int(yy + rng.uniform(-0.1, 0.1) * h)), grey, pen)
    return style


def write_past_boxes(
    page: npt.NDArray[np.float32], cells: list[tuple[float, float, float, float]], scale: float, rng: random.Random
) -> None:
    """In place, on a registered page (ocr.register.PX_PER_MM): the writing in each of `cells` (mm) lifted off and
    written `scale` times as large, a little off centre, over the printed border and past it."""
    from ocr.register import PX_PER_MM

    for x, y, w, h in cells:
        x0, y0, x1, y1 = (int(v * PX_PER_MM) for v in (x + 0.6, y + 0.6, x + w - 0.6, y + h - 0.6))
        inner = page[y0:y1, x0:x1].copy()
        page[y0:y1, x0:x1] = np.maximum(inner, 235.0)
        big = cv2.resize(inner, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        cx = (x0 + x1) / 2 + rng.uniform(-0.12, 0.12) * w * PX_PER_MM
        cy = (y0 + y1) / 2 + rng.uniform(-0.15, 0.1) * h * PX_PER_MM
        top, left = int(cy - big.shape[0] / 2), int(cx - big.shape[1] / 2)
        t0, l0 = max(top, 0), max(left, 0)
        t1, l1 = min(top + big.shape[0], page.shape[0]), min(left + big.shape[1], page.shape[1])
        page[t0:t1, l0:l1] = np.minimum(page[t0:t1, l0:l1], big[t0 - top : t1 - top, l0 - left : l1 - left])
