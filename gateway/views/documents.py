"""The view YAML document as strict, frozen pydantic models (exported as JSON Schema).

Only the shape is checked here; ``model.bind_view`` checks a document against its contract.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field

from gateway.contracts.documents import GeoLevel, TimeGrain
from gateway.documents import Document

VIEW_NAME_PATTERN: Final = r"^[a-z][a-z0-9_]{0,63}$"
# A view pins the contract's major version: ``incident_reports@1``.
DATASET_REF_PATTERN: Final = r"^[a-z][a-z0-9_]{0,62}@(0|[1-9][0-9]{0,5})$"
ViewName = Annotated[str, Field(pattern=VIEW_NAME_PATTERN)]


class DimensionDocument(Document):
    column: ViewName
    sql: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    kind: Literal["geo", "time", "category"]
    level: GeoLevel | TimeGrain | None = None


class MeasureDocument(Document):
    sql: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""


class ViewDocument(Document):
    """One ``<view>.yaml`` file in the views folder."""

    name: ViewName
    title: str = ""
    description: str = ""
    dataset: Annotated[str, Field(pattern=DATASET_REF_PATTERN)]
    default_k: Annotated[int, Field(ge=2)]
    count_measure: ViewName
    dimensions: Annotated[dict[ViewName, DimensionDocument], Field(min_length=1)]
    measures: Annotated[dict[ViewName, MeasureDocument], Field(min_length=1)]
