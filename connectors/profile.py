"""Partner profile (TOML): gateway, credentials and per-dataset mapping rules.

Defends against secret leaks: the client secret and the pseudonymisation key are ``SecretStr``
(read from the environment by preference) and profile errors never echo input values.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from connectors.errors import ProfileError

Constant = str | int | float | bool


class SourceSpec(BaseModel):
    """Which ``Source`` kind reads this dataset's input, and its options (connectors/sources)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(min_length=1, description="a registered source kind: csv, parquet, ...")
    location: str | None = Field(
        default=None,
        description="where to read when the command names no source: a file path (relative to "
        "the profile) or, for sql, a SQLAlchemy URL without its password",
    )
    options: dict[str, Constant] = Field(default_factory=dict)


class Derive(BaseModel):
    """A contract column computed from source columns (see ``connectors.derive``).

    ``country``: ISO 3166-1 alpha-2 from a name or code in ``source``; ``subdivision``: ISO
    3166-2 from a name in ``source`` within the row's country (the contract's ``country``
    column, or ``country_source`` names a source column of country names); ``h3``: the cell of
    ``lat``/``lon`` at the contract's resolution; ``date``/``timestamp``: ``source`` parsed with
    the first matching strptime pattern of ``formats``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["country", "subdivision", "h3", "date", "timestamp"]
    source: str | None = None
    lat: str | None = None
    lon: str | None = None
    country_source: str | None = None
    formats: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _inputs(self) -> Derive:
        if self.kind == "h3":
            if not (self.lat and self.lon) or self.source:
                raise ValueError("an h3 derivation takes lat and lon (and no source)")
        elif not self.source:
            raise ValueError(f"a {self.kind} derivation needs source")
        if self.kind in ("date", "timestamp") and not self.formats:
            raise ValueError(f"a {self.kind} derivation needs formats (e.g. ['%d/%m/%Y'])")
        return self

    def inputs(self) -> list[str]:
        """Source columns this derivation reads."""
        names = [self.source, self.lat, self.lon, self.country_source]
        return [n for n in names if n]


class ScrubSpec(BaseModel):
    """How free text is scrubbed before it leaves (``connectors.scrub``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deny_names_file: Path | None = Field(
        default=None, description="one name per line (people, places, organisations to remove)"
    )
    deny_names: list[str] = Field(default_factory=list)
    phone_region: str = Field(default="GB", min_length=2, max_length=2)


class DatasetMapping(BaseModel):
    """How one source table becomes one contract-shaped table.

    Keys of ``columns``, ``constants``, ``pseudonymise`` and ``value_maps`` are *contract*
    columns; values of ``columns``/``pseudonymise`` and items of ``drop`` are *source* columns.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: SourceSpec | None = Field(
        default=None, description="how to read the input; without it the file suffix decides"
    )
    identity: bool = Field(
        default=False,
        description="source columns already carry contract names: map each present one to itself",
    )
    columns: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, Constant] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)
    pseudonymise: dict[str, str] = Field(default_factory=dict)
    value_maps: dict[str, dict[str, str]] = Field(default_factory=dict)
    defaults: dict[str, Constant] = Field(
        default_factory=dict, description="values for empty cells of mapped or derived columns"
    )
    derive: dict[str, Derive] = Field(default_factory=dict)
    scrub: ScrubSpec = Field(default_factory=ScrubSpec)
    send_free_text: list[str] = Field(
        default_factory=list,
        description="free_text contract columns the partner explicitly agrees to send in clear",
    )
    pseudonymised_upstream: list[str] = Field(
        default_factory=list,
        description="direct_identifier contract columns whose source values are already "
        "pseudonyms made by the partner's own system (sent as they are)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> DatasetMapping:
        targets: dict[str, str] = {}
        for kind in ("columns", "constants", "pseudonymise", "derive"):
            for target in getattr(self, kind):
                if target in targets:
                    raise ValueError(
                        f"contract column {target!r} is set by both {targets[target]} and {kind}"
                    )
                targets[target] = kind
        leaked = sorted(set(self.drop) & set(self.columns.values()))
        if leaked:
            raise ValueError(
                f"source column(s) {leaked} are listed in drop but mapped in clear by columns"
            )
        stray = sorted(set(self.value_maps) - set(self.columns) - set(self.derive))
        if stray:
            raise ValueError(f"value_maps for {stray}, which are not mapped by columns")
        unset = sorted(set(self.defaults) - set(self.columns) - set(self.derive))
        if unset and not self.identity:
            raise ValueError(f"defaults for {unset}, which are not mapped or derived")
        for kind in ("send_free_text", "pseudonymised_upstream"):
            not_mapped = sorted(set(getattr(self, kind)) - set(self.columns))
            if not_mapped and not self.identity:
                raise ValueError(f"{kind} lists {not_mapped}, which are not mapped by columns")
        return self

    def expand(self, contract_columns: list[str], source_columns: list[str]) -> DatasetMapping:
        """With ``identity``, the explicit mapping it stands for (otherwise ``self``)."""
        if not self.identity:
            return self
        taken = {*self.columns, *self.constants, *self.pseudonymise, *self.derive}
        present = set(source_columns) - set(self.drop)
        implied = {c: c for c in contract_columns if c in present and c not in taken}
        return self.model_copy(update={"identity": False, "columns": {**implied, **self.columns}})


class Profile(BaseModel):
    """One partner's connector profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gateway_url: str
    client_id: str
    client_secret: SecretStr | None = None
    client_secret_env: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    contracts_dir: Path | None = None
    pseudonymisation_key_env: str | None = None
    previous_pseudonymisation_key_env: str | None = Field(
        default=None,
        description="during a key rotation: the old key, whose pseudonyms are still sent so "
        "links with earlier batches survive (see connectors.protect)",
    )
    pseudonym_length: int = Field(default=32, ge=16, le=64)
    datasets: dict[str, DatasetMapping] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Profile:
        if not self.gateway_url.startswith(("http://", "https://")):
            raise ValueError("gateway_url must start with http:// or https://")
        if self.client_secret is not None and self.client_secret_env is not None:
            raise ValueError("set client_secret or client_secret_env, not both")
        if self.pseudonymisation_key_env is None and any(
            m.pseudonymise for m in self.datasets.values()
        ):
            raise ValueError("pseudonymise is used but pseudonymisation_key_env is not set")
        return self

    @classmethod
    def identity(
        cls,
        gateway_url: str,
        client_id: str,
        client_secret: SecretStr | str,
        dataset: str,
        *,
        contracts_dir: Path | None = None,
        pseudonymised_upstream: list[str] | None = None,
        send_free_text: list[str] | None = None,
    ) -> Profile:
        """A profile for tables already in contract shape (synthetic data, re-uploads).

        With ``contracts_dir`` and no explicit lists, every ``direct_identifier`` column is
        declared already pseudonymised and every ``free_text`` column is opted in: only use it
        for data whose identifiers and text were produced without real people in them.
        """
        if contracts_dir is not None and pseudonymised_upstream is None and send_free_text is None:
            from connectors.contract_source import contract_in

            contract = contract_in(contracts_dir, dataset)
            pseudonymised_upstream = [c.name for c in contract.columns_with("direct_identifier")]
            send_free_text = [c.name for c in contract.columns_with("free_text")]
        mapping = DatasetMapping(
            identity=True,
            pseudonymised_upstream=pseudonymised_upstream or [],
            send_free_text=send_free_text or [],
        )
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        return cls(
            gateway_url=gateway_url,
            client_id=client_id,
            client_secret=secret,
            contracts_dir=contracts_dir,
            datasets={dataset: mapping},
        )

    def resolve_client_secret(self) -> SecretStr:
        """The client secret, from the profile or (preferably) the named environment variable."""
        if self.client_secret is not None:
            return self.client_secret
        if self.client_secret_env is None:
            raise ProfileError("the profile sets neither client_secret nor client_secret_env")
        return _from_env(self.client_secret_env, "client_secret_env")

    def resolve_pseudonymisation_key(self) -> SecretStr:
        if self.pseudonymisation_key_env is None:
            raise ProfileError("the profile does not set pseudonymisation_key_env")
        key = _from_env(self.pseudonymisation_key_env, "pseudonymisation_key_env")
        if len(key.get_secret_value()) < 16:
            raise ProfileError(
                f"the pseudonymisation key in ${self.pseudonymisation_key_env} is too short "
                "(use at least 16 characters, ideally 32 random bytes in hex)"
            )
        return key

    def resolve_previous_pseudonymisation_key(self) -> SecretStr | None:
        if self.previous_pseudonymisation_key_env is None:
            return None
        return _from_env(
            self.previous_pseudonymisation_key_env, "previous_pseudonymisation_key_env"
        )

    def mapping_for(self, dataset: str) -> DatasetMapping:
        try:
            return self.datasets[dataset]
        except KeyError:
            have = ", ".join(sorted(self.datasets)) or "none"
            raise ProfileError(
                f"the profile has no [datasets.{dataset}] section (it has: {have})"
            ) from None


def load_profile(path: Path | str) -> Profile:
    """Read and validate a profile; relative ``contracts_dir`` is resolved against its folder."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"profile {path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"profile {path}: cannot read ({exc.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {path}: invalid TOML: {exc}") from None
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        raise ProfileError(f"profile {path}: " + _describe(exc)) from None
    if profile.contracts_dir is not None and not profile.contracts_dir.is_absolute():
        profile = profile.model_copy(update={"contracts_dir": path.parent / profile.contracts_dir})
    datasets = {}
    for name, rules in profile.datasets.items():
        deny = rules.scrub.deny_names_file
        if deny is not None and not deny.is_absolute():
            scrub = rules.scrub.model_copy(update={"deny_names_file": path.parent / deny})
            rules = rules.model_copy(update={"scrub": scrub})
        where = rules.source.location if rules.source else None
        if rules.source and where and "://" not in where and not Path(where).is_absolute():
            spec = rules.source.model_copy(update={"location": str(path.parent / where)})
            rules = rules.model_copy(update={"source": spec})
        datasets[name] = rules
    profile = profile.model_copy(update={"datasets": datasets})
    return profile


def _from_env(var: str, setting: str) -> SecretStr:
    value = os.environ.get(var)
    if not value:
        raise ProfileError(f"environment variable ${var} (named by {setting}) is not set")
    return SecretStr(value)


def _describe(exc: ValidationError) -> str:
    """Field paths and messages only: pydantic's default text would echo input values."""
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"{loc}: {msg}")
    return "; ".join(lines)
