"""vaccinationrecord.performed_on may be empty: a 見合わせ (予診のみ) form whose paper carries no date is recorded with
"date not written" instead of a date someone made up

Revision ID: 0010_record_date_unwritten
Revises: 0009_record_read
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_record_date_unwritten"
down_revision = "0009_record_read"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vaccinationrecord") as batch_op:
        batch_op.alter_column("performed_on", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    # rows without a date cannot go back: they keep their place only if a date is set by correction first
    op.execute("DELETE FROM vaccinationrecord WHERE performed_on IS NULL")
    with op.batch_alter_table("vaccinationrecord") as batch_op:
        batch_op.alter_column("performed_on", existing_type=sa.Date(), nullable=False)
