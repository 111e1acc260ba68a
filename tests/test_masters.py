"""The resident register and masters load from the ward's CSVs; a re-import updates in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.services.kana import fold_kana
from intake.services.masters import import_lots, import_residents
from intake.settings import Settings
from models import Resident
from tests.support.env import SAMPLE

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
    assert summary.errors and summary.errors[0].code == "line.bad_date" and summary.errors[0].params["line"] == 3
    assert summary.errors[0].text("ja")[0].startswith("3 行目: ") and "令和6年4月1日" in summary.errors[0].text("ja")[1]
    assert session.get(Resident, "900000000001") is None


def test_lot_of_an_unknown_vaccine_is_refused(settings: Settings, session: Session, tmp_path: Path) -> None:
    csv = tmp_path / "lots.csv"
    csv.write_text("ロット番号,接種種類コード,ワクチンメーカー,有効期限\nZZ0001,NOPE,,2027-01-01\n", encoding="utf-8")
    summary = import_lots(session, csv)
    assert summary.errors and summary.errors[0].params["value"] == "NOPE"
    assert (SAMPLE / "lots.csv").exists()


def test_a_register_in_chunks_with_ward_dates_updates_and_a_night_delta(
    settings: Settings, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intake.services import masters

    monkeypatch.setattr(masters, "CHUNK", 3)  # 10 rows in 4 statements and commits
    header = "宛名番号,氏名,氏名_振り仮名,生年月日,性別,個人番号\n"
    dates = ["令和6年4月1日", "2024/04/02", "R6.4.3", "2024-04-04", "平成元年1月8日"] * 2
    rows = [
        f"90000000{i:04d},架空 {i},カクウ イチ,{dates[i]},{1 + i % 2},{'123456789018' if i == 0 else ''}" for i in range(10)
    ]
    register = tmp_path / "register.csv"
    register.write_text(header + "\n".join(rows) + "\n", encoding="cp932")  # a Shift_JIS export
    first = import_residents(session, register)
    assert first.ok and (first.created, first.updated) == (10, 0), first
    session.expire_all()
    r0 = session.get(Resident, "900000000000")
    r4 = session.get(Resident, "900000000004")
    assert r0 is not None and r4 is not None and r0.my_number and str(r0.birth_date) == "2024-04-01"
    assert str(r4.birth_date) == "1989-01-08"
    # the night's changes: a move and a new resident, the number column absent — the number on record stays
    delta = tmp_path / "delta.csv"
    delta.write_text(
        "宛名番号,氏名,氏名_振り仮名,生年月日,性別,異動事由,異動年月日\n"
        "900000000000,架空 0,カクウ イチ,2024-04-01,1,転出,令和8年11月29日\n"
        "900000000099,架空 新,カクウ シン,2026-11-01,2,,\n"
        "900000000099,架空 新,カクウ アラタ,2026-11-01,2,,\n",  # the same 宛名番号 twice: the last row wins
        encoding="utf-8-sig",
    )
    night = import_residents(session, delta)
    assert night.ok and (night.created, night.updated) == (1, 1), night
    session.expire_all()
    moved = session.get(Resident, "900000000000")
    new = session.get(Resident, "900000000099")
    assert moved is not None and moved.move_reason == "転出" and str(moved.move_date) == "2026-11-29"
    assert moved.my_number == r0.my_number  # kept
    assert new is not None and new.name_kana == "カクウ アラタ"


def test_every_bad_row_is_named_and_nothing_is_written(settings: Settings, session: Session, tmp_path: Path) -> None:
    before = len(session.exec(select(Resident)).all())
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "宛名番号,氏名,氏名_振り仮名,生年月日,性別\n"
        "800000000001,架空 一,カクウ,2024-04-01,1\n"
        "800000000002,架空 二,カクウ,2024-13-01,1\n"
        ",架空 三,カクウ,2024-04-01,1\n"
        "800000000004,架空 四,カクウ,2024-04-01,3\n",
        encoding="utf-8",
    )
    s = import_residents(session, bad)
    assert [e.params["line"] for e in s.errors] == [3, 4, 5]
    assert len(session.exec(select(Resident)).all()) == before
