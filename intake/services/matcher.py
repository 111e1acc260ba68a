"""Probabilistic matching of a form to a resident (Fellegi–Sunter), for forms without a QR 宛名番号.

Candidates come from indexed blocks — folded kana, birth date, folded kanji name, and the birth date's
OCR-confusion variants with a kana prefix — so a form whose kana AND birth date are both slightly wrong is
still found. Each field's agreement adds log2(m/u) bits, with u from the register's own frequencies: an
agreeing common name (サトウ ハルト) is weak evidence, a rare one strong; a different given name or sex (twins)
counts strongly against. Auto-accept needs a high score AND a clear margin over the runner-up.
"""

from __future__ import annotations

import math
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from intake.services.kana import confusion_variants, fold_kana, loosen_kana, to_katakana
from intake.services.names import fold_name
from models import Resident
from ocr.normalize import CONFUSABLE, DateProblem, parse_date
from ocr.types import Message, msg

AUTO_SCORE = 20.0  # bits: with the margin below, never reached by a runner-up of equal evidence
AUTO_MARGIN = 10.0  # bits over the runner-up
BLOCK_LIMIT = 300
DIGIT_CONFUSIONS = {
    d: sorted({c for pair in CONFUSABLE if d in pair for c in pair if c != d and c.isdigit()}) for d in "0123456789"
}


@dataclass
class Query:
    form_id: str
    atena_no: str = ""
    name: str = ""
    kana: str = ""
    birth: str = ""  # as read: YYYY-MM-DD, 令和3年4月15日, R3.4.15 …
    sex: str = ""
    address: str = ""
    guardian: str = ""


@dataclass
class Scored:
    resident: Resident
    score: float
    fields: dict[str, tuple[str, float]] = field(default_factory=dict)  # field → (agree|close|differ, bits)


@dataclass
class Decision:
    decision: str  # auto | review | none
    atena_no: str | None
    score: float
    candidates: list[Scored]
    explanation: list[Message]  # why, by code (intake.messages words it): the verdict first, then any notes


def _edit1(a: str, b: str) -> bool:
    """At most one edit (characters, not bytes — DuckDB-style byte distances are wrong on Japanese)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _within2(a: str, b: str) -> bool:
    """Edit distance ≤ 2 (characters), with an early exit: most pairs are far apart."""
    if abs(len(a) - len(b)) > 2:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > 2:
            return False
        prev = cur
    return prev[-1] <= 2


def birth_variants(text: str) -> tuple[date | None, list[date]]:
    """The date as read, and the dates one OCR digit confusion away (5↔3, 3↔8, 1↔4, 1↔7 …)."""
    try:
        d: date | None = parse_date(text)
    except DateProblem:
        d = None
    digits = d.strftime("%Y%m%d") if d else "".join(c for c in text if c.isdigit())
    if len(digits) != 8:
        return d, []
    out = set()
    for i, ch in enumerate(digits):
        for alt in DIGIT_CONFUSIONS.get(ch, []):
            s = digits[:i] + alt + digits[i + 1 :]
            try:
                out.add(date(int(s[:4]), int(s[4:6]), int(s[6:])))
            except ValueError:
                pass
    if d is not None:
        try:
            out.add(date(d.year, d.day, d.month))  # month and day swapped
        except ValueError:
            pass
        out.discard(d)
    return d, sorted(out)


@dataclass
class RegisterStats:
    """How common each key is in the register: the u-probabilities of Fellegi–Sunter."""

    n: int
    kana_tf: Counter[Any]
    loose_tf: Counter[Any]
    name_tf: Counter[Any]
    birth_tf: Counter[Any]
    built: float = 0.0


def build_stats(session: Session) -> RegisterStats:
    def tf(column: Any) -> Counter[Any]:
        return Counter(dict(session.exec(select(column, func.count()).group_by(column)).all()))

    return RegisterStats(
        max(1, session.exec(select(func.count()).select_from(Resident)).one()),
        tf(col(Resident.kana_key)),
        tf(col(Resident.kana_loose)),
        tf(col(Resident.name_key)),
        tf(col(Resident.birth_date)),
        time.time(),
    )


_cached: RegisterStats | None = None
STATS_MAX_AGE_S = 6 * 3600  # the register changes daily; frequencies hardly move within hours


def cached_stats(session: Session) -> RegisterStats:
    """Per process; workers build it before forking, so each page does not pay for it (seconds at 740,000)."""
    global _cached
    if _cached is None or time.time() - _cached.built > STATS_MAX_AGE_S:
        _cached = build_stats(session)
    return _cached


class Matcher:
    """Scores candidates against the register's frequencies (built once: a few seconds for 740,000 residents)."""

    def __init__(self, session: Session, stats: RegisterStats | None = None) -> None:
        self.session = session
        st = stats or build_stats(session)
        self.n, self.kana_tf, self.loose_tf, self.name_tf, self.birth_tf = (
            st.n,
            st.kana_tf,
            st.loose_tf,
            st.name_tf,
            st.birth_tf,
        )

    _confusions_of: str = ""
    _confusions_set: set[str] = set()  # noqa: RUF012  (replaced per query, never mutated)

    def _bits_agree(self, tf: Counter[Any], key: Any, m: float = 0.95) -> float:
        return math.log2(m / max(tf.get(key, 1), 1) * self.n)

    def candidates(self, q: Query, kana: str, name: str, birth: date | None, variants: list[date]) -> list[Resident]:
        found: dict[str, Resident] = {}

        def take(stmt: Any) -> None:
            for r in self.session.exec(stmt.limit(BLOCK_LIMIT)).all():
                found.setdefault(r.atena_no, r)

        if q.atena_no:
            r = self.session.get(Resident, q.atena_no)
            if r is not None:
                found[r.atena_no] = r
        if kana and (birth is not None or variants):
            # precise first: a common name (サトウ ハルト) can fill the broad kana block's limit on its own
            dates = ([birth] if birth is not None else []) + variants
            take(select(Resident).where(Resident.kana_loose == loosen_kana(kana)).where(col(Resident.birth_date).in_(dates)))
        if kana and q.address.strip() and birth is None:
            # no birth date read: the kana at the address as read finds the child a common name would bury
            take(
                select(Resident).where(Resident.kana_loose == loosen_kana(kana)).where(Resident.address == q.address.strip())
            )
        if kana:
            take(select(Resident).where(Resident.kana_key == kana))
            take(select(Resident).where(Resident.kana_loose == loosen_kana(kana)))
        if birth is not None:
            take(select(Resident).where(Resident.birth_date == birth))
        if name:
            take(select(Resident).where(Resident.name_key == name))
        if variants and kana:
            # birth date one OCR confusion away, kana within two edits (シ/ツ, ソ/ン anywhere in the name): the
            # date index narrows first, the kana is compared here on keys only, then the few survivors are loaded
            loose = loosen_kana(kana)
            keys = self.session.exec(
                select(Resident.atena_no, Resident.kana_loose).where(col(Resident.birth_date).in_(variants)).limit(3000)
            ).all()
            near = [a for a, k in keys if a not in found and _within2(loose, k)]
            if near:
                take(select(Resident).where(col(Resident.atena_no).in_(near[:BLOCK_LIMIT])))
        if birth is None and not variants and not name and q.kana.strip():
            # only the kana was read: the surname as read narrows by index, the full kana by edit distance
            raw_surname = to_katakana(unicodedata.normalize("NFKC", q.kana)).replace("\u3000", " ").split(" ")[0]
            surname = loosen_kana(fold_kana(raw_surname))
            if len(surname) >= 2:
                loose = loosen_kana(kana)
                # the surname as read, and with one confusable kana swapped (a misread surname: ツミズ → シミズ)
                surname_variants = {loosen_kana(fold_kana(v)) for v in confusion_variants(raw_surname)}
                for prefix in sorted({surname} | {v for v in surname_variants if len(v) >= 2}):
                    keys = self.session.exec(
                        select(Resident.atena_no, Resident.kana_loose)
                        .where(col(Resident.kana_loose).startswith(prefix))
                        .limit(20000)
                    ).all()
                    near = [a for a, k in keys if a not in found and _within2(loose, k)]
                    if near:
                        take(select(Resident).where(col(Resident.atena_no).in_(near[:BLOCK_LIMIT])))
        return list(found.values())

    def score(self, q: Query, r: Resident, kana: str, name: str, birth: date | None, variants: list[date]) -> Scored:
        s = Scored(r, 0.0)

        def put(f: str, level: str, bits: float) -> None:
            s.fields[f] = (level, round(bits, 2))
            s.score += bits

        if kana:
            if kana == r.kana_key:
                put("kana", "agree", self._bits_agree(self.kana_tf, r.kana_key))
            elif loosen_kana(kana) == r.kana_loose:  # only voicing marks differ (タ/ダ, ハ/バ)
                put("kana", "close", self._bits_agree(self.loose_tf, r.kana_loose, 0.2))
            elif _edit1(kana, r.kana_key) or r.kana_key in self._confusions(q.kana):
                put("kana", "close", 6.0)  # one edit, or one confusable kana (ソ/ン) that folding then hides
            else:
                put("kana", "differ", -6.0)
        if name:
            if name == r.name_key:
                put("name", "agree", self._bits_agree(self.name_tf, r.name_key, 0.9))
            elif _edit1(name, r.name_key):
                put("name", "close", 3.0)
            else:
                put("name", "differ", -4.0)
        if birth is not None or variants:
            if birth is not None and birth == r.birth_date:
                put("birth_date", "agree", self._bits_agree(self.birth_tf, r.birth_date))
            elif r.birth_date in variants:
                put("birth_date", "close", 7.0)
            else:
                put("birth_date", "differ", -9.0)
        if q.sex in ("1", "2") and r.sex:
            put("sex", "agree" if q.sex == r.sex else "differ", 0.97 if q.sex == r.sex else -5.0)
        if q.address and r.address:
            same = fold_name(q.address) == fold_name(r.address)
            put("address", "agree" if same else "differ", 4.0 if same else -1.0)
        if q.atena_no:
            put("atena_no", "agree" if q.atena_no == r.atena_no else "differ", 8.0 if q.atena_no == r.atena_no else -2.0)
        return s

    def _confusions(self, raw_kana: str) -> set[str]:
        """The query's kana with one confusable kana swapped, folded: ンウヘイ's variant ソウヘイ folds to ソヘ,
        two edits from ンウヘ after the long vowel folds — one misread all the same. Cached for the current query."""
        if self._confusions_of != raw_kana:
            raw = to_katakana(unicodedata.normalize("NFKC", raw_kana))
            self._confusions_of, self._confusions_set = raw_kana, {fold_kana(v) for v in confusion_variants(raw)}
        return self._confusions_set

    def match(self, q: Query) -> Decision:
        kana, name = fold_kana(q.kana), fold_name(q.name)
        birth, variants = birth_variants(q.birth) if q.birth else (None, [])
        scored = sorted(
            (self.score(q, r, kana, name, birth, variants) for r in self.candidates(q, kana, name, birth, variants)),
            key=lambda x: -x.score,
        )
        top = scored[:5]
        if not top:
            return Decision("none", None, 0.0, [], [msg("match.no_candidates")])
        best = top[0]
        margin = best.score - (top[1].score if len(top) > 1 else 0.0)
        flag = best.resident.move_reason or ("削除" if best.resident.deleted else "")
        notes = [msg("match.flagged", flag=flag)] if flag else []
        # Identity anchors: a child is never matched automatically against a birth date or kana that was read
        # and disagrees (beyond one known confusion), however strong the rest; a shared rare name is not enough.
        anchors = all(best.fields.get(f, ("missing", 0))[0] in ("agree", "close") for f in ("kana", "birth_date"))
        if not anchors:
            notes.insert(0, msg("match.anchors_missing"))
        score, gap = f"{best.score:.1f}", f"{margin:.1f}"
        if anchors and best.score >= AUTO_SCORE and margin >= AUTO_MARGIN:
            return Decision(
                "auto", best.resident.atena_no, best.score, top, [msg("match.auto", score=score, margin=gap), *notes]
            )
        below = msg("match.below", score=score, margin=gap, need_score=f"{AUTO_SCORE:.0f}", need_margin=f"{AUTO_MARGIN:.0f}")
        return Decision("review", best.resident.atena_no, best.score, top, [below, *notes])
