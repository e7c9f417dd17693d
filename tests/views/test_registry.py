"""View definitions load, validate, and refuse anything that could leak rows or identifiers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gateway.views.definitions import ViewRegistry
from gateway.views.errors import InvalidViewDefinitionError, UnknownViewError
from gateway.views.model import FORBIDDEN_COLUMNS

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
        assert not {d.column for d in view.dimensions.values()} & FORBIDDEN_COLUMNS


def test_unknown_view_is_404(registry: ViewRegistry) -> None:
    with pytest.raises(UnknownViewError) as err:
        registry.get("raw_reports")
    assert err.value.status == 404


def _write(tmp_path: Path, doc: dict[str, object]) -> Path:
    (tmp_path / f"{doc['name']}.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path


def _doc(**changes: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "name": "v", "dataset": "incident_reports", "default_k": 5, "count_measure": "n",
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
def test_unsafe_definitions_are_refused(tmp_path: Path, changes: dict[str, object]) -> None:
    with pytest.raises(InvalidViewDefinitionError):
        ViewRegistry.load(_write(tmp_path, _doc(**changes)))


def test_name_must_match_file(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(_doc()))
    with pytest.raises(InvalidViewDefinitionError):
        ViewRegistry.load(tmp_path)
