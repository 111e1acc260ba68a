"""CSV imports: the resident register (daily re-send, updated in place) and the masters."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func
from sqlmodel import Session

from intake.csv_out import open_csv
from intake.errors import BadInput, IntakeError
from intake.services import audit
from intake.services.kana import fold_kana, loosen_kana
from intake.services.my_number import check_digit_ok, seal
from intake.services.names import fold_name
from intake.services.schedule_data import schedule
from intake.ward_dates import parse_day
from models import Clinic, Lot, Resident, Vaccine
from models.tables import utcnow

RESIDENT_REQUIRED = ["宛名番号", "氏名", "氏名_振り仮名", "生年月日", "性別"]
Progress = Callable[[int], None]


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    errors: list[IntakeError] = field(default_factory=list)  # each bad line, by code (rendered at the edge)

    @property
    def ok(self) -> bool:
        return not self.errors


def vaccine_name(session: Session, code: str) -> str:
    """A vaccine's name as staff read it: the ward's master, else the schedule data (a vaccine not yet in the
    master), else nothing."""
    v = session.get(Vaccine, code) if code else None
    if v is not None:
        return v.name
    known = schedule().vaccine(code) if code else None
    return known.name if known else ""


def _rows(path: Path, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    with open_csv(path) as fh:
        yield from _rows_of(fh, path.name, required)


def _rows_of(fh: TextIO | io.TextIOBase, name: str, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(fh)
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise BadInput("csv.missing_columns", name=name, columns=", ".join(missing), required=", ".join(required))
    for i, row in enumerate(reader, start=2):
        yield i, {k: (v or "").strip() for k, v in row.items() if k}


def _date(value: str, line: int, column: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)  # the usual export, without the general parser's cost
    except ValueError:
        pass
    try:  # as the ward writes them: 令和6年4月1日, R6.4.1, 2024/04/01, 20240401 (intake.ward_dates)
        return parse_day(value, column)
    except BadInput:
        raise BadInput("line.bad_date", line=line, column=column, value=value) from None


RESIDENT_FIELDS = (
    "household_no", "name", "name_kana", "kana_key", "name_key", "kana_loose", "birth_date", "birth_date_unknown",
    "sex", "address", "postal_code", "move_reason", "move_date", "deleted",
)  # fmt: skip
CHUNK = 5_000  # rows per upsert statement and per transaction: reviewers are never blocked for long


def _check_resident(line: int, row: dict[str, str]) -> None:
    """What can be wrong with a register row (the first pass: nothing folded, nothing kept)."""
    sex = row.get("性別", "")
    if sex not in ("1", "2", ""):
        raise BadInput("line.bad_sex", line=line, value=sex)
    if not row["宛名番号"]:
        raise BadInput("line.empty", line=line, column="宛名番号")
    number = row.get("個人番号", "").strip()
    if number and not check_digit_ok(number):
        raise BadInput("line.bad_my_number", line=line)
    _date(row["生年月日"], line, "生年月日")
    _date(row.get("異動年月日", ""), line, "異動年月日")


def _resident_row(line: int, row: dict[str, str]) -> dict[str, object]:
    """A checked row as the resident table's values (names folded for matching; 個人番号 still plain)."""
    kana = fold_kana(row["氏名_振り仮名"])
    return {
        "atena_no": row["宛名番号"],
        "household_no": row.get("世帯番号", ""),
        "name": row["氏名"],
        "name_kana": row["氏名_振り仮名"],
        "kana_key": kana,
        "name_key": fold_name(row["氏名"]),
        "kana_loose": loosen_kana(kana),
        "birth_date": _date(row["生年月日"], line, "生年月日"),
        "birth_date_unknown": not row["生年月日"],
        "sex": row.get("性別", ""),
        "address": row.get("住所", ""),
        "postal_code": row.get("住所_郵便番号", ""),
        "move_reason": row.get("異動事由", ""),
        "move_date": _date(row.get("異動年月日", ""), line, "異動年月日"),
        "deleted": row.get("削除フラグ", "0") == "1",
        "number": row.get("個人番号", "").strip(),
    }


def import_residents(session: Session, path: Path, progress: Progress | None = None) -> ImportSummary:
    """The register, or a night's changes (異動) — the same file layout. Two streaming passes: every row is
    validated first and nothing is written if any is bad (a half-imported register is worse); then the rows are
    upserted CHUNK at a time (one INSERT … ON CONFLICT per chunk, a commit per chunk). Memory holds one chunk,
    whatever the file's size. A row without 個人番号 keeps the number already on record."""
    summary = ImportSummary()
    seen = 0
    for line, row in _rows(path, RESIDENT_REQUIRED):
        seen += 1
        try:
            _check_resident(line, row)
        except BadInput as exc:
            if len(summary.errors) < 1000:
                summary.errors.append(exc)
        if progress and seen % CHUNK == 0:
            progress(-seen)  # negative: rows checked (first pass)
    if progress:
        progress(-seen)
    if summary.errors:
        return summary
    chunk: list[dict[str, object]] = []
    done = 0
    for line, row in _rows(path, RESIDENT_REQUIRED):
        chunk.append(_resident_row(line, row))
        if len(chunk) >= CHUNK:
            _upsert_residents(session, chunk, summary)
            done += len(chunk)
            chunk = []
            if progress:
                progress(done)
    if chunk:
        _upsert_residents(session, chunk, summary)
        done += len(chunk)
    if progress:
        progress(done)
    audit.record(
        session,
        audit.operator(),
        "residents.import",
        "file",
        path.name,
        f"ok: {summary.created} new, {summary.updated} updated",
    )
    session.commit()
    return summary


def _upsert_residents(session: Session, rows: list[dict[str, object]], summary: ImportSummary) -> None:
    keys = [r["atena_no"] for r in rows]
    if len(set(keys)) != len(keys):  # the same 宛名番号 twice in a chunk: the last row wins, as row by row
        rows = list({r["atena_no"]: r for r in rows}.values())
    now = utcnow()
    values = []
    for r in rows:
        number = str(r.pop("number"))
        values.append({**r, "my_number": seal(number) if number else None, "updated_at": now})
    if session.get_bind().dialect.name == "postgresql":
        created = _merge_pg(session, values)
    else:
        created = _merge_sqlite(session, values)
    session.commit()
    summary.created += created
    summary.updated += len(values) - created


COLUMNS = ("atena_no", *RESIDENT_FIELDS, "my_number", "updated_at")


def _merge_pg(session: Session, values: list[dict[str, object]]) -> int:
    """COPY the chunk into a session-local staging table, then one INSERT … ON CONFLICT from it (about twice the
    rows per second of a multi-row INSERT); returns how many were new."""
    conn = session.connection()
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS resident_stage (LIKE resident INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY resident_stage ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for v in values:
            copy.write_row([v[c] for c in COLUMNS])
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*RESIDENT_FIELDS, "updated_at"))
    result = conn.exec_driver_sql(
        f"INSERT INTO resident ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM resident_stage "
        f"ON CONFLICT (atena_no) DO UPDATE SET {updates}, "
        "my_number = COALESCE(EXCLUDED.my_number, resident.my_number) RETURNING (xmax = 0)"
    )
    return sum(1 for (inserted,) in result if inserted)


def _merge_sqlite(session: Session, values: list[dict[str, object]]) -> int:
    from sqlalchemy import select as sa_select
    from sqlalchemy.dialects.sqlite import insert

    table: Any = Resident.__table__  # type: ignore[attr-defined]
    keys = [v["atena_no"] for v in values]
    existing = set(session.execute(sa_select(table.c.atena_no).where(table.c.atena_no.in_(keys))).scalars())
    stmt = insert(table)
    update: dict[str, Any] = {name: stmt.excluded[name] for name in (*RESIDENT_FIELDS, "updated_at")}
    update["my_number"] = func.coalesce(stmt.excluded["my_number"], table.c.my_number)
    session.execute(stmt.on_conflict_do_update(index_elements=["atena_no"], set_=update), values)
    return len(values) - len(existing)


def _number(value: str, line: int, column: str, kind: type[float] | type[int] = float) -> float | int | None:
    if not value:
        return None
    try:
        return kind(unicodedata.normalize("NFKC", value).strip().lower().removesuffix("ml").strip())
    except ValueError:
        raise BadInput("line.bad_number", line=line, column=column, value=value) from None


def import_vaccines(session: Session, path: Path) -> ImportSummary:
    """Every row checked first; nothing written if any is bad (each bad line named)."""
    s = ImportSummary()
    rows = []
    for line, row in _rows(path, ["接種種類コード", "ワクチン名"]):
        try:
            if not row["接種種類コード"] or not row["ワクチン名"]:
                raise BadInput("line.empty", line=line, column="接種種類コード・ワクチン名")
            doses = _number(row.get("回数", ""), line, "回数", int)
            rows.append(
                (
                    row["接種種類コード"],
                    dict(
                        name=row["ワクチン名"],
                        maker=row.get("ワクチンメーカー", ""),
                        dose_ml=_number(row.get("接種量", ""), line, "接種量"),
                        legal_class=row.get("法定区分", "定期") or "定期",
                        doses=int(doses or 1),
                    ),
                )
            )
        except BadInput as exc:
            s.errors.append(exc)
    if s.errors:
        return s
    for code, values in rows:
        v = session.get(Vaccine, code)
        if v is None:
            session.add(Vaccine(code=code, **values))  # type: ignore[arg-type]
            s.created += 1
        else:
            for k, val in values.items():
                setattr(v, k, val)
            s.updated += 1
    session.commit()
    return s


def import_clinics(session: Session, path: Path) -> ImportSummary:
    """実施機関コード: digits (the prefecture's 10-digit medical institution code or the ward's own); a name."""
    s = ImportSummary()
    rows = []
    for line, row in _rows(path, ["実施機関コード", "実施機関名"]):
        code, name = unicodedata.normalize("NFKC", row["実施機関コード"]).strip(), row["実施機関名"]
        if not code.isdigit():
            s.errors.append(BadInput("line.bad_clinic_code", line=line, value=row["実施機関コード"]))
        elif not name:
            s.errors.append(BadInput("line.empty", line=line, column="実施機関名"))
        else:
            rows.append((code, name))
    if s.errors:
        return s
    for code, name in rows:
        c = session.get(Clinic, code)
        if c is None:
            session.add(Clinic(code=code, name=name))
            s.created += 1
        else:
            c.name = name
            s.updated += 1
    session.commit()
    return s


def import_lots(session: Session, path: Path) -> ImportSummary:
    s = ImportSummary()
    for line, row in _rows(path, ["ロット番号", "接種種類コード"]):
        if session.get(Vaccine, row["接種種類コード"]) is None:
            s.errors.append(BadInput("line.unknown_vaccine", line=line, value=row["接種種類コード"]))
            continue
        lot = session.get(Lot, row["ロット番号"])
        try:
            expiry = _date(row.get("有効期限", ""), line, "有効期限")
        except BadInput as exc:  # every bad line named, not only the first
            s.errors.append(exc)
            continue
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
