"""The form's machine-readable identity: check digits and the QR payload.

Payload (ASCII, `;`-separated so it survives any QR mode):
    YS1;<市区町村コード 6>;<宛名番号>;<接種種類コード>;<回数>;<予診票番号 11>;<layout>
"""

from __future__ import annotations

from dataclasses import dataclass

PAYLOAD_PREFIX = "YS1"


def municipality_check_digit(code5: str) -> int:
    """全国地方公共団体コード check digit: (11 − Σ dᵢ·wᵢ mod 11) mod 10, weights 6,5,4,3,2."""
    if len(code5) != 5 or not code5.isdigit():
        raise ValueError(f"municipality code needs 5 digits, got {code5!r}")
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def municipality_code_valid(code6: str) -> bool:
    return len(code6) == 6 and code6.isdigit() and municipality_check_digit(code6[:5]) == int(code6[5])


def luhn_check_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def make_form_no(serial: int) -> str:
    """予診票番号: a 10-digit serial plus a Luhn check digit (catches every single-digit misread)."""
    body = f"{serial:010d}"
    return body + str(luhn_check_digit(body))


def form_no_valid(form_no: str) -> bool:
    return len(form_no) == 11 and form_no.isdigit() and luhn_check_digit(form_no[:10]) == int(form_no[10])


@dataclass(frozen=True)
class FormIdentity:
    municipality_code: str
    atena_no: str
    vaccine_code: str
    dose_no: int
    form_no: str
    layout: str

    def payload(self) -> str:
        return ";".join(
            [
                PAYLOAD_PREFIX,
                self.municipality_code,
                self.atena_no,
                self.vaccine_code,
                str(self.dose_no),
                self.form_no,
                self.layout,
            ]
        )

    def human_digits(self) -> str:
        return f"{self.municipality_code}-{self.atena_no}-{self.form_no}"


class IdentityError(ValueError):
    """The payload was read but fails a check; `code` names which (identity.<code> in intake.messages)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def parse_payload(text: str) -> FormIdentity:
    parts = text.strip().split(";")
    if len(parts) != 7 or parts[0] != PAYLOAD_PREFIX:
        raise IdentityError("qr_not_ward", "QR is not a ward form code")
    _, muni, atena, vaccine, dose, form_no, layout = parts
    if not municipality_code_valid(muni):
        raise IdentityError("qr_municipality_check", "QR municipality code check digit wrong")
    if not form_no_valid(form_no):
        raise IdentityError("qr_form_no_check", "QR form number check digit wrong")
    if not dose.isdigit():
        raise IdentityError("qr_dose_not_number", "QR dose number is not a number")
    return FormIdentity(muni, atena, vaccine, int(dose), form_no, layout)
