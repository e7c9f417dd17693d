"""`beacon budgets list|renew` through the real typer app, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from gateway.audit.service import AuditLog
from gateway.budgets.service import BudgetService
from gateway.cli import app
from gateway.contracts.registry import ContractRegistry
from gateway.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BEACON_DATABASE__URL", settings.database.url.get_secret_value())
    monkeypatch.setenv("BEACON_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BEACON_CONTRACTS_DIR", str(settings.contracts_dir))
    monkeypatch.setenv("BEACON_MODE", "dev")
    return CliRunner()


def test_list_and_renew(cli: CliRunner, settings: Settings, engine: Engine) -> None:
    release = str(uuid.uuid4())
    service = BudgetService(
        audit=AuditLog(engine),
        contracts=ContractRegistry.load(settings.contracts_dir),
        settings=settings.privacy,
    )
    with Session(engine) as session:
        service.debit(
            session,
            org="dp-lab",
            purpose="research",
            dataset="incident_reports",
            release_id=release,
            epsilon=0.75,
            total=1.0,
        )
        session.commit()
    args = ["budgets", "renew", "dp-lab", "incident_reports", release, "--purpose", "research"]
    r = cli.invoke(app, [*args, "--epsilon", "2"])
    assert r.exit_code == 0, r.output
    r = cli.invoke(app, ["budgets", "list", "--org", "dp-lab", "--json"])
    assert r.exit_code == 0, r.output
    [row] = [json.loads(line) for line in r.output.splitlines()]
    assert (row["release_id"], row["epsilon_total"], row["epsilon_spent"]) == (release, 3.0, 0.75)
    assert row["epsilon_remaining"] == pytest.approx(2.25)
    r = cli.invoke(app, ["budgets", "renew", "dp-lab", "incident_reports", str(uuid.uuid4())])
    assert r.exit_code != 0
    r = cli.invoke(
        app, ["budgets", "renew", "nobody", "incident_reports", release, "--epsilon", "1"]
    )
    assert r.exit_code == 1 and "no budget" in r.output and "Traceback" not in r.output
    assert [e.detail["epsilon_added"] for e in service.audit.tail(5, kind="budget.renew")] == [2.0]
