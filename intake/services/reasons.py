"""Why a page waits for a person: each reason a coded message `{code, params}` stored in the page's
`needs_review_reasons` (worded at the edge by intake.messages). Rows written before codes hold English sentences;
they are read as they are (`code` "text") and shown through the old translation table.

Families: `reg.*` / `identity.*` / `page.*` (the reader), `match.*` (the resident), `review.check` (the fields the
machine was unsure of, params.fields), `review.*` (the review workflow)."""

from __future__ import annotations

from typing import Any

from ocr.types import Message

Reason = dict[str, Any]

CHECK = "review.check"
SECOND_KEYING = "review.second_keying"
KEYINGS_DIFFER = "review.keyings_differ"


def reason(code: str, **params: Any) -> Reason:
    return {"code": code, "params": params}


def of(m: Message) -> Reason:
    return {"code": m.code, "params": dict(m.params)}


def code(r: object) -> str:
    return str(r.get("code", "")) if isinstance(r, dict) else "text"


def check_fields(reasons: list[Any]) -> list[str]:
    """The fields the machine was unsure of, as the worker wrote them."""
    return [f for r in reasons if code(r) == CHECK for f in r["params"].get("fields", [])]


def without_field(reasons: list[Any], field: str) -> list[Any]:
    """The reasons once `field` is confirmed by a person: it leaves the `review.check` reason (which goes when empty)."""
    out: list[Any] = []
    for r in reasons:
        if code(r) == CHECK:
            rest = [f for f in r["params"].get("fields", []) if f != field]
            if rest:
                out.append(reason(CHECK, fields=rest))
        else:
            out.append(r)
    return out


def replacing(reasons: list[Any], family: tuple[str, ...], new: Reason) -> list[Any]:
    """The reasons with those of `family` (codes) replaced by `new` (double entry's state moves on)."""
    return [*(r for r in reasons if code(r) not in family), new]
