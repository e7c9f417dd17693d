"""Demo patterns: taxonomies, regional/seasonal weights and the planted hotspots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

EXPLOITATION: Final = (
    "labour",
    "sexual",
    "domestic_servitude",
    "forced_criminality",
    "forced_marriage",
    "organ_removal",
    "child_exploitation",
    "other",
)
# Share of each exploitation type (order of EXPLOITATION) by region.
REGION_EXPLOITATION: Final[dict[str, tuple[float, ...]]] = {
    "sea": (0.42, 0.26, 0.07, 0.16, 0.03, 0.002, 0.05, 0.018),
    "sa": (0.45, 0.22, 0.06, 0.02, 0.10, 0.004, 0.12, 0.026),
    "me": (0.34, 0.14, 0.46, 0.01, 0.01, 0.002, 0.01, 0.028),
    "af": (0.28, 0.30, 0.12, 0.04, 0.07, 0.02, 0.15, 0.02),
    "eu": (0.30, 0.44, 0.05, 0.15, 0.02, 0.001, 0.03, 0.009),
    "am": (0.36, 0.44, 0.07, 0.07, 0.01, 0.001, 0.04, 0.009),
    "ea": (0.40, 0.40, 0.04, 0.02, 0.10, 0.001, 0.02, 0.019),
    "oc": (0.62, 0.28, 0.04, 0.01, 0.01, 0.001, 0.02, 0.019),
}
SECTORS: Final = (
    "agriculture",
    "construction",
    "hospitality",
    "domestic_work",
    "fishing",
    "manufacturing",
    "sex_industry",
    "mining",
    "retail",
    "transport",
    "other",
)
# Sector shares (order of SECTORS) given the exploitation type.
SECTOR_GIVEN_TYPE: Final[dict[str, tuple[float, ...]]] = {
    "labour": (0.30, 0.20, 0.08, 0.0, 0.10, 0.18, 0.0, 0.07, 0.02, 0.03, 0.02),
    "sexual": (0.0, 0.0, 0.15, 0.0, 0.0, 0.0, 0.75, 0.0, 0.0, 0.0, 0.10),
    "domestic_servitude": (0.0, 0.0, 0.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.10),
    "forced_criminality": (0.05, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.20, 0.25, 0.50),
    "forced_marriage": (0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.50),
    "organ_removal": (0.0,) * 10 + (1.0,),
    "child_exploitation": (0.20, 0.0, 0.0, 0.20, 0.0, 0.15, 0.30, 0.0, 0.15, 0.0, 0.0),
    "other": (0.0,) * 10 + (1.0,),
}
# Origin countries of victims by region of exploitation (the rest are nationals).
ORIGINS: Final[dict[str, tuple[str, ...]]] = {
    "sea": ("MM", "KH", "LA", "VN", "CN", "ID"),
    "sa": ("NP", "BD", "IN", "PK"),
    "me": ("PH", "ID", "ET", "NP", "IN", "LK", "KE", "UG", "BD"),
    "af": ("NG", "GH", "ET", "UG", "CI", "ER", "SD"),
    "eu": ("RO", "NG", "AL", "UA", "VN", "MD", "BG", "ER", "CN"),
    "am": ("MX", "GT", "HN", "SV", "VE", "HT", "CO"),
    "ea": ("VN", "MM", "PH", "KP", "TH"),
    "oc": ("FJ", "PH", "ID", "VN"),
}
HARVEST_NORTH: Final = (0.4, 0.4, 0.5, 0.6, 0.8, 1.1, 1.8, 2.2, 2.2, 1.6, 0.7, 0.4)
HARVEST_SOUTH: Final = (2.0, 2.2, 2.0, 1.4, 0.8, 0.5, 0.4, 0.4, 0.5, 0.7, 1.1, 1.6)


@dataclass(frozen=True)
class Hotspot:
    """A surge of one (place, type, sector) in some months of one year of the generated span."""

    name: str
    country: str
    admin1: str
    exploitation_type: str
    sector: str
    year_offset: int  # years after ``start_year``
    months: tuple[int, ...]
    share: float  # share of all incident rows added to the hotspot

    def periods(self, start_year: int = 2021) -> list[dt.date]:
        """First days of the surge months for data generated from ``start_year``."""
        return [dt.date(start_year + self.year_offset, m, 1) for m in self.months]


PLANTED_HOTSPOTS: Final[tuple[Hotspot, ...]] = (
    Hotspot("foggia-tomato-harvest", "IT", "IT-75", "labour", "agriculture", 2, (8, 9), 0.004),
    Hotspot(
        "sihanoukville-scam-compounds",
        "KH",
        "KH-18",
        "forced_criminality",
        "other",
        1,
        (5, 6, 7, 8, 9, 10),
        0.006,
    ),
    Hotspot("samut-sakhon-fishing", "TH", "TH-74", "labour", "fishing", 3, (1, 2, 3), 0.003),
    Hotspot("houston-event-surge", "US", "US-TX", "sexual", "hospitality", 1, (2,), 0.002),
)

AGE_BANDS: Final = ("0-11", "12-17", "18-25", "26-35", "36-45", "46+", "unknown")
CONTROL_CODES: Final = (
    "debt_bondage",
    "takes_earnings",
    "threats",
    "psychological_abuse",
    "physical_abuse",
    "sexual_abuse",
    "false_promises",
    "restricts_movement",
    "withholds_documents",
    "excessive_working_hours",
)
RECRUITMENT: Final = (
    "intimate_partner",
    "family_member",
    "friend_acquaintance",
    "employer",
    "recruitment_agency",
    "online_advertisement",
    "social_media",
    "other",
    "unknown",
)
