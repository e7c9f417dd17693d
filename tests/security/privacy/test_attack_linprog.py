"""A linear-programming attack over many released cells (reconstruction, as in the 2010 Census).

The attack: the target is one small cell, (IN-MH, organ_removal) in India, holding a few
planted reports from two NGOs among the background. The attacker treats every (admin1 x
exploitation type) count in India as an unknown x >= 0 and collects every released number
about them: the two-dimensional table, both margins, the country total, each province's
filtered breakdown, unions of two types by province and unions of two provinces by type. Each
released count c, under the bound the answer declares, says lo(c) <= sum of its cells <= hi(c)
(an exact answer says lo = hi = c). ``scipy.optimize.linprog`` then minimises and maximises the
target cell subject to all of them.

What would leak: the target cell's count, if the bounds met (min == max).

Why it fails (held before with complementary suppression, holds now): with cell-key noise every
released number is known only to within its table's support, and hidden cells add no
constraint; the target's feasible range stays open (max - min >= 1), and it contains the true
count (the attack is honest: its constraints are all true).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scipy.optimize import linprog

from connectors.synthetic.geography import GEOGRAPHY
from tests.security.privacy.attacker import TYPES, Answer, Live, background, planted

pytestmark = pytest.mark.integration

COUNTRY = "IN"
ADMIN1 = tuple(a for a, *_ in GEOGRAPHY[COUNTRY][2])
TARGET = ("IN-MH", "organ_removal")
PLANT = {"country": COUNTRY, "admin1": TARGET[0], "exploitation_type": TARGET[1]}
PLACES = (*ADMIN1, None)  # reports without a province are unknowns too
CELLS = [(a, t) for a in PLACES for t in TYPES]
INDEX = {c: i for i, c in enumerate(CELLS)}


def _queries() -> list[list[tuple[str, str]]]:
    c = ("filter[country]", COUNTRY)
    out = [
        [c, ("group_by", "admin1,exploitation_type")],
        [c, ("group_by", "admin1")],
        [c, ("group_by", "exploitation_type")],
        [c],
    ]
    out += [[("filter[admin1]", a), ("group_by", "exploitation_type")] for a in ADMIN1]
    out += [
        [c, ("filter[exploitation_type]", f"{t1},{t2}"), ("group_by", "admin1")]
        for t1, t2 in pairwise(TYPES)
    ]
    out += [
        [("filter[admin1]", f"{a1},{a2}"), ("group_by", "exploitation_type")]
        for a1, a2 in pairwise(ADMIN1)
    ]
    return out


def _members(answer: Answer, row: dict[str, object], query: list[tuple[str, str]]) -> list[int]:
    """Indices of the unknown cells a released row sums over."""
    allowed: dict[str, set[str | None]] = {"admin1": set(PLACES), "exploitation_type": set(TYPES)}
    for key, value in query:
        if key.startswith("filter[") and key[7:-1] in allowed:
            allowed[key[7:-1]] &= set(value.split(","))
    for dim in answer.dims:
        allowed[dim] &= {row[dim]}  # type: ignore[arg-type]
    return [INDEX[(a, t)] for a in allowed["admin1"] for t in allowed["exploitation_type"]]


def _true_count(live: Live) -> int:
    table = pa.concat_tables([background(3000, 101), background(3000, 102)])
    mask = pc.and_(
        pc.equal(table.column("admin1"), TARGET[0]),
        pc.equal(table.column("exploitation_type"), TARGET[1]),
    )
    return int(pc.sum(mask.cast(pa.int64())).as_py() or 0) + 4


def test_linear_programming_leaves_the_target_open(live: Live) -> None:
    live.seed_background(3000)
    live.upload("victim-ngo", planted(2, 1001, **PLANT))
    live.upload("other-ngo", planted(2, 1002, **PLANT))
    live.cut()
    rows_a, lo, hi = [], [], []
    released = 0
    for query in _queries():
        answer = live.ask(query)
        for row in answer.rows:
            members = _members(answer, row, query)
            consistent = answer.consistent_counts(int(row["report_count"]))  # type: ignore[arg-type]
            line = np.zeros(len(CELLS))
            line[members] = 1.0
            rows_a.append(line)
            lo.append(min(consistent))
            hi.append(max(consistent))
            released += 1
    assert released >= 20  # many released cells constrain the unknowns
    a = np.vstack(rows_a)
    a_ub = np.vstack([a, -a])
    b_ub = np.concatenate([hi, [-x for x in lo]])
    objective = np.zeros(len(CELLS))
    objective[INDEX[TARGET]] = 1.0
    bounds = [(0, None)] * len(CELLS)
    low = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    high = linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    assert low.status == 0 and high.status == 0, (low.message, high.message)
    t_min, t_max = low.fun, -high.fun
    true = _true_count(live)
    assert t_min - 1e-6 <= true <= t_max + 1e-6, (t_min, true, t_max)
    print(f"released={released} target in [{t_min:.2f}, {t_max:.2f}], true {true}")
    assert t_max - t_min >= 1, (t_min, t_max)
