"""outbox_message: the self-registrations' letters found by the beginning of their key

Removing a self-registration's personal data (expiry, retention) blanks its letters, found by their keys
``<kind>:-:selfreg-<id>-link-<token>``. The lookup matched ``%…%`` and so read every letter that belongs to no
application, which in a self-registration deployment is nearly every letter, once per registration removed. It
now asks for each kind's prefix, which this partial index serves on PostgreSQL whatever the database's collation
(``varchar_pattern_ops``: a plain index serves a prefix ``LIKE`` only under the C collation).

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_message_unattached_key",
        "outbox_message",
        ["dedup_key"],
        postgresql_ops={"dedup_key": "varchar_pattern_ops"},
        postgresql_where=sa.text("application_id IS NULL"),
        sqlite_where=sa.text("application_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_message_unattached_key", table_name="outbox_message")
