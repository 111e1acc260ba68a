"""Identity stage: the QR code (zxing-cpp) with both check digits verified."""

from __future__ import annotations

import zxingcpp

from ocr.codes import FormIdentity, IdentityError, parse_payload
from ocr.register import crop_mm
from ocr.template import Template
from ocr.types import Gray


def read_identity(registered: Gray | None, original: Gray, template: Template) -> tuple[FormIdentity | None, str, str]:
    """Returns (identity, source, problem). Tries the QR area of the registered page first (fast), then
    the whole original page (the QR survives even when registration fails)."""
    problem = ""
    images: list[Gray] = []
    if registered is not None:
        images.append(crop_mm(registered, template.qr["box"], inset_mm=-4))
    images.append(original)
    for img in images:
        found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)  # type: ignore[arg-type]
        for result in found:
            try:
                return parse_payload(result.text), "qr", ""
            except IdentityError as exc:
                problem = str(exc)
    return None, "none", problem or "no QR code found"
