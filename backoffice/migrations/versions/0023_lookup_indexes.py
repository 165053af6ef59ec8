"""Indexes for the lookups the intake and the registration make by address and by Message-ID

Each of these was answered by reading the whole table, a cost that grows with the history (on a million
applications, 7.8 s for one emailed application from a new sender):

* routing an emailed application by its sender: the newest earlier application from that address
  (``lower(email)``, newest first) and a contract whose contact has it (``lower(contact_email)``);
* matching a reply to the customer's earlier message by its Message-ID (a hash index on PostgreSQL, where a
  Message-ID of up to 998 characters may not fit a B-tree entry);
* "is this login taken?", which also asks whether it is an account's email.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_application_email_lower_id", "application", [sa.text("lower(email)"), "id"])
    op.create_index("ix_contract_contact_email_lower_id", "contract", [sa.text("lower(contact_email)"), "id"])
    op.create_index("ix_incoming_message_message_id", "incoming_message", ["message_id"], postgresql_using="hash")
    op.create_index("ix_customer_account_email_lower", "customer_account", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_customer_account_email_lower", table_name="customer_account")
    op.drop_index("ix_incoming_message_message_id", table_name="incoming_message")
    op.drop_index("ix_contract_contact_email_lower_id", table_name="contract")
    op.drop_index("ix_application_email_lower_id", table_name="application")
