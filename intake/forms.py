"""Print the ward's pre-screening form as a PDF, drawn from the layout template.

Vector output with the Japanese font embedded (IPAex Gothic, Debian fonts-ipaexfont-gothic), the
ArUco corner markers and the QR drawn as vector squares so they stay sharp at any printer resolution.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import segno
from reportlab.lib.colors import Color, black
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from intake.errors import BadInput
from ocr.codes import FormIdentity
from ocr.template import Box, SeparatorTemplate, Sheet, Template, load_separator, load_template

FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"),
)
FONT = "IPAexGothic"
ERAS = (("令和", date(2019, 5, 1)), ("平成", date(1989, 1, 8)), ("昭和", date(1926, 12, 25)))
GRAY = Color(0.55, 0.55, 0.55)


@dataclass(frozen=True)
class FormContent:
    identity: FormIdentity
    municipality_name: str
    vaccine_name: str
    name: str
    name_kana: str
    birth_date: date
    sex: str  # "1" / "2"
    address: str
    guardian_name: str


def era_text(d: date) -> str:
    for era, start in ERAS:
        if d >= start:
            year = d.year - start.year + 1
            return f"{era}{'元' if year == 1 else year}年{d.month}月{d.day}日"
    return f"{d.year}年{d.month}月{d.day}日"


def register_font() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for path in FONT_PATHS:
        if path.exists():
            pdfmetrics.registerFont(TTFont(FONT, str(path)))
            return
    raise BadInput("forms.font_missing")


class _Page:
    """Template coordinates (mm, origin top-left) onto a reportlab canvas (points, origin bottom-left)."""

    def __init__(self, canvas: Canvas, template: Sheet) -> None:
        self.c = canvas
        self.h = template.height_mm

    def rect(self, box: Box, *, fill: bool = False, width: float = 0.6, color: Color = black) -> None:
        x, y, w, h = box
        self.c.setStrokeColor(color)
        self.c.setFillColor(color)
        self.c.setLineWidth(width)
        self.c.rect(x * mm, (self.h - y - h) * mm, w * mm, h * mm, stroke=1, fill=1 if fill else 0)

    def text(self, x: float, y: float, s: str, size: float = 9, color: Color = black) -> None:
        self.c.setFillColor(color)
        self.c.setFont(FONT, size)
        self.c.drawString(x * mm, (self.h - y) * mm, s)

    def bitmap(self, bits: np.ndarray, x: float, y: float, size: float) -> None:
        """Draw a boolean module matrix as filled squares (True = black)."""
        n = bits.shape[0]
        cell = size / n
        self.c.setFillColor(black)
        for r in range(n):
            for col in range(n):
                if bits[r, col]:
                    self.c.rect(
                        (x + col * cell) * mm,
                        (self.h - y - (r + 1) * cell) * mm,
                        cell * mm + 0.05,
                        cell * mm + 0.05,
                        stroke=0,
                        fill=1,
                    )


def aruco_bits(marker_id: int, dictionary: str) -> np.ndarray:
    d = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, dictionary))
    side = d.markerSize + 2  # with the black border
    img = cv2.aruco.generateImageMarker(d, marker_id, side)
    return np.asarray(img < 128)


def qr_bits(payload: str) -> np.ndarray:
    qr = segno.make_qr(payload, error="m")
    return np.array(list(qr.matrix), dtype=np.uint8) > 0  # quiet zone is the white around the box


def draw_form(c: Canvas, template: Template, content: FormContent, *, with_identity: bool = True) -> None:
    register_font()
    p = _Page(c, template)
    ident = content.identity
    for marker_id, (x, y) in template.markers.positions.items():
        p.bitmap(aruco_bits(marker_id, template.markers.dictionary), x, y, template.markers.size_mm)
    if with_identity:
        qx, qy, qw, _ = template.qr["box"]
        p.bitmap(qr_bits(ident.payload()), qx, qy, qw)
        dx, dy, _, dh = template.id_digits["box"]
        p.text(dx, dy + dh - 1, ident.human_digits(), size=6)

    values = {
        "vaccine_name": content.vaccine_name,
        "dose": ident.dose_no,
        "municipality_name": content.municipality_name,
        "municipality_code": ident.municipality_code,
        "form_no": ident.form_no,
        "atena_no": ident.atena_no,
    }
    tx, ty = template.title["pos"]
    p.text(tx, ty, template.title["text"].format(**values), size=template.title["size"])
    sx, sy = template.subtitle["pos"]
    p.text(sx, sy, template.subtitle["text"].format(**values), size=template.subtitle["size"])

    printed = {
        "name": content.name,
        "name_kana": content.name_kana,
        "birth_date_text": f"{era_text(content.birth_date)}（{content.birth_date.isoformat()}）",
        "sex_text": {"1": "男", "2": "女"}.get(content.sex, ""),
        "address": content.address,
        "guardian_name": content.guardian_name,
    }
    for row in template.resident_block:
        box = tuple(row["box"])
        p.rect(box, width=0.4)
        p.text(box[0] + 1.5, box[1] + box[3] - 2, row["label"], size=7, color=GRAY)
        size = 13 if row["key"] == "name" else 10
        p.text(box[0] + template.resident_value_x_mm, box[1] + box[3] - 2, printed[row["key"]], size=size)

    qh = template.questions_header
    p.text(qh["pos"][0], qh["pos"][1], qh["text"], size=10)
    for f in template.fields:
        _draw_field(p, f, qh)


def _draw_field(p: _Page, f: object, qh: dict[str, str]) -> None:
    from ocr.template import FieldSpec

    assert isinstance(f, FieldSpec)
    if f.kind == "checkbox_pair" and f.box_yes and f.box_no and f.row_y is not None:
        p.text(14, f.row_y + 4, f.label, size=9)
        for box, label in ((f.box_yes, qh["yes_label"]), (f.box_no, qh["no_label"])):
            p.rect(box, width=0.8)
            p.text(box[0] + box[2] + 1, box[1] + 4, label, size=8)
        return
    if f.label_pos:
        p.text(f.label_pos[0], f.label_pos[1], f.label, size=9)
    if f.kind in ("digits", "date", "dose"):
        for cell in f.cells:
            p.rect(cell, width=0.5, color=GRAY)
        last = f.cells[-1]
        if f.kind in ("digits", "dose"):
            # the printed decimal point between the integer and fraction cells
            split = 2 if f.kind == "digits" else 1
            before = f.cells[split - 1]
            p.text(before[0] + before[2] + 0.6, before[1] + before[3] - 1, ".", size=14)
        for x, sep in f.separators:
            p.text(x + 1, last[1] + last[3] - 2, sep, size=10)
        if f.suffix:
            p.text(last[0] + last[2] + 2, last[1] + last[3] - 2, f.suffix, size=10)
    elif f.kind == "choice":
        for opt in f.options:
            p.text(opt.box[0] + 2, opt.box[1] + opt.box[3] - 2.5, opt.value, size=11)
    elif f.box is not None:
        p.rect(f.box, width=0.5, color=GRAY)


def render_pdf(
    contents: list[FormContent], template: Template | None = None, progress: Callable[[int], None] | None = None
) -> bytes:
    """One page per form; the result is a complete PDF document. `progress(1)` after each page."""
    if not contents:
        raise BadInput("forms.nothing_to_print")
    buf = io.BytesIO()
    template = template or load_template(contents[0].identity.layout)
    c = Canvas(buf, pagesize=(template.width_mm * mm, template.height_mm * mm))
    c.setTitle("予防接種予診票")
    for content in contents:
        draw_form(c, template, content)
        c.showPage()
        if progress:
            progress(1)
    c.save()
    return buf.getvalue()


def render_separator_pdf(copies: int = 1, sheet: SeparatorTemplate | None = None) -> bytes:
    """The separator sheet (区切り紙) a clinic's bundle is put behind on the scanner, drawn from its template
    (ocr/templates/separator-v1.yaml) as the triage reads it: `copies` pages."""
    if not 1 <= copies <= 500:
        raise BadInput("forms.separator_copies", copies=copies)
    register_font()
    sheet = sheet or load_separator()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(sheet.width_mm * mm, sheet.height_mm * mm))
    c.setTitle(sheet.label.text)
    for _ in range(copies):
        p = _Page(c, sheet)
        for bar in sheet.bars.boxes():
            p.rect(bar, fill=True, width=0)
        x, y = sheet.label.pos
        c.setFillColor(black)
        c.setFont(FONT, sheet.label.size_mm * mm)
        c.drawCentredString(x * mm, (sheet.height_mm - y) * mm - sheet.label.size_mm * mm * 0.35, sheet.label.text)
        c.showPage()
    c.save()
    return buf.getvalue()


def render_reference(layout: str, px_per_mm: float) -> np.ndarray:
    """The blank form (no person, no QR) at the recognizer's working resolution: the reference that
    ocr.register matches features against when a page's markers are damaged."""
    import pypdfium2 as pdfium

    from ocr.codes import FormIdentity

    template = load_template(layout)
    blank = FormContent(FormIdentity("000000", "", "", 0, "", layout), "", "", "", "", date(2000, 1, 1), "", "", "")
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(template.width_mm * mm, template.height_mm * mm))
    draw_form(c, template, blank, with_identity=False)
    c.showPage()
    c.save()
    page = pdfium.PdfDocument(buf.getvalue())[0]
    img = page.render(scale=px_per_mm * 25.4 / 72, grayscale=True).to_pil().convert("L")
    w, h = int(template.width_mm * px_per_mm), int(template.height_mm * px_per_mm)
    return np.asarray(img.resize((w, h)), dtype=np.uint8)
