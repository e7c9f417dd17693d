"""View use cases: list the views a caller may use; run a policy-gated, protected aggregate.

Defends against reading what the policy does not grant (every request asks the policy engine
and fails closed when it cannot answer), against row-level or identifier output (only
aggregates of validated dimensions leave), and against small-cell disclosure (see
``disclosure``). Each request writes ONE audit event (``view.query`` or ``view.list``) with the
decision id(s), policy revision and reasons; names, counts and codes, never cell values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import structlog

from gateway.audit.events import AuditRecord, DecisionFacts, Outcome, ViewQueried, ViewsListed
from gateway.policy.errors import PolicyDeniedError, PolicyUnavailableError
from gateway.policy.port import (
    VIEWS_DECISION,
    Decision,
    Obligations,
    PolicyInput,
    Resource,
)
from gateway.releases.service import SessionReleases, release_to_read
from gateway.views.definitions import ViewRegistry
from gateway.views.disclosure import MAX_DIMS, encode_keys, protect_cells
from gateway.views.dp_answer import DpFacts, answer_dp
from gateway.views.errors import InvalidViewQueryError, UnknownDimensionError
from gateway.views.model import GEO_LEVELS, TIME_LEVELS, ViewDefinition
from gateway.views.repository import HIDDEN

if TYPE_CHECKING:
    from sqlmodel import Session

    from gateway.audit.service import AuditLog
    from gateway.auth.principal import Principal
    from gateway.budgets.service import BudgetService
    from gateway.policy.port import PolicyEngine
    from gateway.releases.models import Release
    from gateway.store.delta import DeltaStore

log = structlog.get_logger(__name__)
_REASON_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}(:[a-z0-9_]{1,64})?$")


@dataclass(frozen=True)
class ViewResult:
    view: str
    group_by: tuple[str, ...]
    filters: dict[str, tuple[str, ...]]
    min_k: int
    suppressed_cells: int
    table: pa.Table
    generated_at: datetime
    release: str | None = None  # the release id the answer was computed from
    dp: DpFacts | None = None  # DP mode: ε spent/remaining, per-measure 95 % half-width


class ViewService:
    """Views use cases; one instance per process, a DB session per call (for its audit event)."""

    def __init__(
        self, *, views: ViewRegistry, store: DeltaStore, policy: PolicyEngine, audit: AuditLog,
        budgets: BudgetService | None = None,
    ) -> None:  # fmt: skip
        self.views, self.store, self.policy, self.audit = views, store, policy, audit
        self.budgets = budgets

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
                decision = self.policy.decide(VIEWS_DECISION, _input(principal, "view.list", view))
                decisions.append(decision)
                if decision.allow and decision.obligations is not None:
                    out.append(_describe(view, decision.obligations))
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
        dims = _check_dims(view, group_by, filters)
        group = tuple(dict.fromkeys(group_by))
        wanted = {d: tuple(dict.fromkeys(v)) for d, v in filters.items()}
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
        request = _input(principal, "view.query", view, group, wanted)
        try:
            decision = self.policy.decide(VIEWS_DECISION, request)
        except PolicyUnavailableError:
            self._write(session, event)
            raise
        facts = DecisionFacts.of(decision, backend=self.policy.name)
        reasons = _safe(decision.reasons)
        if decision.allow and decision.obligations is not None:
            reasons = _obligation_denials(view, dims, decision.obligations)
        elif decision.allow:
            reasons = ("malformed_decision",)
        if reasons or not decision.allow or decision.obligations is None:
            update = {"outcome": Outcome.DENY, "reasons": list(reasons), "decision": facts}
            self._write(session, event.model_copy(update=update))
            raise PolicyDeniedError(reasons or ("denied",))
        try:
            release = release_to_read(SessionReleases(session), view.dataset, as_of)
            if decision.obligations.mode == "dp":  # its ledger debit joins this transaction
                result = answer_dp(session, budgets=self.budgets, principal=principal,
                    release=release, view=view, group_by=group, filters=wanted,
                    obligations=decision.obligations, engine=self.views.engine,
                    source=self.store.dataset(view.dataset, version=release.delta_version),
                    decision_id=facts.decision_id)  # fmt: skip
            else:
                result = self._run(view, group, wanted, decision.obligations, release)
        except Exception:  # an allowed query that failed is on the trail too
            session.rollback()
            self._write(session, event.model_copy(update={"decision": facts}))
            raise
        allowed = {
            "outcome": Outcome.ALLOW,
            "k": result.min_k,
            "rows": result.table.num_rows,
            "suppressed": result.suppressed_cells,
            "release": release.id,
            "decision": facts,
            "epsilon_spent": result.dp.epsilon_spent if result.dp else None,
        }
        self._write(session, event.model_copy(update=allowed))
        return result

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

    def _run(
        self,
        view: ViewDefinition,
        group_by: tuple[str, ...],
        filters: dict[str, tuple[str, ...]],
        obligations: Obligations,
        release: Release,
    ) -> ViewResult:
        k = max(view.default_k, obligations.min_k)
        measures = [m for m in view.measures if m not in obligations.suppressed_columns]
        dims = list(dict.fromkeys([*group_by, *filters]))
        source = self.store.dataset(view.dataset, version=release.delta_version)
        table, suppressed = _empty(group_by, measures), 0
        if source is not None:
            engine = self.views.engine
            cube = engine.cube(source, view, dims, obligations.row_filter)
            counts = cube.column(view.count_measure).to_numpy(zero_copy_only=False)
            protection = protect_cells(encode_keys(cube, dims), counts, k)
            if not protection.audit_complete:
                log.warning("views.audit_incomplete", view=view.name, dims=dims)
            cube = cube.append_column(HIDDEN, pa.array(protection.hidden, pa.bool_()))
            out = engine.roll_up(cube, group_by, measures, filters)
            hidden = pc.fill_null(out.column(HIDDEN), True)
            suppressed = int(pc.sum(hidden.cast(pa.int64())).as_py() or 0)
            table = out.filter(pc.invert(hidden)).drop_columns([HIDDEN])
        return ViewResult(
            view=view.name,
            group_by=group_by,
            filters=filters,
            min_k=k,
            suppressed_cells=suppressed,
            table=table,
            generated_at=datetime.now(UTC),
            release=release.id,
        )


def _input(
    principal: Principal,
    action: str,
    view: ViewDefinition,
    dims: Sequence[str] = (),
    filters: Mapping[str, Sequence[str]] | None = None,
) -> PolicyInput:
    return PolicyInput(
        subject=principal.policy_subject(),
        action=action,
        resource=Resource(
            dataset=view.dataset,
            view=view.name,
            dims=tuple(dims),
            filters={k: tuple(v) for k, v in (filters or {}).items()},
        ),
    )


def _check_dims(
    view: ViewDefinition, group_by: Sequence[str], filters: Mapping[str, Sequence[str]]
) -> list[str]:
    dims = list(dict.fromkeys([*group_by, *filters]))
    for d in dims:
        if d not in view.dimensions:
            raise UnknownDimensionError(
                f"view {view.name} has no dimension {d[:64]!r}", dimensions=sorted(view.dimensions)
            )
    if len(dims) > MAX_DIMS:
        raise InvalidViewQueryError(f"at most {MAX_DIMS} dimensions (group_by + filters)")
    return dims


def _obligation_denials(
    view: ViewDefinition, dims: Sequence[str], obligations: Obligations
) -> tuple[str, ...]:
    """What the obligations forbid even though the policy allowed (fail closed on the unknown)."""
    reasons = [f"dimension_not_permitted:{d}" for d in dims if not _dim_ok(view, d, obligations)]
    if any(key not in view.dimensions for key in obligations.row_filter):
        reasons.append("obligation_unenforceable:row_filter")
    if (obligations.mode == "dp") != (obligations.dp_epsilon is not None):
        reasons.append("obligation_unenforceable:dp")
    return tuple(reasons)


def _dim_ok(view: ViewDefinition, name: str, obligations: Obligations) -> bool:
    if name not in obligations.columns or name in obligations.suppressed_columns:
        return False
    dim = view.dimensions[name]
    limit = {"geo": obligations.geo_resolution, "time": obligations.time_grain}.get(dim.kind)
    levels = GEO_LEVELS if dim.kind == "geo" else TIME_LEVELS
    if limit is None or dim.level is None:
        return True
    return limit in levels and levels.index(dim.level) <= levels.index(limit)


def _describe(view: ViewDefinition, obligations: Obligations) -> dict[str, Any]:
    return {
        "name": view.name,
        "title": view.title,
        "description": view.description,
        "dataset": view.dataset,
        "dimensions": [
            {"name": d.name, "kind": d.kind}
            for d in view.dimensions.values()
            if _dim_ok(view, d.name, obligations)
        ],
        "measures": [m for m in view.measures if m not in obligations.suppressed_columns],
        "min_k": max(view.default_k, obligations.min_k),
    }


def _safe(reasons: Sequence[str]) -> tuple[str, ...]:
    """Only stable reason codes leave the gateway; anything else becomes ``denied``."""
    return tuple(dict.fromkeys(r if _REASON_RE.match(r) else "denied" for r in reasons))


def _empty(group_by: Sequence[str], measures: Sequence[str]) -> pa.Table:
    fields = [pa.field(d, pa.string()) for d in group_by]
    fields += [pa.field(m, pa.int64()) for m in measures]
    return pa.schema(fields).empty_table()
