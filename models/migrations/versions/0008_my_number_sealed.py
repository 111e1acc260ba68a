"""resident.my_number holds the encrypted 個人番号 (a Fernet token), not 12 plain digits

Revision ID: 0008_my_number_sealed
Revises: 0007_page_lease_holder
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_my_number_sealed"
down_revision = "0007_page_lease_holder"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resident") as batch:
        batch.alter_column("my_number", type_=sa.Text(), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("resident") as batch:
        batch.alter_column("my_number", type_=sa.String(length=12), existing_nullable=True)
