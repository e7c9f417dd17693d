"""The ε ledger: one budget per (recipient org, purpose, dataset, release) and its debits."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from gateway.db import UTCDateTime, utcnow


class PrivacyBudget(SQLModel, table=True):
    """What one organisation may still spend on one release of one dataset, for one purpose.

    Keyed by the underlying release, never by a view: every view over a dataset draws on the
    same budget, and only a new release (governance's cut) or a renewal brings fresh ε.
    """

    __tablename__ = "privacy_budget"

    org: str = Field(primary_key=True, max_length=100)
    purpose: str = Field(primary_key=True, max_length=64)
    dataset: str = Field(primary_key=True, max_length=64)
    release_id: str = Field(primary_key=True, max_length=36)
    epsilon_total: float
    epsilon_spent: float = Field(default=0.0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class PrivacyBudgetDebit(SQLModel, table=True):
    """One debit (append-only): which decision spent how much of which budget, and when."""

    __tablename__ = "privacy_budget_debit"

    id: int | None = Field(default=None, primary_key=True)
    org: str = Field(max_length=100, index=True)
    purpose: str = Field(max_length=64)
    dataset: str = Field(max_length=64)
    release_id: str = Field(max_length=36)
    decision_id: str | None = Field(default=None, max_length=36)
    epsilon: float
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
