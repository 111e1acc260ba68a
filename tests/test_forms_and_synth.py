"""The printed form and the corpus generator."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from sqlmodel import Session, select

from intake.services.mailing import print_bulk
from intake.settings import Settings
from models import Resident
from ocr.decode import Limits, probe
from ocr.identity import read_identity
from ocr.register import register
from ocr.template import load_template
from tools.synth.scan import make_corpus, write_batches


def test_bulk_print_groups_by_post_office_and_every_form_reads_back(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    residents = session.exec(select(Resident).where(Resident.move_reason == "")).all()[:6]
    targets = tmp_path / "targets.csv"
    with targets.open("w", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["宛名番号", "接種種類コード", "回数"])
        for r in residents:
            w.writerow([r.atena_no, "MR", 1])
    ward = settings.model_copy(update={"municipality_name": "架空市"})  # the ward's name is a setting, printed as set
    files = print_bulk(session, ward, targets, tmp_path / "mail")
    assert sum(n for _, n in files) == 6
    assert "架空市" in pdfium.PdfDocument(files[0][0].read_bytes())[0].get_textpage().get_text_range()
    assert {p.name for p, _ in files} == {f"mailing_{r.postal_code[:3]}.pdf" for r in residents}
    template = load_template("yoshin-v1")
    pdf_bytes = files[0][0].read_bytes()
    assert b"IPAexGothic" in pdf_bytes  # the Japanese font is embedded
    page = pdfium.PdfDocument(pdf_bytes)[0]
    img = np.asarray(page.render(scale=200 / 72, grayscale=True).to_pil().convert("L"), dtype=np.uint8)
    reg = register(img, template)
    ident, source, _ = read_identity(reg.image, img, template)
    assert reg.ok and reg.error_mm < 0.3 and ident is not None and ident.vaccine_code == "MR"
    assert ident.atena_no in {r.atena_no for r in residents}


def test_synth_is_reproducible_and_writes_truth_and_batches(tmp_path: Path) -> None:
    a = make_corpus(tmp_path / "a", 6, 11, "heavy")
    b = make_corpus(tmp_path / "b", 6, 11, "heavy")
    assert [p.truth for p in a] == [p.truth for p in b]
    assert all(np.array_equal(np.asarray(x.image), np.asarray(y.image)) for x, y in zip(a, b, strict=True))
    batches = write_batches(tmp_path / "a", a, 3)
    assert [probe(p.read_bytes(), Limits()).page_count for p in batches] == [3, 3]
    assert probe(batches[1].read_bytes(), Limits()).media_type == "image/tiff"
    truth = json.loads(next((tmp_path / "a" / "pages").glob("*.json")).read_text())
    assert "kind" in truth
    with (tmp_path / "a" / "residents.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["氏名_振り仮名"] for r in rows)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_the_readme_mailing_runs_as_written_on_the_shipped_data(settings: Settings, tmp_path: Path) -> None:
    """README: `intake targets --month 2026-12 --out t.csv`, then `intake forms print-bulk t.csv --out mail/`."""
    import csv

    from typer.testing import CliRunner

    from intake.cli import app

    runner = CliRunner()
    t = tmp_path / "t.csv"
    r = runner.invoke(app, ["targets", "--month", "2026-12", "--out", str(t)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(t.open(encoding="utf-8-sig")))
    assert rows, "the shipped register has residents due in December 2026"
    r = runner.invoke(app, ["forms", "print-bulk", str(t), "--out", str(tmp_path / "mail")])
    assert r.exit_code == 0, r.output
    pdfs = list((tmp_path / "mail").glob("*.pdf"))
    assert pdfs and all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    assert sum(int(line.rsplit(": ", 1)[1].split()[0]) for line in r.output.splitlines() if ".pdf:" in line) == len(rows)


def test_a_corpus_printed_from_a_registry_mixes_in_numbers_the_registry_stops(tmp_path: Path) -> None:
    """`synth --registry`: forms numbered from an issuance registry (issued.csv), with voided, never-issued, copied
    and other residents' numbers mixed in; the evaluation checks each page against that registry as the worker does."""
    from tools.evaluate import evaluate

    pages = make_corpus(tmp_path, 17, 35, "none", registry=True)
    kinds = [p.truth.get("registry") for p in pages if p.truth["kind"] == "form"]
    assert {"ok", "voided", "unknown", "received", "other_form"} <= set(kinds), kinds
    with (tmp_path / "issued.csv").open(encoding="utf-8") as fh:
        issued = list(csv.DictReader(fh))
    assert any(r["voided"] == "True" for r in issued) and len({r["id"] for r in issued}) == len(issued)

    m = evaluate(tmp_path, workers=1)["registry"]
    assert m["stopped_all"], m["stops"]
    assert all(st["by_registry_reason"] == st["pages"] for st in m["stops"].values()), m["stops"]  # a clean scan
    assert m["ok"]["auto_right"] == m["ok"]["pages"] == kinds.count("ok") and m["ok"]["auto_wrong"] == 0, m["ok"]


def test_separator_sheets_printed_by_the_command_are_skipped_by_the_reader(tmp_path: Path) -> None:
    """`intake forms separator --copies 3`: three pages of the sheet the triage knows (ocr/templates/separator-v1.yaml);
    each page, decoded as an uploaded PDF is, is skipped as a separator; a wrong count is one line, no file."""
    from typer.testing import CliRunner

    from intake.cli import app
    from ocr.decode import decode_page
    from ocr.pipeline import process_page
    from tests.test_bad_input import cli, one_error

    out = tmp_path / "区切り紙.pdf"
    runner = CliRunner()
    r = runner.invoke(app, ["forms", "separator", "--out", str(out), "--copies", "3"])
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert len(pdfium.PdfDocument(data)) == 3
    template = load_template("yoshin-v1")
    for i in range(3):
        img = decode_page(data, "application/pdf", i, Limits())
        assert process_page(img, template, lambda _identity: None).page_kind == "separator"
    bad = tmp_path / "none.pdf"
    line = one_error(cli("forms", "separator", "--out", str(bad), "--copies", "0"))
    assert "区切り紙の枚数 0" in line and "forms.separator_copies" in line
    assert not bad.exists()
