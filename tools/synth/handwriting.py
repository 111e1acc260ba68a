"""Draw hand-filled entries onto a rendered form image: handwriting-style fonts with per-glyph jitter,
ticks and circles, a lot sticker pasted at an angle, a red clinic stamp."""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HAND_FONTS = [
    Path("/usr/share/fonts/truetype/seto/setofont.ttf"),
    Path("/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf"),
    Path("/usr/share/fonts/truetype/yozvox-yozfont/YOzRNXF.ttf"),
]
PRINT_FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
PENS = [(20, 20, 30), (15, 25, 90), (40, 40, 40), (10, 10, 60)]


def available_hand_fonts() -> list[Path]:
    fonts = [p for p in HAND_FONTS if p.exists()]
    if not fonts:
        raise RuntimeError("no handwriting font installed: apt-get install fonts-seto fonts-klee fonts-yozvox-yozfont")
    return fonts


@lru_cache(maxsize=64)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


class Hand:
    """One writer: a font, a pen colour and a slant, used for the whole form."""

    def __init__(self, rng: random.Random, px_per_mm: float) -> None:
        self.rng = rng
        self.font_path = rng.choice(available_hand_fonts())
        self.pen = rng.choice(PENS)
        self.slant = rng.uniform(-6, 6)
        self.k = px_per_mm

    def glyph(self, img: Image.Image, ch: str, cx: float, cy: float, size_mm: float) -> None:
        """One character centred at (cx, cy) mm, jittered in size, position and angle."""
        rng = self.rng
        size = max(8, int(size_mm * self.k * rng.uniform(0.85, 1.1)))
        font = _font(self.font_path, size)
        tile = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(tile).text((size, size), ch, font=font, fill=255, anchor="mm")
        tile = tile.rotate(self.slant + rng.uniform(-5, 5), resample=Image.Resampling.BICUBIC)
        x = int(cx * self.k + rng.uniform(-0.6, 0.6) * self.k) - size
        y = int(cy * self.k + rng.uniform(-0.6, 0.6) * self.k) - size
        img.paste(Image.new("RGB", tile.size, self.pen), (x, y), tile)

    def write(self, img: Image.Image, text: str, box: tuple[float, float, float, float], size_mm: float) -> None:
        """A run of characters left to right inside a box."""
        x, y, w, h = box
        step = size_mm * self.rng.uniform(0.85, 1.0)
        cx = x + 2 + step / 2
        for ch in text:
            if ch != " ":
                self.glyph(img, ch, cx, y + h / 2, size_mm)
            cx += step if ch != " " else step / 2

    def tick(self, img: Image.Image, box: tuple[float, float, float, float], style: str) -> None:
        x, y, w, h = (v * self.k for v in box)
        d = ImageDraw.Draw(img)
        width = max(2, int(0.4 * self.k))
        j = self.rng.uniform
        if style == "tick":
            d.line(
                [(x + w * 0.1, y + h * 0.5), (x + w * 0.4, y + h * 0.9 + j(-2, 2)), (x + w * 1.1, y - h * 0.2)],
                fill=self.pen,
                width=width,
            )
        elif style == "cross":
            d.line([(x, y), (x + w, y + h)], fill=self.pen, width=width)
            d.line([(x + w, y), (x, y + h)], fill=self.pen, width=width)
        else:  # filled box
            d.rectangle([x + 1, y + 1, x + w - 1, y + h - 1], fill=self.pen)

    def circle(self, img: Image.Image, box: tuple[float, float, float, float]) -> None:
        x, y, w, h = (v * self.k for v in box)
        ImageDraw.Draw(img).ellipse(
            [x - 4 + self.rng.uniform(-3, 3), y - 3, x + w + 4, y + h + 3 + self.rng.uniform(-3, 3)],
            outline=self.pen,
            width=max(2, int(0.35 * self.k)),
        )

    def strike(self, img: Image.Image, box: tuple[float, float, float, float]) -> None:
        """Two strokes through a wrong entry, as people cancel what they wrote."""
        x, y, w, h = (v * self.k for v in box)
        d = ImageDraw.Draw(img)
        for dy in (0.42, 0.58):
            d.line(
                [(x, y + h * dy + self.rng.uniform(-2, 2)), (x + w, y + h * dy + self.rng.uniform(-2, 2))],
                fill=self.pen,
                width=max(2, int(0.3 * self.k)),
            )

    def scribble(self, img: Image.Image, box: tuple[float, float, float, float]) -> None:
        """A signature: a few connected strokes, which is what 'signature present' has to detect."""
        x, y, w, h = box
        pts = [
            ((x + 3 + i * (w - 6) / 12) * self.k, (y + h / 2 + self.rng.uniform(-h / 3, h / 3)) * self.k) for i in range(13)
        ]
        ImageDraw.Draw(img).line(pts, fill=self.pen, width=max(2, int(0.35 * self.k)), joint="curve")


def sticker(img: Image.Image, text: str, box: tuple[float, float, float, float], rng: random.Random, k: float) -> None:
    """A printed lot label pasted at a slight angle inside the sticker area."""
    x, y, w, h = box
    sw, sh = int((w - 14) * k), int((h - 4) * k)
    label = Image.new("L", (sw, sh), 250)
    d = ImageDraw.Draw(label)
    d.rectangle([0, 0, sw - 1, sh - 1], outline=120, width=2)
    d.text((sw // 2, sh // 2), f"Lot {text}", font=_font(PRINT_FONT, int(sh * 0.45)), fill=10, anchor="mm")
    angle = rng.uniform(-4, 4)
    rot = label.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    mask = Image.new("L", label.size, 255).rotate(angle, expand=True, fillcolor=0)
    img.paste(rot.convert("RGB"), (int((x + 3 + rng.uniform(0, 3)) * k), int((y + 1.5) * k)), mask)


def stamp(img: Image.Image, clinic_name: str, box: tuple[float, float, float, float], rng: random.Random, k: float) -> None:
    """A red clinic stamp, partly overlapping the box border like real ones."""
    x, y, w, h = box
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    red = (200, 30, 40, 200)
    x0, y0 = (x + 2 + rng.uniform(0, 4)) * k, (y + 1 + rng.uniform(0, 2)) * k
    d.rectangle([x0, y0, x0 + (w - 6) * k, y0 + (h - 3) * k], outline=red, width=max(2, int(0.4 * k)))
    font = _font(PRINT_FONT, int(3.2 * k))
    d.text((x0 + 2 * k, y0 + 2 * k), clinic_name[:12], font=font, fill=red)
    d.text((x0 + 2 * k, y0 + 8 * k), "東京都練馬区", font=font, fill=red)
    img.paste(Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB"))
