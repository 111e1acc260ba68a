"""Why a page waits for a person: each reason a coded `models.page_state.Reason` {code, params} in the page's
`needs_review_reasons` (worded at the edge by intake.messages). Sentences stored by versions before codes were
turned into codes by migration 0011.

Families: `reg.*` / `identity.*` / `page.*` (the reader), `match.*` (the resident), `review.check` (the fields the
machine was unsure of, params.fields), `review.*` (the review workflow)."""

from __future__ import annotations

from typing import Any

from models.page_state import Reason
from ocr.types import Message

CHECK = "review.check"
SECOND_KEYING = "review.second_keying"
KEYINGS_DIFFER = "review.keyings_differ"
QA_SAMPLE = "review.qa_sample"


def reason(code: str, **params: Any) -> Reason:
    return Reason(code=code, params=params)


def of(m: Message) -> Reason:
    return Reason(code=m.code, params=dict(m.params))


def codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


def check_fields(reasons: list[Reason]) -> list[str]:
    """The fields the machine was unsure of, as the worker wrote them."""
    return [f for r in reasons if r.code == CHECK for f in r.params.get("fields", [])]


def without_field(reasons: list[Reason], field: str) -> list[Reason]:
    """The reasons once `field` is confirmed by a person: it leaves the `review.check` reason (which goes when empty)."""
    out: list[Reason] = []
    for r in reasons:
        if r.code == CHECK:
            rest = [f for f in r.params.get("fields", []) if f != field]
            if rest:
                out.append(reason(CHECK, fields=rest))
        else:
            out.append(r)
    return out


def replacing(reasons: list[Reason], family: tuple[str, ...], new: Reason) -> list[Reason]:
    """The reasons with those of `family` (codes) replaced by `new` (double entry's state moves on)."""
    return [*(r for r in reasons if r.code not in family), new]
