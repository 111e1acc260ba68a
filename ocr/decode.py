"""Decode stage: uploaded bytes → grayscale page images, with limits against hostile files.

The file type is decided by magic bytes, never by name or declared MIME type.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

from ocr.types import Gray, PageUnreadable

MEDIA_TYPES = {
    b"%PDF-": "application/pdf",
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
REFUSED = {
    b"%!PS": "PostScript/EPS",
    b"\xc5\xd0\xd3\xc6": "EPS",
    b"PK\x03\x04": "ZIP archive",
    b"\x7fELF": "executable",
    b"MZ": "Windows executable",
}


class DecodeError(PageUnreadable):
    """A file that is not a readable scan. `fix` says what the scanner operator should do."""

    def __init__(self, code: str, message: str, fix: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code  # decode.<code> in intake.messages: the words a person reads, with params
        self.fix = fix
        self.params = params


MIN_SIDE_PX = 500  # an A4 sheet at 100 dpi is 827 px wide; anything smaller is not a scan of a form


@dataclass(frozen=True)
class Limits:
    max_pages: int = 500
    max_pixels: int = 60_000_000


@dataclass(frozen=True)
class FileProbe:
    media_type: str
    page_count: int


def sniff(data: bytes) -> str:
    if not data:
        raise DecodeError("empty", "the file is empty (0 bytes)", "scan the bundle again and upload the file it writes")
    for magic, name in REFUSED.items():
        if data.startswith(magic):
            raise DecodeError(
                "refused", f"this is a {name}, not a scan", "upload PDF, TIFF, PNG or JPEG files from the scanner", kind=name
            )
    for magic, media in MEDIA_TYPES.items():
        if data.startswith(magic):
            return media
    raise DecodeError("unknown_type", "unrecognised file type", "upload PDF, TIFF, PNG or JPEG files from the scanner")


def probe(data: bytes, limits: Limits) -> FileProbe:
    """Check the whole file cheaply (type, page count, page sizes) before anything is stored."""
    media = sniff(data)
    if media == "application/pdf":
        count = _pdf_page_count(data, limits)
    else:
        count = _image_page_count(data, media, limits)
    return FileProbe(media, count)


def _pdf_page_count(data: bytes, limits: Limits) -> int:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise DecodeError("encrypted", "the PDF is encrypted", "save it from the scanner without a password") from exc
        raise DecodeError(
            "pdf_unreadable", f"the PDF cannot be read ({exc})", "the file may be truncated: upload it again"
        ) from exc
    try:
        n = len(pdf)
        if n == 0:
            raise DecodeError("no_pages", "the PDF has no pages", "scan the bundle again")
        if n > limits.max_pages:
            raise DecodeError(
                "too_many_pages",
                f"the PDF has {n} pages; at most {limits.max_pages} per file",
                "split the bundle into smaller files",
                pages=n,
                limit=limits.max_pages,
            )
        for i in range(n):
            w, h = pdf[i].get_size()  # points
            if (w / 72 * 200) * (h / 72 * 200) > limits.max_pixels:
                raise DecodeError(
                    "page_too_large",
                    f"page {i + 1} is too large ({w / 72:.0f}×{h / 72:.0f} in)",
                    "scan at A4 or A3 size",
                    page=i + 1,
                )
        return n
    finally:
        pdf.close()


def _open_image(data: bytes, limits: Limits) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecodeError(
            "too_many_pixels",
            "the image has too many pixels",
            f"scan at 200–400 dpi (limit {limits.max_pixels:,} pixels)",
            limit=f"{limits.max_pixels:,}",
        ) from exc
    except Exception as exc:  # PIL raises many types for broken files
        raise DecodeError(
            "image_unreadable", f"the image cannot be read ({type(exc).__name__})", "upload the file again"
        ) from exc


def _image_page_count(data: bytes, media: str, limits: Limits) -> int:
    img = _open_image(data, limits)
    try:
        n = int(getattr(img, "n_frames", 1))
        if n > limits.max_pages:
            raise DecodeError(
                "too_many_pages",
                f"the TIFF has {n} pages; at most {limits.max_pages} per file",
                "split the bundle",
                pages=n,
                limit=limits.max_pages,
            )
        for i in range(n):
            img.seek(i)
            if img.width * img.height > limits.max_pixels:
                raise DecodeError(
                    "too_many_pixels",
                    f"page {i + 1} has too many pixels ({img.width}×{img.height})",
                    "scan at 200–400 dpi",
                    limit=f"{limits.max_pixels:,}",
                )
            if min(img.width, img.height) < MIN_SIDE_PX:
                raise DecodeError(
                    "page_too_small",
                    f"page {i + 1} is {img.width}×{img.height} pixels, too small to be a scanned form",
                    "scan the whole A4 sheet at 200–400 dpi",
                )
        # decode the first and last frames fully: catches truncated files now, not in the worker
        img.seek(0)
        img.load()
        if n > 1:
            img.seek(n - 1)
            img.load()
    except DecodeError:
        raise
    except Exception as exc:  # Pillow raises KeyError, TypeError, OSError, EOFError… on malformed files
        raise DecodeError(
            "damaged", f"the image data is damaged ({type(exc).__name__})", "the file may be truncated: upload it again"
        ) from exc
    return n


def _scanned_jpeg(page: Any, dpi: int, limits: Limits) -> Image.Image | None:
    """A scanner's PDF page is one JPEG covering the page: decoding that JPEG straight to grayscale, at the
    size the renderer would give, is about half the cost of rendering the page (measured: ~30 of ~64 ms).
    Anything else — other objects, rotation, a flipped or partial image, another codec, a colour space PIL
    might get wrong — returns None and the page is rendered."""
    objects = list(page.get_objects())
    if len(objects) != 1 or objects[0].type != 3 or page.get_rotation() != 0:  # 3 = FPDF_PAGEOBJ_IMAGE
        return None
    image = objects[0]
    if image.get_filters() != ["DCTDecode"]:
        return None
    width_pt, height_pt = page.get_size()
    m = image.get_matrix()
    if m.b or m.c or abs(m.a - width_pt) > 1 or abs(m.d - height_pt) > 1 or abs(m.e) > 1 or abs(m.f) > 1:
        return None
    target = (math.ceil(width_pt * dpi / 72), math.ceil(height_pt * dpi / 72))  # as pypdfium2 sizes a render
    try:
        pil = Image.open(io.BytesIO(image.get_data(decode_simple=False)))
        if pil.format != "JPEG" or pil.mode not in ("L", "RGB") or pil.width * pil.height > limits.max_pixels:
            return None
        pil.draft("L", target)  # DCT scaling and luma only: no colour conversion, no full-size decode if larger
        gray = pil.convert("L")
    except Exception:  # noqa: BLE001 — not a JPEG PIL reads: the renderer decides
        return None
    if gray.size == target:
        return gray
    # OpenCV's area resize: several times faster than PIL's bilinear here (16 ms a page, measured), the same
    # pixels within rounding
    return Image.fromarray(cv2.resize(np.asarray(gray), target, interpolation=cv2.INTER_AREA))


def grey(pil: Image.Image) -> Gray:
    """Any image Pillow opens as 8-bit grey, as it looks on paper. Pillow's own conversion clips a 16-bit grey scan
    (a scanner's 16-bit or 48-bit setting, an archival TIFF) to 255 — the whole page white, triaged blank and
    skipped: a form lost — turns a transparent background black, and cannot convert a CIELab scan; here 16 bits are
    scaled to 8, transparency lies on white paper, and a Lab scan gives its lightness."""
    mode = pil.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        a = np.asarray(pil).astype(np.float64)
        top = float(a.max()) if a.size else 0.0
        full = 65535.0 if mode.startswith("I;16") or top > 255 else 255.0
        if mode == "F" and top <= 1.0:
            full = 1.0
        return np.asarray(np.clip(a * (255.0 / full) + 0.5, 0, 255), dtype=np.uint8)
    if mode == "LAB":  # a CIELab scan (some scanners' colour TIFF): its first band is the lightness, 0–255
        return np.ascontiguousarray(np.asarray(pil, dtype=np.uint8)[:, :, 0])
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in pil.info):
        rgba = pil.convert("RGBA")
        pil = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return np.asarray(pil.convert("L"), dtype=np.uint8)


def decode_page(data: bytes, media: str, index: int, limits: Limits, dpi: int = 200) -> Gray:
    """One page as 8-bit grayscale."""
    if media == "application/pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            page = pdf[index]
            pil = _scanned_jpeg(page, dpi, limits) or page.render(scale=dpi / 72, grayscale=True).to_pil()
        finally:
            pdf.close()
    else:
        img = _open_image(data, limits)
        try:
            img.seek(index)
            return grey(img)
        except Exception as exc:
            raise DecodeError(
                "page_undecodable",
                f"page {index + 1} cannot be decoded ({type(exc).__name__})",
                "rescan this page",
                page=index + 1,
            ) from exc
    return grey(pil)
