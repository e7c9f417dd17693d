"""Realistic synthetic data for every dataset, numpy-vectorised (10^6 rows in seconds).

Patterns a demo or test can find: dozens of countries with real ISO 3166-2 subdivisions and
real H3 cells near their main cities, exploitation types that vary by region, harvest-season
peaks for agricultural labour (north and south of the equator), skewed victim counts, a yearly
upward trend, rare combinations that fall below suppression thresholds, and ``PLANTED_HOTSPOTS``.
No generated value describes a real person.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import h3
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors.synthetic.geography import GEOGRAPHY
from connectors.synthetic.patterns import (
    AGE_BANDS,
    CONTROL_CODES,
    EXPLOITATION,
    HARVEST_NORTH,
    HARVEST_SOUTH,
    ORIGINS,
    PLANTED_HOTSPOTS,
    RECRUITMENT,
    REGION_EXPLOITATION,
    SECTOR_GIVEN_TYPE,
    SECTORS,
)
from gateway.contracts.loader import load_contract
from gateway.contracts.model import Contract

# In a checkout; a partner with an installed connector passes its own copy as contracts_dir.
CHECKOUT_CONTRACTS: Final = Path(__file__).resolve().parents[2] / "contracts"
DATASETS: Final = (
    "incident_reports",
    "financial_indicators",
    "open_source_items",
    "supply_chain_findings",
)

REGIONS: Final = tuple(REGION_EXPLOITATION)
COUNTRIES: Final = tuple(GEOGRAPHY)


@dataclass(frozen=True)
class _Places:
    """One entry per admin1 in GEOGRAPHY; categorical columns are integer codes."""

    country: np.ndarray  # index into COUNTRIES
    region: np.ndarray  # index into REGIONS
    admin1: pa.Array
    south: np.ndarray  # bool: southern hemisphere (harvest months differ)
    weight: np.ndarray
    cells: pa.Array  # entries * _CELLS H3 res-7 cells around the city, flattened

    def index(self, admin1: str) -> int:
        return int(self.admin1.index(admin1).as_py())


_CELLS = 24


@cache
def _places() -> _Places:
    rng = np.random.default_rng(7)
    rows = [
        (COUNTRIES.index(c), REGIONS.index(region), a, lat, lng, vol / len(subs))
        for c, (region, vol, subs) in GEOGRAPHY.items()
        for a, _city, lat, lng in subs
    ]
    cells = [
        h3.latlng_to_cell(lat + dy, lng + dx, 7)
        for _c, _r, _a, lat, lng, _w in rows
        for dy, dx in rng.normal(0, 0.06, (_CELLS, 2))
    ]
    country, region, admin1, lat, _lng, weight = (np.array(c) for c in zip(*rows, strict=True))
    return _Places(
        country, region, pa.array(admin1.tolist()), lat < 0, weight / weight.sum(), pa.array(cells)
    )


@cache
def contract_for(dataset: str, contracts_dir: Path | None = None) -> Contract:
    """The dataset's contract from ``contracts_dir`` (default: the checkout's ``contracts/``)."""
    return load_contract((contracts_dir or CHECKOUT_CONTRACTS) / f"{dataset}.yaml")


def generate(
    dataset: str,
    n_rows: int,
    *,
    seed: int = 0,
    start_year: int = 2021,
    years: int = 4,
    contracts_dir: Path | None = None,
) -> pa.Table:
    """``n_rows`` synthetic rows of ``dataset`` in exactly its contract schema."""
    makers = {
        "incident_reports": _incident_reports,
        "financial_indicators": _financial_indicators,
        "open_source_items": _open_source_items,
        "supply_chain_findings": _supply_chain_findings,
    }
    if dataset not in makers:
        raise ValueError(f"unknown dataset {dataset!r} (one of {', '.join(DATASETS)})")
    if n_rows < 0 or years < 1:
        raise ValueError("n_rows must be >= 0 and years >= 1")
    rng = np.random.default_rng([seed, DATASETS.index(dataset)])
    columns = makers[dataset](rng, n_rows, start_year, years, seed)
    schema = contract_for(dataset, contracts_dir).arrow_schema
    return pa.Table.from_pydict(columns, schema=schema)


# ---------------------------------------------------------------------------------- helpers
Rng = np.random.Generator


def _pick(rng: Rng, p: object, n: int) -> np.ndarray:
    """``n`` codes drawn with probabilities ``p`` (normalised)."""
    probs = np.asarray(p, dtype=float)
    return rng.choice(len(probs), size=n, p=probs / probs.sum())


def _pick_by(rng: Rng, keys: np.ndarray, table: list[tuple[float, ...]]) -> np.ndarray:
    """Codes drawn with ``table[key]`` as probabilities, per row's key code."""
    out = np.zeros(len(keys), dtype=np.int64)
    for key, probs in enumerate(table):
        idx = np.flatnonzero(keys == key)
        if idx.size:
            out[idx] = _pick(rng, probs, idx.size)
    return out


def _take(
    vocab: tuple[str, ...] | pa.Array,
    codes: np.ndarray,
    null: np.ndarray | None = None,
) -> pa.Array:
    values = vocab if isinstance(vocab, pa.Array) else pa.array(vocab, pa.string())
    return values.take(pa.array(codes, pa.int64(), mask=null))


def _nulls(rng: Rng, n: int, share: float) -> np.ndarray:
    return rng.random(n) < share


def _ids(prefix: str, n: int, seed: int) -> pa.Array:
    """Unique pseudonymous ids: a bijection on 64 bits (add, odd multiply, xorshift) as hex."""
    start = np.uint64((seed * 1_000_003 + 0x5851F42D4C957F2D) % 2**64)
    x = (np.arange(n, dtype=np.uint64) + start) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(29)
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    nibbles = (x[:, None] >> np.arange(60, -4, -4, dtype=np.uint64)[None, :]) & np.uint64(15)
    body = hexdigits[nibbles.astype(np.intp)]
    head = np.broadcast_to(np.frombuffer(prefix.encode(), dtype=np.uint8), (n, len(prefix)))
    data = np.ascontiguousarray(np.concatenate([head, body], axis=1))
    width = data.shape[1]
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data.tobytes()))


def _months(rng: Rng, n: int, years: int, weights: object) -> np.ndarray:
    """Month index (0 = January of the first year), yearly upward trend times month weights."""
    span = np.arange(12 * years)
    p = (1.0 + 0.12 * (span // 12)) * np.asarray(weights, dtype=float)[span % 12]
    return rng.choice(span, size=n, p=p / p.sum())


def _first_days(start_year: int, month: np.ndarray) -> np.ndarray:
    epoch_months = (start_year - 1970) * 12 + month
    return epoch_months.astype("datetime64[M]").astype("datetime64[D]")


def _days(rng: Rng, start_year: int, month: np.ndarray) -> np.ndarray:
    first = _first_days(start_year, month)
    length = (_first_days(start_year, month + 1) - first).astype(np.int64)
    offset = np.floor(rng.random(len(month)) * length).astype("timedelta64[D]")
    return np.asarray(first + offset)


def _stamps(days: np.ndarray, extra_us: np.ndarray) -> pa.Array:
    us = days.astype("datetime64[us]") + extra_us.astype(np.int64).astype("timedelta64[us]")
    return pa.array(us).cast(pa.timestamp("us", tz="UTC"))


def _place(rng: Rng, n: int, regions: tuple[str, ...] | None = None) -> np.ndarray:
    pl = _places()
    w = pl.weight
    if regions is not None:
        w = w * np.isin(pl.region, [REGIONS.index(r) for r in regions])
    return rng.choice(len(w), size=n, p=w / w.sum())


def _types_and_sectors(rng: Rng, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    etype = _pick_by(rng, region, [REGION_EXPLOITATION[r] for r in REGIONS])
    sector = _pick_by(rng, etype, [SECTOR_GIVEN_TYPE[e] for e in EXPLOITATION])
    return etype, sector


# ---------------------------------------------------------------------------------- datasets
_E = {name: i for i, name in enumerate(EXPLOITATION)}
_S = {name: i for i, name in enumerate(SECTORS)}
GENDERS: Final = ("female", "male", "non_binary", "unknown")
SOURCE_TYPES: Final = ("ngo_case", "hotline", "app_report", "web_form", "law_enforcement")


def _incident_reports(
    rng: Rng,
    n: int,
    start_year: int,
    years: int,
    seed: int,
) -> dict[str, pa.Array]:
    pl = _places()
    place = _place(rng, n)
    etype, sector = _types_and_sectors(rng, pl.region[place])
    month = _months(rng, n, years, np.ones(12))
    agri = sector == _S["agriculture"]
    for weights, where in (
        (HARVEST_NORTH, agri & ~pl.south[place]),
        (HARVEST_SOUTH, agri & pl.south[place]),
    ):
        idx = np.flatnonzero(where)
        month[idx] = _months(rng, idx.size, years, weights)
    _plant_hotspots(rng, years, place, etype, sector, month)
    days = _days(rng, start_year, month)
    approximate = rng.random(n) < 0.15
    occurred = np.where(approximate, _first_days(start_year, month), days)
    lag_us = rng.exponential(40, n) * 86_400e6 + rng.random(n) * 86_400e6
    heavy = np.isin(etype, (_E["labour"], _E["child_exploitation"]))
    victims = np.where(heavy, rng.zipf(1.9, n), rng.zipf(2.6, n)).clip(1, 500)
    age = _pick(rng, (0.01, 0.07, 0.33, 0.30, 0.15, 0.07, 0.07), n)
    child = np.flatnonzero(etype == _E["child_exploitation"])
    age[child] = _pick(rng, (0.35, 0.65), child.size)
    womanly = np.isin(etype, (_E["sexual"], _E["domestic_servitude"], _E["forced_marriage"]))
    gender = _pick_by(
        rng, womanly.astype(np.int64), [(0.30, 0.65, 0.01, 0.04), (0.86, 0.10, 0.01, 0.03)]
    )
    source = _pick(rng, (0.35, 0.25, 0.15, 0.10, 0.15), n)
    ctl = [
        _take(CONTROL_CODES, _pick(rng, np.ones(len(CONTROL_CODES)), n), m)
        for m in (None, _nulls(rng, n, 0.6), _nulls(rng, n, 0.8))
    ]
    control = pc.binary_join_element_wise(*ctl, ";", null_handling="skip")
    etype_s, sector_s = _take(EXPLOITATION, etype), _take(SECTORS, sector)
    source_s = _take(SOURCE_TYPES, source)
    narrative = pc.binary_join_element_wise(
        "Synthetic report (no real person): suspected",
        etype_s,
        "exploitation in",
        sector_s,
        "reported via",
        source_s,
        " ",
    )
    return {
        "report_id": _ids("ir-", n, seed),
        "received_at": _stamps(days, lag_us),
        "occurred_on": pa.array(occurred, pa.date32(), mask=_nulls(rng, n, 0.03)),
        "occurred_on_approximate": pa.array(approximate),
        "country": _take(COUNTRIES, pl.country[place]),
        "admin1": pl.admin1.take(pa.array(place, mask=_nulls(rng, n, 0.02))),
        "h3_cell": pl.cells.take(
            pa.array(place * _CELLS + rng.integers(0, _CELLS, n), mask=_nulls(rng, n, 0.03))
        ),
        "exploitation_type": etype_s,
        "sector": sector_s,
        "recruitment_method": _take(
            RECRUITMENT,
            _pick(rng, (0.08, 0.10, 0.17, 0.15, 0.14, 0.12, 0.10, 0.04, 0.10), n),
            _nulls(rng, n, 0.05),
        ),
        "control_methods": pc.if_else(pa.array(_nulls(rng, n, 0.1)), None, control),
        "victim_count": pa.array(victims, pa.int32()),
        "age_band": _take(AGE_BANDS, age),
        "gender": _take(GENDERS, gender),
        "nationality": _nationality(rng, pl.country[place], pl.region[place]),
        "source_type": source_s,
        "confidence": pa.array(1 + _pick(rng, (0.05, 0.15, 0.35, 0.30, 0.15), n), pa.int32()),
        "narrative": pc.if_else(pa.array(_nulls(rng, n, 0.4)), None, narrative),
    }


def _plant_hotspots(
    rng: Rng,
    years: int,
    place: np.ndarray,
    etype: np.ndarray,
    sector: np.ndarray,
    month: np.ndarray,
) -> None:
    order = rng.permutation(len(place))
    used = 0
    for spot in PLANTED_HOTSPOTS:
        if spot.year_offset >= years:
            continue
        idx = order[used : used + round(spot.share * len(place))]
        used += idx.size
        place[idx] = _places().index(spot.admin1)
        etype[idx], sector[idx] = _E[spot.exploitation_type], _S[spot.sector]
        month[idx] = 12 * spot.year_offset + rng.choice(np.asarray(spot.months) - 1, idx.size)


def _nationality(rng: Rng, country: np.ndarray, region: np.ndarray) -> pa.Array:
    vocab = tuple(dict.fromkeys(COUNTRIES + tuple(c for o in ORIGINS.values() for c in o)))
    code = country.copy()
    foreign = rng.random(len(country)) < 0.55
    for r, name in enumerate(REGIONS):
        idx = np.flatnonzero(foreign & (region == r))
        origins = np.array([vocab.index(c) for c in ORIGINS[name]])
        code[idx] = origins[_pick(rng, np.ones(len(origins)), idx.size)]
    return _take(vocab, code, _nulls(rng, len(country), 0.04))


TYPOLOGIES: Final = (
    "funnel_accounts",
    "rapid_movement",
    "adult_services_payments",
    "shared_addresses",
    "cash_structuring",
    "recruitment_fee_payments",
    "other",
)


def _financial_indicators(
    rng: Rng,
    n: int,
    start_year: int,
    years: int,
    seed: int,
) -> dict[str, pa.Array]:
    pl = _places()
    place = _place(rng, n)
    migrant_corridor = np.isin(pl.region[place], [REGIONS.index(r) for r in ("me", "sea", "sa")])
    typology = _pick_by(
        rng,
        migrant_corridor.astype(np.int64),
        [(0.22, 0.18, 0.20, 0.14, 0.14, 0.06, 0.06), (0.18, 0.18, 0.06, 0.10, 0.16, 0.26, 0.06)],
    )
    month = _months(rng, n, years, np.ones(12))
    lam = 6 * rng.lognormal(0, 0.6, n)
    # Mirrors the Houston incident hotspot: adult-services payments surge in the same month.
    surge = (place == pl.index("US-TX")) & (typology == TYPOLOGIES.index("adult_services_payments"))
    surge &= month == 12 + 1
    alerts = rng.poisson(np.where(surge, lam * 6, lam)).astype(np.int64)
    amount = alerts * rng.lognormal(8.5, 1.0, n)
    band = np.searchsorted(np.array([1e4, 1e5, 1e6]), amount, side="right")
    return {
        "record_id": _ids("fi-", n, seed),
        "period_start": pa.array(_first_days(start_year, month), pa.date32()),
        "country": _take(COUNTRIES, pl.country[place]),
        "admin1": pl.admin1.take(pa.array(place, mask=_nulls(rng, n, 0.05))),
        "typology": _take(TYPOLOGIES, typology),
        "alert_count": pa.array(alerts),
        "sar_count": pa.array(rng.binomial(alerts, 0.12).astype(np.int64)),
        "amount_band": _take(("lt_10k", "10k_100k", "100k_1m", "gt_1m"), band),
        "amount_total": pa.array(np.round(amount, 2), mask=_nulls(rng, n, 0.05)),
    }


SOURCES: Final = (
    "Reuters",
    "BBC News",
    "The Guardian",
    "Al Jazeera",
    "Bangkok Post",
    "Premium Times",
    "El Pais",
    "US DOJ press release",
    "UK Home Office",
    "UNODC",
    "Walk Free",
    "ILO",
    "Court of Appeal",
    "District Court",
)
SOURCE_KINDS: Final = ("media", "court_case", "government_report", "academic", "ngo_report")


def _open_source_items(
    rng: Rng,
    n: int,
    start_year: int,
    years: int,
    seed: int,
) -> dict[str, pa.Array]:
    pl = _places()
    place = _place(rng, n)
    etype, sector = _types_and_sectors(rng, pl.region[place])
    days = _days(rng, start_year, _months(rng, n, years, np.ones(12)))
    kind = _take(SOURCE_KINDS, _pick(rng, (0.55, 0.15, 0.10, 0.08, 0.12), n))
    country = _take(COUNTRIES, pl.country[place])
    etype_s = _take(EXPLOITATION, etype)
    ids = _ids("os-", n, seed)
    return {
        "item_id": ids,
        "published_at": _stamps(days, rng.random(n) * 86_400e6),
        "source": _take(SOURCES, _pick(rng, np.ones(len(SOURCES)), n)),
        "source_kind": kind,
        "country": country,
        "admin1": pl.admin1.take(pa.array(place, mask=_nulls(rng, n, 0.3))),
        "exploitation_type": _take(EXPLOITATION, etype, _nulls(rng, n, 0.05)),
        "sector": _take(SECTORS, sector, _nulls(rng, n, 0.15)),
        "summary": pc.binary_join_element_wise(
            "Synthetic", kind, "item on", etype_s, "in", country, " "
        ),
        "link": pc.binary_join_element_wise("https://news.example.org/items/", ids, ""),
    }


INDICATORS: Final = (
    "abuse_of_vulnerability",
    "deception",
    "restriction_of_movement",
    "isolation",
    "physical_sexual_violence",
    "intimidation_threats",
    "retention_of_documents",
    "withholding_wages",
    "debt_bondage",
    "abusive_conditions",
    "excessive_overtime",
)
AUDIT_SECTORS: Final = (
    "agriculture",
    "manufacturing",
    "fishing",
    "mining",
    "construction",
    "other",
)


def _supply_chain_findings(
    rng: Rng,
    n: int,
    start_year: int,
    years: int,
    seed: int,
) -> dict[str, pa.Array]:
    pl = _places()
    place = _place(rng, n, ("sea", "sa", "af", "am", "ea"))
    sector = _pick(rng, (0.28, 0.36, 0.10, 0.10, 0.11, 0.05), n)
    land = (0.06, 0.10, 0.05, 0.03, 0.02, 0.06, 0.10, 0.16, 0.10, 0.12, 0.20)
    at_sea = (0.05, 0.08, 0.10, 0.14, 0.08, 0.08, 0.14, 0.12, 0.11, 0.05, 0.05)
    fishing = (sector == AUDIT_SECTORS.index("fishing")).astype(np.int64)
    indicator = _pick_by(rng, fishing, [land, at_sea])
    days = _days(rng, start_year, _months(rng, n, years, np.ones(12)))
    return {
        "finding_id": _ids("sc-", n, seed),
        "audited_on": pa.array(days, pa.date32()),
        "supplier_country": _take(COUNTRIES, pl.country[place]),
        "supplier_admin1": pl.admin1.take(pa.array(place, mask=_nulls(rng, n, 0.1))),
        "sector": _take(AUDIT_SECTORS, sector),
        "indicator": _take(INDICATORS, indicator),
        "indicator_count": pa.array(rng.poisson(2.0, n), pa.int32()),
        "workers_affected": pa.array(rng.geometric(0.03, n).clip(0, 5000), pa.int32()),
    }
