"""`beacon orgs|clients|audit` through the real typer app, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from gateway.cli import app
from gateway.settings import Settings


@pytest.fixture
def cli(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BEACON_DATABASE__URL", settings.database.url.get_secret_value())
    monkeypatch.setenv("BEACON_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BEACON_MODE", "dev")
    return CliRunner()


def test_orgs_clients_and_audit_verify(cli: CliRunner, engine: Engine) -> None:
    r = cli.invoke(app, ["orgs", "add", "hope-ngo", "--name", "Hope NGO", "--sector", "ngo"])
    assert r.exit_code == 0, r.output
    r = cli.invoke(app, ["orgs", "add", "hope-ngo", "--name", "Again", "--sector", "ngo"])
    assert r.exit_code == 1 and "already exists" in r.output and "Traceback" not in r.output
    r = cli.invoke(app, ["orgs", "add", "x", "--name", "X", "--sector", "pirates"])
    assert r.exit_code == 1 and "invalid sector" in r.output

    r = cli.invoke(app, ["orgs", "list", "--json"])
    assert r.exit_code == 0 and [o["slug"] for o in json.loads(r.output)] == ["hope-ngo"]

    r = cli.invoke(
        app,
        [
            "clients",
            "add",
            "--org",
            "hope-ngo",
            "--role",
            "uploader",
            "--role",
            "analyst",
            "--name",
            "etl",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    created = json.loads(r.output)
    assert created["client_id"].startswith("hope-ngo-") and len(created["client_secret"]) > 30
    assert created["roles"] == ["analyst", "uploader"]
    r = cli.invoke(app, ["clients", "add", "--org", "ghost", "--role", "analyst"])
    assert r.exit_code == 1 and "not found" in r.output

    r = cli.invoke(app, ["clients", "list", "--org", "hope-ngo", "--json"])
    listed = json.loads(r.output)
    assert listed[0]["client_id"] == created["client_id"]
    assert created["client_secret"] not in r.output

    r = cli.invoke(app, ["clients", "rotate-secret", created["client_id"], "--json"])
    assert r.exit_code == 0, r.output
    rotated = json.loads(r.output)["client_secret"]
    assert rotated != created["client_secret"] and len(rotated) > 30
    r = cli.invoke(app, ["clients", "disable", created["client_id"]])
    assert r.exit_code == 0, r.output

    # Each change from the command line is on the trail (seq 1-4), secrets never are.
    r = cli.invoke(app, ["audit", "tail", "--json"])
    changes = [json.loads(line) for line in r.output.splitlines()]
    assert [(e["kind"], e["action"], e["actor_subject"]) for e in changes] == [
        ("org.change", "create", "cli"),
        ("client.change", "create", "cli"),
        ("client.change", "rotate_secret", "cli"),
        ("client.change", "disable", "cli"),
    ]
    assert created["client_secret"] not in r.output and rotated not in r.output

    from gateway.audit.service import AuditLog
    from tests.audit.probe import UploadProbe

    log = AuditLog(engine)
    for i in range(3):
        log.record(UploadProbe(action="create", actor_subject=f"c{i}"))
    r = cli.invoke(app, ["audit", "verify"])
    assert r.exit_code == 0 and "intact" in r.output
    r = cli.invoke(app, ["audit", "tail", "-n", "2", "--json"])
    assert [json.loads(line)["seq"] for line in r.output.splitlines()] == [6, 7]

    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_event SET actor_subject = 'x' WHERE seq = 6"))
    r = cli.invoke(app, ["audit", "verify"])
    assert r.exit_code == 1 and "seq 6" in r.output
