"""Matching a form to a resident.

Deterministic first: a QR's 宛名番号 is looked up, then checked (the resident exists, is not a deleted
record, and the form's vaccine fits). Without an id, candidates come from indexed blocking queries
(kana + birth date) for the reviewer; issue 5 deepens this into probabilistic scoring.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from intake.services.kana import fold_kana, loosen_kana
from intake.services.matcher import Matcher, Query, Scored, cached_stats
from models import Resident
from models.page_state import Candidate, MatchResult, Reason
from ocr.codes import FormIdentity
from ocr.types import Message, msg

MAX_CANDIDATES = 5
FIELD_JA = {"kana": "カナ", "birth_date": "生年月日"}


def _reason(m: Message) -> Reason:
    return Reason(code=m.code, params=dict(m.params))


def candidate_of(r: Resident, score: float, agree: dict[str, bool], explain: dict[str, str] | None = None) -> Candidate:
    flags = []
    if r.move_reason:
        flags.append(f"異動: {r.move_reason}")
    if r.deleted:
        flags.append("削除済み")
    return Candidate(atena_no=r.atena_no, score=round(score, 3), agree=agree, flags=flags, explain=explain or {})


def _scored(c: Scored) -> Candidate:
    return candidate_of(
        c.resident,
        c.score,
        {f: lvl == "agree" for f, (lvl, _) in c.fields.items()},
        {f: f"{lvl} {bits:+.1f}" for f, (lvl, bits) in c.fields.items()},
    )


def _none(m: Message) -> MatchResult:
    return MatchResult(decision="none", explanation=[_reason(m)])


def match_identity(
    session: Session,
    identity: FormIdentity | None,
    municipality_code: str,
    source: str = "qr",
    printed: dict[str, str] | None = None,
    anchored: bool = False,
) -> MatchResult:
    """A QR's 宛名番号 is taken only when the printed kana and birth date (as read) agree with the register — or,
    `anchored` (the issuance record agrees with the QR, or with the id printed under an unreadable QR), unless the
    printed block was read whole and contradicts both. Otherwise the printed name, kana and birth date go to the
    probabilistic matcher."""
    printed = printed or {}
    if identity is not None and identity.municipality_code != municipality_code:
        return _none(msg("match.other_municipality", municipality=identity.municipality_code))
    if identity is None or (source != "qr" and not anchored):  # a printed id alone: 宛名番号 has no check digit
        return _probabilistic(session, identity, printed)
    r = session.get(Resident, identity.atena_no)
    if r is None:
        return _none(msg("match.not_in_register", atena_no=identity.atena_no))
    kana_read, birth_read = fold_kana(printed.get("name_kana", "")), printed.get("birth_date_text", "")
    agree = {
        "atena_no": True,
        "kana": bool(kana_read) and (kana_read == r.kana_key or loosen_kana(kana_read) == r.kana_loose),
        "birth_date": bool(birth_read) and r.birth_date is not None and birth_read == r.birth_date.isoformat(),
    }
    if r.deleted:
        return MatchResult(
            decision="review",
            atena_no=r.atena_no,
            score=1.0,
            candidates=[candidate_of(r, 1.0, agree)],
            explanation=[_reason(msg("match.deleted"))],
        )
    # Anchored: the issuance record says this number went to this resident for this vaccine and dose, and the QR's
    # check digits make a misread number all but impossible; a printed block read in part or garbled is damage, not
    # evidence. Only a block read whole that contradicts both kana and birth date still goes to a person.
    contradicted = bool(kana_read) and bool(birth_read) and not agree["kana"] and not agree["birth_date"]
    if anchored and not contradicted:
        return _sure(r, agree, msg("match.registry_anchor"))
    if not (agree["kana"] and agree["birth_date"]):
        differ = [k for k in ("kana", "birth_date") if not agree[k]]
        return MatchResult(
            decision="review",
            atena_no=r.atena_no,
            score=0.5,
            candidates=[candidate_of(r, 0.5, agree)],
            explanation=[
                _reason(
                    msg(
                        "match.printed_disagrees",
                        fields="・".join(FIELD_JA[k] for k in differ),
                        fields_en=" and ".join(differ),
                    )
                )
            ],
        )
    return _sure(r, agree, msg("match.qr_agrees"))


def _sure(r: Resident, agree: dict[str, bool], why: Message) -> MatchResult:
    """An automatic match on the QR's resident: why, and the register's flag (異動) as a note."""
    notes = [msg("match.flagged", flag=r.move_reason)] if r.move_reason else []
    return MatchResult(
        decision="auto",
        atena_no=r.atena_no,
        score=1.0,
        candidates=[candidate_of(r, 1.0, agree)],
        explanation=[_reason(m) for m in (why, *notes)],
    )


def _probabilistic(session: Session, identity: FormIdentity | None, printed: dict[str, str]) -> MatchResult:
    q = Query(
        form_id="",
        atena_no=identity.atena_no if identity else "",
        name=printed.get("name", ""),
        kana=printed.get("name_kana", ""),
        birth=printed.get("birth_date_text", ""),
    )
    if not (q.kana or q.name or q.atena_no):
        return _none(msg("match.nothing_read"))
    d = Matcher(session, cached_stats(session)).match(q)
    decision = d.decision
    explanation = list(d.explanation)
    if identity is not None and decision == "auto":  # printed digits carry no check digit on 宛名番号
        decision, explanation = "review", [msg("match.digits_no_check")]
    return MatchResult(
        decision=decision,
        atena_no=d.atena_no,
        score=round(d.score, 2),
        candidates=[_scored(c) for c in d.candidates],
        explanation=[_reason(m) for m in explanation],
    )


def search_candidates(
    session: Session, *, kana: str = "", birth_date: date | None = None, atena_no: str = ""
) -> list[Resident]:
    """Candidate-finding only (id, or kana + birth date): never a free browse of the register."""
    if atena_no:
        r = session.get(Resident, atena_no)
        return [r] if r else []
    if not kana or birth_date is None:
        return []
    d = Matcher(session, cached_stats(session)).match(Query(form_id="", kana=kana, birth=birth_date.isoformat()))
    return [c.resident for c in d.candidates][:MAX_CANDIDATES]
