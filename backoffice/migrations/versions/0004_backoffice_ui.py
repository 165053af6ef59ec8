"""back-office UI: queue indexes and search indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00

The ordered indexes serve the work queue's keyset pages (one per sort order). Search by name, email and phone
fragment needs an index the ORM metadata cannot describe portably, so it is created per backend:

* PostgreSQL: pg_trgm GIN indexes (ILIKE '%fragment%' uses them);
* SQLite: an FTS5 table with the trigram tokenizer over the same columns, kept in step by triggers
  (``backoffice/admin/sqlite_search.py``, which also repairs them if a later table rebuild drops them).

Both are named ``*_search*`` / ``ix_application_trgm_*`` so a models-vs-migrations comparison can leave them out.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_application_due_at_id": ["due_at", "id"],
    "ix_application_received_at_id": ["received_at", "id"],
    "ix_application_state_due_at_id": ["state", "due_at", "id"],
}

PG_TRGM = {
    "ix_application_trgm_consumer_name": "consumer_name",
    "ix_application_trgm_email": "email",
    "ix_application_trgm_phones": "(CAST(phones AS TEXT))",
}



def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in PG_TRGM.items():
            op.execute(f"CREATE INDEX {name} ON application USING gin ({expression} gin_trgm_ops)")
    elif dialect == "sqlite":
        from backoffice.admin import sqlite_search

        sqlite_search.install(op.get_bind())


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name in PG_TRGM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    elif dialect == "sqlite":
        for trigger in ("application_search_ai", "application_search_ad", "application_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS application_search")
    with op.batch_alter_table("application", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
