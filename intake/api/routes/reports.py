from __future__ import annotations

from fastapi import APIRouter, Response

from intake.api.deps import SessionDep, StaffDep
from intake.csv_out import Encoding, encode_csv, media_type
from intake.services import reports, staff_reads
from intake.ward_dates import parse_fiscal_year, parse_month

router = APIRouter(prefix="/reports", tags=["reports"])


def _out(
    rows: list[dict[str, object]], columns: list[str], fmt: str, name: str, encoding: Encoding
) -> Response | list[dict[str, object]]:
    if fmt == "csv":  # counts and codes only: no 個人番号, no names
        return Response(
            encode_csv(reports.to_csv(rows, columns), encoding),  # UTF-8 with BOM, or CP932 (intake.csv_out)
            media_type=media_type(encoding),
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return rows


@router.get("/yearly", response_model=None)
def yearly(
    fiscal_year: str, session: SessionDep, who: StaffDep, format: str = "json", encoding: Encoding = "utf-8"
) -> Response | list[dict[str, object]]:
    """The yearly count of vaccinated people per vaccine and dose (予防接種法施行令第7条 report). fiscal_year: 2026,
    2026年度 or 令和8."""
    year = parse_fiscal_year(fiscal_year)
    rows = staff_reads.yearly_report(session, who, year)
    return _out(rows, reports.YEARLY_COLUMNS, format, f"yearly_{year}", encoding)


@router.get("/clinics", response_model=None)
def clinics(
    month: str, session: SessionDep, who: StaffDep, format: str = "json", encoding: Encoding = "utf-8"
) -> Response | list[dict[str, object]]:
    """Per clinic for a month (2026-10, 2026年10月, 令和8年10月): forms received vs records committed, for reconciling
    the clinic's claim."""
    month = parse_month(month)
    rows = staff_reads.clinics_report(session, who, month)
    return _out(rows, reports.CLINIC_COLUMNS, format, f"clinics_{month}", encoding)
