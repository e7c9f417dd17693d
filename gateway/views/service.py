"""View use cases: list the views a caller may use; run a policy-gated, protected aggregate.

Defends against reading what the policy does not grant (every request asks the policy engine
and fails closed when it cannot answer), against row-level or identifier output (only
aggregates of validated dimensions leave), and against small-cell, padding, one-organisation,
dominance and differencing disclosure: per grant ``mode``, cell-key answers (``answer``) or
suppression with an exact audit (``suppression``), every answer from the chosen release only,
a per-(org, release) query-variety allowance (``allowance``) and a signed privacy receipt
(``receipt``). Each request writes ONE audit event (``view.query`` or ``view.list``) with the
decision id(s), policy revision and reasons; names, counts and codes, never cell values. The
allowance row of a query commits in the same transaction as its audit event.

Extension points: ``base_filter`` (the harm/embargo hook, ``gateway/privacy/harm.py:
base_filter(view, contract, obligations, *, now, dims)``, bound to the current harm data in
``gateway/app.py``) gives SQL predicates applied at the base of every view query, in every mode;
``mode: dp`` is answered by ``gateway/views/dp_answer.py`` (its budget debit joins the view's
audit transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import structlog

from gateway.audit.events import AuditRecord, DecisionFacts, Outcome, ViewQueried, ViewsListed
from gateway.policy.errors import PolicyDeniedError, PolicyUnavailableError
from gateway.policy.port import (
    VIEWS_DECISION,
    Decision,
    Obligations,
    PolicyInput,
)
from gateway.releases.service import SessionReleases, release_to_read
from gateway.settings import PrivacySettings
from gateway.views.allowance import charge_scope
from gateway.views.answer import CellStats, cellkey_answer, summed_columns
from gateway.views.checks import (
    describe_view,
    empty_table,
    obligation_denials,
    policy_input,
    safe_reasons,
    split_dims,
    unknown_dimension,
)
from gateway.views.definitions import ViewRegistry
from gateway.views.domains import ViewDomains, cells_not_shown, periods
from gateway.views.dp_answer import DpFacts, answer_dp
from gateway.views.errors import (
    QueryAllowanceExhaustedError,
)
from gateway.views.model import ViewDefinition
from gateway.views.receipt import build_receipt
from gateway.views.repository import Predicate
from gateway.views.suppression import suppressed_answer

if TYPE_CHECKING:
    from joserfc.jwk import Key
    from sqlmodel import Session

    from gateway.audit.service import AuditLog
    from gateway.auth.principal import Principal
    from gateway.budgets.service import BudgetService
    from gateway.contracts.registry import ContractRegistry
    from gateway.policy.port import PolicyEngine
    from gateway.releases.models import Release
    from gateway.store.delta import DeltaStore

log = structlog.get_logger(__name__)
BaseFilter = Callable[..., Sequence[Predicate]]  # (view, contract, obligations, *, now, dims)


@dataclass(frozen=True)
class ViewResult:
    view: str
    group_by: tuple[str, ...]
    filters: dict[str, tuple[str, ...]]
    min_k: int
    min_contributors: int
    mode: str
    cells_not_shown: int | None  # public domain product - released rows (None: not public)
    table: pa.Table
    generated_at: datetime
    release: str | None = None  # the release id the answer was computed from
    receipt: str = ""  # compact JWS over ``receipt_claims``
    receipt_claims: dict[str, Any] = field(default_factory=dict)
    hidden: int = 0  # non-empty cells not released: the audit trail's, never the caller's
    dp: DpFacts | None = None  # DP mode: ε spent/remaining, per-measure 95 % half-width


@dataclass(frozen=True)
class _Query:
    """One allowed query, as the answer pipeline needs it."""

    principal: Principal
    view: ViewDefinition
    group_by: tuple[str, ...]
    filters: dict[str, tuple[str, ...]]
    decision: Decision
    obligations: Obligations
    release: Release


class ViewService:
    """Views use cases; one instance per process, a DB session per call (for its audit event)."""

    def __init__(
        self,
        *,
        views: ViewRegistry,
        store: DeltaStore,
        policy: PolicyEngine,
        audit: AuditLog,
        receipt_key: Key,
        privacy: PrivacySettings | None = None,
        contracts: ContractRegistry | None = None,
        base_filter: BaseFilter | None = None,
        budgets: BudgetService | None = None,
    ) -> None:
        self.budgets = budgets
        self.views, self.store, self.policy, self.audit = views, store, policy, audit
        self.receipt_key = receipt_key
        self.privacy = privacy or PrivacySettings()
        self.contracts = contracts
        self.base_filter = base_filter
        self._domains = {v.name: ViewDomains.of(v, contracts) for v in views.all()}

    def close(self) -> None:
        self.views.close()

    def list_views(
        self, session: Session, *, principal: Principal, request_id: str | None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        decisions: list[Decision] = []
        actor = (principal.org, principal.subject)
        try:
            for view in self.views.all():
                decision = self._decide(policy_input(principal, "view.list", view))
                decisions.append(decision)
                if decision.allow and decision.obligations is not None:
                    out.append(describe_view(view, decision.obligations))
        except PolicyUnavailableError:
            self._write(session, self._listed(Outcome.ERROR, [], decisions, request_id, actor))
            raise
        listed = [v["name"] for v in out]
        self._write(session, self._listed(Outcome.ALLOW, listed, decisions, request_id, actor))
        return out

    def query(
        self,
        session: Session,
        *,
        principal: Principal,
        view_name: str,
        group_by: Sequence[str],
        filters: Mapping[str, Sequence[str]],
        request_id: str | None,
        as_of: str | None = None,
    ) -> ViewResult:
        view = self.views.get(view_name)
        dims, unknown = split_dims(view, group_by, filters)  # unknown: refused after the decision
        group = tuple(d for d in dict.fromkeys(group_by) if d in view.dimensions)
        wanted = {d: tuple(dict.fromkeys(v)) for d, v in filters.items() if d in view.dimensions}
        event = ViewQueried(
            outcome=Outcome.ERROR,
            actor_org=principal.org,
            actor_subject=principal.subject,
            resource=f"view:{view.name}",
            request_id=request_id,
            view=view.name,
            dims=list(group),
            filters=sorted(wanted),
            reasons=[],
        )
        request = policy_input(principal, "view.query", view, group, wanted)
        try:
            decision = self._decide(request)
        except PolicyUnavailableError:
            self._write(session, event)
            raise
        facts = DecisionFacts.of(decision, backend=self.policy.name)
        reasons = safe_reasons(decision.reasons)
        if decision.allow and decision.obligations is not None:
            if unknown:
                refusal = {"reasons": ["unknown_dimension"], "decision": facts}
                self._write(session, event.model_copy(update={"outcome": Outcome.DENY, **refusal}))
                raise unknown_dimension(view, unknown[0], decision.obligations)
            reasons = obligation_denials(view, dims, decision.obligations)
        if reasons or not decision.allow or decision.obligations is None:
            update = {"outcome": Outcome.DENY, "reasons": list(reasons), "decision": facts}
            self._write(session, event.model_copy(update=update))
            raise PolicyDeniedError(reasons or ("denied",))
        try:
            release = release_to_read(SessionReleases(session), view.dataset, as_of)
            query = _Query(principal, view, group, wanted, decision, decision.obligations, release)
            if decision.obligations.mode == "dp":  # its ledger debit joins this transaction
                result = answer_dp(session, budgets=self.budgets, principal=principal,
                    release=release, view=view, group_by=group, filters=wanted,
                    obligations=decision.obligations, engine=self.views.engine,
                    source=self.store.dataset(view.dataset, version=release.delta_version),
                    decision=decision, receipt_key=self.receipt_key,
                    base_filter=self._base(view, decision.obligations, dims))  # fmt: skip
            else:
                result = self._run(session, query)
        except QueryAllowanceExhaustedError:
            session.rollback()
            update = {"outcome": Outcome.DENY, "reasons": ["query_allowance_exhausted"]}
            self._write(session, event.model_copy(update={**update, "decision": facts}))
            raise
        except Exception:  # an allowed query that failed is on the trail too
            session.rollback()
            self._write(session, event.model_copy(update={"decision": facts}))
            raise
        allowed = {
            "outcome": Outcome.ALLOW,
            "k": result.min_k,
            "rows": result.table.num_rows,
            "suppressed": result.hidden,
            "release": release.id,
            "decision": facts,
            "epsilon_spent": result.dp.epsilon_spent if result.dp else None,
        }
        self._write(session, event.model_copy(update=allowed))  # commits the scope row too
        return result

    def _decide(self, request: PolicyInput) -> Decision:
        """The views decision; an allow without obligations is an engine fault (503), not a deny."""
        decision = self.policy.decide(VIEWS_DECISION, request)
        if decision.allow and decision.obligations is None:
            raise PolicyUnavailableError("The policy engine allowed without obligations.")
        return decision

    def _listed(
        self,
        outcome: Outcome,
        listed: list[str],
        decisions: list[Decision],
        request_id: str | None,
        actor: tuple[str, str],
    ) -> ViewsListed:
        return ViewsListed(
            outcome=outcome,
            actor_org=actor[0],
            actor_subject=actor[1],
            request_id=request_id,
            listed=listed,
            considered=len(decisions),
            decisions=[str(d.decision_id) for d in decisions],
            policy_revision=decisions[-1].policy_revision if decisions else None,
            backend=self.policy.name,
        )

    def _write(self, session: Session, event: AuditRecord) -> None:
        """A read changes no state: its event is the whole transaction."""
        self.audit.append(session, event)
        session.commit()

    def _run(self, session: Session, q: _Query) -> ViewResult:
        view, obligations = q.view, q.obligations
        k = max(view.default_k, obligations.min_k)
        measures = [m for m in view.measures if m not in obligations.suppressed_columns]
        summed = summed_columns(view, measures)
        source = self.store.dataset(view.dataset, version=q.release.delta_version)
        table, hidden, withheld = empty_table(q.group_by, measures), 0, 0
        stats = CellStats.empty()
        domains: dict[str, tuple[str, ...] | None] = {}
        if source is not None:
            base = self._base(view, obligations, (*q.group_by, *q.filters))
            engine = self.views.engine
            cells = engine.cells(
                source, view, group_by=q.group_by, filters=q.filters,
                row_filter=obligations.row_filter, caller=q.principal.org, summed=summed,
                base_filter=base,
            )  # fmt: skip
            stats = CellStats.of(cells)
            if obligations.mode == "suppression":
                done = suppressed_answer(
                    engine, source, view, group_by=q.group_by, filters=q.filters,
                    obligations=obligations, k=k, caller=q.principal.org, cells=cells,
                    measures=measures, summed=summed, base_filter=base,
                )  # fmt: skip
                table, hidden, withheld = done.table, done.hidden, done.sums_withheld
            else:
                ans = cellkey_answer(
                    cells, group_by=q.group_by, measures=measures, summed=summed, stats=stats,
                    k=k, p=obligations.min_contributors, dominance=obligations.dominance,
                )  # fmt: skip
                table, hidden, withheld = ans.table, ans.hidden, ans.sums_withheld
            domains = self._query_domains(source, view, q.group_by)
        charge_scope(
            session, org=q.principal.org, release_id=q.release.id,
            scope_hash=stats.scope_hash(), allowance=self.privacy.scope_allowance,
        )  # fmt: skip
        optional = self._domains[view.name].optional
        not_shown = cells_not_shown(q.group_by, q.filters, domains, optional, table.num_rows)
        now = datetime.now(UTC)
        jws, claims = build_receipt(
            key=self.receipt_key, view=view, release_id=q.release.id, decision=q.decision,
            obligations=obligations, k=k, group_by=q.group_by, filters=q.filters, table=table,
            cells_not_shown=not_shown, sums_withheld=withheld, issued_at=now,
        )  # fmt: skip
        return ViewResult(
            view=view.name,
            group_by=q.group_by,
            filters=q.filters,
            min_k=k,
            min_contributors=obligations.min_contributors,
            mode=obligations.mode,
            cells_not_shown=not_shown,
            table=table,
            generated_at=now,
            release=q.release.id,
            receipt=jws,
            receipt_claims=claims,
            hidden=hidden,
        )

    def _base(
        self, view: ViewDefinition, obligations: Obligations, dims: Sequence[str]
    ) -> Sequence[Predicate]:
        """The harm/embargo predicates (none until ``gateway.privacy.harm`` is wired)."""
        if self.base_filter is None:
            return ()
        contract = self.contracts.get(view.dataset) if self.contracts is not None else None
        return self.base_filter(view, contract, obligations, now=datetime.now(UTC), dims=dims)

    def _query_domains(
        self, source: Any, view: ViewDefinition, group_by: Sequence[str]
    ) -> dict[str, tuple[str, ...] | None]:
        out: dict[str, tuple[str, ...] | None] = {}
        for d in group_by:
            dim = view.dimensions[d]
            if dim.kind == "time":
                lo, hi = self.views.engine.span(source, dim.sql)
                out[d] = periods(dim.level, lo, hi)
            else:
                out[d] = self._domains[view.name].values.get(d)
        return out
