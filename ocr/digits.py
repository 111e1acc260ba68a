"""One hand-written digit per box: normalise the box the way the classifier was trained, classify with a small
CNN (ONNX, trained on real handwriting — see ocr/models/digits.card.md), calibrated probabilities out.

The same `normalize_box` runs at training time (tools.synth.train_digits) and on the page, so what the model
learned is what it is shown. Classes 0–9 are the digits, class 10 is "no digit" (an empty box, a border
remnant, dust). Ink too small to be a digit is "empty" before the network runs at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from ocr.types import Gray

MODEL_DIR = Path(__file__).parent / "models"
MODEL_PATH = MODEL_DIR / "digits.onnx"
CARD_PATH = MODEL_DIR / "digits.json"  # temperature, classes, checksum: written by the training command
SIDE = 28  # network input, MNIST's frame: the digit's larger side scaled to FIT, centred by its mass
FIT = 20
NO_DIGIT = 10
# Solid ink (px at 8 px/mm) below which a box holds no writing. A 0.4 mm pen writing the smallest digit ("1",
# 5 mm) leaves ≥ 2 mm² of ink, ~130 px; dust and a stray dot stay under 0.5 mm² (~30 px). Measured on scanned
# boxes: empty ones reach 74 px at most (border remnants, bitonal noise; 99th percentile 43), real digits 35 px
# at the 1st percentile (broken by a light bitonal threshold).
EMPTY_INK_PX = 30.0
DOUBT_INK_PX = 90.0  # between the two: a mark, or what damage left of a digit → never trusted
STRUCK = "struck out"  # a BoxReading's note for a digit struck out (`struck_out`)
WIDE = 1.5  # ink this much wider than tall is no single digit: two squeezed into one box, a scribble (a single
# real digit reached 1.45 in 1,000 of the corpus pool; two side by side measure 1.5 and more)


@dataclass(frozen=True)
class BoxReading:
    digit: str  # "0"–"9", or "" when the box holds no digit
    probability: float  # calibrated probability that `digit` is right ("" included: empty is a reading too)
    note: str = ""  # why a box is doubtful whatever the network says ("wide", "faint mark")
    distribution: tuple[float, ...] = (0.0,) * 10  # calibrated probability of each digit 0–9


def ink_map(cell: Gray) -> npt.NDArray[np.float32]:
    """Darkness against the local paper, 0 (paper) … 1 (full ink), robust to grey paper, pale pens, uneven light
    and scanner gain: the paper is estimated pixel by pixel as the brightest level within ~1.4 mm (wider than any
    pen stroke), smoothed; the scale is the ink's contrast, at least 60 grey levels (so an empty box's noise stays
    near 0 instead of being stretched to full ink)."""
    if cell.size == 0:
        return np.zeros(cell.shape, dtype=np.float32)
    c = cell.astype(np.float32)
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (11, 11))
    paper = cv2.GaussianBlur(cv2.dilate(c, k), (0, 0), 3)
    dark = paper - c
    scale = max(60.0, float(np.percentile(dark, 99)))
    v = np.clip((dark - 15.0) / scale, 0.0, 1.0)
    return np.asarray(v, dtype=np.float32)


def _drop_border_lines(v: npt.NDArray[np.float32]) -> None:
    """Remnants of the printed box border (a crop a millimetre off, a keystone left over): straight rows and
    columns near the crop's edge inked along most of their length are no handwriting. Within ~0.9 mm of the edge
    more than half the length is enough; up to ~1.5 mm in, only a line across (nearly) the whole crop, which a
    written "1" near the edge is not."""
    h, w = v.shape
    inked = v > 0.3
    rows, cols = np.count_nonzero(inked, axis=1), np.count_nonzero(inked, axis=0)
    row_edge = np.minimum(np.arange(h), np.arange(h)[::-1])  # distance from the nearer edge, px
    col_edge = np.minimum(np.arange(w), np.arange(w)[::-1])
    for band, share in ((7, 0.55), (12, 0.8)):
        v[(row_edge < band) & (rows > share * w), :] = 0
        v[:, (col_edge < band) & (cols > share * h)] = 0


def _drop_specks(v: npt.NDArray[np.float32], min_area: int) -> npt.NDArray[np.float32]:
    mask = (v > 0.3).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    out = np.where(keep[labels], v, 0.0)
    return np.asarray(out, dtype=np.float32)


def box_ink(cell: Gray) -> npt.NDArray[np.float32]:
    """A box crop's handwriting: its ink map without the printed border's remnants and specks."""
    v = ink_map(cell)
    _drop_border_lines(v)
    return _drop_specks(v, min_area=max(4, int(cell.size * 0.0015)))


# A digit struck out (a person's correction: 二重線, one line, a cross, the box scribbled over) is read by the network
# as some digit, often surely: on 600 validation-pool digits scanned three ways and struck out
# (`tools.synth.corrections`), it was ≥ 0.99 sure of 95 double-lined, 169 single-lined and 301 crossed ones (a cross
# reads "8"), mostly of a wrong digit. What marks them, in the box's ink: a straight stroke (Hough) ≥ STRIKE_ACROSS
# of the box's width, within ±STRIKE_TILT° of level, through the middle half of the ink (ink above and below it);
# two long straight strokes crossing, slanted both ways, each ≥ CROSS_LENGTH of the box's diagonal; or ink filling
# more than SCRIBBLE_FILL of its (wide) bounding box. Those caught 92, 147 and 293 of them, and none of the 1,563
# unstruck boxes the network was sure of. On the tuning pages (511, 513, 521; 812 forms) a genuine "8"'s waist
# reaches 0.60 of the diagonal (at 0.55 the cross took 9 dates) and a "4"'s crossbar 20°; as set, one "2" with its
# base drawn across the box over a loop is taken for struck (one date of 812 sent to a person), and
# `stress --damage corrected` (100 pages each of 521 / 511) auto-accepts 1 / 2 struck fields where it took 13 / 12.
STRIKE_ACROSS = 0.9
STRIKE_TILT = 12.0
STRIKE_BAND = (0.25, 0.75)
CROSS_LENGTH = 0.62
SCRIBBLE_FILL = 0.7


def tilt(sx0: float, sy0: float, sx1: float, sy1: float) -> float:
    """A line segment's angle from level, degrees in [-90, 90)."""
    return float((np.degrees(np.arctan2(sy1 - sy0, sx1 - sx0)) + 90) % 180 - 90)


def struck_out(v: npt.NDArray[np.float32]) -> bool:
    """Whether a box's ink (`box_ink`) is a digit struck out rather than a digit."""
    m = (v > 0.3).astype(np.uint8)
    ys, xs = np.nonzero(m)
    if ys.size < 30:
        return False
    h, w = m.shape
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    if x1 - x0 >= 0.5 * w and float(m[y0:y1, x0:x1].mean()) > SCRIBBLE_FILL:
        return True
    if _stacked_strokes(m) >= SCRIBBLE_STROKES:
        return True
    segments = cv2.HoughLinesP(m * 255, 1, np.pi / 180, threshold=int(0.4 * w), minLineLength=int(0.7 * w), maxLineGap=3)
    if segments is None:
        return False
    total, slants = float(m.sum()), set()
    for sx0, sy0, sx1, sy1 in segments.reshape(-1, 4).astype(float):
        angle = tilt(sx0, sy0, sx1, sy1)
        length = float(np.hypot(sx1 - sx0, sy1 - sy0))
        if abs(angle) <= STRIKE_TILT and length >= STRIKE_ACROSS * w:
            at = int((sy0 + sy1) / 2)
            middle = STRIKE_BAND[0] <= (at - y0) / max(1, y1 - y0) <= STRIKE_BAND[1]
            if middle and m[y0 : max(y0, at - 3)].sum() > 0.12 * total and m[at + 4 : y1].sum() > 0.12 * total:
                return True
        elif 25 <= abs(angle) <= 70 and length >= CROSS_LENGTH * float(np.hypot(w, h)):
            slants.add(angle > 0)
    return len(slants) == 2


# The box scribbled over with strokes back and forth: SCRIBBLE_STROKES or more level straight strokes, each across
# half the box, at as many heights. A blurred or bitonal scan leaves gaps between them, so the ink's fill
# (SCRIBBLE_FILL) misses most scribbles. 600 validation-pool digits scribbled over: caught 131 → 179 (4 strokes: 249,
# 3: 329), and none of the 525 unstruck digits the network is sure of (3: one). Tuning pages: 521 unchanged, 511 two
# fields more to a person (4 strokes: 521 five, 511 three). The case that mattered: a temperature's first box
# scribbled over read as its only valid digit, "3", auto-accepted (`stress --damage corrected`, tuning 521).
SCRIBBLE_STROKES = 5


def _stacked_strokes(m: npt.NDArray[np.uint8]) -> int:
    w = m.shape[1]
    segments = cv2.HoughLinesP(m * 255, 1, np.pi / 180, threshold=int(0.3 * w), minLineLength=int(0.5 * w), maxLineGap=2)
    if segments is None:
        return 0
    heights = sorted(
        (sy0 + sy1) / 2
        for sx0, sy0, sx1, sy1 in segments.reshape(-1, 4).astype(float)
        if abs(tilt(sx0, sy0, sx1, sy1)) <= STRIKE_TILT
    )
    return sum(1 for a, b in zip([-1e9, *heights], heights, strict=False) if b - a >= 3)


def normalize_box(cell: Gray) -> tuple[npt.NDArray[np.float32], float, float]:
    """A box crop → (28×28 input in [0, 1], ink in px, width/height of the ink). MNIST's own framing: the ink's
    bounding box scaled so its larger side is 20 px, centred on its centre of mass."""
    return frame_ink(box_ink(cell))


def frame_ink(v: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float32], float, float]:
    """`normalize_box` from the box's ink (`box_ink`)."""
    mass = float(np.count_nonzero(v > 0.4))  # solid ink, px: faint scanner noise over a whole box adds nothing
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    ys, xs = np.nonzero(v > 0.15)
    if mass < 1.0 or ys.size == 0:
        return out, mass, 0.0
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = v[y0:y1, x0:x1]
    h, w = crop.shape
    s = FIT / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    small = np.asarray(cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA), dtype=np.float32)
    total = float(small.sum())
    if total <= 0:
        return out, mass, w / max(1, h)
    cy = float((small.sum(axis=1) * np.arange(nh)).sum()) / total
    cx = float((small.sum(axis=0) * np.arange(nw)).sum()) / total
    top = int(round(SIDE / 2 - cy))
    left = int(round(SIDE / 2 - cx))
    top = min(max(top, 0), SIDE - nh)
    left = min(max(left, 0), SIDE - nw)
    out[top : top + nh, left : left + nw] = small
    return np.clip(out, 0.0, 1.0), mass, w / max(1, h)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class DigitClassifier:
    """The ONNX box classifier. Loaded once per process; `classify` takes a batch of box crops."""

    name = "digit-cnn"

    def __init__(self, model: Path = MODEL_PATH, card: Path = CARD_PATH) -> None:
        import onnxruntime as ort

        if not model.exists() or not card.exists():
            raise RuntimeError(
                f"digit model missing ({model}): run `python -m tools.dev train digits` or reinstall the package"
            )
        meta = json.loads(card.read_text(encoding="utf-8"))
        if meta.get("sha256") != sha256(model):
            raise RuntimeError(f"{model.name} does not match its card {card.name}: retrain or restore both together")
        self.temperature = float(meta["temperature"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallel by process, never by thread
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def probabilities(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """(N, 28, 28) normalised boxes → (N, 11) calibrated class probabilities."""
        if batch.shape[0] == 0:
            return np.zeros((0, NO_DIGIT + 1), dtype=np.float32)
        logits = self._session.run(None, {self._input: batch[:, None, :, :].astype(np.float32)})[0]
        z = logits / self.temperature
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)

    def classify(self, cells: list[Gray]) -> list[BoxReading]:
        inks = [box_ink(c) for c in cells]
        normed = [frame_ink(ink) for ink in inks]
        probs = self.probabilities(np.stack([n[0] for n in normed]) if normed else np.zeros((0, SIDE, SIDE), np.float32))
        out: list[BoxReading] = []
        for (_, mass, aspect), p, ink in zip(normed, probs, inks, strict=True):
            if mass < EMPTY_INK_PX:
                out.append(BoxReading("", 1.0))
                continue
            k = int(p.argmax())
            note = ""
            if k == NO_DIGIT:
                if mass < DOUBT_INK_PX:
                    out.append(BoxReading("", float(p[k])))
                    continue
                # Ink enough for a digit that the network calls no digit (a scribble, a crossed-out digit):
                # the likeliest digit is proposed, never trusted.
                note = "unclear"
                k = int(p[:NO_DIGIT].argmax())
            elif mass < DOUBT_INK_PX:
                note = "faint mark"
            elif aspect > WIDE:
                note = "wide"
            elif struck_out(ink):
                note = STRUCK
            dist = tuple(float(v) for v in p[:NO_DIGIT])
            if note:  # whatever the network says, such a box is a question for a person
                dist = tuple(min(v, 0.5) for v in dist)
            out.append(BoxReading(str(k), float(p[k]) if not note else min(float(p[k]), 0.5), note, dist))
        return out


@lru_cache(maxsize=1)
def classifier() -> DigitClassifier:
    return DigitClassifier()


Atom = tuple[int, int, int, int]  # x0, y0, x1, y1 of ink that overlaps in x: a digit, or a piece of one


@dataclass(frozen=True)
class StringInk:
    """A field image of hand-written digits with its rules and box borders removed: the ink (as a grey image) and
    its atoms, left to right — connected components grouped where they overlap in x. A digit broken by a light
    threshold or written in two strokes may be two atoms; `segmentations` decides which atoms are one digit."""

    cleaned: Gray
    atoms: list[Atom]
    pieces: int = 0  # separate pieces of ink before touching digits were cut apart

    def crop(self, i: int, j: int) -> Gray:
        """Atoms i … j−1 as one piece, with a margin of a fifth of its height. Where a neighbour reaches the piece's
        own columns (the other half of ink cut by `split_touching`, a neighbour overlapping it), the margin on that
        side is left blank. (Blanking the margins beside every neighbour cost 0.3–0.7% of strings on tuning seeds
        901 / 903 / 904: ink in the margin is often the digit's own stroke.)"""
        x0, y0 = min(a[0] for a in self.atoms[i:j]), min(a[1] for a in self.atoms[i:j])
        x1, y1 = max(a[2] for a in self.atoms[i:j]), max(a[3] for a in self.atoms[i:j])
        pad = max(3, (y1 - y0) // 5)
        left = max(0, x0 - pad)
        out = self.cleaned[max(0, y0 - pad) : y1 + pad, left : x1 + pad].copy()
        if i > 0 and self.atoms[i - 1][2] >= x0:
            out[:, : x0 - left] = 255
        if j < len(self.atoms) and self.atoms[j][0] <= x1:
            out[:, x1 - left :] = 255
        return out


# Box tops and bottoms: runs of at least RULE_RUN × the image's height in rows where such runs cover RULE_ROW of its
# width (the boxes' tops all on one row). Runs of 0.6 × the height alone left the tops and bottoms of boxes narrower
# than that (7–8 mm boxes in a 14 mm image) in the ink, a bar over and under each digit.
RULE_RUN = 0.3
RULE_ROW = 0.5


def string_ink(image: Gray, min_height_share: float = 0.25) -> StringInk:
    """Box borders (long straight lines) are dropped first; ink is grouped into atoms by connected components that
    overlap in x; components too small to be a digit are dust."""
    v = ink_map(image)
    h, w = v.shape
    mask = (v > 0.3).astype(np.uint8)
    # Printed rules and box borders: long straight runs (a box's sides span most of its height, its top and bottom
    # a box's width), found with line-shaped openings, then removed with a pixel of margin.
    vertical = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, int(h * 0.45)))))
    horizontal = cv2.morphologyEx(
        mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(h * RULE_RUN)), 1))
    )
    horizontal[horizontal.sum(axis=1) < RULE_ROW * w] = 0  # a stroke of one digit never spans the row
    vertical = _box_sides(np.asarray(vertical, dtype=np.uint8), np.asarray(horizontal, dtype=np.uint8), h)
    lines = cv2.dilate(np.maximum(vertical, horizontal), np.ones((3, 3), np.uint8))
    v[lines > 0] = 0
    cleaned = np.asarray(255 - np.clip(v * 255, 0, 255), dtype=np.uint8)  # the ink without the lines
    mask = (v > 0.3).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    comps = [tuple(int(x) for x in stats[i, :4]) for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= 6]
    if not comps:
        return StringInk(cleaned, [])
    tallest = max(c[3] for c in comps)
    comps = [c for c in comps if c[3] >= min_height_share * tallest or c[2] * c[3] >= 0.15 * tallest**2]
    comps.sort(key=lambda c: c[0])
    atoms: list[list[int]] = []
    for x, y, cw, ch in comps:
        if atoms:
            g = atoms[-1]
            overlap = min(g[2], x + cw) - max(g[0], x)
            if overlap > 0.5 * min(cw, g[2] - g[0]):
                atoms[-1] = [min(g[0], x), min(g[1], y), max(g[2], x + cw), max(g[3], y + ch)]
                continue
        atoms.append([x, y, x + cw, y + ch])
    return StringInk(cleaned, split_touching(mask, [(a[0], a[1], a[2], a[3]) for a in atoms], tallest), len(atoms))


# Digits written so close that they touch are one connected piece of ink, which no grouping of pieces separates:
# a piece wider than TOUCHING × the line's height (one digit is narrower than tall; the corpus pool's widest single
# digit, a 0 or a 4, reaches ~1.0 of its height — ocr.digits.WIDE measures its box, not the line) is cut where
# the fewest ink pixels cross it, within its middle (CUT_ZONE), again while a part is still that wide. The cut
# parts are atoms like any other: `segmentations` reads each alone and both together, so a wide single digit
# wrongly cut is read whole again. `eval-digit-strings --touching --n 200`: tuning seed 77 75 → 115 right, sealed
# seed 78 87 → 113 (with RECUT: 126 / 123); ordinary strings (tuning 901 / 903 / 904) identical. 0.7 cut more
# (+4 on 77) but moved digit counts on 901; 0.6 cost 901 1.3%.
TOUCHING = 1.0
# A part of a cut piece still wider than RECUT × the height is cut again: three digits in one piece, cut once, left
# a digit and a half on one side. Touching 77: 115 → 126 of 200 (0.65: 127, 0.85: 121), sealed 78: 113 → 123;
# ordinary strings identical.
RECUT = 0.75
CUT_ZONE = (0.3, 0.7)


def split_touching(mask: npt.NDArray[np.uint8], atoms: list[Atom], height: int) -> list[Atom]:
    """`atoms` with each piece wider than TOUCHING × `height` cut into parts (see above); left to right."""
    out: list[Atom] = []
    todo = [(a, False) for a in atoms]
    while todo:
        (x0, y0, x1, y1), was_cut = todo.pop(0)
        w = x1 - x0
        if w <= (RECUT if was_cut else TOUCHING) * height or w < 6:
            out.append((x0, y0, x1, y1))
            continue
        lo, hi = x0 + int(CUT_ZONE[0] * w), x0 + int(np.ceil(CUT_ZONE[1] * w))
        crossing = mask[y0:y1, lo:hi].sum(axis=0).astype(np.float32)
        crossing = np.convolve(crossing, np.ones(3, np.float32) / 3, mode="same")  # a one-pixel gap is no cut
        cut = lo + int(np.argmin(crossing))
        parts = []
        for a, b in ((x0, cut), (cut, x1)):
            rows = np.flatnonzero(mask[y0:y1, a:b].any(axis=1))
            if rows.size:
                parts.append((a, y0 + int(rows[0]), b, y0 + int(rows[-1]) + 1))
        if len(parts) < 2:
            out.append((x0, y0, x1, y1))
            continue
        todo[:0] = [(p, True) for p in parts]
    return out


# A vertical run is a box's side where it meets a box's top or bottom rule, or spans SIDE_RUN of the image's height
# (a separator with no rule). Every vertical run of 0.45 × the height counted: a straight "1" written that tall was
# erased as a box side and its digit lost (tuning 901: "3079161" read 307916). `eval-digit-strings --n 300`:
# tuning 901 88.00 → 88.67%, 903 87.67 → 88.67%, 904 (UCI) 72.33 → 72.00%.
SIDE_RUN = 0.65


def _box_sides(vertical: npt.NDArray[np.uint8], horizontal: npt.NDArray[np.uint8], h: int) -> npt.NDArray[np.uint8]:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(vertical, connectivity=8)
    near_rule = cv2.dilate(horizontal, np.ones((5, 5), np.uint8)) > 0
    keep = np.zeros(n, dtype=bool)
    for k in range(1, n):
        if stats[k, cv2.CC_STAT_HEIGHT] >= SIDE_RUN * h:
            keep[k] = True
        else:
            x, y, cw, ch = (int(v) for v in stats[k, :4])
            keep[k] = bool((near_rule[y : y + ch, x : x + cw] & (labels[y : y + ch, x : x + cw] == k)).any())
    return np.asarray(keep[labels] & (vertical > 0), dtype=np.uint8)


def spans_of(ink: StringInk, groups: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """Each group's columns, widened to halfway to its neighbours (the whole image's width shared among them)."""
    bounds = [(ink.atoms[i][0], max(a[2] for a in ink.atoms[i:j])) for i, j in groups]
    edges = [-np.inf] + [(a[1] + b[0]) / 2 for a, b in zip(bounds, bounds[1:], strict=False)] + [np.inf]
    return [(edges[k], edges[k + 1]) for k in range(len(groups))]


@dataclass(frozen=True)
class Segmentation:
    """Atoms grouped into digits (`groups`: atom index ranges), each group's reading, and the sum of the log
    probabilities of the readings — how well the grouping reads as digits."""

    groups: list[tuple[int, int]]
    boxes: list[BoxReading]
    score: float


MAX_ATOMS_PER_DIGIT = 3
MERGE_GAP = 0.2  # atoms further apart than this share of the line's height are never one digit
NOT_A_DIGIT = 1e-3  # a group read as no digit at all, as a probability


def segmentations(ink: StringInk, clf: DigitClassifier) -> dict[int, Segmentation]:
    """The best grouping of the atoms for each count of digits (dynamic programming over runs of up to
    MAX_ATOMS_PER_DIGIT neighbouring atoms, each run read by the classifier once). A digit broken in two reads as
    two poor digits or one good one; two digits run together read as one "wide" box (capped at 0.5)."""
    atoms = ink.atoms
    n = len(atoms)
    if n == 0:
        return {}
    height = max(a[3] - a[1] for a in atoms)
    runs = [
        (i, j)
        for i in range(n)
        for j in range(i + 1, min(n, i + MAX_ATOMS_PER_DIGIT) + 1)
        if all(atoms[k + 1][0] - max(a[2] for a in atoms[i : k + 1]) <= MERGE_GAP * height for k in range(i, j - 1))
    ]
    read = dict(zip(runs, clf.classify([ink.crop(i, j) for i, j in runs]), strict=True))

    def log_p(r: BoxReading) -> float:
        return float(np.log(max(r.probability if r.digit else NOT_A_DIGIT, 1e-9)))

    # best[j][k]: best score of atoms 0 … j−1 as k digits, with the run that ends it
    best: list[dict[int, tuple[float, tuple[int, int]]]] = [{} for _ in range(n + 1)]
    best[0][0] = (0.0, (0, 0))
    for (i, j), r in sorted(read.items(), key=lambda kv: kv[0][1]):
        for k, (score, _) in best[i].items():
            cand = score + log_p(r)
            if k + 1 not in best[j] or cand > best[j][k + 1][0]:
                best[j][k + 1] = (cand, (i, j))
    out: dict[int, Segmentation] = {}
    for k, (score, _) in best[n].items():
        groups, j, kk = [], n, k
        while kk > 0:
            i, jj = best[j][kk][1]
            groups.append((i, jj))
            j, kk = i, kk - 1
        groups.reverse()
        out[k] = Segmentation(groups, [read[g] for g in groups], score)
    return out
