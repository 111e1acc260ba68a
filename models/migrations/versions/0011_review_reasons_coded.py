"""page.needs_review_reasons: the English sentences of earlier versions become coded reasons {code, params}
(intake.services.reasons), so the queue's filters and group verification read codes, never sentence prefixes.
A sentence with no code of its own stays readable as {"code": "text"|"match.text", "params": {"text": …}}.

Revision ID: 0011_review_reasons_coded
Revises: 0010_record_date_unwritten
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_review_reasons_coded"
down_revision = "0010_record_date_unwritten"
branch_labels = None
depends_on = None

PREFIXES = {  # sentence prefix → (code, the param the rest of the sentence becomes)
    "check: ": ("review.check", "fields"),
    "resident: ": ("match.text", "text"),
    "double entry disagrees: ": ("review.keyings_differ", "differ"),
    "deferred: ": ("review.deferred", "note"),
    "schedule: ": ("review.schedule_finding", "finding"),
}
WHOLE = {
    "double entry: second blind keying needed": "review.second_keying",
    "QA sample: check every field against the image": "review.qa_sample",
    "not a ward form: markers and QR not found": "page.not_ward_form",
}


def coded(reason: Any) -> Any:
    if not isinstance(reason, str):
        return reason
    if reason in WHOLE:
        return {"code": WHOLE[reason], "params": {}}
    for prefix, (code, param) in PREFIXES.items():
        if reason.startswith(prefix):
            rest = reason[len(prefix) :]
            return {"code": code, "params": {param: rest.split(", ") if param == "fields" else rest}}
    return {"code": "text", "params": {"text": reason}}


def upgrade() -> None:
    page = sa.table("page", sa.column("id", sa.Integer), sa.column("needs_review_reasons", sa.JSON))
    conn = op.get_bind()
    for row in conn.execute(sa.select(page.c.id, page.c.needs_review_reasons)).all():
        reasons = row.needs_review_reasons
        if isinstance(reasons, str):  # SQLite hands JSON back as text on some drivers
            reasons = json.loads(reasons)
        if reasons and any(isinstance(r, str) for r in reasons):
            conn.execute(page.update().where(page.c.id == row.id).values(needs_review_reasons=[coded(r) for r in reasons]))


def downgrade() -> None:
    pass  # the coded reasons are read by this version only; an older one shows them as they are
