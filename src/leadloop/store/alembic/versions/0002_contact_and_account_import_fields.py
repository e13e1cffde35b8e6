"""Fields the bulk importer fills: contact persona and CRM ids on contacts and accounts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add contacts.persona, contacts.crm_id, accounts.crm_id and their indexes."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crm_id", sa.String(length=255), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_accounts_workspace_id_crm_id"), ["workspace_id", "crm_id"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_accounts_workspace_id_name"), ["workspace_id", "name"], unique=False
        )

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("persona", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("crm_id", sa.String(length=255), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_contacts_workspace_id_crm_id"), ["workspace_id", "crm_id"], unique=False
        )


def downgrade() -> None:
    """Drop the import fields again."""
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_workspace_id_crm_id"))
        batch_op.drop_column("crm_id")
        batch_op.drop_column("persona")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_workspace_id_name"))
        batch_op.drop_index(batch_op.f("ix_accounts_workspace_id_crm_id"))
        batch_op.drop_column("crm_id")
