"""A page's state typed (models.page_state): `page.fields` (field readings with "_identity" and "_printed" mixed in)
becomes `page.extraction` {fields, identity, printed, alignment}; the workflow facts that were keys of `page.match`
become a column (`deferred`) and rows (`searchedresident`: the residents a reviewer found by a search for the form);
`first_entry` is NULL when there is none (it was {}); the statuses no page ever reaches are folded into real ones
(received → queued, accepted → committed).

Revision ID: 0012_page_state_typed
Revises: 0011_review_reasons_coded
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012_page_state_typed"
down_revision = "0011_review_reasons_coded"
branch_labels = None
depends_on = None

FIELD_KEYS = ("kind", "value", "confidence", "engine", "evidence", "messages", "auto_ok", "reviewed", "confirmed_by")
IDENTITY_KEYS = ("source", "municipality_code", "atena_no", "vaccine_code", "dose_no", "form_no", "layout", "problem")
CANDIDATE_KEYS = ("atena_no", "score", "agree", "flags", "explain")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value  # SQLite hands JSON back as text on some drivers


def extraction_of(fields: dict[str, Any]) -> dict[str, Any]:
    identity = {k: v for k, v in (fields.get("_identity") or {}).items() if k in IDENTITY_KEYS}
    if identity.get("source") not in ("qr", "digits", "none", ""):
        identity["source"] = "none"
    read = {
        name: {k: v for k, v in f.items() if k in FIELD_KEYS}
        for name, f in fields.items()
        if not name.startswith("_") and isinstance(f, dict)
    }
    printed = {k: str(v) for k, v in (fields.get("_printed") or {}).items()}
    return {"fields": read, "identity": identity, "printed": printed, "alignment": None}


def match_of(match: dict[str, Any]) -> dict[str, Any]:
    out = {k: match[k] for k in ("decision", "atena_no", "score", "explanation") if k in match}
    if out.get("decision") not in ("auto", "review", "none"):
        out["decision"] = "none"
    if not isinstance(out.get("explanation", []), list):  # a sentence of a version before codes
        out["explanation"] = [{"code": "match.text", "params": {"text": str(out["explanation"])}}]
    out["candidates"] = [
        {k: v for k, v in c.items() if k in CANDIDATE_KEYS} for c in match.get("candidates", []) if isinstance(c, dict)
    ]
    return out


def _page() -> sa.TableClause:
    """The page columns this migration moves between (both shapes exist while it runs)."""
    return sa.table(
        "page",
        sa.column("id", sa.Integer),
        sa.column("fields", sa.JSON),
        sa.column("match", sa.JSON),
        sa.column("first_entry", sa.JSON),
        sa.column("extraction", sa.JSON),
        sa.column("deferred", sa.Boolean),
    )


def upgrade() -> None:
    op.create_table(
        "searchedresident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("atena_no", sa.String(), nullable=False),
        sa.Column("searched_by", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["page.id"]),
        sa.ForeignKeyConstraint(["searched_by"], ["useraccount.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("page_id", "atena_no", name="uq_searched_page_resident"),
    )
    op.create_index("ix_searchedresident_page_id", "searchedresident", ["page_id"])
    with op.batch_alter_table("page") as batch_op:
        batch_op.add_column(sa.Column("extraction", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("deferred", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.alter_column("first_entry", existing_type=sa.JSON(), nullable=True, server_default=None)
        batch_op.create_index("ix_page_deferred", ["deferred"])

    page = _page()
    searched = sa.table(
        "searchedresident",
        sa.column("page_id", sa.Integer),
        sa.column("atena_no", sa.String),
        sa.column("searched_by", sa.Integer),
        sa.column("at", sa.DateTime),
    )
    conn = op.get_bind()
    # who searched is not on record in earlier versions: a reviewer who took the form (the highest id of them)
    takers = dict(
        conn.execute(sa.text("SELECT page_id, MAX(user_id) FROM reviewaction WHERE action = 'take' GROUP BY page_id")).all()
    )
    rows = conn.execute(sa.select(page.c.id, page.c.fields, page.c.match, page.c.first_entry)).all()
    for row in rows:
        fields, match, first = _json(row.fields) or {}, _json(row.match) or {}, _json(row.first_entry)
        conn.execute(
            page.update()
            .where(page.c.id == row.id)
            .values(
                extraction=extraction_of(fields),
                match=match_of(match),
                deferred=bool(match.get("deferred")),
                first_entry=first if first and first.get("by") is not None else None,
            )
        )
        who = takers.get(row.id)
        for atena_no in sorted(set(match.get("searched", []))) if who is not None else []:
            conn.execute(searched.insert().values(page_id=row.id, atena_no=str(atena_no), searched_by=who, at=sa.func.now()))
    op.execute("UPDATE page SET status = 'queued' WHERE status = 'received'")
    op.execute("UPDATE page SET status = 'committed' WHERE status = 'accepted'")
    with op.batch_alter_table("page") as batch_op:
        batch_op.drop_column("fields")


def downgrade() -> None:
    with op.batch_alter_table("page") as batch_op:
        batch_op.add_column(sa.Column("fields", sa.JSON(), nullable=False, server_default="{}"))
    page = _page()
    conn = op.get_bind()
    searched: dict[int, list[str]] = {}
    for page_id, atena_no in conn.execute(sa.text("SELECT page_id, atena_no FROM searchedresident")).all():
        searched.setdefault(page_id, []).append(atena_no)
    rows = conn.execute(sa.select(page.c.id, page.c.extraction, page.c.match, page.c.first_entry, page.c.deferred)).all()
    for row in rows:
        ex, match = _json(row.extraction) or {}, dict(_json(row.match) or {})
        fields = {**ex.get("fields", {}), "_identity": ex.get("identity", {}), "_printed": ex.get("printed", {})}
        if row.deferred:
            match["deferred"] = True
        if row.id in searched:
            match["searched"] = sorted(searched[row.id])
        conn.execute(
            page.update()
            .where(page.c.id == row.id)
            .values(fields=fields, match=match, first_entry=_json(row.first_entry) or {})
        )
    with op.batch_alter_table("page") as batch_op:
        batch_op.drop_index("ix_page_deferred")
        batch_op.drop_column("deferred")
        batch_op.drop_column("extraction")
        batch_op.alter_column("first_entry", existing_type=sa.JSON(), nullable=False, server_default="{}")
    op.drop_index("ix_searchedresident_page_id", table_name="searchedresident")
    op.drop_table("searchedresident")
