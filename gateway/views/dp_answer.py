"""Differential-privacy answers to view queries (issue 7 #5): OpenDP noise, ε debited per answer.

Defends against every attack that combines answers — differencing, averaging repeats,
reconstruction from many tables: each answer's distribution changes by at most e**ε when one
entity is added or removed, and every answer (repeats too) spends ε from the caller's budget
for (org, purpose, dataset, release), so the total loss per release is bounded by governance.

Why the sensitivity holds: entity keys are unique dataset-wide (ingest quarantines duplicates),
so one entity is one record and lands in exactly one cell of a query (counts: sensitivity 1);
each sum measure's per-record value is clipped to ``[0, maximum]`` of its contract column
before summing (sensitivity ``maximum``; a sum without a declared maximum is refused). The
output cells are the cross product of the group-by dimensions' PUBLIC domains (contract code
lists; time buckets of the ``privacy.dp_months`` before the release's cut), never the keys
found in the data — so which cells appear says nothing, and a dimension without a finite
public domain (h3_cell, a pattern-only admin1) cannot be grouped by. The query's ε (the grant's
``dp.epsilon``) is split evenly over the count and sum vectors (sequential composition).
Released values are left unbiased, so a small or empty cell may come out as 0 or below
(rounding or clamping them is post-processing a recipient may do at no privacy cost).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from gateway.budgets.errors import DpNotAnswerableError
from gateway.policy.errors import PolicyDeniedError
from gateway.privacy.dp import CONFIDENCE, DPRelease, dp_counts, dp_sums
from gateway.privacy.receipts import receipt_claims, rows_sha256, sign_receipt
from gateway.views.expressions import check_measure
from gateway.views.model import Measure, ViewDefinition

if TYPE_CHECKING:
    import pyarrow.dataset as pads
    from joserfc.jwk import Key
    from sqlmodel import Session

    from gateway.auth.principal import Principal
    from gateway.budgets.service import BudgetService
    from gateway.contracts.model import Contract
    from gateway.policy.contract import Decision, Obligations
    from gateway.releases.models import Release
    from gateway.settings import PrivacySettings
    from gateway.views.repository import Predicate, QueryEngine
    from gateway.views.service import ViewResult

CellKey = str | None
_TIME_FORMATS = ("year", "quarter", "month")


@dataclass(frozen=True)
class DpMeasure:
    name: str
    column: str | None  # None: a count(*)
    bound: int  # per-record contribution bound (1 for counts)
    epsilon: float  # what its calibrated mechanism spends
    half_width: float  # 95 % interval half-width of each released value
    mechanism: str


@dataclass(frozen=True)
class DpPlan:
    """What a DP query would release and cost; computed from public facts only."""

    purpose: str
    epsilon_query: float  # the grant's ε per query
    budget: float  # the grant's total ε (opens the ledger row)
    cost: float  # the ε the answer debits (<= epsilon_query)
    measures: tuple[DpMeasure, ...]
    domains: dict[str, tuple[CellKey, ...]]
    cells: int


@dataclass(frozen=True)
class DpFacts:
    """What a DP answer carries: its ε, what is left, and each measure's 95 % half-width."""

    purpose: str
    release_id: str
    epsilon_spent: float
    epsilon_remaining: float
    epsilon_total: float
    measures: tuple[DpMeasure, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": "dp",
            "purpose": self.purpose,
            "release": self.release_id,
            "epsilon_spent": self.epsilon_spent,
            "epsilon_remaining": self.epsilon_remaining,
            "epsilon_total": self.epsilon_total,
            "confidence": CONFIDENCE,
            "measures": {
                m.name: {
                    "mechanism": m.mechanism,
                    "epsilon": m.epsilon,
                    "contribution_bound": m.bound,
                    "half_width": m.half_width,
                }
                for m in self.measures
            },
        }


def plan_dp(
    *,
    view: ViewDefinition,
    contract: Contract,
    release: Release,
    group_by: Sequence[str],
    filters: Mapping[str, Sequence[str]],
    obligations: Obligations,
    settings: PrivacySettings,
    default_purpose: str | None = None,
) -> DpPlan:
    """Check a DP query can be answered and price it (raises ``DpNotAnswerableError``)."""
    eps, budget = obligations.dp.epsilon, obligations.dp.budget
    if eps is None or budget is None:
        raise PolicyDeniedError(("obligation_unenforceable:dp",))
    domains = {
        d: _filtered(_domain(view, d, contract, release, settings), filters.get(d))
        for d in group_by
    }
    cells = math.prod(len(v) for v in domains.values())
    if cells > settings.dp_max_cells:
        raise DpNotAnswerableError(
            f"a DP answer releases every cell of its public domain: {cells} cells is more than "
            f"{settings.dp_max_cells}; group by fewer or coarser dimensions, or filter",
            cells=cells,
        )
    names = [m for m in view.measures if m not in obligations.suppressed_columns]
    share = eps / len(names)
    measures = tuple(_price(view.measures[m], contract, share) for m in names)
    purpose = obligations.dp.purpose or default_purpose or "general"  # policy defaults it
    cost = math.fsum(m.epsilon for m in measures)
    return DpPlan(purpose, eps, budget, cost, measures, domains, cells)


def answer_dp(
    session: Session,
    *,
    budgets: BudgetService | None,
    principal: Principal,
    release: Release,
    view: ViewDefinition,
    group_by: Sequence[str],
    filters: Mapping[str, Sequence[str]],
    obligations: Obligations,
    source: pads.Dataset | pa.Table | None,
    engine: QueryEngine,
    decision: Decision,
    receipt_key: Key,
    base_filter: Sequence[Predicate] = (),
) -> ViewResult:
    """Debit the ledger in ``session`` (the caller commits it with its audit event) and answer.

    Raises ``BudgetExhaustedError`` (nothing answered) or ``DpNotAnswerableError``.
    """
    from gateway.views.service import ViewResult  # service imports this module for its hook

    if budgets is None:  # no ledger, no DP answer (fail closed)
        raise PolicyDeniedError(("obligation_unenforceable:dp",))
    contract = budgets.contracts.get(view.dataset)
    plan = plan_dp(
        view=view,
        contract=contract,
        release=release,
        group_by=group_by,
        filters=filters,
        obligations=obligations,
        settings=budgets.settings,
        default_purpose=principal.purpose,
    )
    truth = _true_values(engine, source, view, plan, group_by, filters, obligations, base_filter)
    state = budgets.debit(
        session,
        org=principal.org,
        purpose=plan.purpose,
        dataset=view.dataset,
        release_id=release.id,
        epsilon=plan.cost,
        total=plan.budget,
        decision_id=str(decision.decision_id),
    )
    keys = list(itertools.product(*plan.domains.values()))
    columns: dict[str, Any] = {
        d: pa.array([k[i] for k in keys], pa.string()) for i, d in enumerate(group_by)
    }
    for m in plan.measures:
        noisy = _noisy(m, np.asarray([truth.get(k, {}).get(m.name, 0) for k in keys], np.int64))
        columns[m.name] = pa.array(noisy.values.tolist(), pa.int64())
    facts = DpFacts(
        purpose=plan.purpose,
        release_id=release.id,
        epsilon_spent=plan.cost,
        epsilon_remaining=state.epsilon_remaining,
        epsilon_total=state.epsilon_total,
        measures=plan.measures,
    )
    table = pa.table(columns)
    now = datetime.now(UTC)
    jws, claims = _receipt(receipt_key, view, release, decision, plan, facts, table, now)
    return ViewResult(
        view=view.name,
        group_by=tuple(group_by),
        filters={k: tuple(v) for k, v in filters.items()},
        min_k=0,
        min_contributors=0,
        mode="dp",
        cells_not_shown=0 if group_by else None,  # every public cell is released
        table=table,
        generated_at=now,
        release=release.id,
        receipt=jws,
        receipt_claims=claims,
        dp=facts,
    )


def _receipt(
    key: Key,
    view: ViewDefinition,
    release: Release,
    decision: Decision,
    plan: DpPlan,
    facts: DpFacts,
    table: pa.Table,
    now: datetime,
) -> tuple[str, dict[str, Any]]:
    """The signed receipt of a DP answer: ε spent/remaining instead of k, P and a noise table."""
    noise = {
        "method": "dp",
        "mechanisms": {m.name: m.mechanism for m in plan.measures},
        "epsilon_spent": facts.epsilon_spent,
        "epsilon_remaining": facts.epsilon_remaining,
        "confidence": CONFIDENCE,
        "half_width": {m.name: m.half_width for m in plan.measures},
    }
    claims = receipt_claims(
        release_id=release.id,
        dataset=view.dataset,
        view=view.name,
        k=0,
        p=0,
        dominance=None,
        noise=noise,
        generalisation={
            d: str(view.dimensions[d].level)
            for d in plan.domains
            if view.dimensions[d].kind in ("geo", "time") and view.dimensions[d].level
        },
        policy_revision=decision.policy_revision or "",
        decision_id=str(decision.decision_id),
        hidden_by_reason=None,  # nothing is hidden: every public cell is released noisy
        rows_sha256=rows_sha256(table.to_pylist()),
        issued_at=now,
    )
    claims["mode"] = "dp"
    claims["budget"] = {"purpose": facts.purpose, "epsilon_total": facts.epsilon_total}
    return sign_receipt(claims, key), claims


def _noisy(m: DpMeasure, values: np.ndarray[Any, Any]) -> DPRelease:
    if m.column is None:
        return dp_counts(values, m.epsilon)
    return dp_sums(values, m.epsilon, m.bound)


def _price(measure: Measure, contract: Contract, epsilon: float) -> DpMeasure:
    column = check_measure(measure.sql)
    if column is None:
        probe = dp_counts(np.zeros(0, np.int64), epsilon)
        return DpMeasure(measure.name, None, 1, probe.epsilon, probe.half_width, probe.mechanism)
    spec = contract.column(column)
    top = spec.maximum
    if isinstance(top, bool) or not isinstance(top, int | float) or math.floor(top) < 1:
        raise DpNotAnswerableError(
            f"measure {measure.name} sums {column}, whose contract declares no positive maximum: "
            "a DP sum needs a bound on each record's contribution",
            measure=measure.name,
        )
    bound = math.floor(top)
    probe = dp_sums(np.zeros(0, np.int64), epsilon, bound)
    return DpMeasure(measure.name, column, bound, probe.epsilon, probe.half_width, probe.mechanism)


def _domain(
    view: ViewDefinition, name: str, contract: Contract, release: Release, s: PrivacySettings
) -> tuple[CellKey, ...]:
    dim = view.dimensions[name]
    spec = contract.column(dim.column)
    missing: tuple[CellKey, ...] = () if spec.required else (None,)
    if dim.kind == "time" and dim.level in _TIME_FORMATS:
        return (*_time_domain(dim.level, spec.minimum, release.cut_at, s.dp_months), *missing)
    if dim.kind != "time" and spec.allowed is not None and dim.sql == spec.name:
        return (*spec.allowed, *missing)
    raise DpNotAnswerableError(
        f"dimension {name} has no finite public domain, so a DP answer cannot be grouped by it "
        "(a published code list or a time grain is needed); filter on it instead",
        dimension=name,
    )


def _time_domain(level: str, minimum: object, cut_at: datetime, months: int) -> tuple[str, ...]:
    """Buckets of the ``months`` up to the release's cut (never before the contract's minimum)."""
    end = cut_at.year * 12 + cut_at.month - 1
    start = end - months + 1
    if isinstance(minimum, str) and len(minimum) >= 7:
        floor = date.fromisoformat(minimum[:10])
        start = max(start, floor.year * 12 + floor.month - 1)
    out: dict[str, None] = {}
    for m in range(start, end + 1):
        year, month = divmod(m, 12)
        key = {
            "year": f"{year:04d}",
            "quarter": f"{year:04d}-Q{month // 3 + 1}",
            "month": f"{year:04d}-{month + 1:02d}",
        }[level]
        out[key] = None
    return tuple(out)


def _filtered(domain: tuple[CellKey, ...], wanted: Sequence[str] | None) -> tuple[CellKey, ...]:
    if wanted is None:
        return domain
    keep = set(wanted)
    return tuple(v for v in domain if v is not None and v in keep)


def _true_values(
    engine: QueryEngine,
    source: pads.Dataset | pa.Table | None,
    view: ViewDefinition,
    plan: DpPlan,
    group_by: Sequence[str],
    filters: Mapping[str, Sequence[str]],
    obligations: Obligations,
    base_filter: Sequence[Predicate],
) -> dict[tuple[CellKey, ...], dict[str, int]]:
    """Exact per-cell counts and clipped sums (never leave this module un-noised)."""
    if source is None:
        return {}
    clipped = {m.name: _clipped(view.measures[m.name], m) for m in plan.measures}
    scoped = replace(view, measures=clipped)
    rows = dict(obligations.row_filter)
    for dim, values in filters.items():
        prior = rows.get(dim)
        rows[dim] = tuple(v for v in values if prior is None or v in prior)
    cube = engine.cube(source, scoped, list(group_by), rows, base_filter=base_filter)
    out: dict[tuple[CellKey, ...], dict[str, int]] = {}
    for row in cube.to_pylist():
        key = tuple(row[d] for d in group_by)
        out[key] = {m.name: int(row[m.name] or 0) for m in plan.measures}
    return out


def _clipped(measure: Measure, m: DpMeasure) -> Measure:
    if m.column is None:
        return measure
    col = '"' + m.column.replace('"', '""') + '"'
    value = f"LEAST(GREATEST(CAST(COALESCE({col}, 0) AS DOUBLE), 0), {m.bound})"
    sql = f"CAST(sum(CAST({value} AS BIGINT)) AS BIGINT)"  # each record: an integer in [0, bound]
    return replace(measure, sql=sql)
