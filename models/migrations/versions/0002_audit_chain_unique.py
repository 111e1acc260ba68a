"""audit chain: one successor per row

Revision ID: 0002_audit_chain_unique
Revises: d2709f13eb05
"""
from alembic import op

revision = "0002_audit_chain_unique"
down_revision = "d2709f13eb05"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auditevent") as batch:
        batch.create_unique_constraint("uq_auditevent_prev_hash", ["prev_hash"])


def downgrade() -> None:
    with op.batch_alter_table("auditevent") as batch:
        batch.drop_constraint("uq_auditevent_prev_hash", type_="unique")
