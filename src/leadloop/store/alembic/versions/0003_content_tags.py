"""Content tags for passive profiling: format, buying stage, topics, personas, segments, signal.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 19:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the tag columns and a unique (workspace, asset id) index."""
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.add_column(sa.Column("format", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("buying_stage", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("topics_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("personas_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("segments_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("signal", sa.Float(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_content_workspace_id_asset_id"),
            ["workspace_id", "asset_id"],
            unique=True,
        )


def downgrade() -> None:
    """Drop the tags again."""
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_workspace_id_asset_id"))
        batch_op.drop_column("signal")
        batch_op.drop_column("segments_json")
        batch_op.drop_column("personas_json")
        batch_op.drop_column("topics_json")
        batch_op.drop_column("buying_stage")
        batch_op.drop_column("format")
