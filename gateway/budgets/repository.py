"""SQL for the ε ledger: an atomic conditional debit that can never overspend.

The debit is ONE conditional UPDATE (``... SET epsilon_spent = epsilon_spent + :e WHERE
epsilon_spent + :e <= epsilon_total``): PostgreSQL evaluates the condition on the row it has
locked for the update (a concurrent debit waits, then re-checks against the committed value),
SQLite runs it under its database-wide write lock. Either way two debits cannot both pass on
the same remainder. Nothing here commits: the caller's transaction does (with its audit event).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from gateway.budgets.models import PrivacyBudget, PrivacyBudgetDebit
from gateway.db import utcnow

# Float sums of per-query ε (0.1 + 0.2 + ...) must not refuse the last exact fit.
TOLERANCE = 1e-9
BudgetKey = tuple[str, str, str, str]  # org, purpose, dataset, release_id


def _match(key: BudgetKey) -> ColumnElement[bool]:
    org, purpose, dataset, release_id = key
    return and_(
        col(PrivacyBudget.org) == org,
        col(PrivacyBudget.purpose) == purpose,
        col(PrivacyBudget.dataset) == dataset,
        col(PrivacyBudget.release_id) == release_id,
    )


def ensure(session: Session, key: BudgetKey, total: float) -> None:
    """Open the budget at ``total`` if it does not exist yet (a race opens it once)."""
    org, purpose, dataset, release_id = key
    now = utcnow()
    values = {
        "org": org,
        "purpose": purpose,
        "dataset": dataset,
        "release_id": release_id,
        "epsilon_total": total,
        "epsilon_spent": 0.0,
        "created_at": now,
        "updated_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(PrivacyBudget).values(**values).on_conflict_do_nothing()
    session.execute(stmt)


def try_debit(session: Session, key: BudgetKey, epsilon: float) -> bool:
    """Spend ``epsilon`` if it fits; False (and no change) if it would overspend."""
    spent = col(PrivacyBudget.epsilon_spent)
    stmt = (
        update(PrivacyBudget)
        .where(_match(key))
        .where(spent + epsilon <= col(PrivacyBudget.epsilon_total) + TOLERANCE)
        .values(epsilon_spent=spent + epsilon, updated_at=utcnow())
    )
    result = session.execute(stmt)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def add_total(session: Session, key: BudgetKey, epsilon: float) -> bool:
    stmt = (
        update(PrivacyBudget)
        .where(_match(key))
        .values(epsilon_total=col(PrivacyBudget.epsilon_total) + epsilon, updated_at=utcnow())
    )
    return bool(session.execute(stmt).rowcount == 1)  # type: ignore[attr-defined]


def get(session: Session, key: BudgetKey) -> PrivacyBudget | None:
    """The row as the database has it now (not a cached copy)."""
    stmt = select(PrivacyBudget).where(_match(key)).execution_options(populate_existing=True)
    return session.exec(stmt).first()


def add_debit(session: Session, debit: PrivacyBudgetDebit) -> None:
    session.add(debit)
    session.flush()


def for_org(session: Session, org: str | None = None) -> Sequence[PrivacyBudget]:
    stmt = select(PrivacyBudget).order_by(
        col(PrivacyBudget.org), col(PrivacyBudget.dataset), col(PrivacyBudget.created_at)
    )
    if org is not None:
        stmt = stmt.where(PrivacyBudget.org == org)
    return session.exec(stmt).all()


def debits(session: Session, key: BudgetKey) -> Sequence[PrivacyBudgetDebit]:
    org, purpose, dataset, release_id = key
    stmt = select(PrivacyBudgetDebit).where(
        PrivacyBudgetDebit.org == org,
        PrivacyBudgetDebit.purpose == purpose,
        PrivacyBudgetDebit.dataset == dataset,
        PrivacyBudgetDebit.release_id == release_id,
    )
    return session.exec(stmt.order_by(col(PrivacyBudgetDebit.id))).all()
