"""CSV imports: the resident register (daily re-send, updated in place) and the masters."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlmodel import Session

from intake.errors import BadInput
from intake.services import audit
from intake.services.kana import fold_kana, loosen_kana
from intake.services.my_number import check_digit_ok, seal
from intake.services.names import fold_name
from models import Clinic, Lot, Resident, Vaccine
from models.tables import utcnow

RESIDENT_REQUIRED = ["宛名番号", "氏名", "氏名_振り仮名", "生年月日", "性別"]
Progress = Callable[[int], None]


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _rows(path: Path, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp932")  # the ward's exports may be Shift_JIS
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise BadInput(
            f"{path.name} lacks column(s) {', '.join(missing)}",
            fix=f"the header must name {', '.join(required)} (standardized names)",
        )
    for i, row in enumerate(reader, start=2):
        yield i, {k: (v or "").strip() for k, v in row.items() if k}


def _date(value: str, line: int, column: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"line {line}: {column} {value!r} is not YYYY-MM-DD", fix="export dates as YYYY-MM-DD") from None


def import_residents(session: Session, path: Path, progress: Progress | None = None) -> ImportSummary:
    """Validate every row first; write nothing if any row is bad (a half-imported register is worse)."""
    parsed: list[Resident] = []
    summary = ImportSummary()
    for line, row in _rows(path, RESIDENT_REQUIRED):
        try:
            sex = row.get("性別", "")
            if sex not in ("1", "2", ""):
                raise BadInput(f"line {line}: 性別 must be 1 or 2, got {sex!r}")
            if not row["宛名番号"]:
                raise BadInput(f"line {line}: 宛名番号 is empty")
            number = row.get("個人番号", "").strip()
            if number and not check_digit_ok(number):
                raise BadInput(f"line {line}: 個人番号 is not 12 digits with a valid check digit")
            parsed.append(
                Resident(
                    atena_no=row["宛名番号"],
                    household_no=row.get("世帯番号", ""),
                    name=row["氏名"],
                    name_kana=row["氏名_振り仮名"],
                    kana_key=fold_kana(row["氏名_振り仮名"]),
                    name_key=fold_name(row["氏名"]),
                    kana_loose=loosen_kana(fold_kana(row["氏名_振り仮名"])),
                    birth_date=_date(row["生年月日"], line, "生年月日"),
                    birth_date_unknown=not row["生年月日"],
                    sex=sex,
                    address=row.get("住所", ""),
                    postal_code=row.get("住所_郵便番号", ""),
                    move_reason=row.get("異動事由", ""),
                    move_date=_date(row.get("異動年月日", ""), line, "異動年月日"),
                    deleted=row.get("削除フラグ", "0") == "1",
                    my_number=seal(number) if number else None,  # encrypted at rest (intake.services.my_number)
                )
            )
        except BadInput as exc:
            summary.errors.append(exc.message)
    if summary.errors:
        return summary
    for i, r in enumerate(parsed, 1):
        existing = session.get(Resident, r.atena_no)
        if existing is None:
            session.add(r)
            summary.created += 1
        else:
            for name in (
                "household_no",
                "name",
                "name_kana",
                "kana_key",
                "name_key",
                "kana_loose",
                "birth_date",
                "birth_date_unknown",
                "sex",
                "address",
                "postal_code",
                "move_reason",
                "move_date",
                "deleted",
            ):
                setattr(existing, name, getattr(r, name))
            if r.my_number:  # a register row without the column keeps the number on record
                existing.my_number = r.my_number
            existing.updated_at = utcnow()
            session.add(existing)
            summary.updated += 1
        if progress and i % 1000 == 0:
            session.flush()
            progress(i)
    audit.record(session, audit.operator(), "residents.import", "file", path.name)
    session.commit()
    return summary


def import_vaccines(session: Session, path: Path) -> ImportSummary:
    s = ImportSummary()
    for line, row in _rows(path, ["接種種類コード", "ワクチン名"]):
        v = session.get(Vaccine, row["接種種類コード"])
        dose = float(row["接種量"]) if row.get("接種量") else None
        values = dict(
            name=row["ワクチン名"],
            maker=row.get("ワクチンメーカー", ""),
            dose_ml=dose,
            legal_class=row.get("法定区分", "定期") or "定期",
            doses=int(row.get("回数") or 1),
        )
        if v is None:
            session.add(Vaccine(code=row["接種種類コード"], **values))  # type: ignore[arg-type]
            s.created += 1
        else:
            for k, val in values.items():
                setattr(v, k, val)
            s.updated += 1
        _ = line
    session.commit()
    return s


def import_clinics(session: Session, path: Path) -> ImportSummary:
    s = ImportSummary()
    for _, row in _rows(path, ["実施機関コード", "実施機関名"]):
        c = session.get(Clinic, row["実施機関コード"])
        if c is None:
            session.add(Clinic(code=row["実施機関コード"], name=row["実施機関名"]))
            s.created += 1
        else:
            c.name = row["実施機関名"]
            s.updated += 1
    session.commit()
    return s


def import_lots(session: Session, path: Path) -> ImportSummary:
    s = ImportSummary()
    for line, row in _rows(path, ["ロット番号", "接種種類コード"]):
        if session.get(Vaccine, row["接種種類コード"]) is None:
            s.errors.append(f"line {line}: vaccine {row['接種種類コード']} is not in the vaccine master")
            continue
        lot = session.get(Lot, row["ロット番号"])
        expiry = _date(row.get("有効期限", ""), line, "有効期限")
        if lot is None:
            session.add(
                Lot(
                    lot_number=row["ロット番号"],
                    vaccine_code=row["接種種類コード"],
                    maker=row.get("ワクチンメーカー", ""),
                    expiry=expiry,
                )
            )
            s.created += 1
        else:
            lot.vaccine_code, lot.expiry = row["接種種類コード"], expiry
            s.updated += 1
    if s.errors:
        session.rollback()
        return s
    session.commit()
    return s
