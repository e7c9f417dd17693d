"""Runtime configuration (pydantic-settings, ``BEACON_`` prefix, nested with ``__``).

Defends against running production with development secrets: outside dev mode the validator
refuses embedded signing keys generated on the fly and SQLite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseModel):
    url: SecretStr = SecretStr("sqlite:///./var/beacon.db")  # unset: data_dir/beacon.db
    echo: bool = False


class AuthSettings(BaseModel):
    # Self-issuer mode (default): the gateway signs tokens with its own asymmetric key.
    issuer: str = "http://127.0.0.1:8000"
    audience: str = "beacon-gateway"
    signing_key_path: Path | None = None  # PEM private key; generated into data_dir in dev mode
    token_ttl_seconds: int = 900
    # External-issuer mode: trust another issuer's JWKS instead of our own key.
    external_jwks_url: str | None = None
    external_jwks_path: Path | None = None
    leeway_seconds: int = 30
    # Token endpoint throttling (shared by replicas through the metadata database): failed
    # client authentications allowed per window, per client id and per source address.
    failed_auth_per_client: int = Field(default=10, ge=1)
    failed_auth_per_source: int = Field(default=100, ge=1)
    failed_auth_window_seconds: int = Field(default=300, ge=1, le=86400)


class PolicySettings(BaseModel):
    backend: Literal["embedded", "opa"] = "embedded"
    opa_url: str = "http://127.0.0.1:8181"
    timeout_seconds: float = 2.0
    policy_dir: Path = Path("policies")
    grants_path: Path | None = None  # JSON/YAML grants replacing data.beacon.grants (embedded)


class StoreSettings(BaseModel):
    uri: str = "./var/store"  # folder or s3://bucket/prefix; unset: data_dir/store
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_allow_http: bool = False


class IngestSettings(BaseModel):
    max_body_bytes: int = 256 * 1024 * 1024
    max_rejected_rows_reported: int = 1000
    validator: Literal["gx", "arrow"] = "gx"  # contract checks: Great Expectations or pyarrow
    # A 'processing' batch record older than this is taken over by a retry with the same key
    # (the Delta log is checked under the commit lock first, so a takeover never doubles rows).
    stale_after_seconds: int = Field(default=120, ge=1, le=86400)


class PrivacySettings(BaseModel):
    # A release is published only if what it adds to the previous one rests on at least this
    # many organisations and this many distinct entities other than those of the organisation
    # adding most (own rows never pad another's batch; else the batches wait for the next cut).
    # With release_min_orgs = 1 (one partner's rows may be published) all entities count.
    release_min_rows: int = Field(default=10, ge=1)
    release_min_orgs: int = Field(default=2, ge=1)
    release_every: str | None = Field(default=None, pattern=r"^[1-9][0-9]{0,4}[mhdw]$")  # "7d"
    # Distinct record sets (canonical scopes) one organisation may ask of one release; repeats
    # are free. Bounds averaging attacks on the consistent cell-key noise.
    scope_allowance: int = Field(default=2000, ge=1)
    # DP answers release every cell of the group-by's public domain: time buckets of this many
    # months up to the release's cut, and at most this many cells per answer.
    dp_months: int = Field(default=60, ge=1, le=600)
    dp_max_cells: int = Field(default=20_000, ge=1)


class PublicSettings(BaseModel):
    """The anonymous reporting channel (``gateway.public``): limits and where reports land."""

    enabled: bool = True
    org: str = "public-reports"  # the organisation released public reports are committed under
    max_body_bytes: int = Field(default=32 * 1024, ge=1024)  # a form is a few KB; 1 MB is refused
    max_narrative_chars: int = Field(default=4000, ge=100)
    rate_limit: int = Field(default=5, ge=1)  # submissions per client bucket per window
    rate_window_seconds: int = Field(default=60, ge=1)
    support_directory: Path = Path("policies/beacon/support/data.json")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BEACON_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    mode: Literal["dev", "production"] = "dev"
    data_dir: Path = Path("./var")
    contracts_dir: Path = Path("contracts")
    views_dir: Path | None = None  # defaults to the packaged gateway/views/definitions
    log_json: bool | None = None  # None: JSON when stdout is not a TTY
    log_level: str = "INFO"
    docs: bool | None = None  # /docs, /redoc (served from the package); None: on in dev only
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    public: PublicSettings = Field(default_factory=PublicSettings)

    @model_validator(mode="after")
    def _state_under_data_dir(self) -> Settings:
        # Unset locations follow data_dir, so BEACON_DATA_DIR alone relocates all local state.
        if "url" not in self.database.model_fields_set:
            self.database.url = SecretStr(f"sqlite:///{self.data_dir / 'beacon.db'}")
        if "uri" not in self.store.model_fields_set:
            self.store.uri = str(self.data_dir / "store")
        return self

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.mode == "production":
            if self.auth.signing_key_path is None and not (
                self.auth.external_jwks_url or self.auth.external_jwks_path
            ):
                raise ValueError(
                    "production mode needs a signing key: set BEACON_AUTH__SIGNING_KEY_PATH "
                    "(PEM private key) or BEACON_AUTH__EXTERNAL_JWKS_URL / …_PATH"
                )
            if self.database.url.get_secret_value().startswith("sqlite"):
                raise ValueError(
                    "production mode needs PostgreSQL: set "
                    "BEACON_DATABASE__URL=postgresql+psycopg://user:pw@host/db"
                )
        return self

    @property
    def resolved_views_dir(self) -> Path:
        return self.views_dir or Path(__file__).parent / "views" / "definitions"
