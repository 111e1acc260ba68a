"""`intake match-batch QUERIES.csv --out MATCHES.csv`: match forms read elsewhere against the register, so
matching quality can be measured from outside."""

from __future__ import annotations

import csv
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, create_engine

from intake.csv_out import open_csv
from intake.db import dispose_engines, get_engine
from intake.errors import BadInput
from intake.services.matcher import Decision, Matcher, Query, RegisterStats, build_stats

CHUNK = 500  # queries per task handed to a worker

QUERY_COLUMNS = ["form_id", "宛名番号", "氏名", "氏名_振り仮名", "生年月日", "性別", "住所", "保護者_氏名"]
MATCH_COLUMNS = ["form_id", "decision", "宛名番号", "score", "candidates"]


def read_queries(path: Path) -> list[Query]:
    with open_csv(path) as fh:  # UTF-8 or CP932
        reader = csv.DictReader(fh)
        missing = [c for c in ("form_id", "氏名_振り仮名", "生年月日") if c not in (reader.fieldnames or [])]
        if missing:
            raise BadInput(
                "match.missing_columns", name=path.name, columns=", ".join(missing), required=",".join(QUERY_COLUMNS)
            )
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


@dataclass(frozen=True)
class MatchRow:
    """One line of MATCHES.csv: small enough to come back from a worker process."""

    decision: str
    atena_no: str
    score: float
    candidates: list[str]


def _row(d: Decision) -> MatchRow:
    return MatchRow(d.decision, d.atena_no or "", d.score, [c.resident.atena_no for c in d.candidates])


_matcher: Matcher | None = None  # one per worker process


def _start_worker(url: str, stats: RegisterStats) -> None:
    global _matcher
    _matcher = Matcher(Session(create_engine(url)), stats)  # a fresh engine: no pooled connection crossed the fork


def _match_chunk(chunk: list[Query]) -> list[MatchRow]:
    assert _matcher is not None
    return [_row(_matcher.match(q)) for q in chunk]


def match_all(
    url: str, queries: list[Query], workers: int = 0, progress: Callable[[int], None] | None = None
) -> list[MatchRow]:
    """Match in `workers` processes (default: one per core; 1 = in this process). The register's frequencies
    are built once here and inherited by the forked workers; each worker has its own database connection."""
    with Session(get_engine(url)) as s:
        stats = build_stats(s)
        if (workers or os.cpu_count() or 1) == 1 or len(queries) < 2 * CHUNK:
            matcher = Matcher(s, stats)
            return [_row(matcher.match(q)) for q in queries]
    dispose_engines()
    chunks = [queries[i : i + CHUNK] for i in range(0, len(queries), CHUNK)]
    out: list[MatchRow] = []
    ctx = multiprocessing.get_context("fork")
    # concurrent.futures, not multiprocessing.Pool: a worker that dies raises BrokenProcessPool here instead of
    # leaving the caller waiting for its results forever.
    with ProcessPoolExecutor(
        workers or os.cpu_count(), mp_context=ctx, initializer=_start_worker, initargs=(url, stats)
    ) as pool:
        for rows in pool.map(_match_chunk, chunks):  # in order: row i answers query i
            out.extend(rows)
            if progress and len(out) % 5000 < CHUNK:
                progress(len(out))
    return out


def write_matches(path: Path, queries: list[Query], decisions: list[MatchRow]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(MATCH_COLUMNS)
        for q, d in zip(queries, decisions, strict=True):
            w.writerow([q.form_id, d.decision, d.atena_no, f"{d.score:.2f}", ";".join(d.candidates)])
