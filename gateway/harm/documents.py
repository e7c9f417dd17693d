"""The harm data (``policies/beacon/harm/data.json``, ``data.beacon.harm``) as strict models.

Defends against a shelter or investigation area that is tagged but silently never hidden: a
misspelt reason, a malformed ISO 3166-2 code or an invalid H3 index fails at start-up instead
of matching nothing. The policy engines load the same file unchanged as plain data.
"""

from __future__ import annotations

from typing import Annotated, Final

import h3
from pydantic import AfterValidator, Field

from gateway.contracts.documents import HarmReason, Name
from gateway.documents import Document

ADMIN1_PATTERN: Final = r"^[A-Z]{2}-[A-Z0-9]{1,3}$"
# An area coarser than this is not a place to hide but a region to stop reporting on.
COARSEST_H3_RESOLUTION: Final = 4


def _h3_cell(value: str) -> str:
    if not h3.is_valid_cell(value) or value != value.lower():
        raise ValueError(f"{value[:20]!r} is not a lower-case H3 cell index")
    if h3.get_resolution(value) < COARSEST_H3_RESOLUTION:
        raise ValueError(f"{value} is coarser than H3 resolution {COARSEST_H3_RESOLUTION}")
    return value


Admin1Code = Annotated[str, Field(pattern=ADMIN1_PATTERN)]
H3Cell = Annotated[str, AfterValidator(_h3_cell)]
CategoryValue = Annotated[str, Field(min_length=1)]


class HarmPlaces(Document):
    """The places tagged for one reason, at the geography levels views know."""

    admin1: list[Admin1Code] = Field(default_factory=list)
    h3_cell: list[H3Cell] = Field(default_factory=list)


class HarmDocument(Document):
    """The whole ``data.beacon.harm`` document.

    ``places``: per reason, admin1 codes and H3 cells (any resolution >= 4) whose records no
    output shows. ``categories``: per dataset, column and reason, values tagged by governance
    on top of the ones the contract declares (``harmful`` on a column).
    """

    places: dict[HarmReason, HarmPlaces] = Field(default_factory=dict)
    categories: dict[Name, dict[Name, dict[HarmReason, list[CategoryValue]]]] = Field(
        default_factory=dict
    )

    def admin1_codes(self) -> tuple[str, ...]:
        return tuple(sorted({c for p in self.places.values() for c in p.admin1}))

    def h3_cells(self) -> tuple[str, ...]:
        return tuple(sorted({c for p in self.places.values() for c in p.h3_cell}))

    def category_values(self, dataset: str) -> dict[str, tuple[str, ...]]:
        """Per column of ``dataset``, every value governance tagged (any reason)."""
        out: dict[str, tuple[str, ...]] = {}
        for column, by_reason in self.categories.get(dataset, {}).items():
            values = sorted({v for vs in by_reason.values() for v in vs})
            if values:
                out[column] = tuple(values)
        return out


EMPTY_HARM: Final = HarmDocument()
