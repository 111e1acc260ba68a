"""A digit struck out, as a person corrects a form by hand: a double line (二重線, the usual way in Japan), a single
line, a cross, or the box scribbled over. Drawn by `python -m tools.dev stress --damage corrected` on pages and by
the tests on single boxes."""

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
