"""Averaging repeated DP answers until the budget stops it (issue 7 #5).

The attack: a research partner holds a grant in ``dp`` mode (epsilon 1 per query, a budget of
4 per release). The target is a country's report count (14 planted reports from two NGOs, the
only reports there). DP noise is fresh on every answer, so the attacker repeats the question —
and rewords it (a filter, a breakdown whose one row is the same count) — and averages: with m
answers of 95 % half-width h each, the mean's half-width is h / sqrt(m), exact after enough
repeats. Before (no DP mode, no budget), repeats were free and nothing bounded m.

What would leak: the exact count, and so by differencing the presence of one more report.

Why it fails now: every answer, repeated or reworded, debits epsilon from one budget per
(organisation, purpose, dataset, release); once spent, the gateway answers 429
``privacy-budget-exhausted`` and says nothing. The averaged estimate's 95 % half-width, from
the half-widths the answers declare, stays above 0.5 (the width at which rounding is exact).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from tests.security.privacy.attacker import (
    TARGET_COUNTRY,
    Answer,
    Live,
    planted,
)
from tests.security.problem import assert_problem

pytestmark = pytest.mark.integration

EPSILON, BUDGET = 1.0, 4.0
EXACT_HALF_WIDTH = 0.5
DP_GRANT = {
    "id": "academic-dp-attack",
    "sector": "academic",
    "dims": ["country", "exploitation_type", "year", "month"],
    "min_k": 10,
    "row_filter": {},
    "geo_resolution": "country",
    "time_grain": "month",
    "mode": "dp",
    "min_contributors": 2,
    "dominance": {"n": 2, "share": 0.85},
    "dp": {"epsilon": EPSILON, "budget": BUDGET, "purpose": "research"},
    "embargo": {"days": None, "dims": []},
}
WORDINGS = (
    [("filter[country]", TARGET_COUNTRY)],
    [("group_by", "country"), ("filter[country]", TARGET_COUNTRY)],
    [("filter[country]", f"{TARGET_COUNTRY},{TARGET_COUNTRY}")],
)


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """The repository's policies plus a DP grant for the academic sector."""
    root = Path(__file__).resolve().parents[3] / "policies"
    copy = tmp_path / "policies"
    shutil.copytree(root, copy)
    path = copy / "beacon" / "grants" / "data.json"
    grants = json.loads(path.read_text("utf-8"))
    grants["views"]["incident_hotspots"]["grants"].append(DP_GRANT)
    path.write_text(json.dumps(grants, indent=2))
    return copy


def test_repeated_dp_answers_run_out_before_the_mean_is_exact(live: Live) -> None:
    live.seed_background()
    live.upload("victim-ngo", planted(7, 1101))
    live.upload("other-ngo", planted(7, 1102))
    live.cut()
    values, widths = [], []
    refused = None
    for i in range(40):
        r = live.get(WORDINGS[i % len(WORDINGS)], who="attacker-uni")
        if r.status_code == 429:
            refused = r
            break
        answer = Answer.of(r)
        dp = answer.body.get("dp") or {}
        row = next(x for x in answer.rows if x.get("country", TARGET_COUNTRY) == TARGET_COUNTRY)
        values.append(float(row["report_count"]))
        widths.append(float(dp.get("measures", {}).get("report_count", {}).get("half_width", 0)))
    m = len(values)
    assert m > 0
    mean = sum(values) / m
    # independent answers: the mean's half-width is sqrt(sum h_i^2) / m
    half_width = math.sqrt(sum(h * h for h in widths)) / m
    print(f"dp: {m} answers, mean {mean:.2f} (true 14), 95 % half-width {half_width:.2f}")
    assert half_width > EXACT_HALF_WIDTH, (m, mean, half_width)
    assert m <= BUDGET / EPSILON
    assert refused is not None
    assert_problem(refused, 429, "privacy-budget-exhausted")
