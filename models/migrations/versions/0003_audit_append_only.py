"""audit log append-only: the database refuses UPDATE and DELETE on auditevent

Revision ID: 0003_audit_append_only
Revises: 0002_audit_chain_unique
"""
from alembic import op

revision = "0003_audit_append_only"
down_revision = "0002_audit_chain_unique"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION auditevent_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql;
        """)
        op.execute("""CREATE TRIGGER auditevent_no_update BEFORE UPDATE OR DELETE ON auditevent
                      FOR EACH ROW EXECUTE FUNCTION auditevent_append_only()""")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER auditevent_no_{event.lower()} BEFORE {event} ON auditevent
                           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER auditevent_no_update ON auditevent")
        op.execute("DROP FUNCTION auditevent_append_only()")
    else:
        op.execute("DROP TRIGGER auditevent_no_update")
        op.execute("DROP TRIGGER auditevent_no_delete")
