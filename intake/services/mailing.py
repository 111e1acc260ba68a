"""Printing forms for the monthly mailing (予防接種票の発送): one PDF per post-office group."""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

from intake.csv_out import open_csv
from intake.errors import BadInput, IntakeError, LinesRejected
from intake.forms import FormContent, render_pdf
from intake.services import audit, issuance
from intake.services.vaccine_facts import series_length
from intake.settings import Settings
from models import IssuedForm, Resident, Vaccine
from ocr.codes import FormIdentity


def form_content(settings: Settings, r: Resident, v: Vaccine, dose: int, form_no: str, guardian: str = "") -> FormContent:
    ident = FormIdentity(settings.municipality_code, r.atena_no, v.code, dose, form_no, settings.template_version)
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
    issued_by: str = "system",
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[Path, int]]:
    """The monthly mailing: every target's form numbered by the issuance registry, one PDF per post-office group.
    The whole mailing is one transaction with the PDFs it wrote: they are written beside `out` first and put in place
    only once the numbers are committed, so a failed print leaves neither a half record nor numbers on paper that the
    registry does not hold."""
    today = today or date.today()
    chosen: list[tuple[Resident, Vaccine, int]] = []
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
        bad: list[IntakeError] = []
        for line, row in enumerate(reader, start=2):
            r, v = session.get(Resident, row["宛名番号"]), session.get(Vaccine, row["接種種類コード"])
            if r is None or v is None:
                bad.append(BadInput("line.not_found", line=line, what="宛名番号" if r is None else "接種種類コード"))
                continue
            dose = _dose(session, v, row["回数"])
            if dose is None:
                bad.append(BadInput("line.bad_dose", line=line, value=row["回数"], vaccine=v.name))
                continue
            if r.deleted or r.move_reason:
                continue  # moved out or died: no form is mailed
            chosen.append((r, v, dose))
    if bad:  # every bad line named; nothing recorded, nothing printed
        raise LinesRejected(targets.name, bad)
    rows = issuance.issue(
        session,
        settings,
        [issuance.Wanted(r.atena_no, v.code, dose) for r, v, dose in chosen],
        issuance.Channel.mailing,
        issued_by,
        today,
    )
    groups: dict[str, list[FormContent]] = defaultdict(list)
    for (r, v, dose), issued in zip(chosen, rows, strict=True):
        groups[(r.postal_code or "000")[:3]].append(form_content(settings, r, v, dose, issued.form_no))
    printed = 0

    def one_more(n: int) -> None:  # forms rendered so far, of all of them: what takes the time (~8 ms a form)
        nonlocal printed
        printed += n
        if progress:
            progress(printed, len(rows))

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mailing-", dir=out))
    try:
        written = []
        for group, contents in sorted(groups.items()):
            (staging / f"mailing_{group}.pdf").write_bytes(render_pdf(contents, progress=one_more))
            written.append((out / f"mailing_{group}.pdf", len(contents)))
        audit.record(session, issued_by, "form.mailing", "forms", f"{len(rows)}")
        session.commit()  # the numbers and the mailing's record, together
        for path, _ in written:
            (staging / path.name).replace(path)
    except BaseException:
        session.rollback()
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _dose(session: Session, v: Vaccine, text: str) -> int | None:
    """The 回数 of a target line, if it is a dose the vaccine's series has."""
    try:
        dose = int(text.strip())
    except (ValueError, AttributeError):
        return None
    return dose if 1 <= dose <= series_length(session, v.code) else None


@dataclass(frozen=True)
class CounterForm:
    pdf: bytes
    issued: IssuedForm
    voided: list[IssuedForm]


def print_counter_form(
    session: Session,
    settings: Settings,
    wanted: issuance.Wanted,
    issued_by: str,
    reason: str = "窓口再発行",
    today: date | None = None,
) -> CounterForm:
    """One form printed at the counter (窓口再発行): a new number from the registry, the resident's earlier numbers
    for this vaccine and dose voided with the reason; the PDF rendered before the commit, so a failed print records
    nothing."""
    r, v = issuance.issuable(session, wanted)
    try:
        new, voided = issuance.reissue(session, settings, wanted, reason, issued_by, today or date.today())
        pdf = render_pdf([form_content(settings, r, v, wanted.dose_no, new.form_no)])
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return CounterForm(pdf, new, voided)
