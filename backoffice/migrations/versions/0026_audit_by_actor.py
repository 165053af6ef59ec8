"""audit_event: an index for the audit trail filtered by who acted, newest first

A supervisor reads what one member of staff (or the scheduler, or a customer) did: the audit page filtered by the
actor's label, newest first, fifty rows a page. Without an index the database walked the whole trail backwards
from the newest row, filtering each, until it had a page: for someone who acted rarely, every row of the history.
The index hands over that actor's rows newest first and stops after a page.

Revision ID: 0026
Revises: 0025
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_actor_label_id", "audit_event", ["actor_label", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_actor_label_id", table_name="audit_event")
