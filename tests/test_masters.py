"""The resident register and masters load from the ward's CSVs; a re-import updates in place."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from intake.services.kana import fold_kana
from intake.services.masters import import_lots, import_residents
from intake.settings import Settings
from models import Resident
from tests.conftest import SAMPLE

HEADER = "宛名番号,世帯番号,氏名,氏名_振り仮名,生年月日,性別,住所,住所_郵便番号,異動事由,異動年月日,削除フラグ\n"


def test_reimport_updates_in_place_and_keeps_moved_residents(settings: Settings, session: Session, tmp_path: Path) -> None:
    before = len(session.exec(select(Resident)).all())
    first = session.exec(select(Resident).order_by(Resident.atena_no)).first()
    assert first is not None
    csv = tmp_path / "daily.csv"
    csv.write_text(
        HEADER + f"{first.atena_no},{first.household_no},架空 改名,カクウ カイメイ,{first.birth_date},{first.sex},"
        "東京都練馬区架空1-1-1,176-0001,転出,2026-10-01,0\n",
        encoding="utf-8",
    )
    summary = import_residents(session, csv)
    assert (summary.created, summary.updated, summary.errors) == (0, 1, [])
    session.expire_all()
    r = session.get(Resident, first.atena_no)
    assert r is not None and r.name == "架空 改名" and r.kana_key == fold_kana("カクウカイメイ")
    assert r.move_reason == "転出" and not r.deleted  # moved out: still matchable, flagged
    assert len(session.exec(select(Resident)).all()) == before


def test_a_bad_row_imports_nothing_and_says_which_line(settings: Settings, session: Session, tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(
        HEADER + "900000000001,1,架空 一,カクウ イチ,2020-01-01,1,,,,,0\n"
        "900000000002,1,架空 二,カクウ ニ,2020-13-01,1,,,,,0\n",
        encoding="utf-8",
    )
    summary = import_residents(session, csv)
    assert summary.errors and "line 3" in summary.errors[0] and "YYYY-MM-DD" in summary.errors[0]
    assert session.get(Resident, "900000000001") is None


def test_lot_of_an_unknown_vaccine_is_refused(settings: Settings, session: Session, tmp_path: Path) -> None:
    csv = tmp_path / "lots.csv"
    csv.write_text("ロット番号,接種種類コード,ワクチンメーカー,有効期限\nZZ0001,NOPE,,2027-01-01\n", encoding="utf-8")
    summary = import_lots(session, csv)
    assert summary.errors and "NOPE" in summary.errors[0]
    assert (SAMPLE / "lots.csv").exists()
