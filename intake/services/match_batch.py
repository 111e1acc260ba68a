"""`intake match-batch QUERIES.csv --out MATCHES.csv`: match forms read elsewhere against the register, so
matching quality can be measured from outside."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session

from intake.errors import BadInput
from intake.services.matcher import Decision, Matcher, Query

QUERY_COLUMNS = ["form_id", "宛名番号", "氏名", "氏名_振り仮名", "生年月日", "性別", "住所", "保護者_氏名"]
MATCH_COLUMNS = ["form_id", "decision", "宛名番号", "score", "candidates"]


def read_queries(path: Path) -> list[Query]:
    with path.open(encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("form_id", "氏名_振り仮名", "生年月日") if c not in (reader.fieldnames or [])]
        if missing:
            raise BadInput(f"{path.name} lacks column(s) {', '.join(missing)}", fix=f"columns: {','.join(QUERY_COLUMNS)}")
        return [
            Query(
                form_id=r["form_id"],
                atena_no=r.get("宛名番号", ""),
                name=r.get("氏名", ""),
                kana=r.get("氏名_振り仮名", ""),
                birth=r.get("生年月日", ""),
                sex=r.get("性別", ""),
                address=r.get("住所", ""),
                guardian=r.get("保護者_氏名", ""),
            )
            for r in reader
        ]


def match_all(session: Session, queries: list[Query], progress: Callable[[int], None] | None = None) -> list[Decision]:
    matcher = Matcher(session)
    out = []
    for i, q in enumerate(queries, 1):
        out.append(matcher.match(q))
        if progress and i % 5000 == 0:
            progress(i)
    return out


def write_matches(path: Path, queries: list[Query], decisions: list[Decision]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(MATCH_COLUMNS)
        for q, d in zip(queries, decisions, strict=True):
            w.writerow(
                [
                    q.form_id,
                    d.decision,
                    d.atena_no or "",
                    f"{d.score:.2f}",
                    ";".join(c.resident.atena_no for c in d.candidates),
                ]
            )
