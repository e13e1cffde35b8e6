"""Cost ledger: marketing and sales cost per month, program, campaign and component.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create cost_entries."""
    op.create_table(
        "cost_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("program", sa.String(length=200), nullable=False),
        sa.Column("campaign", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("component", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_cost_entries_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_entries")),
        sa.UniqueConstraint(
            "workspace_id",
            "month",
            "kind",
            "program",
            "campaign",
            "component",
            name=op.f("uq_cost_entries_line"),
        ),
    )
    op.create_index(
        op.f("ix_cost_entries_workspace_id_month"),
        "cost_entries",
        ["workspace_id", "month"],
        unique=False,
    )


def downgrade() -> None:
    """Drop cost_entries."""
    op.drop_index(op.f("ix_cost_entries_workspace_id_month"), table_name="cost_entries")
    op.drop_table("cost_entries")
