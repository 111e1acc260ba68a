"""issuedform: every form the ward issues is on record (予診票番号 from the database's sequence, to whom, how, when;
reissued, voided, received); certificateprint: each 予防接種済証 printed for a resident (証明書印刷日).

Revision ID: 0013_issued_form
Revises: 0012_page_state_typed
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_issued_form"
down_revision = "0012_page_state_typed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issuedform",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("atena_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("vaccine_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("dose_no", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("printed_on", sa.Date(), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("reissue_no", sa.Integer(), nullable=False),
        sa.Column("replaces", sa.Integer(), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("voided_on", sa.Date(), nullable=True),
        sa.Column("received_page_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["received_page_id"], ["page.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_issuedform_form_no", "issuedform", ["form_no"])
    op.create_index("ix_issuedform_atena_no", "issuedform", ["atena_no"])
    op.create_index("ix_issuedform_resident_dose", "issuedform", ["atena_no", "vaccine_code", "dose_no"])
    op.create_table(
        "certificateprint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("atena_no", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("printed_on", sa.Date(), nullable=False),
        sa.Column("printed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("doses", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_certificateprint_atena_no", "certificateprint", ["atena_no"])


def downgrade() -> None:
    op.drop_index("ix_certificateprint_atena_no", table_name="certificateprint")
    op.drop_table("certificateprint")
    op.drop_index("ix_issuedform_resident_dose", table_name="issuedform")
    op.drop_index("ix_issuedform_atena_no", table_name="issuedform")
    op.drop_index("ix_issuedform_form_no", table_name="issuedform")
    op.drop_table("issuedform")
