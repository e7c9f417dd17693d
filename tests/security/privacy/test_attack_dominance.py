"""A cell where one report holds 98 % of the victim sum (issue 7, "released by a policy gap").

The attack: a province holds 12 reports from two NGOs (it passes k and P), one of which counts
490 victims while the other 11 count 1 each. The attacker asks for the province's victim sum:
before, it was released exactly (501), and since every report counts at least one victim, the
dominant report's victim count is pinned to within a handful — a large, identifiable case.

What would leak: the size of one dominant case (a magnitude about a single report).

Why it fails now: the (n, k) dominance rule (the top 2 reports holding > 85 % of a cell's sum)
withholds that cell's sum in every wording; the count, which rests on 12 entities from 2
organisations, is still released (perturbed).
"""

from __future__ import annotations

import pytest

from tests.security.privacy.attacker import (
    TARGET_ADMIN1,
    Live,
    planted,
)

pytestmark = pytest.mark.integration

WORDINGS = (
    [("filter[admin1]", TARGET_ADMIN1)],
    [("filter[country]", "LA")],
    [("group_by", "admin1"), ("filter[country]", "LA")],
    [("group_by", "month"), ("filter[admin1]", TARGET_ADMIN1)],
)


def test_a_dominated_sum_is_withheld(live: Live) -> None:
    live.seed_background()
    live.upload("victim-ngo", planted(6, 801, victim_count=[490, 1, 1, 1, 1, 1]))
    live.upload("other-ngo", planted(6, 802, victim_count=1))
    live.cut()
    for q in WORDINGS:
        answer = live.ask(q)
        assert len(answer.rows) == 1, (q, answer.rows)  # the count rests on 12 reports, 2 orgs
        row = answer.rows[0]
        assert 12 in answer.consistent_counts(int(row["report_count"]))
        released = row.get("victim_sum")
        if released is not None:  # a stated sum must at least not be exact
            low, high = answer.sum_interval(float(released))
            assert high - low > 1, (q, row)
        assert released is None, (q, row)
