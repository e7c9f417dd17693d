"""The synthetic generator: schema-valid, realistic in shape, hotspots findable."""

from __future__ import annotations

from pathlib import Path

import h3
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from connectors.cli import app
from connectors.synthetic.corrupt import inject_errors
from connectors.synthetic.patterns import PLANTED_HOTSPOTS, Hotspot
from connectors.synthetic.synth import DATASETS, contract_for, generate
from gateway.contracts import get_validator, validate_batch

N = 40_000
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def incidents() -> pa.Table:
    return generate("incident_reports", N, seed=1)


@pytest.mark.parametrize("dataset", DATASETS)
def test_generated_rows_all_pass_validation(dataset: str) -> None:
    table = generate(dataset, 20_000, seed=2)
    assert table.schema.equals(contract_for(dataset).arrow_schema, check_metadata=True)
    outcome = validate_batch(contract_for(dataset), table, validator=get_validator("arrow"))
    assert outcome.rejected_count == 0, outcome.reason_counts
    assert outcome.accepted_count == 20_000


@pytest.mark.parametrize("dataset", DATASETS)
def test_injected_errors_are_exactly_the_rejected_rows(dataset: str) -> None:
    dirty, broken = inject_errors(generate(dataset, 5_000, seed=4), 0.05, seed=9)
    assert all(dirty.schema.field(c).type == pa.string() for c in dirty.column_names)
    out = validate_batch(contract_for(dataset), dirty, validator=get_validator("arrow"))
    assert set(out.rejected_row_numbers.tolist()) == broken
    assert len(broken) == 250


def test_deterministic_per_seed() -> None:
    a = generate("financial_indicators", 1_000, seed=5)
    assert a.equals(generate("financial_indicators", 1_000, seed=5))
    assert not a.equals(generate("financial_indicators", 1_000, seed=6))


def test_geography_is_real(incidents: pa.Table) -> None:
    assert pc.count_distinct(incidents["country"]).as_py() >= 30
    cells = pc.unique(incidents["h3_cell"].drop_null()).to_pylist()
    assert all(h3.is_valid_cell(c) and h3.get_resolution(c) == 7 for c in cells)
    # admin1 belongs to its country
    prefix = pc.utf8_slice_codeunits(incidents["admin1"], 0, 2)
    assert pc.all(pc.equal(prefix, incidents["country"])).as_py()


def test_ids_unique_and_victims_skewed(incidents: pa.Table) -> None:
    assert pc.count_distinct(incidents["report_id"]).as_py() == N
    victims = incidents["victim_count"].to_numpy()
    assert np.median(victims) == 1 and victims.max() > 20


def test_regional_patterns(incidents: pa.Table) -> None:
    def share(country: str, etype: str) -> float:
        rows = incidents.filter(pc.equal(incidents["country"], country))
        return float(pc.mean(pc.equal(rows["exploitation_type"], etype)).as_py())

    assert share("SA", "domestic_servitude") > 3 * share("GB", "domestic_servitude")
    assert share("GB", "sexual") > share("SA", "sexual")


def test_agricultural_labour_peaks_at_harvest(incidents: pa.Table) -> None:
    agri = incidents.filter(
        pc.and_(
            pc.equal(incidents["sector"], "agriculture"),
            pc.is_in(incidents["country"], pa.array(["IN", "TH", "US", "MX", "IT"])),
        )
    )
    months = pc.month(agri["received_at"].cast(pa.timestamp("us"))).to_numpy()
    occurred = pc.month(agri["occurred_on"].drop_null()).to_numpy()
    assert np.isin(occurred, [7, 8, 9]).mean() > 2 * np.isin(occurred, [1, 2, 3]).mean()
    assert len(months) > 0


@pytest.mark.parametrize("spot", PLANTED_HOTSPOTS, ids=lambda s: s.name)
def test_planted_hotspots_stand_out(incidents: pa.Table, spot: Hotspot) -> None:
    t = incidents
    combo = pc.and_(
        pc.and_(
            pc.equal(t["admin1"], spot.admin1),
            pc.equal(t["exploitation_type"], spot.exploitation_type),
        ),
        pc.equal(t["sector"], spot.sector),
    )
    rows = t.filter(pc.and_(combo, pc.is_valid(t["occurred_on"])))
    month_start = pc.floor_temporal(rows["occurred_on"], unit="month").to_pylist()
    in_spot = sum(m in set(spot.periods(2021)) for m in month_start)
    per_month_elsewhere = (len(month_start) - in_spot) / (48 - len(spot.months))
    assert in_spot / len(spot.months) > 5 * max(per_month_elsewhere, 1)


def test_rare_combinations_make_small_cells(incidents: pa.Table) -> None:
    counts = incidents.group_by(["country", "exploitation_type", "age_band"]).aggregate(
        [("report_id", "count")]
    )
    small = pc.sum(pc.less(counts["report_id_count"], 5)).as_py()
    assert small >= 20


def test_unknown_dataset() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        generate("nope", 1)


def test_sample_command_writes_rows_a_profile_validates(tmp_path: Path) -> None:
    csv = tmp_path / "sample.csv"
    made = CliRunner().invoke(
        app, ["sample", "incident_reports", "-o", str(csv), "-n", "300", "--invalid", "0.01"]
    )
    assert made.exit_code == 0, made.output
    assert "Wrote 300 rows of incident_reports" in made.stdout and "(3 invalid)" in made.stdout
    profile = tmp_path / "partner.toml"
    profile.write_text(
        'gateway_url = "http://127.0.0.1:9"\nclient_id = "x"\nclient_secret = "y"\n'
        f'contracts_dir = "{REPO / "contracts"}"\n'
        "[datasets.incident_reports]\nidentity = true\n"
        'pseudonymised_upstream = ["report_id"]\nsend_free_text = ["narrative"]\n'
    )
    checked = CliRunner().invoke(
        app, ["validate", "-p", str(profile), "-d", "incident_reports", str(csv)]
    )
    assert checked.exit_code == 0, checked.output
    assert "297 valid" in checked.stdout and "3 rejected" in checked.stdout
