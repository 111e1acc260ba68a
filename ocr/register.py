"""Registration: find the corner markers and warp the page onto the template.

ArUco ids tell which corner is which, so 90/180/270° turns are corrected by the same homography.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr.template import TEMPLATE_DIR, Template
from ocr.types import Gray, Message, Registration, msg
from ocr.verify import FIELD_FOUND, TOLERANCE_MM, Alignment, align, displace, field_offsets

PX_PER_MM = 8.0  # working resolution of the registered page (≈203 dpi)
MAX_ERROR_MM = 1.5  # above this the field boxes no longer line up: send to review


def _detector(template: Template) -> cv2.aruco.ArucoDetector:
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, template.markers.dictionary))
    return cv2.aruco.ArucoDetector(dictionary, params)


def _template_corners(template: Template, marker_id: int) -> np.ndarray:
    x, y = template.markers.positions[marker_id]
    s = template.markers.size_mm
    return np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], dtype=np.float32) * PX_PER_MM


def _detected(img: Gray, template: Template) -> list[tuple[int, np.ndarray]]:
    """Every marker of the template's set on the page, as (id, corners in page pixels), repeats included."""
    # Markers are large; detect on a half-size copy for speed, then scale corners back.
    scale = 0.5 if img.shape[1] > 1400 else 1.0
    small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale != 1 else img
    corners, ids, _ = _detector(template).detectMarkers(small)
    if ids is None:
        return []
    return [
        (int(i), c.reshape(4, 2) / scale)
        for c, i in zip(corners, ids.flatten(), strict=True)
        if int(i) in template.markers.positions
    ]


def find_markers(img: Gray, template: Template) -> dict[int, np.ndarray]:
    found: dict[int, np.ndarray] = {}
    for i, corners in _detected(img, template):
        found.setdefault(i, corners)
    return found


def forms_on_page(markers: list[tuple[int, np.ndarray]]) -> int:
    """How many forms the markers show: each form prints each corner's marker once, so a corner's marker seen twice
    is two forms on one image — two sheets on a flatbed, a "2 in 1" copy. Read as one, the other form would be lost
    without a word (seen: two forms side by side, one read and auto-accepted, session 18)."""
    return max(Counter(i for i, _ in markers).values(), default=0)


def register(img: Gray, template: Template) -> Registration:
    """Markers first (a homography from three or four; two give only a first guess), feature matching when fewer
    than two are found; then the printed structure corrects the fit and proves it (ocr.verify)."""
    detected = _detected(img, template)
    if (forms := forms_on_page(detected)) > 1:
        return Registration(False, None, len(dict(detected)), float("inf"), (msg("reg.several_forms", count=forms),))
    found = dict(detected)
    if len(found) < 2:
        first = _fit_by_features(img, template)
        why = msg("reg.markers_missing", found=len(found))
        if isinstance(first, Message):
            return Registration(False, None, len(found), float("inf"), (why, first))
        return _verified(img, template, first, len(found), (why, msg("reg.by_features")))
    src = np.concatenate([found[i] for i in sorted(found)]).astype(np.float32)
    dst = np.concatenate([_template_corners(template, i) for i in sorted(found)]).astype(np.float32)
    if len(found) == 2:
        # Two markers (an edge cut off) cannot model keystone: a similarity is only the first guess that the
        # printed structure then corrects into a homography.
        m, _ = cv2.estimateAffinePartial2D(src, dst)
        if m is None:
            return Registration(False, None, 2, float("inf"), (msg("reg.two_markers_disagree"),))
        return _verified(img, template, np.vstack([m, [0.0, 0.0, 1.0]]), 2, (msg("reg.two_markers"),))
    h_mat, _ = cv2.findHomography(src, dst, cv2.RANSAC, 3.0)
    if h_mat is None:
        return Registration(False, None, len(found), float("inf"), (msg("reg.markers_inconsistent"),))
    projected = cv2.perspectiveTransform(src.reshape(-1, 1, 2), h_mat).reshape(-1, 2)
    error_mm = float(np.sqrt(np.mean(np.sum((projected - dst) ** 2, axis=1)))) / PX_PER_MM
    if error_mm > MAX_ERROR_MM:
        return Registration(False, None, len(found), error_mm, (msg("reg.off_by", mm=f"{error_mm:.1f}"),))
    return _verified(img, template, h_mat, len(found), ())


def _verified(img: Gray, template: Template, h_mat: np.ndarray, markers: int, caveat: tuple[Message, ...]) -> Registration:
    """Correct the first fit with the printed structure, warp once, and say whether the fields can be trusted."""
    reference = reference_image(template.layout)
    size = (int(template.width_mm * PX_PER_MM), int(template.height_mm * PX_PER_MM))
    if reference is None:  # no reference rendered for this layout: the markers' word is all there is
        warped = np.asarray(cv2.warpPerspective(img, h_mat, size, flags=cv2.INTER_LINEAR, borderValue=255), dtype=np.uint8)
        return Registration(markers == 4, warped, markers, 0.0, caveat, residual_mm=float("inf"), trusted=False)
    try:
        a = align(img, h_mat.astype(np.float64), reference, PX_PER_MM, template.layout)
    except (cv2.error, ValueError, ZeroDivisionError, np.linalg.LinAlgError):
        # A degenerate first fit (a sheet that is no form, a page folded onto itself): nothing to prove it with.
        a = Alignment(float("inf"), float("inf"), 0, 0, np.eye(3))
    final = a.correction @ h_mat
    warped = np.asarray(cv2.warpPerspective(img, final, size, flags=cv2.INTER_LINEAR, borderValue=255), dtype=np.uint8)
    if a.displacement is not None:  # a bent or crumpled sheet: each part moved onto its place
        warped = displace(warped, a.displacement, PX_PER_MM)
    trusted = a.trusted
    reason = caveat
    if not trusted:
        proof = (
            msg("reg.landmarks_missing", found=a.anchors_found, total=a.anchors_total, tolerance=f"{TOLERANCE_MM:.1f}")
            if a.anchors_found < 8
            else msg("reg.boxes_off", mm=f"{a.residual_mm:.1f}", tolerance=f"{TOLERANCE_MM:.1f}")
        )
        reason = (*caveat, proof)
    # Placed (fields read, as proposals at least) when two or more markers fixed it, or the printed structure
    # confirmed a feature match; trusted (auto-acceptance allowed) only when the residual is proven.
    ok = markers >= 2 or a.anchors_found >= 8
    return Registration(ok, warped, markers, a.residual_mm, reason, residual_mm=a.residual_mm, trusted=trusted,
                        anchors=a.anchors_found)  # fmt: skip


NOT_IN_PLACE = ("field.frame_off", "field.frame_unproven")  # the reasons `misplaced` gives


def misplaced(
    registered: Gray, layout: str, boxes: dict[str, tuple[float, float, float, float]], must_show: set[str]
) -> dict[str, Message]:
    """The fields (of `boxes`: name → extent in mm) not proven where the registration put them, each with why: its
    printed frame found clearly more than TOLERANCE_MM away; or not found clearly in place, when its frame always
    shows (`must_show`) or when another field was found off (the sheet is bent there) (ocr.verify.field_offsets)."""
    reference = reference_image(layout)
    if reference is None:
        return {}
    places = field_offsets(registered, reference, PX_PER_MM, layout, boxes)
    tolerance = f"{TOLERANCE_MM:.1f}"
    out = {n: msg("field.frame_off", mm=f"{p.offset_mm:.1f}", tolerance=tolerance) for n, p in places.items() if p.off}
    bent = bool(out)
    out |= {
        n: msg("field.frame_unproven")
        for n, p in places.items()
        if n not in out and p.near < FIELD_FOUND and (bent or n in must_show)
    }
    return out


# ---- fallback: feature matching against the blank form ---------------------------------------------------
MIN_INLIERS = 40


def reference_path(layout: str) -> Path:
    """The blank form rendered at PX_PER_MM, beside its template (written by `intake forms reference`)."""
    return TEMPLATE_DIR / f"{layout}.reference.png"


@lru_cache(maxsize=4)
def _reference(layout: str) -> tuple[Any, Any]:
    ref = cv2.imread(str(reference_path(layout)), cv2.IMREAD_GRAYSCALE)
    if ref is None:
        return (), None
    kp, desc = cv2.ORB.create(nfeatures=4000).detectAndCompute(ref, None)
    return kp, desc


def _fit_by_features(img: Gray, template: Template) -> np.ndarray | Message:
    """Markers damaged (torn corner, stamp over a marker, heavy fold): match ORB features of the page to the blank
    form (labels, boxes) and fit a homography — a first guess that ocr.verify then corrects and proves. Returns the
    homography, or why there is none."""
    ref_kp, ref_desc = _reference(template.layout)
    if ref_desc is None:
        return msg("reg.cut_or_not_form")
    scale = min(1.0, 1400 / max(img.shape))
    small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else img
    # Flatten uneven lighting and fold shadows first: they move features more than the page does.
    background = cv2.GaussianBlur(small, (0, 0), 25)
    ratio = np.asarray(cv2.divide(small, background, scale=255), dtype=np.float32)
    flat = np.clip((ratio - ratio.min()) * 255.0 / max(1.0, float(np.ptp(ratio))), 0, 255).astype(np.uint8)
    kp, desc = cv2.ORB.create(nfeatures=4000).detectAndCompute(flat, None)
    if desc is None or len(kp) < MIN_INLIERS:
        return msg("reg.too_little_structure")
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(desc, ref_desc, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < MIN_INLIERS:
        return msg("reg.layout_mismatch")
    src = np.array([kp[m.queryIdx].pt for m in good], dtype=np.float32) / scale
    dst = np.array([ref_kp[m.trainIdx].pt for m in good], dtype=np.float32)
    h_mat, mask = cv2.findHomography(src, dst, cv2.RANSAC, 4.0)
    inliers = int(mask.sum()) if mask is not None else 0
    if h_mat is None or inliers < MIN_INLIERS:
        return msg("reg.layout_mismatch")
    return np.asarray(h_mat, dtype=np.float64)


@lru_cache(maxsize=4)
def reference_image(layout: str) -> Gray | None:
    """The blank form at PX_PER_MM (`reference_path`), or None where none was rendered."""
    ref = cv2.imread(str(reference_path(layout)), cv2.IMREAD_GRAYSCALE)
    return None if ref is None else np.asarray(ref, dtype=np.uint8)


def crop_mm(img: Gray, box: tuple[float, float, float, float], inset_mm: float = 0.0) -> Gray:
    x, y, w, h = box
    k = PX_PER_MM
    x0, y0 = int((x + inset_mm) * k), int((y + inset_mm) * k)
    x1, y1 = int((x + w - inset_mm) * k), int((y + h - inset_mm) * k)
    return img[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
