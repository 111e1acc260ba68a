"""recordread: the records (and residents) each audited read returned; one audit event per request

Revision ID: 0009_record_read
Revises: 0008_my_number_sealed
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_record_read"
down_revision = "0008_my_number_sealed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recordread",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("audit_id", sa.Integer(), nullable=False),  # auditevent.id (append-only); no FK check per row
        sa.Column("atena_no", sa.String(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
    )
    op.create_index("ix_recordread_audit_id", "recordread", ["audit_id"])
    op.create_index("ix_recordread_atena_no", "recordread", ["atena_no"])


def downgrade() -> None:
    op.drop_index("ix_recordread_atena_no", table_name="recordread")
    op.drop_index("ix_recordread_audit_id", table_name="recordread")
    op.drop_table("recordread")
