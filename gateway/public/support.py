"""The directory of support services the reporting page signposts, per country.

A governance-edited data file (``policies/beacon/support/data.json``, path in
``public.support_directory``), reviewed and versioned like contracts and grants, validated
strictly at start-up: the public process only reads it, so the reporting channel exposes no
write path to it.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

COUNTRY = r"^[A-Z]{2}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SupportService(_Strict):
    country: str = Field(pattern=COUNTRY)
    name: str = Field(min_length=1, max_length=200)
    description: dict[str, str] = Field(default_factory=dict)  # language code -> text
    phone: str | None = Field(default=None, max_length=40)
    url: str | None = Field(default=None, max_length=300, pattern=r"^https://")
    hours: str | None = Field(default=None, max_length=100)
    languages: list[str] = Field(default_factory=list)


class SupportDirectory(_Strict):
    sample: bool = False  # True: the page says these are not real services
    note: str = ""
    updated_on: str = ""
    services: list[SupportService] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> SupportDirectory:
        return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))

    def for_country(self, country: str | None) -> list[SupportService]:
        return [s for s in self.services if country and s.country == country]

    def countries(self) -> set[str]:
        return {s.country for s in self.services}
