"""requestletter: 依頼書 issued for residents vaccinated outside the ward, and the record entered against each.

Revision ID: 0014_request_letter
Revises: 0013_issued_form
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_request_letter"
down_revision = "0013_issued_form"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requestletter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("atena_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("vaccine_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("dose_no", sa.Integer(), nullable=False),
        sa.Column("receiver", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("stay_address", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("printed_on", sa.Date(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["vaccinationrecord.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_requestletter_atena_no", "requestletter", ["atena_no"])


def downgrade() -> None:
    op.drop_index("ix_requestletter_atena_no", table_name="requestletter")
    op.drop_table("requestletter")
