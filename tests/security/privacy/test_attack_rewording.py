"""Rewording the same question (issue 7 #3, and the padded filter lists that held).

The attack: ask for the same record set in different words — ``filter[admin1]=X`` versus
``filter[country]=C&filter[admin1]=X``, a filter list padded with duplicates, with every
exploitation type, or with a province that has no reports, and the same two dimensions in the
other order — and compare. Before, which cells were hidden depended on the query's wording
(the suppression lattice was built from the query's own dimensions), so a cell hidden in one
wording was released in another; with noise, each wording would be a fresh draw to average.

What would leak: cells the thresholds hide; with noise, the noise itself (by averaging).

Why it fails now: hiding and noise depend only on the records a cell covers (its n_other,
orgs_other and key sum), never on the wording, so every rewording returns the same cells with
the same values: the attacker holds one answer, however many ways it asks.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.security.privacy.attacker import (
    QUIET_ADMIN1,
    TYPES,
    Live,
    background,
)

pytestmark = pytest.mark.integration

GROUPS = ("year", "exploitation_type", "year,exploitation_type", "exploitation_type,year")


def _places() -> list[tuple[str, str]]:
    """The largest (country, admin1) pairs of the background, in countries with 2+ admin1."""
    table = background(3000, 101)
    pairs = Counter(
        zip(table.column("country").to_pylist(), table.column("admin1").to_pylist(), strict=True)
    )
    per_country = Counter(c for c, a in pairs if a)
    ranked = sorted(
        ((n, c, a) for (c, a), n in pairs.items() if a and per_country[c] > 1), reverse=True
    )
    return [(c, a) for _n, c, a in ranked[:2]]


def _wordings(country: str, admin1: str, group: str) -> list[list[tuple[str, str]]]:
    g = ("group_by", group)
    return [
        [g, ("filter[admin1]", admin1)],
        [g, ("filter[country]", country), ("filter[admin1]", admin1)],
        [g, ("filter[admin1]", admin1), ("filter[country]", country)],
        [g, ("filter[admin1]", f"{admin1},{admin1}")],
        [g, ("filter[admin1]", admin1), ("filter[admin1]", admin1)],
        [g, ("filter[admin1]", admin1), ("filter[exploitation_type]", ",".join(TYPES))],
        [g, ("filter[admin1]", f"{admin1},{QUIET_ADMIN1[-1]}")],
    ]


def _cells(live: Live, params: list[tuple[str, str]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Released cells keyed by their dimension values (in name order: reordered dims compare)."""
    answer = live.ask(params)
    dims = sorted(answer.dims)
    return {
        tuple(r[d] for d in dims): (r["report_count"], r.get("victim_sum")) for r in answer.rows
    }


def test_every_wording_gets_the_same_answer(live: Live) -> None:
    live.seed_background(3000)
    live.cut()
    differing = []
    for country, admin1 in _places():
        by_group = {g: [_cells(live, q) for q in _wordings(country, admin1, g)] for g in GROUPS}
        assert by_group["year"][0] and by_group["exploitation_type"][0], admin1  # released
        for group, answers in by_group.items():
            differing += [(admin1, group, j) for j, a in enumerate(answers) if a != answers[0]]
        if by_group[GROUPS[2]][0] != by_group[GROUPS[3]][0]:
            differing.append((admin1, "reordered dimensions"))
    assert differing == []
