"""The grants data (``policies/beacon/grants/data.json``) as strict, frozen pydantic models.

This is the shape the Rego policies read as ``data.beacon.grants``; the models only describe
it (exported as JSON Schema for editors and the governance UI), they do not change it.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field, model_validator

from gateway.auth.claims import Sector
from gateway.auth.principal import ORG_SLUG
from gateway.contracts.documents import GeoLevel, Name, TimeGrain
from gateway.documents import Document

GRANT_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9_-]{0,127}$"
OrgSlug = Annotated[str, Field(pattern=ORG_SLUG.pattern)]
DimName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


Fraction = Annotated[float, Field(gt=0, le=1, strict=False)]
Epsilon = Annotated[float, Field(gt=0, strict=False, allow_inf_nan=False)]


class Dominance(Document):
    """The (n, k) rule: the top ``n`` records may hold at most ``share`` of a cell's sum."""

    n: Annotated[int, Field(ge=1)] = 2
    share: Fraction = 0.85


class DpGrant(Document):
    """Differential privacy: ε per query and the total ε per (org, purpose, dataset, release)."""

    epsilon: Epsilon | None = None
    budget: Epsilon | None = None
    purpose: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class Embargo(Document):
    """Hold back records younger than ``days`` from queries on the fine dimensions ``dims``."""

    days: Annotated[int, Field(ge=1)] | None = None
    dims: list[DimName] = Field(default_factory=list)


class Grant(Document):
    """One entitlement: an organisation (or every organisation of a sector) may read a view."""

    id: Annotated[str, Field(pattern=GRANT_ID_PATTERN)]
    org: OrgSlug | None = None
    sector: Sector | None = None
    dims: list[DimName]
    min_k: Annotated[int, Field(ge=2)]
    row_filter: dict[DimName, list[str]] = Field(default_factory=dict)
    geo_resolution: GeoLevel | None = None
    time_grain: TimeGrain | None = None
    mode: Literal["cellkey", "suppression", "dp"] = "cellkey"
    min_contributors: Annotated[int, Field(ge=1)] = 2
    dominance: Dominance = Field(default_factory=Dominance)
    dp: DpGrant | None = None
    embargo: Embargo | None = None

    @model_validator(mode="after")
    def _one_grantee(self) -> Grant:
        if (self.org is None) == (self.sector is None):
            raise ValueError("a grant names exactly one of org or sector")
        return self

    @model_validator(mode="after")
    def _dp_has_epsilon(self) -> Grant:
        if self.mode == "dp" and (self.dp is None or self.dp.epsilon is None):
            raise ValueError("a grant in mode dp sets dp.epsilon")
        if self.mode != "dp" and self.dp is not None:
            raise ValueError("dp settings need mode dp")
        return self


class ViewGrants(Document):
    """The grants of one view, with the view's dataset and every dimension it has."""

    dataset: Name
    dims: list[DimName]
    grants: list[Grant]


class Contributors(Document):
    """Who may upload batches to one dataset."""

    sectors: list[Sector]
    orgs: list[OrgSlug]


class GrantsDocument(Document):
    """The whole ``data.beacon.grants`` document."""

    views: dict[DimName, ViewGrants]
    contributors: dict[Name, Contributors]
