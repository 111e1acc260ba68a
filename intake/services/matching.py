"""Matching a form to a resident.

Deterministic first: a QR's 宛名番号 is looked up, then checked (the resident exists, is not a deleted
record, and the form's vaccine fits). Without an id, candidates come from indexed blocking queries
(kana + birth date) for the reviewer; issue 5 deepens this into probabilistic scoring.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from intake.services.kana import fold_kana
from models import Resident
from ocr.codes import FormIdentity

MAX_CANDIDATES = 5


def candidate_json(r: Resident, score: float, agree: dict[str, bool]) -> dict[str, Any]:
    flags = []
    if r.move_reason:
        flags.append(f"異動: {r.move_reason}")
    if r.deleted:
        flags.append("削除済み")
    return {"atena_no": r.atena_no, "score": round(score, 3), "agree": agree, "flags": flags}


def match_identity(
    session: Session, identity: FormIdentity | None, municipality_code: str, source: str = "qr"
) -> dict[str, Any]:
    if identity is None:
        return {
            "decision": "none",
            "atena_no": None,
            "score": 0.0,
            "candidates": [],
            "explanation": "no form id was read: search by kana and birth date",
        }
    if identity.municipality_code != municipality_code:
        return {
            "decision": "none",
            "atena_no": None,
            "score": 0.0,
            "candidates": [],
            "explanation": f"form of another municipality ({identity.municipality_code}): handle by hand",
        }
    r = session.get(Resident, identity.atena_no)
    if r is None:
        return {
            "decision": "none",
            "atena_no": None,
            "score": 0.0,
            "candidates": [],
            "explanation": f"宛名番号 {identity.atena_no} is not in the register",
        }
    agree = {"atena_no": True}
    decision = "review" if (r.deleted or r.move_reason) else "auto"
    explanation = "QR 宛名番号 found in the register"
    if decision == "review":
        explanation += f"; resident flagged ({r.move_reason or '削除'}): confirm by hand"
    if source != "qr":
        # The printed digits carry no check digit on 宛名番号: a misread can name another resident.
        decision = "review"
        explanation = "宛名番号 read from the printed digits (no check digit): confirm name and birth date"
    return {
        "decision": decision,
        "atena_no": r.atena_no,
        "score": 1.0,
        "candidates": [candidate_json(r, 1.0, agree)],
        "explanation": explanation,
    }


def search_candidates(
    session: Session, *, kana: str = "", birth_date: date | None = None, atena_no: str = ""
) -> list[Resident]:
    """Candidate-finding only (id, or kana + birth date): never a free browse of the register."""
    if atena_no:
        r = session.get(Resident, atena_no)
        return [r] if r else []
    if not kana or birth_date is None:
        return []
    key = fold_kana(kana)
    rows = session.exec(
        select(Resident).where(Resident.birth_date == birth_date).where(col(Resident.kana_key).startswith(key[:2])).limit(50)
    ).all()
    exact = [r for r in rows if r.kana_key == key]
    rest = [r for r in rows if r.kana_key != key]
    return (exact + rest)[:MAX_CANDIDATES]
