"""The ε ledger on SQLite and PostgreSQL: debits in the caller's transaction, never overspent."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from gateway.audit.service import AuditLog
from gateway.budgets import repository as repo
from gateway.budgets.errors import BudgetExhaustedError, UnknownBudgetError
from gateway.budgets.models import PrivacyBudgetDebit
from gateway.budgets.service import BudgetService
from gateway.contracts.registry import ContractRegistry
from gateway.db import build_engine
from gateway.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def budgets(settings: Settings, engine: Engine) -> BudgetService:
    return BudgetService(
        audit=AuditLog(engine),
        contracts=ContractRegistry.load(settings.contracts_dir),
        settings=settings.privacy,
    )


def _key(release: str) -> dict[str, str]:
    return {
        "org": "dp-lab",
        "purpose": "research",
        "dataset": "incident_reports",
        "release_id": release,
    }


def _debits(engine: Engine, release: str) -> int:
    with Session(engine) as s:
        stmt = select(func.count()).where(col(PrivacyBudgetDebit.release_id) == release)
        return int(s.exec(stmt).one())


def test_a_debit_is_part_of_the_callers_transaction(budgets: BudgetService, engine: Engine) -> None:
    release = str(uuid.uuid4())
    with Session(engine) as session:
        state = budgets.debit(session, **_key(release), epsilon=0.25, total=1.0)
        assert (state.epsilon_spent, state.epsilon_remaining) == (0.25, 0.75)
        session.rollback()  # the caller's audit write failed: the debit goes with it
    with Session(engine) as session:
        assert budgets.state(session, **_key(release)) is None
    assert _debits(engine, release) == 0
    with Session(engine) as session:
        budgets.debit(session, **_key(release), epsilon=0.25, total=1.0, decision_id="d-1")
        session.commit()
    assert _debits(engine, release) == 1


def test_an_overspending_debit_is_refused_with_what_is_left(
    budgets: BudgetService, engine: Engine
) -> None:
    release = str(uuid.uuid4())
    for _ in range(3):
        with Session(engine) as session:
            budgets.debit(session, **_key(release), epsilon=0.3, total=1.0)
            session.commit()
    with Session(engine) as session, pytest.raises(BudgetExhaustedError) as caught:
        budgets.debit(session, **_key(release), epsilon=0.3, total=1.0)
    assert caught.value.status == 429
    assert caught.value.type.endswith("/privacy-budget-exhausted")
    assert caught.value.extensions["epsilon_remaining"] == pytest.approx(0.1)
    with Session(engine) as session:
        # the grant's total only opens a budget; a larger total later does not move it
        state = budgets.debit(session, **_key(release), epsilon=0.1, total=50.0)
        session.commit()
    assert state.epsilon_total == 1.0 and state.epsilon_remaining == 0.0
    assert _debits(engine, release) == 4


def test_renewal_adds_to_the_total_and_is_audited(budgets: BudgetService, engine: Engine) -> None:
    release = str(uuid.uuid4())
    with Session(engine) as session, pytest.raises(UnknownBudgetError):
        budgets.renew(session, **_key(release), epsilon=1.0, actor=None)
    with Session(engine) as session:
        budgets.debit(session, **_key(release), epsilon=1.0, total=1.0)
        session.commit()
    with Session(engine) as session:
        state = budgets.renew(session, **_key(release), epsilon=0.5, actor=None)
    assert (state.epsilon_total, state.epsilon_spent) == (1.5, 1.0)
    rows = budgets.audit.tail(10, kind="budget.renew")
    assert [(r.outcome, r.detail["epsilon_added"], r.detail["epsilon_total"]) for r in rows] == [
        ("success", 0.5, 1.5)
    ]
    assert budgets.audit.verify().ok


def test_twenty_parallel_clients_of_one_org_never_overspend(
    budgets: BudgetService, settings: Settings
) -> None:
    """20 threads, each on its own connection, race 3 debits of 0.1 each against ε = 1."""
    release = str(uuid.uuid4())
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        engine = build_engine(settings)
        try:
            start.wait(timeout=30)
            for _ in range(3):
                with Session(engine) as session:
                    try:
                        budgets.debit(session, **_key(release), epsilon=0.1, total=1.0)
                        session.commit()
                        got = "spent"
                    except BudgetExhaustedError:
                        got = "refused"
                with lock:
                    outcomes.append(got)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=client) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 60
    assert outcomes.count("spent") == 10 and outcomes.count("refused") == 50
    engine = build_engine(settings)
    try:
        with Session(engine) as session:
            row = repo.get(session, ("dp-lab", "research", "incident_reports", release))
            assert row is not None
            assert row.epsilon_spent <= row.epsilon_total + repo.TOLERANCE
            assert row.epsilon_spent == pytest.approx(1.0)
        assert _debits(engine, release) == 10
    finally:
        engine.dispose()
