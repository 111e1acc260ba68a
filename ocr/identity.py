"""Identity stage: the QR code (zxing-cpp) with both check digits verified."""

from __future__ import annotations

import re

import cv2
import numpy as np
import zxingcpp

from ocr.codes import FormIdentity, IdentityError, form_no_valid, municipality_code_valid, parse_payload
from ocr.register import crop_mm
from ocr.template import Template
from ocr.types import Gray, Message, msg


def read_identity(
    registered: Gray | None, original: Gray, template: Template
) -> tuple[FormIdentity | None, str, tuple[Message, ...]]:
    """Returns (identity, source, problems). Tries the QR area of the registered page first (fast), then
    the whole original page (the QR survives even when registration fails)."""
    problem: Message | None = None
    images: list[Gray] = []
    if registered is not None:
        images.append(crop_mm(registered, template.qr["box"], inset_mm=-4))
    images.append(original)
    for img in images:
        found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)  # type: ignore[arg-type]
        for result in found:
            try:
                return parse_payload(result.text), "qr", ()
            except IdentityError as exc:
                problem = msg(f"identity.{exc.code}")
    qr = problem or msg("identity.no_qr")
    if registered is not None:
        ident, digit_problem = read_printed_digits(registered, template)
        if ident is not None:
            return ident, "digits", (qr,)
        return None, "none", (qr, *((digit_problem,) if digit_problem else ()))
    return None, "none", (qr,)


_DIGITS_RE = re.compile(r"(\d{6})-(\d{12})-(\d{11})")


def read_printed_digits(registered: Gray, template: Template) -> tuple[FormIdentity | None, Message | None]:
    """The id printed for people under the QR: 市区町村コード-宛名番号-予診票番号, both check digits verified.
    It does not carry the vaccine or dose: those stay empty for the reviewer (the title names them)."""
    from ocr.engines import tesseract

    x, y, w, h = template.id_digits["box"]
    crop = crop_mm(registered, (x - 1, y - 1, w + 2, h + 2))
    big = np.asarray(cv2.resize(crop, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    text = tesseract("eng").recognize(big, charset="0123456789-").text
    m = _DIGITS_RE.search(text)
    if m is None:
        return None, msg("identity.digits_unreadable")
    muni, atena, form_no = m.groups()
    if not municipality_code_valid(muni) or not form_no_valid(form_no):
        return None, msg("identity.digits_check")
    return FormIdentity(muni, atena, "", 0, form_no, template.layout), None
