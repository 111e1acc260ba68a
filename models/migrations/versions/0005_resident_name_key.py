"""resident: folded kanji name and voicing-insensitive kana for matching

Revision ID: 0005_resident_name_key
Revises: 0004_record_schedule_flags
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_resident_name_key"
down_revision = "0004_record_schedule_flags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resident") as batch:
        batch.add_column(sa.Column("name_key", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("kana_loose", sa.String(), nullable=False, server_default=""))
        batch.create_index("ix_resident_name_key", ["name_key"])
        batch.create_index("ix_resident_kana_loose", ["kana_loose"])
    # existing rows get their key on the next daily re-import (`intake residents import`), which rewrites it


def downgrade() -> None:
    with op.batch_alter_table("resident") as batch:
        batch.drop_index("ix_resident_kana_loose")
        batch.drop_index("ix_resident_name_key")
        batch.drop_column("kana_loose")
        batch.drop_column("name_key")
