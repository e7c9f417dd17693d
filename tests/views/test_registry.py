"""View definitions load, validate, and refuse anything that could leak rows or identifiers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gateway.contracts.registry import ContractRegistry
from gateway.views.definitions import ViewRegistry
from gateway.views.errors import InvalidViewDefinitionError, UnknownViewError
from gateway.views.model import exposable

# The hand list the views used to carry: the contracts must now rule out every one of these.
FORMERLY_FORBIDDEN = frozenset(
    {
        "report_id", "record_id", "item_id", "finding_id", "narrative", "summary", "link",
        "source", "control_methods", "_batch_id", "_ingested_at", "_ingest_month",
    }
)  # fmt: skip

EXPECTED = {
    "incident_hotspots": (
        "incident_reports",
        {"country", "admin1", "h3_cell", "exploitation_type", "sector", "recruitment_method",
         "age_band", "gender", "nationality", "source_type", "year", "quarter", "month"},
        {"report_count", "victim_sum"}, 5,
    ),
    "financial_typologies": (
        "financial_indicators", {"country", "admin1", "typology", "year", "quarter", "month"},
        {"record_count", "alert_sum", "sar_sum"}, 3,
    ),
    "open_source_coverage": (
        "open_source_items",
        {"country", "admin1", "exploitation_type", "sector", "source_kind", "year", "month"},
        {"item_count"}, 3,
    ),
    "supply_chain_risk": (
        "supply_chain_findings",
        {"supplier_country", "supplier_admin1", "sector", "indicator", "year"},
        {"finding_count", "indicator_sum", "workers_affected_sum"}, 3,
    ),
}  # fmt: skip


def test_packaged_views_match_the_policy_grants(registry: ViewRegistry) -> None:
    assert {v.name for v in registry.all()} == set(EXPECTED)
    for view in registry.all():
        dataset, dims, measures, k = EXPECTED[view.name]
        assert (view.dataset, set(view.dimensions), set(view.measures), view.default_k) == (
            dataset, dims, measures, k,
        )  # fmt: skip
        assert not {d.column for d in view.dimensions.values()} & FORMERLY_FORBIDDEN


def test_contracts_rule_out_every_formerly_forbidden_column(contracts: ContractRegistry) -> None:
    allowed = {
        c.name
        for ds in contracts.datasets()
        for c in contracts.get(ds).columns
        if exposable(c, contracts.get(ds))
    }
    assert not allowed & FORMERLY_FORBIDDEN
    assert {"country", "victim_count", "occurred_on"} <= allowed


def test_unknown_view_is_404(registry: ViewRegistry) -> None:
    with pytest.raises(UnknownViewError) as err:
        registry.get("raw_reports")
    assert err.value.status == 404


def _write(tmp_path: Path, doc: dict[str, object]) -> Path:
    (tmp_path / f"{doc['name']}.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path


def _doc(**changes: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "name": "v", "dataset": "incident_reports@1", "default_k": 5, "count_measure": "n",
        "dimensions": {"country": {"column": "country", "kind": "geo", "level": "country"}},
        "measures": {"n": {"sql": "count(*)"}},
    }  # fmt: skip
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    "changes",
    [
        {"dimensions": {"rid": {"column": "report_id", "kind": "category"}}},
        {"dimensions": {"txt": {"column": "narrative", "kind": "category"}}},
        {"dimensions": {"c": {"column": "country", "sql": "report_id", "kind": "category"}}},
        {"dimensions": {"c": {"column": "country", "sql": "country; DROP", "kind": "category"}}},
        {"dimensions": {"day": {"column": "occurred_on", "kind": "time", "level": "month"}}},
        {"measures": {"n": {"sql": "count(*)"}, "m": {"sql": "max(victim_count)"}}},
        {"measures": {"n": {"sql": "count(*)"}, "m": {"sql": "any_value(narrative)"}}},
        {"measures": {"n": {"sql": "count(*)"}, "m": {"sql": "CAST(sum(report_id) AS BIGINT)"}}},
        {"count_measure": "missing"},
        {"default_k": 1},
    ],
)
def test_unsafe_definitions_are_refused(
    tmp_path: Path, contracts: ContractRegistry, changes: dict[str, object]
) -> None:
    with pytest.raises(InvalidViewDefinitionError):
        ViewRegistry.load(_write(tmp_path, _doc(**changes)), contracts)


def _dim(column: str, sql: str | None = None, **extra: object) -> dict[str, object]:
    dim: dict[str, object] = {"column": column, "kind": "category", **extra}
    if sql is not None:
        dim["sql"] = sql
    return {"dimensions": {"d": dim}}


def _sum(sql: str) -> dict[str, object]:
    return {"measures": {"n": {"sql": "count(*)"}, "m": {"sql": sql}}}


# What the sqlglot walk and the contract now catch that the regular expressions did not.
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (_dim("sector", "lower(sector)"), "lower is not allowed"),
        (_dim("sector", "sector -- x"), "comments are not allowed"),
        (_dim("sector", "sector /* x */"), "comments are not allowed"),
        (_dim("sector", "r.sector"), "may only use column sector"),
        (_dim("sector", "(SELECT sector FROM incident_reports)"), "not allowed"),
        (_dim("sector", "CAST(sector AS BLOB)"), "cast only to"),
        (_dim("sector", "sector || 1"), "string literals"),
        (_dim("sector", "sector || ';'"), "string literals"),
        (_dim("occurred_on", "strftime(occurred_on, '%Y-%m-%d')", kind="time", level="month"),
         "only %Y and %m"),
        (_dim("occurred_on", "strftime(occurred_on, '%Y-%m')", kind="time", level="year"),
         "finer than its level year"),
        (_dim("occurred_on", "CAST(occurred_on AS VARCHAR)", kind="time", level="year"),
         "exact dates must be coarsened"),
        (_dim("sector", "year(sector)"), "belong in a time dimension"),
        (_dim("received_at", "strftime(received_at, '%Y')", kind="time", level="year"),
         "quasi_identifier without declared rungs"),
        (_dim("occurred_on_approximate", kind="time", level="year"), "no time rungs"),
        (_dim("report_id"), "a direct_identifier column"),
        (_dim("age_band", kind="geo", level="country"), "no geo rung"),
        (_dim("admin1", kind="geo", level="country"), "at admin1, not country"),
        (_dim("admin1"), "declared geo/time rung"),
        (_dim("control_methods"), "may never be exposed"),
        (_dim("_batch_id"), "column '_batch_id' must match"),
        (_dim("nowhere"), "incident_reports@1 has no column 'nowhere'"),
        (_sum("count(DISTINCT report_id)"), "only count(*)"),
        (_sum("CAST(sum(victim_count) OVER () AS BIGINT)"), "only count(*)"),
        (_sum("CAST(sum(victim_count) FILTER (WHERE confidence = 5) AS BIGINT)"), "only count(*)"),
        (_sum("CAST(sum(sector) AS BIGINT)"), "not a summable numeric column"),
        ({"dataset": "incident_reports@2"}, "major 1"),
        ({"dataset": "incident_reports"}, "dataset"),
        ({"dataset": "missing@1"}, "no contract for 'missing'"),
        ({"owner": "me"}, "unknown key(s) owner"),
    ],
)  # fmt: skip
def test_contract_and_parser_refuse(
    tmp_path: Path, contracts: ContractRegistry, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidViewDefinitionError) as err:
        ViewRegistry.load(_write(tmp_path, _doc(**changes)), contracts)
    assert message in err.value.detail
    assert str(tmp_path / "v.yaml") in err.value.detail


def test_name_must_match_file(tmp_path: Path, contracts: ContractRegistry) -> None:
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(_doc()))
    with pytest.raises(InvalidViewDefinitionError):
        ViewRegistry.load(tmp_path, contracts)
