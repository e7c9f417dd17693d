"""privacy_budget + privacy_budget_debit: the ε ledger of differential-privacy answers

Revision ID: 0004
Revises: 0003 (query_scope)
Create Date: 2026-12-01 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.db import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_budget",
        sa.Column("org", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("epsilon_total", sa.Float(), nullable=False),
        sa.Column("epsilon_spent", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org", "purpose", "dataset", "release_id"),
    )
    op.create_table(
        "privacy_budget_debit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=True),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("privacy_budget_debit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_budget_debit_org"), ["org"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("privacy_budget_debit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_budget_debit_org"))
    op.drop_table("privacy_budget_debit")
    op.drop_table("privacy_budget")
