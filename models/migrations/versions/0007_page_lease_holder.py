"""page: who holds the page's reading lease (exactly-once reading)

Revision ID: 0007_page_lease_holder
Revises: 0006_page_qa_double_entry
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_page_lease_holder"
down_revision = "0006_page_qa_double_entry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("page") as batch:
        batch.drop_column("claimed_by")
