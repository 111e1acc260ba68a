"""The training-only font digits (`tools.synth.font_digits`): glyphs framed as MNIST frames a digit, a footed 1 told
from a plain one. The npm fetch itself is not exercised here (training only, needs the registry); a font the machine
has from Debian (`make setup` installs fonts-klee) stands in for a fetched one."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tools.synth.font_digits import FONTS, _glyphs, footed_one
from tools.synth.handwriting import HAND_FONTS

KLEE = Path("/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf")


def test_a_fonts_ten_digits_are_framed_as_mnist_frames_a_digit() -> None:
    assert KLEE.exists(), f"{KLEE} missing: run `make setup` (installs fonts-klee, which the corpus writes with too)"
    glyphs = _glyphs(KLEE.read_bytes())
    assert glyphs is not None and len(glyphs) == 10
    for g in glyphs:
        ys, xs = np.nonzero(g > 0.1)
        assert g.shape == (28, 28)
        assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 in (20, 21)  # larger side 20 px
        assert abs(ys.mean() - 13.5) <= 1.0 and abs(xs.mean() - 13.5) <= 1.0  # centred by mass
    assert len({g.tobytes() for g in glyphs}) == 10


def test_a_one_on_a_foot_is_told_from_a_plain_one() -> None:
    plain = np.zeros((28, 28), np.float32)
    cv2.line(plain, (14, 4), (14, 24), 1.0, 2)
    cv2.line(plain, (14, 4), (10, 8), 1.0, 2)  # a flag is no foot
    footed = plain.copy()
    cv2.line(footed, (9, 24), (19, 24), 1.0, 2)
    assert footed_one(footed) and not footed_one(plain)


def test_the_corpus_fonts_are_not_trained_on() -> None:
    """`synth --digits font` writes with the corpus's own fonts: they must stay out of training to be a check."""
    corpus = {p.stem.lower() for p in HAND_FONTS}
    assert not any(name.replace("-", "") in stem.replace("-", "") for name in FONTS for stem in corpus)
    assert "klee-one" not in FONTS
