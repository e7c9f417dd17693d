"""Planted e-mails, phones, IBANs, cards and deny-listed names never reach the gateway's store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.cli import app
from tests.connectors.conftest import EXAMPLES, write_profile
from tests.connectors.live import LiveGateway, live

pytestmark = pytest.mark.integration
__all__ = ["live"]

PLANTED = {
    "email": "lin.fictional@mail.example",
    "phone": "+44 7911 123456",
    "iban": "GB82 WEST 1234 5698 7654 32",
    "card": "4111 1111 1111 1111",
    "name": "Lin Fictional",
    "caseworker": "J. Okafor",
}
PROFILE_BODY = """
pseudonymisation_key_env = "SAFE_HARBOUR_PSEUDONYM_KEY"

[datasets.incident_reports]
constants = { source_type = "ngo_case" }
pseudonymise = { report_id = "case_number" }
drop = ["victim_name", "victim_phone", "caseworker"]
send_free_text = ["narrative"]

[datasets.incident_reports.columns]
received_at = "date_received"
country = "country_code"
exploitation_type = "exploitation"
victim_count = "num_victims"
confidence = "assessed_confidence"
narrative = "caseworker_notes"

[datasets.incident_reports.value_maps.exploitation_type]
Labour = "labour"
Sexual = "sexual"
"Domestic servitude" = "domestic_servitude"
"Child exploitation" = "child_exploitation"
"Forced criminality" = "forced_criminality"
"Forced marriage" = "forced_marriage"

[datasets.incident_reports.scrub]
deny_names_file = "deny.txt"
"""


def _planted_source(tmp_path: Path) -> tuple[Path, list[str]]:
    with (EXAMPLES / "ngo" / "cases.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    secrets: list[str] = list(PLANTED.values())
    for i, row in enumerate(rows):
        victim = row["victim_name"]
        secrets.append(victim)
        row["caseworker_notes"] = (
            f"{victim} (tel {PLANTED['phone']}, {PLANTED['email']}) was paid into "
            f"{PLANTED['iban']}; card {PLANTED['card']} held by the recruiter. "
            f"Met {PLANTED['caseworker']} on visit {i}. {PLANTED['name']} also named."
        )
    path = tmp_path / "cases.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (tmp_path / "deny.txt").write_text(
        "# people named in our case files\n"
        + "\n".join(sorted({r["victim_name"] for r in rows} | {PLANTED["caseworker"]}))
        + "\n"
    )
    return path, secrets


def test_planted_identifiers_never_reach_the_store(live: LiveGateway, tmp_path: Path) -> None:
    source, secrets = _planted_source(tmp_path)
    profile = write_profile(tmp_path, live.profile_text(PROFILE_BODY))
    args = ["-p", str(profile), "-d", "incident_reports", str(source), "--json"]

    dry = CliRunner().invoke(app, ["push", "--dry-run", *args])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    (narrative,) = [c for c in report["columns"] if c["column"] == "narrative"]
    assert narrative["from"] == "caseworker_notes (scrubbed)"
    assert narrative["scrubbed"] == {"email": 50, "phone": 50, "iban": 50, "card": 50, "name": 150}
    assert all("[email]" in s and "[name]" in s for s in narrative["samples"])
    assert live.stored().num_rows == 0  # a dry run sends nothing

    pushed = CliRunner().invoke(app, ["push", *args])
    assert pushed.exit_code == 0, pushed.output
    stored = live.stored()
    assert stored.num_rows == json.loads(pushed.stdout)["accepted"] > 0
    everything = json.dumps(stored.to_pylist(), default=str)
    leaked = [s for s in secrets if s in everything]
    assert leaked == []
    digits = "".join(ch for ch in everything if ch.isdigit())
    assert "4111111111111111" not in digits and "7911123456" not in digits
    assert "[iban]" in everything and "[card]" in everything
