"""ledger rows keep the schedule checks they were committed with

Revision ID: 0004_record_schedule_flags
Revises: 0003_audit_append_only
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_record_schedule_flags"
down_revision = "0003_audit_append_only"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vaccinationrecord") as batch:
        batch.add_column(sa.Column("schedule_flags", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("vaccinationrecord") as batch:
        batch.drop_column("schedule_flags")
