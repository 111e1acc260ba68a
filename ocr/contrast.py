"""A page scanned with far too little contrast (a scanner set too light, a faded copy) brought back before anything
else reads it: every later stage judges ink against grey levels measured on ordinary scans."""

from __future__ import annotations

import cv2
import numpy as np

from ocr import levels
from ocr.types import Gray

# The printed black of a form (corner markers, rules, type: several percent of the sheet) is its darkest 0.5%. On
# ordinary scans, wide damage included, that level stays under ~60 (bitonal: 0); a page whose darkest 0.5% is
# lighter than PALE_BLACK, yet at least INK_CONTRAST under its paper, is a low-contrast scan of something printed.
# A blank sheet's darkest 0.5% is its noise, within ~30 levels of its paper: never stretched.
PALE_BLACK = 80.0
INK_CONTRAST = 40.0
TARGET_BLACK = 20.0


def restore_contrast(img: Gray) -> Gray:
    """Stretch a low-contrast page so its printed black is black again, its paper where it was."""
    sample = img[::4, ::4]  # a sixteenth of the pixels: the same levels, ~1 ms
    black = levels.percentile(sample, 0.5)
    paper = levels.percentile(sample, 90)
    if black <= PALE_BLACK or paper - black < INK_CONTRAST:
        return img
    scale = (paper - TARGET_BLACK) / (paper - black)
    out = paper - (paper - img.astype(np.float32)) * scale
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


# Isolated dark pixels (no dark neighbour among the eight) per pixel of the page above which it carries impulse
# noise (a dirty sensor, a bad transmission) and is median filtered. Ordinary scans, wide damage included: at most
# 0.0044 (p99 0.00045) on the tuning corpora; 1% salt and pepper: 0.0085–0.0090.
SPECKLE = 0.003


def remove_specks(img: Gray) -> Gray:
    """A page peppered with isolated dark pixels, median filtered (3 × 3): each speck read as a mark or as noise
    that stops the field."""
    h, w = img.shape
    middle = img[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]  # a quarter of the page tells: ~1 ms, not ~5
    dark = (middle < 128).astype(np.uint8)
    neighbours = cv2.filter2D(dark, -1, np.ones((3, 3), np.float32), borderType=cv2.BORDER_CONSTANT) - dark
    isolated = float(np.count_nonzero((dark == 1) & (neighbours == 0))) / max(1, middle.size)
    if isolated < SPECKLE:
        return img
    return np.asarray(cv2.medianBlur(img, 3), dtype=np.uint8)
