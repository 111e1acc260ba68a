"""Grey-level statistics of scan crops, fast and exactly numpy's.

The page's readers ask ~90 percentiles a page of small uint8 crops (the paper around a box, the band around a
field); `np.percentile` sorts each one and cost ~37 ms a page of ~365 (cProfile, 30 wide pages, session 13). A
uint8 crop has 256 levels: its order statistics come from a histogram instead, with numpy's own linear
interpolation, so every threshold built on them is unchanged to the last bit (tests/test_ocr_stages.py)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


def percentile(values: npt.NDArray[np.generic], q: float) -> float:
    """`np.percentile(values, q)` (method "linear"); a histogram for uint8, numpy itself for anything else."""
    a = np.asarray(values)
    if a.dtype != np.uint8 or a.size == 0:
        return float(np.percentile(a, q))
    cumulative = np.cumsum(np.bincount(a.ravel(), minlength=256))
    index = (a.size - 1) * (q / 100)  # numpy's virtual index for "linear"
    below = math.floor(index)
    t = index - below

    def order(k: int) -> float:  # the k-th smallest value (from 0)
        return float(np.searchsorted(cumulative, k, side="right"))

    lo, hi = order(below), order(min(below + 1, a.size - 1))
    diff = hi - lo
    return hi - diff * (1 - t) if t >= 0.5 else lo + diff * t  # numpy's _lerp, both branches
