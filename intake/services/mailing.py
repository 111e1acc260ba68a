"""Printing forms for the monthly mailing (予防接種票の発送): one PDF per post-office group."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlmodel import Session

from intake.csv_out import open_csv
from intake.errors import BadInput
from intake.forms import FormContent, render_pdf
from intake.settings import Settings
from models import Resident, Vaccine
from ocr.codes import FormIdentity, make_form_no


def form_content(settings: Settings, r: Resident, v: Vaccine, dose: int, serial: int, guardian: str = "") -> FormContent:
    ident = FormIdentity(
        settings.municipality_code, r.atena_no, v.code, dose, make_form_no(serial), settings.template_version
    )
    return FormContent(
        ident,
        settings.municipality_name,
        v.name,
        r.name,
        r.name_kana,
        r.birth_date or date(1900, 1, 1),
        r.sex,
        r.address,
        guardian,
    )


def print_bulk(
    session: Session,
    settings: Settings,
    targets: Path,
    out: Path,
    first_serial: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[Path, int]]:
    groups: dict[str, list[FormContent]] = defaultdict(list)
    serial = first_serial
    with open_csv(targets) as fh:  # UTF-8 or CP932
        reader = csv.DictReader(fh)
        missing = {"宛名番号", "接種種類コード", "回数"} - set(reader.fieldnames or [])
        if missing:
            raise BadInput(
                "csv.missing_columns",
                name=targets.name,
                columns=", ".join(sorted(missing)),
                required="宛名番号,接種種類コード,回数",
            )
        for line, row in enumerate(reader, start=2):
            r, v = session.get(Resident, row["宛名番号"]), session.get(Vaccine, row["接種種類コード"])
            if r is None or v is None:
                raise BadInput("line.not_found", line=line, what="宛名番号" if r is None else "接種種類コード")
            if r.deleted or r.move_reason:
                continue  # moved out or died: no form is mailed
            group = (r.postal_code or "000")[:3]
            groups[group].append(form_content(settings, r, v, int(row["回数"]), serial))
            serial += 1
            if progress and serial % 500 == 0:
                progress(serial - first_serial)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for group, contents in sorted(groups.items()):
        path = out / f"mailing_{group}.pdf"
        path.write_bytes(render_pdf(contents))
        written.append((path, len(contents)))
    return written
