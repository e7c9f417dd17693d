"""Mapping: value maps, ISO country/subdivision names, H3 at the contract's resolution, dates,
defaults, key rotation, and ``beacon-connect init``."""

from __future__ import annotations

from pathlib import Path

import h3
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from connectors.cli import app
from connectors.derive import DeriveReport, country_codes, h3_resolution
from connectors.plan import Plan
from connectors.profile import load_profile
from connectors.protect import pseudonymise
from gateway.contracts import Contract
from tests.connectors.conftest import KEY, REPO, write_profile

PROFILE = f"""
gateway_url = "http://127.0.0.1:1"
client_id = "c"
client_secret = "s"
contracts_dir = "{REPO / "contracts"}"
pseudonymisation_key_env = "SAFE_HARBOUR_PSEUDONYM_KEY"

[datasets.incident_reports]
constants = {{ source_type = "ngo_case" }}
pseudonymise = {{ report_id = "case" }}

[datasets.incident_reports.columns]
received_at = "received"
exploitation_type = "typology"
victim_count = "victims"
confidence = "conf"

[datasets.incident_reports.defaults]
confidence = 3

[datasets.incident_reports.value_maps.exploitation_type]
"Forced labour" = "labour"
"Commercial sexual exploitation" = "sexual"

[datasets.incident_reports.derive]
country = {{ kind = "country", source = "pays" }}
admin1 = {{ kind = "subdivision", source = "province" }}
h3_cell = {{ kind = "h3", lat = "lat", lon = "lon" }}
occurred_on = {{ kind = "date", source = "seen", formats = ["%d/%m/%Y", "%Y-%m"] }}
"""

SOURCE = pa.table(
    {
        "case": ["A-1", "A-2", "A-3", "A-4"],
        "received": ["2024-05-01T10:00:00Z"] * 4,
        "typology": ["Forced labour", "Commercial sexual exploitation", "labour", "Trafficking"],
        "victims": ["1", "2", "3", "1"],
        "conf": ["4", None, "5", "2"],
        "pays": ["Thailand", "côte d'ivoire", "Cote dIvoir", "Narnia"],
        "province": ["Rayong", "Abidjan", "Lagunes", "X"],
        "lat": ["12.68", "5.36", None, "95"],
        "lon": ["101.28", "-4.0", "1.0", "1.0"],
        "seen": ["03/02/2024", "2023-11", "last week", None],
    }
)


@pytest.fixture
def plan(tmp_path: Path, incident_contract: Contract) -> Plan:
    profile = load_profile(write_profile(tmp_path, PROFILE))
    return Plan(profile, "incident_reports", incident_contract, SOURCE.schema)


def test_derivations_convert_exact_matches_and_report_the_rest(plan: Plan) -> None:
    out = plan.apply(SOURCE)
    assert out.column("exploitation_type").to_pylist() == [
        "labour",
        "sexual",
        "labour",
        "Trafficking",
    ]
    # Exact names (any case, accents ignored) convert; a near miss is reported, never guessed.
    assert out.column("country").to_pylist() == ["TH", "CI", "Cote dIvoir", "Narnia"]
    report = plan.report.derived
    assert report.unmatched["country"] == {"Cote dIvoir": 1, "Narnia": 1}
    assert report.fuzzy["country"]["Cote dIvoir"].startswith("CI ")
    assert "Narnia" not in report.fuzzy["country"]
    assert out.column("admin1").to_pylist()[0] == "TH-21"
    assert out.column("admin1").to_pylist()[1] == "CI-AB"  # Abidjan, an autonomous district
    assert out.column("h3_cell").to_pylist() == [
        h3.latlng_to_cell(12.68, 101.28, 7),
        h3.latlng_to_cell(5.36, -4.0, 7),
        None,
        None,
    ]
    assert out.column("occurred_on").to_pylist() == ["2024-02-03", "2023-11-01", "last week", None]
    assert out.column("confidence").to_pylist() == ["4", "3", "5", "2"]
    assert plan.sent_from["h3_cell"] == "h3 from lat, lon"


def test_h3_resolution_comes_from_the_contract(incident_contract: Contract) -> None:
    assert h3_resolution(incident_contract, "h3_cell") == 7


def test_country_codes_accept_iso_codes_and_official_names() -> None:
    report = DeriveReport()
    column = pa.chunked_array(
        [["tha", "GB", "United Kingdom of Great Britain and Northern Ireland"]]
    )
    assert country_codes(column, "country", report).to_pylist() == ["TH", "GB", "GB"]
    assert report.converted == {"country": 3} and report.unmatched == {}


def test_key_rotation_sends_old_pseudonyms_and_records_the_crosswalk(
    tmp_path: Path, incident_contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLD_KEY", "o" * 32)
    text = PROFILE.replace(
        'pseudonymisation_key_env = "SAFE_HARBOUR_PSEUDONYM_KEY"',
        'pseudonymisation_key_env = "SAFE_HARBOUR_PSEUDONYM_KEY"\n'
        'previous_pseudonymisation_key_env = "OLD_KEY"',
    )
    plan = Plan(
        load_profile(write_profile(tmp_path, text)),
        "incident_reports",
        incident_contract,
        SOURCE.schema,
    )
    sent = plan.apply(SOURCE).column("report_id")
    cases = SOURCE.column("case")
    old = pseudonymise(cases, key=b"o" * 32, length=32)
    new = pseudonymise(cases, key=KEY.encode(), length=32)
    assert sent.to_pylist() == old.to_pylist()
    assert plan.report.crosswalk["report_id"] == dict(
        zip(old.to_pylist(), new.to_pylist(), strict=True)
    )


def test_init_writes_a_loadable_starter_profile(tmp_path: Path) -> None:
    source = tmp_path / "cases.csv"
    source.write_text(
        "Case ID,Country,Victim Name,Phone,lat,lon,Exploitation Typ,received_at\n1,TH,x,y,1,2,a,b\n"
    )
    out = tmp_path / "partner.toml"
    result = CliRunner().invoke(
        app, ["init", "-s", str(source), "-d", "incident_reports", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert 'country = "Country"' in text and 'received_at = "received_at"' in text
    assert 'drop = ["Victim Name", "Phone"]' in text
    assert 'h3_cell = { kind = "h3", lat = "lat", lon = "lon" }' in text
    assert (
        '# TODO (required) exploitation_type: no matching source column — maybe "Exploitation Typ"?'
        in text
    )
    profile = load_profile(out)
    assert profile.datasets["incident_reports"].columns["country"] == "Country"
    again = CliRunner().invoke(
        app, ["init", "-s", str(source), "-d", "incident_reports", "-o", str(out)]
    )
    assert again.exit_code == 2 and "--force" in again.stderr
