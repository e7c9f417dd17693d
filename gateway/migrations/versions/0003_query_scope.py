"""query_scope: the per-(org, release) query-variety allowance ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.db import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "query_scope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org", sa.String(length=128), nullable=False),
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("scope_hash", sa.String(length=64), nullable=False),
        sa.Column("first_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org", "release_id", "scope_hash"),
    )


def downgrade() -> None:
    op.drop_table("query_scope")
