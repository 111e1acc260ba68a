"""The 予防接種依頼書 (request letter) the ward gives a resident vaccinated outside it: numbered, naming the resident,
the vaccine and dose, who is asked, the stay address and why — one PDF page, Japanese font embedded."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from intake.forms import FONT, era_text, register_font


@dataclass(frozen=True)
class LetterContent:
    request_no: str
    municipality_name: str
    department: str
    receiver: str
    name: str
    name_kana: str
    birth_date: date | None
    address: str
    stay_address: str
    vaccine_name: str
    dose_no: int
    reason: str
    issued_on: date


def render_letter(content: LetterContent) -> bytes:
    register_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setTitle("予防接種依頼書")
    width, height = A4
    c.setFont(FONT, 10)
    c.drawRightString(width - 20 * mm, height - 20 * mm, f"依頼番号 {content.request_no}")
    c.drawRightString(width - 20 * mm, height - 26 * mm, era_text(content.issued_on))
    c.setFont(FONT, 18)
    c.drawCentredString(width / 2, height - 42 * mm, "予防接種依頼書")
    c.setFont(FONT, 11)
    y = height - 58 * mm
    c.drawString(20 * mm, y, f"{content.receiver}　様")
    y -= 12 * mm
    c.drawString(20 * mm, y, "下記の者の予防接種について、実施していただきますよう依頼します。")
    y -= 12 * mm
    born = era_text(content.birth_date) if content.birth_date else "不詳"
    for label, value in (
        ("氏名", f"{content.name}（{content.name_kana}）"),
        ("生年月日", born),
        ("住所", content.address),
        ("滞在先住所", content.stay_address or "—"),
        ("予防接種", f"{content.vaccine_name}　第{content.dose_no}回"),
        ("依頼の理由", content.reason or "—"),
    ):
        c.drawString(25 * mm, y, label)
        c.drawString(60 * mm, y, value)
        y -= 9 * mm
    c.drawString(20 * mm, 30 * mm, f"{content.municipality_name}長　（{content.department}）")
    c.showPage()
    c.save()
    return buf.getvalue()
