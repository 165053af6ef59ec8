"""operator.session_stamp, customer_account.session_stamp: a random value carried in every session's id; a new
one (logout, new password, deactivation) ends every session of that user. Existing rows get a stamp each, so
sessions opened before the upgrade end once.

Revision ID: 0014
Revises: 0013
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLES = ("operator", "customer_account")


def upgrade() -> None:
    connection = op.get_bind()
    for table in TABLES:
        # A plain nullable add: SQLite adds it without rebuilding the table.
        op.add_column(table, sa.Column("session_stamp", sa.String(length=32), nullable=True))
        rows = sa.table(table, sa.column("id", sa.Integer()), sa.column("session_stamp", sa.String()))
        for (row_id,) in connection.execute(sa.select(rows.c.id)).all():
            connection.execute(
                rows.update().where(rows.c.id == row_id).values(session_stamp=secrets.token_urlsafe(16))
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("session_stamp")
