"""base_filter: harm-tagged places and categories never reach an output; fresh fine cells wait.

Each test runs the predicates with DuckDB over a small table of the shipped incident_reports
contract, exactly as the views pipeline applies them (ANDed before aggregation, values bound).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import duckdb
import h3
import pytest

from gateway.harm.documents import EMPTY_HARM, HarmDocument
from gateway.policy.contract import Obligations
from gateway.policy.embedded import EmbeddedPolicyEngine
from gateway.policy.port import VIEWS_DECISION, PolicyInput
from gateway.privacy.errors import EmbargoUnenforceableError
from gateway.privacy.harm import base_filter
from tests.privacy.harm_helpers import (
    LAW_ENFORCEMENT,
    NGO,
    REPO,
    counts,
    obligations,
    rows,
    shipped,
)

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
OLD = dt.date(2026, 6, 1)
FRESH = dt.date(2026, 11, 20)
SHELTER_CELL = h3.latlng_to_cell(13.75, 100.5, 7)
OTHER_CELL = h3.latlng_to_cell(18.79, 98.98, 7)


def _record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "report_id": "r-00000000",
        "received_at": dt.datetime(2026, 6, 2, tzinfo=dt.UTC),
        "occurred_on": OLD,
        "country": "TH",
        "admin1": "TH-50",
        "h3_cell": OTHER_CELL,
        "exploitation_type": "labour",
        "victim_count": 1,
        "source_type": "ngo_case",
        "confidence": 3,
    }
    return {**base, **overrides}


def _table() -> Any:
    _, contract = shipped()
    records = (
        [_record(admin1="TH-10", h3_cell=SHELTER_CELL) for _ in range(3)]  # the shelter's area
        + [_record() for _ in range(5)]
        + [_record(source_type="shelter_intake") for _ in range(2)]
        + [_record(occurred_on=FRESH) for _ in range(4)]
        + [_record(occurred_on=None, received_at=dt.datetime(2026, 11, 28, tzinfo=dt.UTC))]
    )
    return rows(records, contract)


def _harm(**places: Any) -> HarmDocument:
    return HarmDocument.model_validate({"places": places})


def _filter(terms: Obligations, dims: tuple[str, ...], harm: HarmDocument = EMPTY_HARM) -> Any:
    view, contract = shipped()
    return base_filter(view, contract, terms, now=NOW, dims=dims, harm=harm)


def test_a_shelter_admin1_never_appears_and_the_national_total_excludes_it() -> None:
    harm = _harm(shelter={"admin1": ["TH-10"]})
    table = _table()
    for dims in (("admin1",), ("country",), ("h3_cell",), ()):
        got = counts(table, _filter(LAW_ENFORCEMENT, dims, harm), dims)
        assert all("TH-10" not in key and SHELTER_CELL not in key for key in got)
    national = counts(table, _filter(LAW_ENFORCEMENT, ("country",), harm), ("country",))
    by_admin1 = counts(table, _filter(LAW_ENFORCEMENT, ("admin1",), harm), ("admin1",))
    # 15 records: 3 in the shelter's subdivision, 2 shelter intakes: 10 left, everywhere.
    assert national == {("TH",): 10}
    assert sum(by_admin1.values()) == 10  # no total-minus-visible difference to exploit


def test_a_fine_h3_tag_drops_the_stored_cell_that_contains_it() -> None:
    inside = h3.cell_to_children(SHELTER_CELL, 9)[3]  # e.g. the safe house's street block
    harm = _harm(safe_house={"h3_cell": [inside]})
    got = counts(_table(), _filter(LAW_ENFORCEMENT, ("h3_cell",), harm), ("h3_cell",))
    assert got == {(OTHER_CELL,): 10}


def test_a_coarse_investigation_area_drops_every_stored_cell_inside_it() -> None:
    area = h3.cell_to_parent(SHELTER_CELL, 5)
    assert h3.cell_to_parent(OTHER_CELL, 5) != area
    harm = _harm(investigation={"h3_cell": [area]})
    got = counts(_table(), _filter(LAW_ENFORCEMENT, ("country",), harm), ("country",))
    assert got == {("TH",): 10}


def test_contract_harmful_category_is_dropped_for_every_caller() -> None:
    for terms in (NGO, LAW_ENFORCEMENT):
        got = counts(_table(), _filter(terms, ("source_type",)), ("source_type",))
        assert ("shelter_intake",) not in got
        assert got[("ngo_case",)] > 0


def test_governance_category_tags_add_to_the_contract() -> None:
    harm = HarmDocument.model_validate(
        {"categories": {"incident_reports": {"exploitation_type": {"hotline": ["labour"]}}}}
    )
    got = counts(_table(), _filter(LAW_ENFORCEMENT, ("country",), harm), ("country",))
    assert got == {}  # every test record is labour


def test_fresh_h3_cells_are_embargoed_for_an_ngo_but_not_for_law_enforcement() -> None:
    table = _table()
    ngo = counts(table, _filter(NGO, ("h3_cell",)), ("h3_cell",))
    police = counts(table, _filter(LAW_ENFORCEMENT, ("h3_cell",)), ("h3_cell",))
    # 13 non-shelter records, 5 of them fresh (4 by occurred_on, 1 by received_at: no date).
    assert ngo == {(SHELTER_CELL,): 3, (OTHER_CELL,): 5}
    assert police == {(SHELTER_CELL,): 3, (OTHER_CELL,): 10}


def test_the_embargo_leaves_coarse_queries_alone_but_follows_filters_and_row_filters() -> None:
    table = _table()
    # What an NGO can still learn: the country-level count of fresh records, not where.
    assert counts(table, _filter(NGO, ("country",)), ("country",)) == {("TH",): 13}
    filtered = counts(table, _filter(NGO, ("country", "admin1")), ("country",))
    assert filtered == {("TH",): 8}
    regional = obligations(30, ("admin1", "h3_cell"), row_filter={"admin1": ("TH-50",)})
    assert counts(table, _filter(regional, ("country",)), ("country",)) == {("TH",): 8}


def test_the_cutoff_is_the_last_n_days_before_now() -> None:
    _, contract = shipped()
    edge = NOW.date() - dt.timedelta(days=30)
    table = rows(
        [
            _record(occurred_on=edge),
            _record(occurred_on=edge - dt.timedelta(days=1)),
            _record(occurred_on=NOW.date() + dt.timedelta(days=3)),  # dated ahead: fresh
        ],
        contract,
    )
    assert counts(table, _filter(NGO, ("admin1",))) == {(): 1}


def test_an_empty_harm_list_and_no_embargo_change_nothing() -> None:
    empty = HarmDocument.model_validate(
        {"places": {r: {"admin1": [], "h3_cell": []} for r in ("shelter", "hotline")}}
    )
    view, contract = shipped()
    bare = replace(contract, columns=tuple(replace(c, harmful=()) for c in contract.columns))
    assert base_filter(view, bare, LAW_ENFORCEMENT, now=NOW, dims=("h3_cell",), harm=empty) == []
    assert base_filter(view, bare, NGO, now=NOW, dims=("country",), harm=empty) == []


def test_crafted_values_are_bound_never_spliced_into_sql() -> None:
    crafted = "x') OR true OR ('1'='1"
    harm = HarmDocument.model_validate(
        {"categories": {"incident_reports": {"source_type": {"shelter": [crafted]}}}}
    )
    predicates = _filter(LAW_ENFORCEMENT, ("country",), harm)
    assert all(crafted not in sql and "OR true" not in sql for sql, _ in predicates)
    assert any(crafted in values for _, values in predicates)
    # The crafted value matches no record, so only the contract's shelter intakes go.
    assert counts(_table(), predicates, ("country",)) == {("TH",): 13}
    assert all(sql.count("?") == 1 for sql, _ in predicates)


def test_a_view_without_any_date_cannot_be_embargoed() -> None:
    view, contract = shipped()
    dated = ("date", "timestamp")
    undated = replace(contract, columns=tuple(c for c in contract.columns if c.type not in dated))
    timeless = replace(
        view, dimensions={k: d for k, d in view.dimensions.items() if d.kind != "time"}
    )
    with pytest.raises(EmbargoUnenforceableError, match="no time dimension"):
        base_filter(timeless, undated, NGO, now=NOW, dims=("admin1",), harm=EMPTY_HARM)


def test_now_must_be_aware() -> None:
    view, contract = shipped()
    with pytest.raises(ValueError, match="timezone-aware"):
        base_filter(
            view,
            contract,
            NGO,
            now=dt.datetime(2026, 1, 1),
            dims=(),
            harm=EMPTY_HARM,
        )


def test_predicates_run_under_any_session_time_zone() -> None:
    """received_at is a UTC instant: its day must not move with DuckDB's TimeZone setting."""
    _, contract = shipped()
    late = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)  # 31 days before NOW, in UTC
    table = rows([_record(occurred_on=None, received_at=late)], contract)
    predicates = _filter(obligations(30, ("admin1",)), ("admin1",))
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'Asia/Bangkok'")  # UTC+7: local day is 1 November
        con.register("src", table)
        sql = "SELECT count(*) FROM src WHERE " + " AND ".join(p for p, _ in predicates)
        (n,) = con.execute(sql, [v for _, v in predicates]).fetchone() or (0,)
    finally:
        con.close()
    assert n == 1


@pytest.mark.parametrize(
    ("subject", "kept"),
    [
        ({"org": "safe-harbour", "sector": "ngo", "roles": ["analyst"]}, 8),
        ({"org": "national-referral-agency", "sector": "government", "roles": ["analyst"]}, 13),
    ],
)
def test_the_shipped_grants_embargo_fine_cells_by_role(subject: dict[str, Any], kept: int) -> None:
    """From the real policy decision to the filter: NGOs wait 30 days, the government not."""
    engine = EmbeddedPolicyEngine(REPO / "policies")
    try:
        request = {
            "subject": subject,
            "action": "view.query",
            "resource": {
                "dataset": "incident_reports",
                "view": "incident_hotspots",
                "dims": ["admin1"],
            },
        }
        decision = engine.decide(VIEWS_DECISION, PolicyInput.model_validate(request))
    finally:
        engine.close()
    assert decision.allow and decision.obligations is not None
    got = counts(_table(), _filter(decision.obligations, ("admin1",)), ("admin1",))
    assert sum(got.values()) == kept
