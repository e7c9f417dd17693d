"""Averaging many differently worded queries on related record sets (Asghar & Kaafar, PETS 2020).

The attack (the one that broke ABS TableBuilder's consistent noise): the target is the count
of a province holding 14 reports from two NGOs. Asking it again gives the same noisy value, so
the attacker asks *other* record sets whose difference is the target: ``filter[admin1]=X,Y``
minus ``filter[admin1]=Y`` for every province Y it can name. Each pair is a fresh, independent
draw of the target plus noise of variance 2V; the mean of m of them has a 95 % half-width of
1.96 * sqrt(2V / (m + 2)) (with the direct answer), so after ~60 pairs it rounds to the exact
count. Before, with no noise at all, one query was exact.

What would leak: an exact count the noise was meant to blur (and with it, by differencing,
whether one more record is there).

Why it fails now: the query-variety allowance bounds the number of distinct record sets
(canonical scopes) one organisation may ask per release: with ``privacy.scope_allowance`` = 30
the attacker is refused with 429 ``query-allowance-exhausted`` long before the estimate is
exact — its half-width stays above 0.5, the width below which rounding would give the count.
Repeating a record set already asked stays free.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.security.privacy.attacker import (
    TARGET_ADMIN1,
    Answer,
    Live,
    planted,
)
from tests.security.problem import assert_problem

pytestmark = pytest.mark.integration

ALLOWANCE = 30
EXACT_HALF_WIDTH = 0.5  # below this the rounded mean is the true count (95 % of the time)
TRUE_COUNT = 14


@pytest.fixture
def privacy_overrides() -> dict[str, Any]:
    return {"scope_allowance": ALLOWANCE}


def test_averaging_is_stopped_by_the_allowance(live: Live) -> None:
    live.seed_background()
    live.upload("victim-ngo", planted(7, 901))
    live.upload("other-ngo", planted(7, 902))
    live.cut()
    target = live.ask([("filter[admin1]", TARGET_ADMIN1)])
    assert len(target.rows) == 1  # released (14 reports from 2 organisations), perturbed
    direct = int(target.rows[0]["report_count"])
    provinces = [
        r["admin1"]
        for r in live.ask([("group_by", "admin1")]).rows
        if r["admin1"] and not r["admin1"].startswith("LA-")
    ]
    assert len(provinces) > ALLOWANCE  # more record sets to average over than allowed
    estimates: list[int] = []
    refused = None
    for y in provinces:
        pair = live.get([("filter[admin1]", f"{TARGET_ADMIN1},{y}")])
        alone = live.get([("filter[admin1]", y)])
        if pair.status_code == 429 or alone.status_code == 429:
            refused = pair if pair.status_code == 429 else alone
            break
        union, single = Answer.of(pair), Answer.of(alone)
        if union.rows and single.rows:
            estimates.append(
                int(union.rows[0]["report_count"]) - int(single.rows[0]["report_count"])
            )
    table = target.table
    variance = 0.0 if table is None else table.variance
    m = len(estimates)
    mean = (2 * direct + sum(estimates)) / (m + 2)  # inverse-variance weights: V and 2V
    half_width = 1.96 * math.sqrt(2 * variance / (m + 2))
    print(f"averaging: {m} pairs, mean {mean:.2f} (true {TRUE_COUNT}), half-width {half_width:.2f}")
    assert half_width > EXACT_HALF_WIDTH, (m, mean, half_width)
    assert refused is not None
    assert_problem(refused, 429, "query-allowance-exhausted")
    # Repeats are free: the target's own record set was asked before.
    again = live.ask([("filter[admin1]", TARGET_ADMIN1)])
    assert again.rows == target.rows
    assert abs(mean - TRUE_COUNT) <= 3 * 1.96 * math.sqrt(2 * variance / (m + 2)) + 1e-9
