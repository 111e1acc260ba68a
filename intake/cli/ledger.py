"""Commands for the ledger's work: mailing targets and forms, reports, matching a batch of forms to residents."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from intake.cli.base import LEDGER, ReportKind, app, encoding_of, forms_app, readable, rejected, say, session
from intake.csv_out import encode_csv
from intake.settings import get_settings


@forms_app.command("print")
def forms_print(
    resident: Annotated[str, typer.Option(help="宛名番号")],
    vaccine: Annotated[str, typer.Option(help="接種種類コード")],
    dose: Annotated[int, typer.Option(help="回数")],
    out: Annotated[Path, typer.Option(help="PDF to write")],
    reason: Annotated[str, typer.Option(help="why (recorded; voids the earlier form)")] = "窓口再発行",
) -> None:
    """Print one form with a new number from the issuance registry; the resident's earlier form for this dose is
    voided.  Example: intake forms print --resident 000100000007 --vaccine MR --dose 1 --out form.pdf"""
    from intake.services.audit import current_operator
    from intake.services.issuance import Wanted
    from intake.services.mailing import print_counter_form

    with session() as s:
        printed = print_counter_form(s, get_settings(), Wanted(resident, vaccine, dose), current_operator.get(), reason)
    out.write_bytes(printed.pdf)
    voided = ", ".join(row.form_no for row in printed.voided)
    say(
        "form.issued",
        form_no=printed.issued.form_no,
        path=out,
        voided=f"。無効にした番号: {voided}" if voided else "",
        voided_en=f"; voided {voided}" if voided else "",
    )


@forms_app.command("sent")
def forms_sent(
    printed: Annotated[str, typer.Option(help="the mailing's print date: 2026-12-01, 令和8年12月1日")],
    on: Annotated[str, typer.Option(help="the day it went to the post (default: today)")] = "",
) -> None:
    """Record 発送日 on a mailing's forms.  Example: intake forms sent --printed 2026-12-01 --on 2026-12-02"""
    from datetime import date

    from intake.services.audit import current_operator
    from intake.services.issuance import mark_sent
    from intake.ward_dates import optional_day, parse_day

    printed_on = parse_day(printed, "印刷日")
    sent_on = optional_day(on, "発送日") or date.today()
    with session() as s:
        n = mark_sent(s, printed_on, sent_on, current_operator.get())
    say("forms.sent", n=n, printed=printed_on, sent=sent_on)


@forms_app.command("reference")
def forms_reference() -> None:
    """Write the blank reference image recognition matches against when markers are damaged (after a
    template change).  Example: intake forms reference"""
    import cv2

    from intake.forms import render_reference
    from ocr.register import PX_PER_MM, reference_path

    layout = get_settings().template_version
    path = reference_path(layout)
    cv2.imwrite(str(path), render_reference(layout, PX_PER_MM), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    say("file.written", path=path)


@forms_app.command("separator")
def forms_separator(
    out: Annotated[Path, typer.Option(help="PDF to write")],
    copies: Annotated[int, typer.Option(help="枚数")] = 1,
) -> None:
    """Print separator sheets (区切り紙) to put between clinics' bundles on the scanner: the reader skips them.
    Example: intake forms separator --out 区切り紙.pdf --copies 20"""
    from intake.forms import render_separator_pdf

    out.write_bytes(render_separator_pdf(copies))
    say("file.written", path=out)


@forms_app.command("print-bulk")
def forms_print_bulk(
    targets: Path,
    out: Annotated[Path, typer.Option(help="folder for the PDFs (created)")],
) -> None:
    """Monthly mailing: one PDF per post-office group (postal code's first 3 digits).
    TARGETS.csv columns: 宛名番号,接種種類コード,回数.  Example: intake forms print-bulk targets.csv --out mail/"""
    from intake.errors import LinesRejected
    from intake.progress import Progress
    from intake.services.audit import current_operator
    from intake.services.mailing import print_bulk

    readable(targets)
    shown = Progress("print", unit="forms")
    try:
        with session() as s:
            files = print_bulk(s, get_settings(), targets, out, current_operator.get(), progress=shown)
    except LinesRejected as exc:
        rejected(targets, exc.lines, limit=50)
    shown.finish()
    for path, count in files:
        say("mailing.file", path=path, count=count)


@app.command(rich_help_panel=LEDGER)
def targets(
    month: Annotated[str, typer.Option(help="2026-12, 2026年12月 or 令和8年12月")],
    out: Annotated[Path, typer.Option()],
    encoding: Annotated[str, typer.Option(help="utf-8 (with BOM) | cp932")] = "utf-8",
) -> None:
    """Next month's mailing targets: residents for whom a dose becomes due and who lack it.
    Example: intake targets --month 2026-12 --out targets.csv  (then: intake forms print-bulk targets.csv --out mail/)"""
    from intake.progress import Progress
    from intake.services.reports import TARGET_COLUMNS, to_csv
    from intake.services.reports import targets as find
    from intake.ward_dates import parse_month

    month = parse_month(month)
    chosen = encoding_of(encoding)
    shown = Progress("targets", unit="residents")
    with session() as s:
        rows = list(find(s, month, progress=shown))
    shown.finish()
    out.write_bytes(encode_csv(to_csv(rows, TARGET_COLUMNS), chosen))
    say("targets.done", count=len(rows), month=month, path=out)


@app.command(rich_help_panel=LEDGER)
def report(
    kind: ReportKind,
    period: str,
    out: Path,
    encoding: Annotated[str, typer.Option(help="utf-8 (with BOM) | cp932")] = "utf-8",
) -> None:
    """Reports as CSV (no 個人番号, no names; UTF-8 with BOM).  Example: intake report yearly 令和8 yearly.csv
    (period: a fiscal year — 2026, 令和8 — for yearly; a month — 2026-10, 令和8年10月 — for clinics)"""
    from intake.services import reports
    from intake.ward_dates import parse_fiscal_year, parse_month

    chosen = encoding_of(encoding)
    fiscal_year = parse_fiscal_year(period) if kind == "yearly" else 0
    month = parse_month(period) if kind == "clinics" else ""
    with session() as s:
        if kind == "yearly":
            rows, columns = reports.yearly_counts(s, fiscal_year), reports.YEARLY_COLUMNS
        else:
            rows, columns = reports.clinic_month(s, month), reports.CLINIC_COLUMNS
    out.write_bytes(encode_csv(reports.to_csv(rows, columns), chosen))
    say("report.done", count=len(rows), path=out)


@app.command("match-batch", rich_help_panel=LEDGER)
def match_batch(
    queries: Path,
    out: Annotated[Path, typer.Option("--out")],
    workers: Annotated[int, typer.Option(help="processes (0: one per core)")] = 0,
) -> None:
    """Match forms to residents from a CSV (columns form_id,宛名番号,氏名,氏名_振り仮名,生年月日,性別,住所,保護者_氏名).
    Example: intake match-batch queries.csv --out matches.csv"""
    from collections import Counter

    from intake.services.match_batch import match_all, read_queries, write_matches

    t = time.perf_counter()
    qs = read_queries(queries)
    url = get_settings().effective_database_url
    from intake.progress import Progress

    shown = Progress("match", total=len(qs), unit="forms")
    decisions = match_all(url, qs, workers, progress=shown)
    shown.finish()
    write_matches(out, qs, decisions)
    counts = Counter(d.decision for d in decisions)
    say(
        "match.done",
        count=f"{len(qs):,}",
        seconds=f"{time.perf_counter() - t:.1f}",
        counts=", ".join(f"{k} {v:,}" for k, v in counts.items()),
    )
