"""dataset_release: frozen, checked Delta versions that views read

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.db import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dataset_release",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("delta_version", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.String(length=36), nullable=True),
        sa.Column("cut_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("cut_by", sa.String(length=200), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("org_count", sa.Integer(), nullable=False),
        sa.Column("added_rows", sa.Integer(), nullable=False),
        sa.Column("added_orgs", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dataset_release", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_release_dataset"), ["dataset"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dataset_release", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_release_dataset"))
    op.drop_table("dataset_release")
