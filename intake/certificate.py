"""The 予防接種済証 (vaccination certificate) a resident asks the ward for: the doses on the ledger as a one-page PDF,
in the ward's words (和暦 dates, vaccines by name, the clinic), with the Japanese font embedded."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from intake.forms import FONT, era_text, register_font


@dataclass(frozen=True)
class CertifiedDose:
    vaccine_name: str
    dose_no: int
    performed_on: date
    lot_number: str
    clinic_name: str


@dataclass(frozen=True)
class CertificateContent:
    municipality_name: str
    name: str
    name_kana: str
    birth_date: date | None
    address: str
    doses: list[CertifiedDose]
    issued_on: date


def render_certificate(content: CertificateContent) -> bytes:
    register_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setTitle("予防接種済証")
    width, height = A4
    y = height - 30 * mm
    c.setFont(FONT, 18)
    c.drawCentredString(width / 2, y, "予防接種済証")
    c.setFont(FONT, 10)
    y -= 16 * mm
    born = era_text(content.birth_date) if content.birth_date else "不詳"
    for label, value in (("氏名", f"{content.name}（{content.name_kana}）"), ("生年月日", born), ("住所", content.address)):
        c.drawString(20 * mm, y, f"{label}　{value}")
        y -= 7 * mm
    y -= 4 * mm
    columns = ((20, "ワクチン"), (85, "回数"), (100, "接種年月日"), (135, "ロット番号"), (160, "実施機関"))
    for x, title in columns:
        c.drawString(x * mm, y, title)
    y -= 2 * mm
    c.line(20 * mm, y, 190 * mm, y)
    y -= 6 * mm
    c.setFont(FONT, 9)
    for d in content.doses:
        if y < 40 * mm:  # a long history continues on the next page
            c.showPage()
            c.setFont(FONT, 9)
            y = height - 30 * mm
        for (x, _), text in zip(
            columns,
            (d.vaccine_name, f"第{d.dose_no}回", era_text(d.performed_on), d.lot_number, d.clinic_name[:14]),
            strict=True,
        ):
            c.drawString(x * mm, y, text)
        y -= 6 * mm
    if not content.doses:
        c.drawString(20 * mm, y, "台帳に記録された接種はありません")
    c.setFont(FONT, 10)
    c.drawString(20 * mm, 30 * mm, "上記のとおり予防接種を受けたことを証明します。")
    c.drawString(20 * mm, 22 * mm, f"{era_text(content.issued_on)}　{content.municipality_name}長")
    c.showPage()
    c.save()
    return buf.getvalue()
