"""A cell resting on one organisation's records (issue 7, "released by a policy gap").

The attack: the victim NGO is the only partner with reports in a province (12 of them, above
k = 10). The attacker asks for that province: before, the cell was released, and its count is
that one organisation's exact caseload there (who works where, and how much — a source's
footprint). Adding one report of the attacker's own does not make it "two organisations".

What would leak: one partner's caseload in an area, i.e. its presence and activity there.

Why it fails now: a cell is released only if it rests on >= P (2) organisations other than the
caller; the province rests on one, so no wording releases it, before or after the attacker
pads it, and the attacker's answers stay consistent with many caseloads.
"""

from __future__ import annotations

import pytest

from tests.security.privacy.attacker import (
    TARGET_ADMIN1,
    Live,
    background,
    planted,
)

pytestmark = pytest.mark.integration

WORDINGS = (
    [("filter[admin1]", TARGET_ADMIN1)],
    [("filter[country]", "LA")],
    [("group_by", "admin1"), ("filter[country]", "LA")],
    [("group_by", "exploitation_type"), ("filter[admin1]", TARGET_ADMIN1)],
)


def _consistent(live: Live) -> tuple[set[int], list[object]]:
    answers = [live.ask(q) for q in WORDINGS]
    consistent = set(range(0, 60))  # not released: any caseload the attacker cannot exclude
    for a in answers:
        for row in a.rows:
            consistent &= a.consistent_counts(int(row["report_count"]))
    return consistent, [a.rows for a in answers]


def test_a_cell_resting_on_one_organisation_is_not_released(live: Live) -> None:
    live.seed_background()
    live.upload("victim-ngo", planted(12, 701))
    live.cut()
    consistent, rows = _consistent(live)
    assert 12 in consistent and len(consistent) > 1, consistent
    assert rows == [[]] * len(WORDINGS)

    # The attacker's own report in the cell does not make a second organisation.
    live.upload("attacker-ngo", planted(1, 702))
    live.upload("other-ngo", background(40, 703))
    # the victim's ordinary reports elsewhere: the release needs >= 10 entities beyond the
    # largest contributor's (other-ngo's 40 here), not in the planted cell
    live.upload("victim-ngo", background(40, 704))
    live.cut()
    consistent, rows = _consistent(live)
    assert 13 in consistent and len(consistent) > 1, consistent
    assert rows == [[]] * len(WORDINGS)
