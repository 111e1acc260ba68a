"""Registration that proves itself: find the form's own printed structure where the template says it is.

The blank form rendered at the registered resolution (the template's reference image) is the evidence. Anchors
are patches of it with structure in both directions and no look-alike nearby (a row of identical checkboxes is
no anchor: a page a row off would match it), chosen once per layout from the reference itself — no coordinates
in code. Each anchor is found in the warped page by normalised cross-correlation; the offsets are

1. used to correct the fit: a homography from the anchors (RANSAC), composed with the markers' fit, so a page
   whose markers could not model it (two markers left, keystone, a feeder's scale change) is placed by the
   printed lines and boxes themselves;
2. measured again after the correction: the page's alignment residual, in millimetres, at every anchor;
3. when the homography leaves more than `LOCAL_FROM_MM` (a sheet bent or crumpled: no single homography fits
   it), a denser set of anchors measures the remaining offsets, a smooth displacement field through them moves
   each part of the page onto its place, and the residual is what that field fails to predict at each anchor
   *left out of it* (leave-one-out) — measured at places the correction was not fitted to.

A page whose residual is above `TOLERANCE_MM`, or with too few anchors found to prove anything, is not trusted:
its fields are still read (a proposal for the reviewer) but none is auto-accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

from ocr.types import Gray

TOLERANCE_MM = 1.0  # a digit box's inset is 0.7 mm and a checkbox's 0.9 mm: past ~1 mm a crop takes the border
MIN_ANCHORS = 8  # fewer found anchors prove nothing about a whole page
COARSE_PX_PER_MM, FINE_PX_PER_MM = 2.0, 4.0
COARSE_PATCH_MM, COARSE_SEARCH_MM = 20.0, 10.0
FINE_PATCH_MM, FINE_SEARCH_MM = 12.0, 3.0
MIN_SCORE = 0.45  # correlation below this: the anchor is covered (handwriting, a stamp, a stain) or cut off
STRONG = 0.7  # a landmark matched this clearly is the printed structure, not handwriting over it
UNIQUE = 0.85  # an anchor whose reference matches itself elsewhere within the search at ≥ this is ambiguous
# Local correction (3.): only for pages the homography leaves this far off (flat pages pay nothing); anchors in a
# 10 × 14 grid (one a ~21 mm cell); the field is a Gaussian-weighted mean of their offsets, sampled every
# LOCAL_STEP_MM. An anchor its neighbours contradict by more than LOCAL_OUTLIER_MM matched handwriting or a stamp.
LOCAL_FROM_MM = 0.5
LOCAL_GRID = (10, 14)
LOCAL_SIGMA_MM = 14.0
LOCAL_STEP_MM = 2.0
LOCAL_OUTLIER_MM = 1.5

Homography = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Anchor:
    x_mm: float  # patch centre on the template
    y_mm: float


@dataclass(frozen=True)
class Alignment:
    residual_mm: float  # 90th percentile of the anchors' remaining offset after correction (inf: not measured)
    max_mm: float
    anchors_found: int
    anchors_total: int
    correction: Homography  # maps the given warp's pixels onto the template's (identity when none was needed)
    # After the correction, where each template point's content lies, in mm, on a LOCAL_STEP_MM grid: shape
    # (2, rows, columns), x then y offsets. None: the homography alone fits the page.
    displacement: npt.NDArray[np.float32] | None = None

    @property
    def trusted(self) -> bool:
        return self.anchors_found >= MIN_ANCHORS and self.residual_mm <= TOLERANCE_MM


def _scale(img: Gray, factor: float) -> Gray:
    return np.asarray(cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _peak(score: npt.NDArray[np.float32]) -> tuple[float, float, float]:
    """Best match with sub-pixel refinement (a parabola through the peak and its neighbours)."""
    _, best, _, (px, py) = cv2.minMaxLoc(score)
    dx = dy = 0.0
    if 0 < px < score.shape[1] - 1:
        left, mid, right = score[py, px - 1], score[py, px], score[py, px + 1]
        den = left - 2 * mid + right
        dx = float(0.5 * (left - right) / den) if den < 0 else 0.0
    if 0 < py < score.shape[0] - 1:
        up, mid, down = score[py - 1, px], score[py, px], score[py + 1, px]
        den = up - 2 * mid + down
        dy = float(0.5 * (up - down) / den) if den < 0 else 0.0
    return px + dx, py + dy, float(best)


_REFERENCES: dict[tuple[str, float], Gray] = {}


def _reference_at(key: str, reference: Gray, px_per_mm: float, k: float) -> Gray:
    """The blank form at k px/mm, scaled once per process."""
    if (key, k) not in _REFERENCES:
        _REFERENCES[(key, k)] = _scale(reference, k / px_per_mm)
    return _REFERENCES[(key, k)]


@lru_cache(maxsize=8)
def _anchors(key: str, k: float, patch_mm: float, search_mm: float, grid: tuple[int, int]) -> tuple[Anchor, ...]:
    """Patches of the blank form with structure both ways and no look-alike within the search distance: the
    most structured one in each cell of a `grid` (columns, rows) over the page, so they spread across it."""
    small = _REFERENCES[(key, k)]
    half, reach = int(patch_mm * k / 2), int(search_mm * k)
    h_mm, w_mm = small.shape[0] / k, small.shape[1] / k
    best: dict[tuple[int, int], tuple[float, Anchor]] = {}
    for y_mm in np.arange(patch_mm / 2 + search_mm, h_mm - patch_mm / 2 - search_mm + 1e-6, patch_mm / 4):
        for x_mm in np.arange(patch_mm / 2 + search_mm, w_mm - patch_mm / 2 - search_mm + 1e-6, patch_mm / 4):
            cx, cy = int(x_mm * k), int(y_mm * k)
            patch = small[cy - half : cy + half, cx - half : cx + half]
            gx = float(np.abs(np.diff(patch.astype(np.float32), axis=1)).sum())
            gy = float(np.abs(np.diff(patch.astype(np.float32), axis=0)).sum())
            structure = min(gx, gy) / (255 * patch.shape[0])
            if structure < 1.5:  # needs lines both ways (≈ 1.5 crossings a row/column)
                continue
            cell = (int(x_mm / w_mm * grid[0]), int(y_mm / h_mm * grid[1]))
            if cell in best and best[cell][0] >= structure:
                continue
            window = small[cy - half - reach : cy + half + reach, cx - half - reach : cx + half + reach]
            score = cv2.matchTemplate(window, patch, cv2.TM_CCOEFF_NORMED)
            r = max(2, int(1.0 * k))
            score[reach - r : reach + r + 1, reach - r : reach + r + 1] = -1
            if float(score.max()) < UNIQUE:
                best[cell] = (structure, Anchor(float(x_mm), float(y_mm)))
    return tuple(a for _, a in best.values())


Points = npt.NDArray[np.float32]


def _offsets(warped_small: Gray, ref_small: Gray, found: tuple[Anchor, ...], k: float, patch_mm: float,
             search_mm: float) -> tuple[Points, Points, Points]:  # fmt: skip
    """For each anchor found well enough: its template position, where it is on the warped page (px at k), and
    how well it matched."""
    half, reach = int(patch_mm * k / 2), int(search_mm * k)
    src, dst, scores = [], [], []
    for a in found:
        cx, cy = int(a.x_mm * k), int(a.y_mm * k)
        patch = ref_small[cy - half : cy + half, cx - half : cx + half]
        y0, x0 = cy - half - reach, cx - half - reach
        window = warped_small[max(0, y0) : cy + half + reach, max(0, x0) : cx + half + reach]
        if window.shape[0] < patch.shape[0] or window.shape[1] < patch.shape[1] or float(window.std()) < 1.0:
            continue
        px, py, best = _peak(np.asarray(cv2.matchTemplate(window, patch, cv2.TM_CCOEFF_NORMED), dtype=np.float32))
        if best < MIN_SCORE:
            continue
        src.append((cx, cy))
        dst.append((max(0, x0) + px + half, max(0, y0) + py + half))
        scores.append(best)
    return (
        np.array(src, dtype=np.float32).reshape(-1, 2),
        np.array(dst, dtype=np.float32).reshape(-1, 2),
        np.array(scores, dtype=np.float32),
    )


def _scaled_h(h: Homography, k_in: float, k_out: float) -> Homography:
    """A homography between two images at k_in px/mm, expressed for images at k_out px/mm."""
    s = np.diag([k_out / k_in, k_out / k_in, 1.0])
    return np.asarray(s @ h @ np.linalg.inv(s), dtype=np.float64)


def align(image: Gray, h_mat: Homography, reference: Gray, px_per_mm: float, key: str) -> Alignment:
    """Correct `h_mat` (image → template at px_per_mm) with the printed structure and measure what is left: a
    coarse pass (large patches, ±10 mm: a page placed by two markers can be centimetres off at the far edge),
    then a fine one whose fit residual, at every landmark that agrees, is the page's alignment residual."""
    correction = np.eye(3)
    err = np.zeros(0)
    found_n = total = 0
    # One shrink of the scan to about the fine level; the coarse level is half of it (thin lines survive both).
    scan_px_per_template_px = 1 / float(np.sqrt(abs(np.linalg.det(h_mat[:2, :2] / h_mat[2, 2]))))
    f = min(1.0, FINE_PX_PER_MM / px_per_mm * scan_px_per_template_px * 1.25)
    fine_scan = _scale(image, f) if f < 1 else image
    scans = {FINE_PX_PER_MM: (fine_scan, f), COARSE_PX_PER_MM: (_scale(fine_scan, 0.5), f * 0.5)}
    for k, patch_mm, search_mm, grid in ((COARSE_PX_PER_MM, COARSE_PATCH_MM, COARSE_SEARCH_MM, (4, 7)),
                                         (FINE_PX_PER_MM, FINE_PATCH_MM, FINE_SEARCH_MM, (5, 7))):  # fmt: skip
        ref_small = _reference_at(key, reference, px_per_mm, k)
        found = _anchors(key, k, patch_mm, search_mm, grid)
        scan, shrink = scans[k]
        to_template = (
            np.diag([k / px_per_mm, k / px_per_mm, 1.0]) @ correction @ h_mat @ np.diag([1 / shrink, 1 / shrink, 1.0])
        )
        warped = np.asarray(
            cv2.warpPerspective(scan, to_template, (ref_small.shape[1], ref_small.shape[0]), borderValue=255), dtype=np.uint8
        )
        src, dst, scores = _offsets(warped, ref_small, found, k, patch_mm, search_mm)
        found_n, total = len(src), len(found)
        if len(src) < MIN_ANCHORS:
            if k == COARSE_PX_PER_MM:
                continue  # too little of the page for the coarse pass (a cut sheet): the fine pass alone decides
            return Alignment(float("inf"), float("inf"), len(src), len(found), correction)
        fix, mask = cv2.findHomography(dst, src, cv2.RANSAC, TOLERANCE_MM * k)
        if fix is None:
            return Alignment(float("inf"), float("inf"), 0, len(found), correction)
        inliers = mask.ravel().astype(bool)
        moved = cv2.perspectiveTransform(dst.reshape(-1, 1, 2), fix).reshape(-1, 2)
        err = np.linalg.norm(moved - src, axis=1) / k
        if inliers.sum() < max(MIN_ANCHORS, 0.6 * len(src)):
            # The landmarks disagree among themselves (a fold, a torn part, a sheet that is not this form).
            return Alignment(float(np.percentile(err, 90)), float(err.max()), int(inliers.sum()), len(found), correction)
        correction = _scaled_h(np.asarray(fix, dtype=np.float64), k, px_per_mm) @ correction
        # The residual counts every landmark that matched clearly, not only those that agree with the fit: a
        # fold or a crumple moves part of the page, and that part's clear landmarks must show it.
        err = err[inliers | (scores >= STRONG)]
    aligned = Alignment(float(np.percentile(err, 90)), float(err.max()), found_n, total, correction)
    if aligned.residual_mm <= LOCAL_FROM_MM:
        return aligned
    local = _local(scans[FINE_PX_PER_MM], h_mat, reference, px_per_mm, key, aligned)
    return local if local is not None and local.residual_mm < aligned.residual_mm else aligned


def _weights(at_mm: Points, pts_mm: Points) -> npt.NDArray[np.float64]:
    d2 = ((at_mm[:, None, :].astype(np.float64) - pts_mm[None, :, :]) ** 2).sum(axis=2)
    return np.asarray(np.exp(-d2 / (2 * LOCAL_SIGMA_MM**2)), dtype=np.float64)


def _left_out_errors(pts_mm: Points, u_mm: Points) -> npt.NDArray[np.float64]:
    """How far each anchor's offset is from what the others predict for its place (the field without it)."""
    w = _weights(pts_mm, pts_mm)
    np.fill_diagonal(w, 0.0)
    pred = (w @ u_mm) / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    return np.asarray(np.linalg.norm(pred - u_mm, axis=1), dtype=np.float64)


def _local(fine: tuple[Gray, float], h_mat: Homography, reference: Gray, px_per_mm: float, key: str,
           aligned: Alignment) -> Alignment | None:  # fmt: skip
    """Offsets at a dense set of anchors after the homography, and the smooth field through them (3. above)."""
    k = FINE_PX_PER_MM
    scan, shrink = fine
    ref_small = _reference_at(key, reference, px_per_mm, k)
    found = _anchors(key, k, FINE_PATCH_MM, FINE_SEARCH_MM, LOCAL_GRID)
    to_template = (
        np.diag([k / px_per_mm, k / px_per_mm, 1.0]) @ aligned.correction @ h_mat @ np.diag([1 / shrink, 1 / shrink, 1.0])
    )
    warped = np.asarray(
        cv2.warpPerspective(scan, to_template, (ref_small.shape[1], ref_small.shape[0]), borderValue=255), dtype=np.uint8
    )
    src, dst, _ = _offsets(warped, ref_small, found, k, FINE_PATCH_MM, FINE_SEARCH_MM)
    pts, u = src / k, (dst - src) / k
    if len(pts) < 2 * MIN_ANCHORS:
        return None
    err = _left_out_errors(pts, u)
    for _ in range(2):  # drop anchors their neighbours contradict (matched over handwriting), then measure again
        keep = err <= LOCAL_OUTLIER_MM
        if keep.all():
            break
        pts, u = pts[keep], u[keep]
        if len(pts) < 2 * MIN_ANCHORS:
            return None
        err = _left_out_errors(pts, u)
    h_mm, w_mm = ref_small.shape[0] / k, ref_small.shape[1] / k
    ys, xs = np.mgrid[0 : h_mm + LOCAL_STEP_MM : LOCAL_STEP_MM, 0 : w_mm + LOCAL_STEP_MM : LOCAL_STEP_MM]
    at = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    w = _weights(at, pts)
    field = (w @ u) / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    displacement = np.asarray(field.T.reshape(2, *xs.shape), dtype=np.float32)
    # Its residual is the largest left-out error, not the 90th percentile: a bent page can be off in one place only
    # (crumpled pages of `tools.dev stress`: a trusted page at p90 0.97 mm had a checkbox row read from its neighbour).
    return Alignment(float(err.max()), float(err.max()), len(pts), len(found), aligned.correction, displacement)


def displace(warped: Gray, displacement: npt.NDArray[np.float32], px_per_mm: float) -> Gray:
    """Move each part of a registered page onto its template place (the field of `_local`)."""
    h, w = warped.shape
    step = LOCAL_STEP_MM * px_per_mm
    grid_x = np.arange(w, dtype=np.float32) / step
    grid_y = np.arange(h, dtype=np.float32) / step
    gx, gy = np.meshgrid(grid_x, grid_y)
    dx = cv2.remap(displacement[0], gx, gy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    dy = cv2.remap(displacement[1], gx, gy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x, map_y = xs + dx * px_per_mm, ys + dy * px_per_mm
    return np.asarray(cv2.remap(warped, map_x, map_y, cv2.INTER_LINEAR, borderValue=255), dtype=np.uint8)


# 4. Each field read by where its marks or digits fall is checked on its own: the page-level anchors avoid rows
# of look-alike boxes, so a crumpled sheet could pass them with its checkbox column 3–4 mm off (`python -m
# tools.dev stress /tmp/t511 --damage crumple`, wide tuning 511, 40 pages: 8 wrong answers auto-accepted on pages
# proven as a whole). Its printed frames (and a FIELD_MARGIN_MM band round them: labels, units) are found by
# correlation within FIELD_SEARCH_MM; found clearly (≥ FIELD_FOUND) more than TOLERANCE_MM away, the field is not
# auto-accepted; nor is a checkbox row or choice not found clearly in place, nor, on a page where one field was
# found off, any field not found clearly in place (ocr.register.misplaced): 0 wrong (seeds 511 at n 60 and 300).
# Undamaged wide tuning 511 (275 trusted pages): no field stopped by it (checkbox rows in place at ≥ 0.37).
FIELD_MARGIN_MM = 3.0
FIELD_SEARCH_MM = 3.5  # under half a checkbox row's 8 mm pitch: the row beside can never be the best match
FIELD_FOUND = 0.3


@dataclass(frozen=True)
class FieldPlace:
    offset_mm: float  # where its printed frame matched best, from where the registration put it
    best: float  # correlation there
    near: float  # the best correlation within TOLERANCE_MM of its place

    @property
    def off(self) -> bool:
        """Found clearly elsewhere. (A hand-written digit strip is rarely found clearly anywhere: its frames are
        thin beside the digits; it seldom shows a page bent, but is not proven in place on a page that is.)"""
        return self.offset_mm > TOLERANCE_MM and self.best >= FIELD_FOUND


def field_offsets(registered: Gray, reference: Gray, px_per_mm: float, key: str,
                  boxes: dict[str, tuple[float, float, float, float]]) -> dict[str, FieldPlace]:  # fmt: skip
    """For each field (its boxes' extent in mm on the template): where its printed frame lies on the registered
    page, against where the registration put it."""
    k = FINE_PX_PER_MM
    ref = _reference_at(key, reference, px_per_mm, k)
    page = _scale(registered, k / px_per_mm)
    m, s, r = int(FIELD_MARGIN_MM * k), int(FIELD_SEARCH_MM * k), int(TOLERANCE_MM * k)
    out: dict[str, FieldPlace] = {}
    for name, (x, y, w, h) in boxes.items():
        x0, y0, x1, y1 = int(x * k) - m, int(y * k) - m, int((x + w) * k) + m, int((y + h) * k) + m
        if x0 - s < 0 or y0 - s < 0 or x1 + s > ref.shape[1] or y1 + s > ref.shape[0]:
            continue
        patch = ref[y0:y1, x0:x1]
        window = page[y0 - s : y1 + s, x0 - s : x1 + s]
        if float(window.std()) < 1.0:
            continue
        score = np.asarray(cv2.matchTemplate(window, patch, cv2.TM_CCOEFF_NORMED), dtype=np.float32)
        px, py, best = _peak(score)
        near = float(score[s - r : s + r + 1, s - r : s + r + 1].max())
        out[name] = FieldPlace(float(np.hypot(px - s, py - s)) / k, best, near)
    return out
