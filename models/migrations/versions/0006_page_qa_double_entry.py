"""page: QA sample flag and the first of two blind keyings (double entry)

Revision ID: 0006_page_qa_double_entry
Revises: 0005_resident_name_key
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_page_qa_double_entry"
down_revision = "0005_resident_name_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page") as batch:
        batch.add_column(sa.Column("qa_sample", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("first_entry", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("page") as batch:
        batch.drop_column("first_entry")
        batch.drop_column("qa_sample")
