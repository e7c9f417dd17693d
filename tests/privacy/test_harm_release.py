"""End to end over a real release: the harm filter on a Delta version cut by ReleaseService.

Two organisations commit synthetic incident reports, a release is cut, and the release's
Delta version is read from the store and aggregated with DuckDB under base_filter's
predicates, as the views pipeline does before any disclosure control.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connectors.synthetic.synth import generate
from gateway.audit.service import AuditLog
from gateway.contracts.registry import ContractRegistry
from gateway.harm.documents import EMPTY_HARM, HarmDocument
from gateway.policy.contract import Obligations
from gateway.privacy.harm import base_filter
from gateway.releases.service import ReleaseService
from gateway.settings import Settings
from gateway.store.delta import DeltaStore
from tests.privacy.harm_helpers import LAW_ENFORCEMENT, NGO, counts, shipped

pytestmark = pytest.mark.integration
DATASET = "incident_reports"


def _released(settings: Settings, engine: Engine) -> Any:
    store = DeltaStore.from_settings(settings)
    releases = ReleaseService(
        store=store,
        contracts=ContractRegistry.load(settings.contracts_dir),
        audit=AuditLog(engine),
        settings=settings.privacy,
    )
    for seed, org in ((1, "ngo-a"), (2, "ngo-b")):
        store.append(DATASET, generate(DATASET, 300, seed=seed), batch_id=org, org=org)
    with Session(engine, expire_on_commit=False) as session:
        release = releases.cut(session, dataset=DATASET, actor="test")
    source = store.dataset(DATASET, version=release.delta_version)
    assert source is not None
    return source


def _event_day(r: dict[str, Any]) -> dt.date:
    day = r["occurred_on"] or r["received_at"].date()
    assert isinstance(day, dt.date)
    return day


def _by(
    source: Any, terms: Obligations, dim: str, *, now: dt.datetime, harm: HarmDocument = EMPTY_HARM
) -> dict[str, int]:
    view, contract = shipped()
    predicates = base_filter(view, contract, terms, now=now, dims=(dim,), harm=harm)
    return {key[0]: n for key, n in counts(source, predicates, (dim,)).items() if key[0]}


def test_harm_tags_and_the_embargo_hold_on_a_cut_release(
    settings: Settings, engine: Engine
) -> None:
    source = _released(settings, engine)
    rows = source.to_table().to_pylist()
    now = dt.datetime.combine(max(map(_event_day, rows)), dt.time(12), tzinfo=dt.UTC)

    # A shelter in the busiest subdivision: gone from every output, national totals included.
    shelter, in_shelter = Counter(r["admin1"] for r in rows if r["admin1"]).most_common(1)[0]
    country = shelter.split("-")[0]
    harm = HarmDocument.model_validate({"places": {"shelter": {"admin1": [shelter]}}})
    everyone = sum(r["country"] == country for r in rows)
    assert _by(source, LAW_ENFORCEMENT, "country", now=now)[country] == everyone
    assert _by(source, LAW_ENFORCEMENT, "country", now=now, harm=harm)[country] == (
        everyone - in_shelter
    )
    assert shelter not in _by(source, LAW_ENFORCEMENT, "admin1", now=now, harm=harm)

    # The embargo: the last 30 days before "now" are fresh.
    cutoff = now.date() - dt.timedelta(days=30)
    fresh = [r for r in rows if _event_day(r) >= cutoff and r["h3_cell"]]
    assert fresh  # the synthetic data has recent reports
    settled = Counter(r["h3_cell"] for r in rows if _event_day(r) < cutoff and r["h3_cell"])
    assert _by(source, NGO, "h3_cell", now=now) == dict(settled)
    every_cell = Counter(r["h3_cell"] for r in rows if r["h3_cell"])
    assert _by(source, LAW_ENFORCEMENT, "h3_cell", now=now) == dict(every_cell)
    # Fresh records still count at country level, where they locate nothing.
    assert sum(_by(source, NGO, "country", now=now).values()) == len(rows)
