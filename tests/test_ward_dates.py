"""Dates, months and fiscal years as ward staff type them, on every path that takes one; a value that cannot be read
is one clear error (422 / exit 2) that says what to type — never a 500, never pydantic's English."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from intake.errors import BadInput
from intake.settings import Settings
from intake.ward_dates import parse_day, parse_fiscal_year, parse_month
from tests.support.api import login
from tests.support.env import ROOT

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2021-10-20", date(2021, 10, 20)),
        ("2021/10/20", date(2021, 10, 20)),
        ("20211020", date(2021, 10, 20)),
        ("令和3年10月20日", date(2021, 10, 20)),
        ("R3.10.20", date(2021, 10, 20)),
        ("２０２１／１０／２０", date(2021, 10, 20)),  # full-width, as an IME leaves it
        ("平成元年1月8日", date(1989, 1, 8)),
    ],
)
def test_a_day_as_staff_type_it(text: str, expected: date) -> None:
    assert parse_day(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [("2026-10", "2026-10"), ("2026/10", "2026-10"), ("2026年10月", "2026-10"), ("令和8年10月", "2026-10"),
     ("R8.10", "2026-10"), ("202610", "2026-10"), ("２０２６年１０月", "2026-10")],
)  # fmt: skip
def test_a_month_as_staff_type_it(text: str, expected: str) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["2026", "2026年度", "令和8", "令和8年度", "R8", "２０２６"])
def test_a_fiscal_year_as_staff_type_it(text: str) -> None:
    assert parse_fiscal_year(text) == 2026


@pytest.mark.parametrize("bad", ["2026-13", "令和8年13月", "last month", ""])
def test_a_month_that_is_not_one_says_what_to_type(bad: str) -> None:
    with pytest.raises(BadInput) as exc:
        parse_month(bad)
    assert "2026年10月" in exc.value.text("ja")[1] and "2026年10月" in exc.value.fix


@SQLITE
def test_reports_take_japanese_periods_and_csvs_open_in_excel(client: TestClient, settings: Settings) -> None:
    staff = login(client, "staff1")
    western = client.get("/api/v1/reports/yearly", params={"fiscal_year": "2026"}, headers=staff)
    era = client.get("/api/v1/reports/yearly", params={"fiscal_year": "令和8"}, headers=staff)
    assert western.status_code == era.status_code == 200 and western.json() == era.json()
    month = client.get("/api/v1/reports/clinics", params={"month": "2026年11月", "format": "csv"}, headers=staff)
    assert month.status_code == 200 and month.content.startswith("\ufeff月".encode())
    bad = client.get("/api/v1/reports/clinics", params={"month": "2026-13"}, headers=staff)
    assert bad.status_code == 422 and bad.json()["code"] == "date.no_such_month"
    assert bad.json()["message"] == "月「2026-13」: 13 月はありません" and "2026年10月" in bad.json()["fix"]


@SQLITE
def test_staff_search_takes_era_and_compact_dates(client: TestClient, settings: Settings) -> None:
    staff = login(client, "staff1")
    for text in ("令和8年4月1日", "R8.4.1", "20260401", "2026/04/01"):
        r = client.get("/api/v1/records", params={"vaccine": "MR", "date_from": text}, headers=staff)
        assert r.status_code == 200, (text, r.text)
    r = client.get("/api/v1/records", params={"vaccine": "MR", "date_from": "令和8年2月30日"}, headers=staff)
    assert r.status_code == 422 and r.json()["message"] == "実施日（から）「令和8年2月30日」は存在しない日付です"
    assert "令和8年4月1日" in r.json()["fix"]


@SQLITE
def test_the_cli_report_takes_an_era_year_and_refuses_a_bad_month_in_one_line(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "yearly.csv"
    cli = [sys.executable, "-c", "from intake.cli import main; main()"]
    ok = subprocess.run([*cli, "report", "yearly", "令和8", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert out.read_bytes().startswith("\ufeff年度".encode())
    bad = subprocess.run([*cli, "report", "clinics", "2026-13", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert [line for line in bad.stderr.splitlines() if line.startswith("エラー")] == [
        "エラー: 月「2026-13」: 13 月はありません — 月は 1〜12 です（例 2026-10・2026年10月・令和8年10月）"
        " [date.no_such_month]"
    ]
