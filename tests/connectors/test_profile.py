"""Profile parsing: clear messages for every mistake, secrets never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.errors import ProfileError
from connectors.profile import load_profile
from tests.connectors.conftest import write_profile

HEAD = """
gateway_url = "http://127.0.0.1:8000"
client_id = "ngo"
client_secret_env = "BEACON_CLIENT_SECRET"
"""


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ProfileError) as info:
        load_profile(write_profile(tmp_path, text))
    return str(info.value)


def test_example_profile_loads(ngo_profile_path: Path) -> None:
    profile = load_profile(ngo_profile_path)
    rules = profile.mapping_for("incident_reports")
    assert rules.pseudonymise == {"report_id": "case_number"}
    assert "victim_name" in rules.drop
    assert rules.value_maps["gender"]["F"] == "female"
    assert profile.contracts_dir is not None and profile.contracts_dir.is_dir()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="file not found"):
        load_profile(tmp_path / "nope.toml")


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    assert "invalid TOML" in _error(tmp_path, 'gateway_url = "x\nclient_id = 1')


def test_unknown_key_is_named(tmp_path: Path) -> None:
    msg = _error(tmp_path, HEAD + "[datasets.incident_reports]\ncolums = { a = 'b' }\n")
    assert "datasets.incident_reports.colums: unknown key" in msg


def test_missing_required_key(tmp_path: Path) -> None:
    assert "client_id: required key is missing" in _error(tmp_path, 'gateway_url = "http://x"\n')


def test_bad_url(tmp_path: Path) -> None:
    assert "gateway_url must start with http" in _error(
        tmp_path, HEAD.replace("http://127.0.0.1:8000", "ftp://x")
    )


def test_secret_inline_and_env_conflict_never_echoes_secret(tmp_path: Path) -> None:
    msg = _error(tmp_path, HEAD + 'client_secret = "hunter2-very-secret"\n')
    assert "not both" in msg
    assert "hunter2" not in msg


def test_wrong_type_error_does_not_echo_input(tmp_path: Path) -> None:
    msg = _error(
        tmp_path,
        HEAD.replace('client_secret_env = "BEACON_CLIENT_SECRET"', "client_secret = 987654321"),
    )
    assert "client_secret" in msg and "987654321" not in msg


def test_drop_and_map_same_column_is_rejected(tmp_path: Path) -> None:
    msg = _error(
        tmp_path,
        HEAD + '[datasets.d]\ncolumns = { x = "victim_name" }\ndrop = ["victim_name"]\n',
    )
    assert "listed in drop but mapped in clear" in msg


def test_target_set_twice_is_rejected(tmp_path: Path) -> None:
    msg = _error(
        tmp_path,
        HEAD + 'pseudonymisation_key_env = "K"\n[datasets.d]\ncolumns = { report_id = "a" }\n'
        'pseudonymise = { report_id = "b" }\n',
    )
    assert "'report_id' is set by both columns and pseudonymise" in msg


def test_pseudonymise_needs_key_env(tmp_path: Path) -> None:
    msg = _error(tmp_path, HEAD + '[datasets.d]\npseudonymise = { report_id = "case" }\n')
    assert "pseudonymisation_key_env is not set" in msg


def test_value_map_for_unmapped_column(tmp_path: Path) -> None:
    msg = _error(tmp_path, HEAD + "[datasets.d.value_maps]\ngender = { F = 'female' }\n")
    assert "value_maps for ['gender']" in msg


def test_secret_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = load_profile(write_profile(tmp_path, HEAD))
    monkeypatch.setenv("BEACON_CLIENT_SECRET", "from-env")
    assert profile.resolve_client_secret().get_secret_value() == "from-env"
    assert "from-env" not in repr(profile.resolve_client_secret())
    monkeypatch.delenv("BEACON_CLIENT_SECRET")
    with pytest.raises(ProfileError, match=r"\$BEACON_CLIENT_SECRET .* is not set"):
        profile.resolve_client_secret()


def test_short_pseudonymisation_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = load_profile(write_profile(tmp_path, HEAD + 'pseudonymisation_key_env = "K"\n'))
    monkeypatch.setenv("K", "short")
    with pytest.raises(ProfileError, match="too short"):
        profile.resolve_pseudonymisation_key()


def test_unknown_dataset_lists_known(ngo_profile_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"no \[datasets.nope\].*incident_reports"):
        load_profile(ngo_profile_path).mapping_for("nope")
