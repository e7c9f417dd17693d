"""public_report: the public channel's held queue, rate counters and daily salts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.db import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_report",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("admin1", sa.String(length=6), nullable=True),
        sa.Column("exploitation_type", sa.String(length=32), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=True),
        sa.Column("victim_count", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("narrative", sa.String(), nullable=True),
        sa.Column("scrub_removed", sa.JSON(), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("public_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_public_report_status"), ["status"], unique=False)
    op.create_table(
        "public_rate_counter",
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("window_no", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_no"),
    )
    op.create_table(
        "public_salt",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("public_salt")
    op.drop_table("public_rate_counter")
    with op.batch_alter_table("public_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_report_status"))
    op.drop_table("public_report")
