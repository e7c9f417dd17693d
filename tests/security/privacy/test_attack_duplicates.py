"""One report_id uploaded in 11 batches is counted once (issue 7 #4).

The attack: a report is sent again and again (a careless resend loop, or a partner inflating a
cell on purpose) — the same ``report_id`` in 11 batches, from the victim NGO and from another
organisation. Before, uniqueness was checked only within a batch, so the cell held "11
reports", passed k = 10 and released one report's province, type and month (and its victim
count times eleven) to every analyst.

What would leak: a single report's attributes, presented as a cell of 11.

Why it fails now: the entity key (``report_id``) is unique across the whole dataset, so every
later copy is quarantined as ``report_id:duplicate``; the cell rests on one entity and is not
released, and the attacker's answers stay consistent with any count below k.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from tests.security.privacy.attacker import TARGET_ADMIN1, K, Live, background, planted

pytestmark = pytest.mark.integration


def test_a_report_resent_in_eleven_batches_counts_once(live: Live) -> None:
    live.seed_background()
    report = planted(1, 601, victim_count=40)
    fillers = background(60, 602)
    results = []
    for i in range(11):
        who = "victim-ngo" if i % 2 == 0 else "other-ngo"
        batch = pa.concat_tables([report, fillers.slice(i * 2, 2)])
        results.append(live.upload(who, batch))
    assert [r["accepted"] for r in results] == [3] + [2] * 10
    assert all(r["rejected"] == 1 for r in results[1:])
    live.cut()

    answers = [
        live.ask([("filter[admin1]", TARGET_ADMIN1)]),
        live.ask([("group_by", "admin1"), ("filter[country]", "LA")]),
        live.ask([("group_by", "exploitation_type,month"), ("filter[admin1]", TARGET_ADMIN1)]),
    ]
    consistent = set(range(K))  # not released: fewer than k entities (or fewer than P orgs)
    for a in answers:
        for row in a.rows:
            consistent &= a.consistent_counts(int(row["report_count"]))
    assert 1 in consistent and len(consistent) > 1, consistent
    assert all(a.rows == [] for a in answers), [a.rows for a in answers]
