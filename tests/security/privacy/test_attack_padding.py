"""Padding a hidden 9-row cell with the attacker's own rows (issue 7 #3).

The attack: two NGOs hold 9 reports in one cell (a quiet province x exploitation type x
month), one short of k = 10, so the cell is hidden. The attacker, who may also upload, adds 1
report of its own to that cell (and, in a second round, 10 more) and asks again once the next
release is cut: before, the cell then passed k and its released count minus the attacker's own
rows was the hidden cell, exactly.

What would leak: the exact caseload of a cell the threshold was meant to hide.

Why it fails now: thresholds count only other organisations' records (n_other >= k and
orgs_other >= P), so own rows never help a cell pass; the cell stays unreleased however many
rows the attacker adds, and every count from 0 to k - 1 stays consistent with the answers.
"""

from __future__ import annotations

import pytest

from tests.security.privacy.attacker import (
    TARGET_ADMIN1,
    Answer,
    K,
    Live,
    background,
    planted,
)

pytestmark = pytest.mark.integration

CELL = {"exploitation_type": "forced_marriage", "month": "2024-05"}
WORDINGS = (
    [("filter[admin1]", TARGET_ADMIN1), ("filter[exploitation_type]", "forced_marriage")],
    [("group_by", "exploitation_type"), ("filter[admin1]", TARGET_ADMIN1)],
    [("group_by", "admin1,exploitation_type,month"), ("filter[country]", "LA")],
)


def _victim_estimates(answers: list[Answer], own: int) -> set[int]:
    """Counts of the others' rows in the cell consistent with every wording's answer."""
    out = set(range(K))  # hidden: fewer than k of the others' rows (the attacker's best guess)
    for a in answers:
        for row in a.rows:
            if (
                row.get("admin1", TARGET_ADMIN1) == TARGET_ADMIN1
                and row.get("exploitation_type", "forced_marriage") == "forced_marriage"
                and row.get("month", "2024-05") == "2024-05"
            ):
                out &= {n - own for n in a.consistent_counts(int(row["report_count"]))}
    return out


def test_own_rows_never_lift_a_hidden_cell(live: Live) -> None:
    live.seed_background()
    live.upload("victim-ngo", planted(5, 501, **CELL))
    live.upload("other-ngo", planted(4, 502, **CELL))
    live.cut()
    hidden = [live.ask(q) for q in WORDINGS]
    assert _victim_estimates(hidden, 0) == set(range(K))  # hidden to start with

    own = 0
    for n, seed in ((1, 503), (10, 504)):
        live.upload("attacker-ngo", planted(n, seed, **CELL))
        own += n
        # so the next release can be cut (>= 10 entities beyond the largest contributor's)
        live.upload("other-ngo", background(40, seed + 10))
        live.upload("victim-ngo", background(40, seed + 20))
        live.cut()
        answers = [live.ask(q) for q in WORDINGS]
        estimates = _victim_estimates(answers, own)
        assert 9 in estimates
        assert len(estimates) > 1, (own, estimates)
        # the rule itself: the cell rests on 9 other records, so no wording releases it
        for a in answers:
            assert not [r for r in a.rows if r.get("admin1", TARGET_ADMIN1) == TARGET_ADMIN1], (
                a.rows
            )
