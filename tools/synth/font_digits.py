"""Digits in other hands, for training only: the ten digits of 80 handwriting fonts from the npm registry's
`@fontsource` packages (Google Fonts, SIL Open Font Licence). Each font is one person's hand drawn as a font — school
scripts of several countries (the `edu-*` and `playwrite-*` families), Japanese, Korean and Chinese handwriting
fonts, markers and pencils — so the classifier sees styles MNIST's American writers rarely use: a 1 with a long
flag, a 7 with a bar, an open 4, a 9 with a straight tail. The corpus's own handwriting fonts (`tools.synth.handwriting`:
Seto, Klee One, YOz) are not among them, so `synth --digits font` stays an outside check.

Fetched with `npm pack` at training time into a cache (npm checks each package against the registry's integrity
hash); never at run time, never in the product."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

FONT_VERSION = "5.3.0"
# name → version where it differs from FONT_VERSION. Left out after looking at their digits: twinkle-star and
# oooh-baby (ornaments, not a hand).
FONTS: dict[str, str] = {
    name: FONT_VERSION
    for name in (
        "andika annie-use-your-telescope architects-daughter bad-script caveat caveat-brush cedarville-cursive chilanka "
        "comic-neue coming-soon covered-by-your-grace crafty-girls dawning-of-a-new-day dekko delius east-sea-dokdo "
        "edu-nsw-act-foundation edu-qld-beginner edu-sa-beginner edu-tas-beginner edu-vic-wa-nt-beginner gaegu "
        "gamja-flower give-you-glory gloria-hallelujah gochi-hand grape-nuts hachi-maru-pop handlee hi-melody "
        "homemade-apple indie-flower itim just-another-hand kalam kristi la-belle-aurore long-cang loved-by-the-king "
        "mali mansalva mynerve nanum-pen-script nerko-one neucha nothing-you-could-do over-the-rainbow patrick-hand "
        "permanent-marker playpen-sans playwrite-ar playwrite-cz playwrite-de-grund playwrite-dk-loopet playwrite-es "
        "playwrite-fr-moderne playwrite-it-moderna playwrite-nz playwrite-us-trad poor-story reenie-beanie rock-salt "
        "schoolbell shadows-into-light shantell-sans short-stack sniglet square-peg sriracha sue-ellen-francisco "
        "swanky-and-moo-moo waiting-for-the-sunrise walter-turncoat yomogi yusei-magic zen-kurenaido zeyada"
    ).split()
} | {"kite-one": "4.5.0", "ma-shan-zheng": "5.3.1", "single-day": "5.3.1"}
FONT_CACHE = Path.home() / ".cache" / "yoshin-intake" / "fontsource"


def _package(name: str, version: str, cache: Path) -> Path:
    tgz = cache / f"fontsource-{name}-{version}.tgz"
    if not tgz.exists():
        cache.mkdir(parents=True, exist_ok=True)
        spec = f"@fontsource/{name}@{version}"
        try:
            subprocess.run(["npm", "pack", spec, "--pack-destination", str(cache)], capture_output=True, text=True,
                           check=True, timeout=600)  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            raise RuntimeError(
                f"could not fetch {spec} with npm (training only; needs npm and the registry): {exc}"
            ) from exc
    return tgz


def _glyphs(font: bytes) -> list[npt.NDArray[np.float32]] | None:
    """The ten digits of one font file as 28 × 28 ink in [0, 1], framed as MNIST frames a digit (its larger side 20
    px, centred by its mass); None where the file holds no digits (a CJK font's other subsets)."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(io.BytesIO(font), 96)
    out = []
    for d in "0123456789":
        im = Image.new("L", (200, 200), 0)
        ImageDraw.Draw(im).text((50, 30), d, font=face, fill=255)
        a = np.asarray(im, dtype=np.float32) / 255.0
        ys, xs = np.nonzero(a > 0.1)
        if ys.size == 0:
            return None
        c = a[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        s = 20.0 / max(c.shape)
        c = cv2.resize(c, (max(1, round(c.shape[1] * s)), max(1, round(c.shape[0] * s))), interpolation=cv2.INTER_AREA)
        frame = np.zeros((28, 28), np.float32)
        y0, x0 = (28 - c.shape[0]) // 2, (28 - c.shape[1]) // 2
        frame[y0 : y0 + c.shape[0], x0 : x0 + c.shape[1]] = c
        my, mx = (np.array(np.nonzero(frame > 0.1)).mean(axis=1) - 13.5).round().astype(int)
        out.append(np.roll(frame, (-my, -mx), axis=(0, 1)))
    if any(np.array_equal(out[0], o) for o in out[1:]):  # the font's "missing glyph" box ten times
        return None
    return out


def footed_one(one: npt.NDArray[np.float32]) -> bool:
    """A "1" standing on a foot (a serif bar at its base as wide as 0.45 of its height): too near a 2 whose loop
    is small (see FOOTED_ONES)."""
    ys, xs = np.nonzero(one > 0.3)
    h = int(ys.max() - ys.min() + 1)
    base = np.nonzero(one[ys.max() - max(1, h // 8) : ys.max() + 1].max(axis=0) > 0.3)[0]
    return bool(base.max() - base.min() + 1 >= 0.45 * h)


# Footed 1s are left out of training (8 of the 80 fonts draw one). With them, the tuning corpora auto-accepted
# MNIST 2s drawn steep with a small loop as sure 1s ("22" read "21"; wide 511 and clean 521: 4 wrong dates against
# the committed model's 1).
FOOTED_ONES = False


def font_digits(cache: Path = FONT_CACHE) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64], list[str]]:
    """Every font's digits (x: N × 28 × 28, y: the digit; a footed 1 left out) and the font files used."""
    xs: list[npt.NDArray[np.float32]] = []
    ys: list[int] = []
    used = []
    for name, version in sorted(FONTS.items()):
        with tarfile.open(_package(name, version, cache)) as tar:
            files = [m for m in tar.getnames() if m.endswith(".woff") and "-normal" in m]
            for member in sorted(files, key=lambda m: ("-latin-" not in m, "-400-" not in m, m)):
                f = tar.extractfile(member)
                glyphs = _glyphs(f.read()) if f else None
                if glyphs:
                    xs += [g for d, g in enumerate(glyphs) if FOOTED_ONES or d != 1 or not footed_one(g)]
                    ys += [d for d, g in enumerate(glyphs) if FOOTED_ONES or d != 1 or not footed_one(g)]
                    used.append(f"{name}@{version}:{Path(member).name}")
                    break
            else:
                raise RuntimeError(f"@fontsource/{name}@{version} holds no font file with the ten digits")
    return np.stack(xs), np.asarray(ys, dtype=np.int64), used
