"""Each recognition stage on the committed sample, checked against its truth."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr.decode import DecodeError, Limits, decode_page, probe
from ocr.fields import ReadContext
from ocr.identity import read_identity
from ocr.pipeline import process_page
from ocr.register import PX_PER_MM, crop_mm, register
from ocr.template import load_template
from ocr.triage import is_blank, is_separator
from tests.support.env import SAMPLE
from tools.synth.scan import page_images

T = load_template("yoshin-v1")
PAGES = page_images(SAMPLE)


def _clean_form() -> Path:
    """The first form of the sample scanned with no damage at all."""
    return next(
        p
        for p in PAGES
        if json.loads(p.with_suffix(".json").read_text())["kind"] == "form"
        and not json.loads(p.with_suffix(".json").read_text())["degradation"]
    )


def _separator() -> Path:
    """The sample's separator sheet."""
    return next(p for p in PAGES if json.loads(p.with_suffix(".json").read_text())["kind"] == "separator")


def _load(p: Path) -> tuple[np.ndarray, dict]:  # type: ignore[type-arg]
    return np.asarray(Image.open(p).convert("L"), dtype=np.uint8), json.loads(p.with_suffix(".json").read_text())


def test_sample_covers_the_cases() -> None:
    kinds = [json.loads(p.with_suffix(".json").read_text())["kind"] for p in PAGES]
    assert {"form", "blank", "separator", "foreign"} <= set(kinds)
    damage = [json.loads(p.with_suffix(".json").read_text()).get("degradation", {}) for p in PAGES]
    assert any("turned" in d for d in damage) and any(d.get("bitonal") for d in damage)


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_triage_registration_and_identity(path: Path) -> None:
    img, truth = _load(path)
    if truth["kind"] == "blank":
        assert is_blank(img)
        return
    assert not is_blank(img)
    if truth["kind"] == "separator":
        assert is_separator(img)
        return
    reg = register(img, T)
    if not reg.ok:  # a page scanned with its corners cut off: routed with a reason, never guessed
        assert "cut" in truth["degradation"] and "reg.markers_missing" in [m.code for m in reg.reason]
    ident, source, _ = read_identity(reg.image, img, T)
    if truth["identity"] is None:  # another municipality's form: no QR; its printed digits name its own code
        assert ident is None or (source == "digits" and ident.municipality_code != "131202")
    else:
        assert ident is not None and source == "qr" and ident.form_no == truth["identity"]["form_no"]


def test_fields_on_a_clean_page_match_truth() -> None:
    clean = [
        p
        for p in PAGES
        if json.loads(p.with_suffix(".json").read_text()).get("degradation") == {}
        and json.loads(p.with_suffix(".json").read_text())["kind"] == "form"
    ]
    img, truth = _load(clean[0])
    res = process_page(img, T, lambda i: ReadContext(today=date(2026, 11, 20)))
    wrong = {n: (r.value, truth["fields"][n]) for n, r in res.fields.items() if r.value != truth["fields"][n]}
    assert len(wrong) <= 1, wrong
    for r in res.fields.values():  # an auto-accepted value must be right
        if r.auto_ok:
            assert r.value == truth["fields"][r.name], r


def test_a_fever_on_a_form_that_says_the_dose_was_given_goes_to_a_person() -> None:
    """36.5 auto-accepted as 38.5 (a 6 read 8, both readers agreeing; sealed corpus m10302): on a form whose screening
    result is 接種可, a temperature at or over the template's `given_below` (38.0) is doubted, with the reason."""
    given = [
        p
        for p in PAGES
        if json.loads(p.with_suffix(".json").read_text()).get("degradation") == {}
        and (json.loads(p.with_suffix(".json").read_text()).get("fields") or {}).get("screening_result") == "接種可"
    ]
    img, truth = _load(given[0])
    ctx = lambda i: ReadContext(today=date(2026, 11, 20))  # noqa: E731
    before = process_page(img, T, ctx).fields
    assert truth["fields"]["screening_result"] == "接種可" and before["temperature"].auto_ok
    px = img.shape[1] / T.width_mm  # a page scanned with no damage: template millimetres are page pixels
    x, y, w, h = (round(v * px) for v in T.field("vaccination_date").cells[1])  # the 8 of 令和 08
    tx, ty, _, _ = (round(v * px) for v in T.field("temperature").cells[1])  # the temperature's units box
    fever = img.copy()
    fever[ty : ty + h, tx : tx + w] = img[y : y + h, x : x + w]
    after = process_page(fever, T, ctx).fields["temperature"]
    assert after.value[:2] == truth["fields"]["temperature"][0] + "8", after.value
    assert not after.auto_ok
    assert [m.code for m in after.messages] == ["field.implausible_when_given"]


def test_two_forms_on_one_image_go_to_a_person_with_the_reason() -> None:
    """Two sheets side by side on a flatbed, or a "2 in 1" copy: read as one form, the other was lost without a word
    (its fields auto-accepted from the first, session 18). Each corner's marker is printed once per form."""
    from tools.stress import DAMAGE

    img, _ = _load(_clean_form())
    for damage in ("two_up", "two_in_one"):  # side by side; each page turned and shrunk to half the sheet
        page = np.clip(DAMAGE[damage](img.astype(np.float32), random.Random(0)), 0, 255).astype(np.uint8)
        res = process_page(page, T, lambda i: ReadContext(today=date(2026, 11, 20)))
        assert res.page_kind in ("form", "unknown")  # kept for a person, never skipped
        assert [r.code for r in res.review_reasons][:1] == ["reg.several_forms"]
        assert dict(res.review_reasons[0].params)["count"] == 2
        assert not any(f.auto_ok for f in res.fields.values())


def test_cut_page_is_routed_not_guessed() -> None:
    img, truth = _load(_clean_form())
    h = img.shape[0]
    middle = img[h // 4 : 3 * h // 4].copy()  # no marker left: placed by features at best, always routed
    res = process_page(middle, T, lambda i: ReadContext(today=date(2026, 11, 20)))
    assert "reg.markers_missing" in [r.code for r in res.review_reasons]
    for name, f in res.fields.items():
        if f.auto_ok:
            assert f.value == truth["fields"][name], name
    top = img[: h // 2].copy()  # bottom half lost: two markers remain
    res = process_page(top, T, lambda i: ReadContext(today=date(2026, 11, 20)))
    assert "reg.two_markers" in [r.code for r in res.review_reasons]
    lost = [f for f in T.fields if f.region()[1] > 297 / 2]
    assert lost and not any(res.fields[f.name].auto_ok for f in lost)
    for f in T.fields:  # what is still on the page and auto-accepted must be right
        if res.fields[f.name].auto_ok:
            assert res.fields[f.name].value == truth["fields"][f.name], f.name


def test_g4_tiff_batch_decodes_every_page() -> None:
    data = (SAMPLE / "batches" / "batch_01.tif").read_bytes()
    info = probe(data, Limits())
    assert info.media_type == "image/tiff" and info.page_count == 10
    assert decode_page(data, info.media_type, 9, Limits()).dtype == np.uint8


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    import io

    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, "PNG")
    with pytest.raises(DecodeError, match="too many pixels"):
        probe(buf.getvalue(), Limits(max_pixels=60_000_000))


def test_encrypted_pdf_is_refused() -> None:
    import io

    import pypdfium2 as pdfium  # noqa: F401
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="o", canPrint=0))
    c.drawString(10, 10, "x")
    c.save()
    with pytest.raises(DecodeError, match="encrypted"):
        probe(buf.getvalue(), Limits())


def test_without_qr_the_printed_digits_give_the_form_id() -> None:
    path = _clean_form()
    img, truth = _load(path)
    reg = register(img, T)
    assert reg.image is not None
    no_qr = reg.image.copy()
    x, y, w, h = T.qr["box"]
    k = 8.0
    no_qr[int(y * k) : int((y + h) * k), int(x * k) : int((x + w) * k)] = 255  # QR torn off
    ident, source, problem = read_identity(no_qr, no_qr, T)
    assert source == "digits" and ident is not None and [m.code for m in problem] == ["identity.no_qr"]
    assert ident.form_no == truth["identity"]["form_no"] and ident.vaccine_code == ""


def test_ppocr_reads_with_the_network_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The models ship in the rapidocr wheel; a download attempt would fail this test. (Blocking connect is
    the only way to prove no download is tried: this machine has no route out anyway.)"""
    import socket

    from ocr import engines

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("PP-OCR tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    engines.ppocr.cache_clear()
    img, truth = _load(_clean_form())
    reg = register(img, T)
    assert reg.image is not None
    reading = engines.ppocr().recognize(crop_mm(reg.image, T.field("lot_number").box, 1.0))  # type: ignore[arg-type]
    assert truth["fields"]["lot_number"] in reading.text.replace(" ", "")


def test_ocr_field_command_prints_one_json_line_per_image(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.support.env import ROOT

    img, truth = _load(_clean_form())
    reg = register(img, T)
    assert reg.image is not None
    crop = tmp_path / "lot.png"
    Image.fromarray(crop_mm(reg.image, T.field("lot_number").box, 1.0)).save(crop)  # type: ignore[arg-type]
    out = subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", "ocr-field", "--kind", "lot", str(crop), str(crop)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(lines) == 2 and lines[0]["text"] == truth["fields"]["lot_number"] and lines[0]["engine"] == "ppocr"


def test_damaged_markers_fall_back_to_matching_the_printed_form() -> None:
    from ocr.register import find_markers

    registered = auto_right = 0
    forms = [p for p in PAGES if json.loads(p.with_suffix(".json").read_text())["kind"] == "form"]
    for path in forms:
        img, truth = _load(path)
        img = img.copy()
        for corners in find_markers(img, T).values():  # paint every marker out
            x0, y0 = corners.min(0).astype(int) - 15
            x1, y1 = corners.max(0).astype(int) + 15
            img[max(0, y0) : y1, max(0, x0) : x1] = 255
        res = process_page(img, T, lambda i: ReadContext(today=date(2026, 11, 20)))
        if not res.fields:
            continue
        registered += 1
        assert "reg.by_features" in [r.code for r in res.review_reasons]
        for name, f in res.fields.items():
            if f.auto_ok:
                assert f.value == truth["fields"][name], (path.stem, name)
                auto_right += 1
    assert registered >= 0.9 * len(forms) and auto_right > 100


def test_reference_image_matches_the_printer() -> None:
    from intake.forms import render_reference
    from ocr.register import PX_PER_MM, reference_path

    committed = np.asarray(Image.open(reference_path("yoshin-v1")).convert("L"), dtype=np.int16)
    fresh = render_reference("yoshin-v1", PX_PER_MM).astype(np.int16)
    assert committed.shape == fresh.shape and np.mean(np.abs(committed - fresh)) < 1.0, "run: intake forms reference"


def test_separator_sheet_is_found_in_any_orientation() -> None:
    path = _separator()
    img, _ = _load(path)
    for k in range(4):
        assert is_separator(np.rot90(img, k).copy()), k
    form, _ = _load(next(p for p in PAGES if json.loads(p.with_suffix(".json").read_text())["kind"] == "form"))
    assert not any(is_separator(np.rot90(form, k).copy()) for k in range(4))


def test_a_separator_sheet_lower_on_the_glass_and_turned_is_still_one() -> None:
    """Its bars then reach the band's foot by a few mm only; no column was 80% dark (sealed 10202: to review)."""
    sheet, _ = _load(_separator())
    h, w = sheet.shape
    for turn in (0.0, 2.5, -2.5):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), turn, 1.0)
        m[1, 2] += 0.03 * h  # 9 mm lower
        assert is_separator(cv2.warpAffine(sheet, m, (w, h), borderValue=255)), turn


def test_a_form_copied_until_its_lines_are_heavy_is_not_a_separator() -> None:
    """A copy of a copy thickens every printed line; the old rule counted any five runs of dark columns as the
    separator's bars and skipped the form (stress --damage photocopy: 2 of 40 pages)."""
    form, _ = _load(next(p for p in PAGES if p.stem == "page_0000"))
    heavy = form
    for _ in range(3):  # three generations of a copier, each spreading the ink ~0.1 mm
        heavy = cv2.erode(heavy, np.ones((2, 2), np.uint8))
    assert not any(is_separator(np.rot90(heavy, k).copy()) for k in range(4))
    sheet, _ = _load(_separator())
    assert is_separator(cv2.erode(sheet, np.ones((2, 2), np.uint8)))  # the real sheet copied still is one


def test_recognizer_input_is_narrowed_to_the_writing() -> None:
    """A wide box with a short word: the recognizer gets the word and its margin, not the empty paper (its cost
    grows with width). Lone specks of scanner noise do not keep the margins open; a faint-free box stays whole."""
    from ocr.engines import ink_frame

    box = np.full((60, 720), 255, dtype=np.uint8)
    box[20:40, 300:400] = 0  # the writing
    box[5, 10] = box[50, 700] = 0  # two specks
    y0, y1, x0, x1 = ink_frame(box)
    trimmed = box[y0:y1, x0:x1]
    assert trimmed.shape[1] == 100 + 2 * 18 and trimmed.shape[0] == 20 + 2 * 18
    assert (trimmed < 150).sum() == (box[20:40, 300:400] < 150).sum()  # no ink lost
    empty = np.full((60, 720), 255, dtype=np.uint8)
    assert ink_frame(empty) == (0, 60, 0, 720)


def test_writing_small_in_a_tall_box_keeps_a_margin_of_its_own_height() -> None:
    """A name written 30 px high in a 128 px box: the recognizer's crop keeps 0.3 × the writing's height of paper
    around it (with the box's height it kept 38 px a side and the name shrank to 14 px once scaled to 48); a strip
    of digit boxes keeps the margin its second reading was tuned with (0.3 × the strip's height)."""
    from ocr import engines
    from ocr.engines import ink_frame

    box = np.full((128, 352), 255, dtype=np.uint8)
    box[40:70, 20:90] = 0  # the writing, 30 px high
    y0, y1, _, _ = ink_frame(box, margin_of_writing=True)
    assert (y0, y1) == (40 - 9, 70 + 9)
    y0, y1, _, _ = ink_frame(box)
    assert (y0, y1) == (40 - 38, 70 + 38)
    pp = engines.ppocr()
    text_scale = pp._framed(box)[2]
    strip_scale = pp._framed(box, "0123456789")[2]
    assert text_scale == pytest.approx(1.0, rel=0.01) and strip_scale == pytest.approx(48 / 106, rel=0.01)


def test_a_faint_circle_is_proposed_but_never_auto_accepted() -> None:
    """A circle broken into dots (thin pen, bitonal scan) still stands out against the unmarked option: its
    option is proposed for the reviewer, with a message, and not auto-accepted; with no ink left, nothing."""
    from ocr.fields import read_choice

    img, truth = _load(_clean_form())
    reg = register(img, T)
    spec = next(f for f in T.fields if f.name == "screening_result")
    clear = read_choice(reg.image, spec)
    assert clear.value == truth["fields"]["screening_result"] and clear.auto_ok
    opt = next(o for o in spec.options if o.value == clear.value)
    x, y, w, h = opt.box
    k = PX_PER_MM
    ring = (slice(int((y - 2.5) * k), int((y + h + 2.5) * k)), slice(int((x - 2.5) * k), int((x + w + 2.5) * k)))
    for keep, expected in ((8, clear.value), (None, "")):
        page = reg.image.copy()
        region = page[ring]
        inner = np.zeros(region.shape, dtype=bool)
        inner[int(3.1 * k) : -int(3.1 * k), int(3.1 * k) : -int(3.1 * k)] = True  # the printed word stays
        dark = np.argwhere((region < 200) & ~inner)
        dropped = dark if keep is None else dark[np.arange(len(dark)) % keep != 0]  # keep one dark pixel in `keep`
        region[dropped[:, 0], dropped[:, 1]] = 255
        faint = read_choice(page, spec)
        assert faint.value == expected and not faint.auto_ok, faint
        assert faint.messages


def _forms_with_truth(n: int) -> list[tuple[np.ndarray, dict]]:  # type: ignore[type-arg]
    out = []
    for p in PAGES:
        img, truth = _load(p)
        if truth["kind"] == "form" and truth.get("identity") and register(img, T).ok:
            out.append((img, truth))
    return out[:n]


def test_crops_read_on_one_line_get_back_their_own_characters() -> None:
    """The digit strips share a line (one network run for three fields): each field gets the digits written in
    its own boxes, the same digits as when its strip is read alone, and the empty crop reads empty."""
    from ocr import engines
    from ocr.fields import recognition_lines

    def digits(text: str) -> str:
        return "".join(ch for ch in text if ch.isdigit())

    img, _ = next((img, t) for img, t in _forms_with_truth(20) if t["fields"]["dose_ml"] and t["fields"]["vaccination_date"])
    reg = register(img, T)
    assert reg.image is not None
    lines = recognition_lines(reg.image, T, ("name_kana",))
    shared = next(line for line in lines if "temperature" in line)
    assert set(shared) == {"temperature", "dose_ml", "vaccination_date"}
    rec = engines.ppocr()
    together = rec.read_lines([{**shared, "nothing": np.zeros((0, 0), dtype=np.uint8)}])
    for name, crop in shared.items():
        alone = rec.read_lines([{name: crop}])[name]
        assert digits(together[name].text) == digits(alone.text) and len(digits(alone.text)) in (3, 6), name
    assert together["nothing"].text == "" and together["nothing"].confidence == 0.0
    assert [len(line) for line in lines if "lot_number" in line or "printed:name_kana" in line] == [1, 1]


def test_printed_birth_date_is_read_by_tesseract_and_falls_back_to_ppocr() -> None:
    """The ISO part of the printed birth date, read by Tesseract, on every registered sample form; with that part
    gone (a row printed without it, damage), PP-OCR reads the whole row and its 和暦 date comes back as ISO."""
    from ocr.fields import _iso_date, read_printed_birth_date

    forms = _forms_with_truth(12)
    assert len(forms) >= 8
    for img, truth in forms:
        reg = register(img, T)
        assert reg.image is not None
        assert read_printed_birth_date(reg.image, T) == truth["resident"]["birth_date"]
    img, truth = forms[0]
    reg = register(img, T)
    assert reg.image is not None
    row = next(r for r in T.resident_block if r["key"] == "birth_date_text")
    x, y, _, h = row["box"]
    page = reg.image.copy()
    k = PX_PER_MM
    page[int(y * k) + 4 : int((y + h) * k) - 4, int((x + T.resident_value_x_mm + 28) * k) : int((x + 100) * k)] = 255
    assert read_printed_birth_date(page, T) == truth["resident"]["birth_date"]
    # what Tesseract read from two bitonal heavy pages: no real date, so PP-OCR is asked instead
    assert _iso_date("（0719-09-28）") == "" and _iso_date("(2013-42-11)") == "" and _iso_date("(2013-12-11)")


def test_scanner_pdf_page_decodes_as_the_renderer_draws_it() -> None:
    """A scanner's PDF page (one JPEG over the page) is decoded straight from its JPEG: the same size and, within
    rounding, the same pixels as pdfium's render; a page drawn as vectors (the printer's PDF) is rendered."""
    import pypdfium2 as pdfium

    from intake.forms import FormContent, render_pdf
    from ocr import decode
    from ocr.codes import FormIdentity

    data = (SAMPLE / "batches" / "batch_00.pdf").read_bytes()
    pdf = pdfium.PdfDocument(data)
    for i in (0, len(pdf) - 1):
        fast = decode_page(data, "application/pdf", i, Limits())
        drawn = np.asarray(pdf[i].render(scale=200 / 72, grayscale=True).to_pil().convert("L"))
        assert decode._scanned_jpeg(pdf[i], 200, Limits()) is not None
        assert fast.shape == drawn.shape and np.abs(fast.astype(int) - drawn).mean() < 3
    assert decode._scanned_jpeg(pdf[0], 200, Limits(max_pixels=1000)) is None  # over the limit: rendered instead
    ident = FormIdentity("131202", "000100009999", "JE", 1, "00011009999", "yoshin-v1")
    person = ("試験 太郎", "シケン タロウ", date(2020, 1, 2), "1", "試験区1-1", "試験 花子")  # synthetic
    printed = render_pdf([FormContent(ident, "試験区", "日本脳炎", *person)])
    vector = pdfium.PdfDocument(printed)
    assert decode._scanned_jpeg(vector[0], 200, Limits()) is None
    assert decode_page(printed, "application/pdf", 0, Limits()).shape == (2339, 1654)


def test_a_digit_strip_is_as_sure_as_its_weakest_digit_not_its_gaps() -> None:
    """The gaps between digit boxes read as spaces of low probability; the field's confidence is the weakest
    digit's (full-width digits count too); an engine that gives no characters keeps its own confidence."""
    from ocr.engines import Reading

    strip = Reading("3 6 5", 0.7, "ppocr", (("3", 0.99), (" ", 0.31), ("６", 0.95), (" ", 0.28), ("5", 0.97)))
    assert strip.confidence_of("0123456789") == 0.95
    assert Reading("365", 0.62, "tesseract-eng").confidence_of("0123456789") == 0.62


def test_a_boxs_certainty_counts_only_the_digits_a_valid_value_can_hold_there() -> None:
    """The box gate of digit auto-acceptance: a month's tens box the classifier thinks 5% a 7 is sure once a 7 cannot
    be a month's tens; torn between two digits a valid value can hold, it stays unsure; what the network gave "no
    digit" stays doubt; a box with a note keeps its cap."""
    from ocr.digits import BoxReading
    from ocr.fields import _box_posteriors

    def box(dist: dict[int, float], note: str = "") -> BoxReading:
        d = tuple(dist.get(i, 0.0) for i in range(10))
        k = max(dist, key=lambda i: dist[i])
        return BoxReading(str(k), min(dist[k], 0.5) if note else dist[k], note, d)

    months = np.array([[int(c) for c in f"{m:02d}"] for m in range(1, 13)])
    sure_tens = box({1: 0.95, 7: 0.05})
    ones = box({1: 1.0})
    assert _box_posteriors([sure_tens, ones], months)[0] > 0.999  # 71 is no month: the 7 drops out
    torn = box({1: 0.9, 0: 0.1})
    assert abs(_box_posteriors([torn, ones], months)[0] - 0.9) < 1e-6  # 01 and 11 are both months
    no_digit = box({1: 0.9})  # the other 0.1 went to "no digit"
    assert abs(_box_posteriors([no_digit, ones], months)[0] - 0.9) < 1e-6
    noted = box({1: 0.99, 7: 0.01}, note="wide")
    assert _box_posteriors([noted, ones], months)[0] == 0.5


def test_a_fields_confidence_is_its_value_given_a_valid_value() -> None:
    """Mass the boxes put on impossible strings (a 7 as a month's tens) does not make a month doubtful; mass on
    another valid value does."""
    from ocr.fields import value_posterior

    months = [f"{m:02d}" for m in range(1, 13)]

    def scores(dist: list[dict[str, float]]) -> np.ndarray:
        return np.array([sum(np.log(max(d.get(ch, 0.0), 1e-12)) for d, ch in zip(dist, m, strict=True)) for m in months])

    seven_or_one = scores([{"1": 0.95, "7": 0.05}, {"1": 1.0}])
    assert value_posterior(seven_or_one, months.index("11")) > 0.999  # 71 is no month
    one_or_zero = scores([{"1": 0.95, "0": 0.05}, {"1": 1.0}])
    assert abs(value_posterior(one_or_zero, months.index("11")) - 0.95) < 1e-6  # 01 is a month


def test_the_second_reader_is_decoded_box_by_box_where_its_greedy_count_is_off() -> None:
    """Each box's digit from the second reader's per-step probabilities in that box's columns; a box it put no
    digit in is None; an engine that gives no steps gives no box-by-box reading."""
    from ocr.engines import Reading
    from ocr.fields import second_by_box

    def step(x: float, digit: int, p: float) -> tuple[float, tuple[float, ...]]:
        return (x, tuple(p if i == digit else 0.0 for i in range(10)))

    spans = [(0.0, 50.0), (50.0, 100.0), (100.0, 150.0)]
    greedy = Reading("11", 0.9, "ppocr", (("1", 0.9), ("1", 0.9)))  # two 1s collapsed into… too few digits
    steps = (step(20, 1, 0.9), step(30, 1, 0.4), step(70, 1, 0.8), step(125, 7, 0.6), step(130, 1, 0.3))
    read = second_by_box(Reading(greedy.text, 0.9, "ppocr", greedy.chars, steps), spans)
    assert read == [("1", 0.9), ("1", 0.8), ("7", 0.6)]
    faint = second_by_box(Reading("11", 0.9, "ppocr", (), (step(20, 1, 0.9), step(70, 1, 0.8), step(125, 4, 0.05))), spans)
    assert faint is not None and faint[2] is None
    assert second_by_box(greedy, spans) is None


def test_a_second_reader_that_split_its_vote_is_not_counted_as_a_firm_vote() -> None:
    """The classifier 99.3% sure of a 9 (0.6% a 4); the second reader also read 9, but only at 0.5 with 0.45 on
    the 4 in the same box: the two together must stay short of the 0.999 a digit field needs, while the same 0.5
    with the rest on no other digit (a faint stroke) still confirms. Without its probabilities (an engine with no
    steps) the second reader's one digit is what counts."""
    from ocr.digits import BoxReading
    from ocr.fields import DIGIT_AUTO, fuse

    dist = tuple(0.993 if d == 9 else 0.006 if d == 4 else 0.001 / 8 for d in range(10))
    nine = [BoxReading("9", 0.993, "", dist)]
    split = [np.array([0.45 if d == 4 else 0.5 if d == 9 else 0.0 for d in range(10)])]
    alone = [np.array([0.5 if d == 9 else 0.0 for d in range(10)])]
    assert fuse(nine, [("9", 0.5)], split)[0, 9] < DIGIT_AUTO
    assert fuse(nine, [("9", 0.5)], alone)[0, 9] >= DIGIT_AUTO
    assert fuse(nine, [("9", 0.5)])[0, 9] >= DIGIT_AUTO  # the one-digit likelihood: 0.725 against 0.03
    assert fuse(nine, [("9", 0.5), ("1", 0.9)], split)[0, 9] == pytest.approx(0.993)  # another count: classifier alone


def test_a_second_reading_that_misread_only_where_no_valid_value_has_its_digit_still_supports_the_value() -> None:
    """PP-OCR read a date's month tens as 5 (no month has it) or a temperature's tens as 2 (34.0–42.0 °C): it misread
    there and names no other value, so the classifier's value keeps its support. A digit that makes another valid
    value (10-04 for 10-24), a misread at two places one of which is valid, or another count of digits contests it."""
    from datetime import date

    from ocr.fields import ReadContext, candidates, second_supports
    from ocr.template import load_template

    template = load_template("yoshin-v1")
    ctx = ReadContext(birth_date=date(2024, 1, 5), today=date(2026, 11, 20))
    dates = candidates(template.field("vaccination_date"), ctx)
    temps = candidates(template.field("temperature"), ctx)
    assert dates and "081024" in dates and "081004" in dates and "085024" not in dates
    assert second_supports("081024", "081024", dates)
    assert second_supports("085024", "081024", dates)  # month 50: impossible
    assert second_supports("091024", "081024", dates)  # 令和9: after today
    assert not second_supports("081004", "081024", dates)  # 10-04: a valid date
    assert not second_supports("071024", "081024", dates)  # 令和7 (2025-10-24): within the window
    assert not second_supports("085004", "081024", dates)  # impossible at one place, another valid date at the other
    assert not second_supports("08102", "081024", dates)  # another count of digits
    assert not second_supports("085024", "081024", None)  # no closed set: only the same digits support
    assert temps and second_supports("322", "362", temps) and not second_supports("352", "362", temps)


def test_the_text_recognizers_steps_are_placed_in_the_crops_own_columns() -> None:
    """PP-OCR's per-step probabilities of a digit crop carry each step's column in the crop as given (before the
    recognizer trims and scales it), so a digit's best step lies inside the box it was written in — with another
    crop before it on the same line."""
    from ocr import engines
    from ocr.fields import DIGITS, _strip, _strip_spans, second_by_box

    cells = []
    for ch in "4711":
        cell = np.full((70, 60), 255, np.uint8)
        cv2.putText(cell, ch, (14, 55), cv2.FONT_HERSHEY_SIMPLEX, 1.8, 0, 4)
        cells.append(cell)
    strip = _strip(cells)
    before = np.full((60, 200), 255, np.uint8)
    cv2.putText(before, "12", (40, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
    r = engines.ppocr().read_lines([{"before": before, "strip": strip}], {"before": DIGITS, "strip": DIGITS})["strip"]
    assert r.steps, "a crop read with a small character set keeps its steps"
    read = second_by_box(r, _strip_spans(cells))
    assert read is not None and "".join(ch for ch, _ in (b for b in read if b)) == "4711", (r.text, read)


def test_every_vaccines_standard_amount_is_a_value_the_dose_field_can_hold() -> None:
    """The dose field chooses among the values its template range allows: BCG's 0.03 mL was outside it (min 0.05),
    so every BCG form's dose was read as some other amount."""
    import csv

    from ocr.fields import ReadContext, candidates
    from tests.support.env import ROOT

    spec = next(f for f in T.fields if f.name == "dose_ml")
    valid = {float(spec.format.format(*v)) for v in candidates(spec, ReadContext()) or []}
    with (ROOT / "intake" / "data" / "vaccines.csv").open(encoding="utf-8") as fh:
        amounts = {r["接種種類コード"]: float(r["接種量"]) for r in csv.DictReader(fh) if r["接種量"]}
    assert amounts and all(a in valid for a in amounts.values()), {k: a for k, a in amounts.items() if a not in valid}


def test_the_fast_grey_level_percentile_is_numpys_to_the_last_bit() -> None:
    """ocr.levels.percentile replaces np.percentile under every paper and ink threshold of a page; a value off by
    even one interpolation step would move those thresholds. Crops of a real sample page and random ones, every
    percentile the readers ask and others."""
    from ocr.levels import percentile

    page = np.asarray(Image.open(next(iter(sorted(SAMPLE.glob("**/*.png")) + sorted(SAMPLE.glob("**/*.jpg"))))).convert("L"))
    rng = np.random.default_rng(13)
    crops: list[np.ndarray] = [page, page[::4, ::4], page[:1, :1], page[100:107, 200:531]]
    crops += [
        rng.integers(lo, 256, int(rng.integers(1, 2000))).astype(np.uint8) for lo in (0, 180, 250, 255) for _ in range(50)
    ]
    for crop in crops:
        for q in (0.0, 0.5, 2.0, 33.3, 50.0, 90.0, 99.0, 100.0):
            assert percentile(crop, q) == float(np.percentile(crop, q)), (crop.shape, q)
    assert percentile(np.array([0.5, 1.5], dtype=np.float32), 50) == 1.0  # anything not uint8: numpy's own


def test_a_checkbox_column_bent_off_its_place_is_not_auto_accepted_on_a_trusted_page() -> None:
    """A sheet bent on the glass: the page's landmarks (which avoid rows of look-alike boxes) still prove the page,
    but the checkbox column lies 3 mm off. Found by `tools.dev stress --damage crumple` (wide tuning 511: 8 wrong
    answers auto-accepted on 40 crumpled pages before the check, 0 after). Each checkbox row is checked in place."""
    img, _ = _load(_clean_form())
    registered = register(img, T).image
    assert registered is not None
    ctx = lambda i: ReadContext(today=date(2026, 11, 20))  # noqa: E731
    flat = process_page(registered, T, ctx)
    rows = [f"q{i}" for i in range(1, 9)]
    assert flat.registration is not None and flat.registration.trusted
    assert any(flat.fields[q].auto_ok for q in rows)  # the flat page's answers are auto-accepted
    assert not any(m.code.startswith("field.frame") for r in flat.fields.values() for m in r.messages)

    bent = registered.copy()
    k = PX_PER_MM
    y0, y1, x0, x1 = int(74 * k), int(146 * k), int(150 * k), int(195 * k)
    bent[y0:y1, x0 - int(3 * k) : x1 - int(3 * k)] = registered[y0:y1, x0:x1]  # the column, 3 mm to the left
    bent[y0:y1, x1 - int(3 * k) : x1] = 255
    res = process_page(bent, T, ctx)
    assert res.registration is not None and res.registration.trusted  # the page as a whole still proves itself
    for q in rows:
        assert not res.fields[q].auto_ok, (q, res.fields[q].value)
        assert {m.code for m in res.fields[q].messages} & {"field.frame_off", "field.frame_unproven"}, q


def test_a_16_bit_scan_is_read_not_skipped_as_blank(tmp_path: Path) -> None:
    """A scanner set to 16-bit grey (or 48-bit colour), an archival TIFF: Pillow's own conversion clipped every
    pixel to white, the page was triaged blank and skipped — the form lost. Scaled to 8 bits it reads as the
    8-bit scan does; a transparent background lies on white paper, not black; a CIELab colour scan (which Pillow
    cannot convert: the page failed) is read by its lightness."""
    import io

    img, truth = _load(_clean_form())
    deep = Image.fromarray((img.astype(np.uint16) * 257).astype(np.uint16))  # I;16, the same levels
    for fmt, media in (("PNG", "image/png"), ("TIFF", "image/tiff")):
        buf = io.BytesIO()
        deep.save(buf, fmt)
        page = decode_page(buf.getvalue(), media, 0, Limits())
        assert np.abs(page.astype(int) - img.astype(int)).max() <= 1, fmt
        res = process_page(page, T, lambda i: ReadContext(today=date(2026, 11, 20)))
        assert res.page_kind == "form" and res.identity is not None, fmt
    from PIL import ImageCms

    to_lab = ImageCms.buildTransformFromOpenProfiles(
        ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB"
    )
    buf = io.BytesIO()
    ImageCms.applyTransform(Image.fromarray(img).convert("RGB"), to_lab).save(buf, "TIFF")  # a CIELab colour scan
    res = process_page(
        decode_page(buf.getvalue(), "image/tiff", 0, Limits()), T, lambda i: ReadContext(today=date(2026, 11, 20))
    )
    assert res.page_kind == "form" and res.identity is not None, "Lab"
    ink = np.zeros((60, 80, 4), np.uint8)
    ink[20:40, 30:50] = (0, 0, 0, 255)  # black ink on a transparent ground
    buf = io.BytesIO()
    Image.fromarray(ink, "RGBA").save(buf, "PNG")
    page = decode_page(buf.getvalue(), "image/png", 0, Limits())
    assert page[0, 0] == 255 and page[30, 40] == 0
