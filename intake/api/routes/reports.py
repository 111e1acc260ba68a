from __future__ import annotations

from fastapi import APIRouter, Response

from intake.api.deps import SessionDep, StaffDep
from intake.services import audit, reports

router = APIRouter(prefix="/reports", tags=["reports"])


def _out(rows: list[dict[str, object]], columns: list[str], fmt: str, name: str) -> Response | list[dict[str, object]]:
    if fmt == "csv":  # counts and codes only: no 個人番号, no names
        return Response(
            reports.to_csv(rows, columns),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return rows


@router.get("/yearly", response_model=None)
def yearly(fiscal_year: int, session: SessionDep, who: StaffDep, format: str = "json") -> Response | list[dict[str, object]]:
    """The yearly count of vaccinated people per vaccine and dose (予防接種法施行令第7条 report)."""
    rows = reports.yearly_counts(session, fiscal_year)
    audit.record(session, who.actor, "report.yearly", "report", str(fiscal_year))
    session.commit()
    return _out(rows, reports.YEARLY_COLUMNS, format, f"yearly_{fiscal_year}")


@router.get("/clinics", response_model=None)
def clinics(month: str, session: SessionDep, who: StaffDep, format: str = "json") -> Response | list[dict[str, object]]:
    """Per clinic for a month (YYYY-MM): forms received vs records committed, for reconciling the clinic's claim."""
    rows = reports.clinic_month(session, month)
    audit.record(session, who.actor, "report.clinics", "report", month)
    session.commit()
    return _out(rows, reports.CLINIC_COLUMNS, format, f"clinics_{month}")
