"""``beacon-connect`` through typer's CliRunner: dry run, push, exit codes, error display."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.cli import app
from tests.connectors.conftest import write_profile
from tests.connectors.fake_gateway import CLIENT_SECRET, FakeGateway

runner = CliRunner()


def _args(profile: Path, csv: Path, *extra: str) -> list[str]:
    return ["push", "--profile", str(profile), "--dataset", "incident_reports", str(csv), *extra]


def test_dry_run_shows_local_summary_and_sends_nothing(
    ngo_profile_path: Path, ngo_csv: Path
) -> None:
    result = runner.invoke(app, _args(ngo_profile_path, ngo_csv, "--dry-run"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "50 rows prepared" in out
    assert "pseudonym of case_number" in out
    assert "Dropped (never sent): victim_name, victim_phone, caseworker" in out
    assert "Unmapped source columns (never sent): caseworker_notes" in out
    assert "47 valid" in out and "3 rejected" in out
    assert "country:allowed" in out
    assert "Dry run: nothing was sent." in out


def test_validate_is_a_dry_run(ngo_profile_path: Path, ngo_csv: Path) -> None:
    result = runner.invoke(
        app, ["validate", "-p", str(ngo_profile_path), "-d", "incident_reports", str(ngo_csv)]
    )
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was sent." in result.stdout


def _live_profile(tmp_path: Path, base_url: str, ngo_profile_path: Path) -> Path:
    text = ngo_profile_path.read_text().replace("http://127.0.0.1:8000", base_url)
    text = text.replace('"../../../contracts"', f'"{ngo_profile_path.parents[3] / "contracts"}"')
    return write_profile(tmp_path, text)


def test_push_over_http_prints_batches_and_warns_about_rejections(
    tmp_path: Path, ngo_profile_path: Path, ngo_csv: Path, fake: FakeGateway
) -> None:
    with fake.serve() as base_url:
        profile = _live_profile(tmp_path, base_url, ngo_profile_path)
        first = runner.invoke(app, _args(profile, ngo_csv, "--batch-rows", "30"))
        again = runner.invoke(app, _args(profile, ngo_csv, "--batch-rows", "30"))
    assert first.exit_code == 0, first.output
    assert "b-0001" in first.stdout and "b-0002" in first.stdout
    assert "47 accepted" in first.stdout and "0 of 2 batch(es) replayed" in first.stdout
    assert "rejected 3 row(s)" in first.stderr
    assert again.exit_code == 0 and "2 of 2 batch(es) replayed" in again.stdout
    assert len(fake.results) == 2
    assert CLIENT_SECRET not in first.output + again.output


def test_gateway_problem_is_shown_cleanly_with_exit_1(
    tmp_path: Path,
    ngo_profile_path: Path,
    ngo_csv: Path,
    fake: FakeGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BEACON_CLIENT_SECRET", "wrong-secret")
    with fake.serve() as base_url:
        profile = _live_profile(tmp_path, base_url, ngo_profile_path)
        result = runner.invoke(app, _args(profile, ngo_csv))
    assert result.exit_code == 1
    assert "Gateway refused the request: invalid_client (HTTP 401)" in result.stderr
    assert "bad credentials" in result.stderr
    assert "Traceback" not in result.output and "wrong-secret" not in result.output


def test_unreachable_gateway_exits_1(tmp_path: Path, ngo_profile_path: Path, ngo_csv: Path) -> None:
    profile = _live_profile(tmp_path, "http://127.0.0.1:9", ngo_profile_path)
    import connectors.client as client_module

    original = client_module.GatewayClient.__init__

    def fast(self, *a, **kw):  # type: ignore[no-untyped-def]
        kw.update(max_retries=1, sleep=lambda _s: None)
        original(self, *a, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(client_module.GatewayClient, "__init__", fast)
    try:
        result = runner.invoke(app, _args(profile, ngo_csv))
    finally:
        mp.undo()
    assert result.exit_code == 1
    assert "cannot reach the gateway" in result.stderr


def test_profile_error_exits_2(tmp_path: Path, ngo_csv: Path) -> None:
    profile = write_profile(tmp_path, 'gateway_url = "http://x"\n')
    result = runner.invoke(app, _args(profile, ngo_csv, "--dry-run"))
    assert result.exit_code == 2
    assert "client_id: required key is missing" in result.stderr
    assert "Traceback" not in result.output


def test_missing_pseudonymisation_key_exits_2(
    ngo_profile_path: Path, ngo_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFE_HARBOUR_PSEUDONYM_KEY")
    result = runner.invoke(app, _args(ngo_profile_path, ngo_csv, "--dry-run"))
    assert result.exit_code == 2
    assert "$SAFE_HARBOUR_PSEUDONYM_KEY" in result.stderr


def test_guard_violation_exits_2(tmp_path: Path, ngo_profile_path: Path, ngo_csv: Path) -> None:
    text = (
        ngo_profile_path.read_text()
        .replace('pseudonymise = { report_id = "case_number" }', "")
        .replace("columns = { received_at", 'columns = { report_id = "case_number", received_at')
    )
    text = text.replace('"../../../contracts"', f'"{ngo_profile_path.parents[3] / "contracts"}"')
    result = runner.invoke(app, _args(write_profile(tmp_path, text), ngo_csv, "--dry-run"))
    assert result.exit_code == 2
    assert "direct identifier" in result.stderr


def test_missing_source_file_exits_2(ngo_profile_path: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, _args(ngo_profile_path, tmp_path / "none.csv", "--dry-run"))
    assert result.exit_code == 2
    assert "file not found" in result.stderr


def test_contract_show_local(ngo_profile_path: Path) -> None:
    result = runner.invoke(
        app, ["contract", "show", "incident_reports", "-p", str(ngo_profile_path), "--local"]
    )
    assert result.exit_code == 0, result.output
    assert "report_id" in result.stdout and "direct_identifier" in result.stdout


def test_contract_show_from_gateway(
    tmp_path: Path, ngo_profile_path: Path, fake: FakeGateway
) -> None:
    with fake.serve() as base_url:
        profile = _live_profile(tmp_path, base_url, ngo_profile_path)
        result = runner.invoke(
            app, ["contract", "show", "financial_indicators", "-p", str(profile)]
        )
    assert result.exit_code == 0, result.output
    assert "alert_count" in result.stdout
