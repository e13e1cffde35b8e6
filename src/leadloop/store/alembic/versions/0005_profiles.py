"""Passive profiling: per (identity, asset) state, the updater's cursor, profile summaries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:55:16.842800

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the four profiling tables."""
    op.create_table(
        "profile_cursors",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_profile_cursors")),
    )
    op.create_table(
        "profile_interests",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "contact_id", "topic", name=op.f("pk_profile_interests")
        ),
    )
    with op.batch_alter_table("profile_interests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profile_interests_workspace_id_topic"),
            ["workspace_id", "topic"],
            unique=False,
        )

    op.create_table(
        "profile_states",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.String(length=255), nullable=False),
        sa.Column("first_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("first_event_id", sa.BigInteger(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Float(), nullable=False),
        sa.Column("active_ms", sa.BigInteger(), nullable=False),
        sa.Column("sections_json", sa.Text(), nullable=False),
        sa.Column("sections_total", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "identity_id", "asset_id", name=op.f("pk_profile_states")
        ),
    )
    op.create_table(
        "profiles",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("buying_stage", sa.String(length=20), nullable=True),
        sa.Column("persona", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=200), nullable=True),
        sa.Column("top_interest", sa.String(length=200), nullable=True),
        sa.Column("weight_log2", sa.Float(), nullable=True),
        sa.Column("last_hot_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("assets", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "contact_id", name=op.f("pk_profiles")),
    )
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profiles_workspace_id_buying_stage"),
            ["workspace_id", "buying_stage"],
            unique=False,
        )


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profiles_workspace_id_buying_stage"))

    op.drop_table("profiles")
    op.drop_table("profile_states")
    with op.batch_alter_table("profile_interests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_interests_workspace_id_topic"))

    op.drop_table("profile_interests")
    op.drop_table("profile_cursors")
