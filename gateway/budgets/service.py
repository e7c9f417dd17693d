"""Budget use cases: debit ε in the caller's transaction, show what is left, renew (governance).

Defends against a partner averaging away differential-privacy noise by asking again (every DP
answer spends ε, repeats included) and against spending one budget twice under concurrency
(the debit is one conditional UPDATE, see ``repository``). Budgets bind to (recipient org,
purpose, dataset, release): a new view over the same dataset draws on the same budget; a new
release — a governance cut — opens a fresh one, so governance controls how often ε renews.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.audit.events import BudgetRenewed, Outcome
from gateway.budgets import repository as repo
from gateway.budgets.errors import BudgetExhaustedError, UnknownBudgetError
from gateway.budgets.models import PrivacyBudget, PrivacyBudgetDebit

if TYPE_CHECKING:
    from sqlmodel import Session

    from gateway.audit.service import AuditLog
    from gateway.auth.principal import Principal
    from gateway.contracts.registry import ContractRegistry
    from gateway.settings import PrivacySettings


@dataclass(frozen=True)
class BudgetState:
    org: str
    purpose: str
    dataset: str
    release_id: str
    epsilon_total: float
    epsilon_spent: float

    @property
    def epsilon_remaining(self) -> float:
        return max(0.0, round(self.epsilon_total - self.epsilon_spent, 12))

    @classmethod
    def of(cls, row: PrivacyBudget) -> BudgetState:
        return cls(
            org=row.org,
            purpose=row.purpose,
            dataset=row.dataset,
            release_id=row.release_id,
            epsilon_total=row.epsilon_total,
            epsilon_spent=row.epsilon_spent,
        )


@dataclass(frozen=True)
class BudgetService:
    audit: AuditLog
    contracts: ContractRegistry
    settings: PrivacySettings

    def debit(
        self,
        session: Session,
        *,
        org: str,
        purpose: str,
        dataset: str,
        release_id: str,
        epsilon: float,
        total: float,
        decision_id: str | None = None,
    ) -> BudgetState:
        """Spend ``epsilon`` inside ``session``'s transaction (the caller commits it).

        The budget opens at ``total`` on first use; later changes of the grant's total do not
        move it (only ``renew`` does). Raises ``BudgetExhaustedError`` if it would overspend.
        """
        if not epsilon > 0:
            raise ValueError("a debit spends a positive epsilon")
        key = (org, purpose, dataset, release_id)
        repo.ensure(session, key, total)
        if not repo.try_debit(session, key, epsilon):
            row = repo.get(session, key)
            left = BudgetState.of(row).epsilon_remaining if row is not None else 0.0
            raise BudgetExhaustedError(
                f"this query costs epsilon {epsilon:g}; {left:g} is left of the budget for "
                f"purpose {purpose!r} on release {release_id} of {dataset}",
                epsilon_remaining=left,
                epsilon_cost=epsilon,
            )
        repo.add_debit(
            session,
            PrivacyBudgetDebit(
                org=org,
                purpose=purpose,
                dataset=dataset,
                release_id=release_id,
                decision_id=decision_id,
                epsilon=epsilon,
            ),
        )
        row = repo.get(session, key)
        assert row is not None  # ensured above, in this transaction
        return BudgetState.of(row)

    def state(
        self, session: Session, *, org: str, purpose: str, dataset: str, release_id: str
    ) -> BudgetState | None:
        row = repo.get(session, (org, purpose, dataset, release_id))
        return BudgetState.of(row) if row is not None else None

    def list_budgets(self, session: Session, *, org: str | None = None) -> list[BudgetState]:
        return [BudgetState.of(r) for r in repo.for_org(session, org)]

    def renew(
        self,
        session: Session,
        *,
        org: str,
        purpose: str,
        dataset: str,
        release_id: str,
        epsilon: float,
        actor: Principal | None,
        request_id: str | None = None,
    ) -> BudgetState:
        """Governance adds ``epsilon`` to a budget's total (debits stay on the record)."""
        key = (org, purpose, dataset, release_id)
        if not repo.add_total(session, key, epsilon):
            session.rollback()
            raise UnknownBudgetError(
                f"{org} has no budget for purpose {purpose!r} on release {release_id} of "
                f"{dataset} (it opens with the first DP query)"
            )
        row = repo.get(session, key)
        assert row is not None  # updated above, in this transaction
        state = BudgetState.of(row)
        event = BudgetRenewed(
            outcome=Outcome.SUCCESS,
            actor_org=actor.org if actor else None,
            actor_subject=actor.subject if actor else "cli",
            resource=f"budget:{org}/{purpose}/{dataset}/{release_id}",
            request_id=request_id,
            org=org,
            purpose=purpose,
            dataset=dataset,
            release_id=release_id,
            epsilon_added=epsilon,
            epsilon_total=state.epsilon_total,
            epsilon_spent=state.epsilon_spent,
        )
        self.audit.append(session, event)
        session.commit()
        return state
