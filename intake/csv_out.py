"""Every CSV the ward downloads or a command writes, encoded one way, and every CSV a person gives read either way.

Written: UTF-8 with a BOM (Excel on a Japanese PC opens
it without mojibake), or CP932 (Shift_JIS, for the ward's older systems) when asked. A character CP932 lacks
(e.g. 𠮷) becomes 〓 — the geta mark Japanese systems print for a missing glyph — so a person sees where it was."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TextIO

from intake.errors import BadInput

Encoding = Literal["utf-8", "cp932"]
ENCODINGS: tuple[Encoding, ...] = ("utf-8", "cp932")


def _geta(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "〓" * (exc.end - exc.start), exc.end


codecs.register_error("geta", _geta)


def encode_csv(text: str, encoding: Encoding = "utf-8") -> bytes:
    if encoding == "cp932":
        return text.encode("cp932", errors="geta")
    return ("\ufeff" + text).encode("utf-8")


def media_type(encoding: Encoding) -> str:
    return f"text/csv; charset={'shift_jis' if encoding == 'cp932' else 'utf-8'}"


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else CP932 (the ward's Shift_JIS exports): decided on the first 1 MB, so a
    740,000-row register is streamed, never held in memory whole."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    for cut in range(4):  # the 1 MB boundary may split a multi-byte character
        try:
            head[: len(head) - cut].decode("utf-8")
            return "utf-8-sig"
        except UnicodeDecodeError:
            continue
    return "cp932"


@contextmanager
def open_csv(path: Path) -> Iterator[TextIO]:
    """A CSV a person gave, as text: UTF-8 or CP932, whichever it is; a spreadsheet or binary file is refused
    with what to do (save it from Excel as CSV)."""
    with path.open("rb") as raw:
        head = raw.read(8)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or b"\x00" in head:  # xlsx / xls / binary
        raise BadInput("file.not_csv", name=path.name)
    with path.open(encoding=detect_encoding(path), newline="") as fh:
        try:
            yield fh
        except UnicodeDecodeError:  # neither UTF-8 nor CP932 (EUC-JP, …), wherever the first foreign byte sits
            raise BadInput("file.not_text", name=path.name) from None
