"""The page pipeline: triage → contrast → registration → identity → fields. Pure: image in, PageResult out."""

from __future__ import annotations

import time
from collections.abc import Callable

from ocr import engines
from ocr.codes import FormIdentity
from ocr.contrast import remove_specks, restore_contrast
from ocr.fields import (
    ReadContext,
    framed_regions,
    frames_that_show,
    read_fields,
    read_printed_resident,
    recognition_charsets,
    recognition_lines,
    refuse_misplaced,
)
from ocr.identity import read_identity
from ocr.register import misplaced, register
from ocr.template import Template
from ocr.triage import faint_ink, is_blank, is_separator
from ocr.types import Gray, PageResult, msg

ContextFor = Callable[[FormIdentity | None], ReadContext]


def process_page(
    img: Gray,
    template: Template,
    context_for: ContextFor,
    *,
    charsets: bool = True,
    timings: dict[str, float] | None = None,
) -> PageResult:
    """`charsets`: limit the text recognizer to each field's character set (off only to measure what it gains).
    `timings`: filled stage by stage (ms), so a caller still has them when a stage raises."""
    t0 = time.perf_counter()
    timings = {} if timings is None else timings

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = round((now - t0) * 1000, 1)
        t0 = now

    blank = is_blank(img)
    if blank and not faint_ink(img):
        lap("triage")
        return PageResult("blank", review_reasons=[], timings_ms=timings)
    img = remove_specks(restore_contrast(img))  # after triage: a stained blank sheet stretched would look inked
    reg = register(img, template)
    lap("register")
    if blank and not reg.ok:  # faint marks on a page that is no form: a stain, a dark bitonal threshold
        return PageResult("blank", review_reasons=[], timings_ms=timings)
    identity, source, problem = read_identity(reg.image, img, template)
    lap("identity")
    if not reg.ok and identity is None and is_separator(img):
        return PageResult("separator", registration=reg, timings_ms=timings)
    result = PageResult(
        "form" if reg.ok or identity else "unknown",
        registration=reg,
        identity=identity,
        identity_source=source,
        identity_problem=problem,
        timings_ms=timings,
    )
    if not reg.ok:
        result.review_reasons.extend(reg.reason)
        return result
    result.review_reasons.extend(reg.reason)  # registered, with caveats a reviewer should see (two markers only…)
    if identity is None:
        result.review_reasons.extend((msg("identity.not_read"), *problem))
    elif identity.layout != template.layout:
        result.review_reasons.append(msg("identity.other_layout", found=identity.layout, expected=template.layout))
    assert reg.image is not None
    # kana and birth date always (they verify a QR's 宛名番号); the kanji name too when there is no QR
    keys = ("name_kana", "birth_date_text") + (() if source == "qr" else ("name",))
    limits = recognition_charsets(template) if charsets else {}
    readings = engines.ppocr().read_lines(recognition_lines(reg.image, template, keys), limits)
    lap("recognize")
    result.fields = read_fields(reg.image, template, context_for(identity), readings)
    if not reg.trusted:  # the page's alignment is not proven: every value is a proposal for a person
        for reading in result.fields.values():
            reading.auto_ok = False
    else:  # proven for the page: each field read from printed boxes is checked in place too (a bent sheet)
        why = misplaced(reg.image, template.layout, framed_regions(template), frames_that_show(template))
        refuse_misplaced(result.fields, why)
    result.printed = read_printed_resident(reg.image, template, keys, readings)
    lap("fields")
    return result


def warm_up(template: Template) -> None:
    """Load everything a page needs that does not change per page — models, the template, lazily imported
    decoders, the feature reference — by reading the blank reference form once, before the first page. The
    supervised work process calls it at start; a worker that forks per page calls it before forking, so each work
    horse inherits it instead of paying for it on every page (~70 ms a page, measured in session 3)."""
    import cv2
    import numpy as np
    import pypdfium2  # noqa: F401  (decode_page imports it lazily for PDF pages)

    from ocr.register import reference_path

    engines.warm_up()
    blank = cv2.imread(str(reference_path(template.layout)), cv2.IMREAD_GRAYSCALE)
    if blank is not None:
        process_page(np.asarray(blank, dtype=np.uint8), template, lambda identity: ReadContext())
