"""Before/after differencing across commits and across two releases (issue 7 #1).

The attack: an NGO analyst records the total and every one-dimension breakdown (country,
exploitation type, month, admin1), waits for another partner's upload, and asks again. The
difference minus its own rows is the other partner's upload: with views on live tables (or on
exact releases) a single record's exploitation type, month and victim count come out exactly,
and so does the make-up of a 9-row batch. The attacker first tries to get the victim's upload
released on its own by padding it with its own rows (9 for the single record, 1 for the 9-row
batch, then 30 more): a release must rest on >= 10 entities beyond any one organisation's, so
every such cut is refused, and the next release waits for another partner's ordinary upload
(200 reports the attacker never sees), which the attacker must treat as unknown.

What would leak: the presence and attributes of one victim report; a batch's type mix.

Why it fails now: across commits nothing changes (views read releases only); padding with own
rows never makes a release (own rows are subtracted with the largest organisation); across
releases every released cell carries cell-key noise drawn from its own record set, so R1's and
R2's values of the same cell have independent noise bounded by the published D, and the
release also holds >= 10 rows of others the attacker does not know: for every attribute more
than one value may hold the victim's rows (the +9 jump of the batch's type and month could be
the other partner's), and the victim count is lost in the others' rows and the sum noise.
"""

from __future__ import annotations

import pytest

from tests.security.privacy.attacker import (
    DATASET,
    TARGET_ADMIN1,
    TARGET_COUNTRY,
    Answer,
    Live,
    background,
    planted,
    public_domain,
)
from tests.security.problem import assert_problem

pytestmark = pytest.mark.integration

DIMS = ("country", "exploitation_type", "month", "admin1")
PLANT = {"exploitation_type": "forced_marriage", "month": "2024-05"}
TRUE = {"country": TARGET_COUNTRY, "admin1": TARGET_ADMIN1, **PLANT}


def _ask_all(live: Live, as_of: str | None = None) -> dict[str, Answer]:
    out = {"": live.ask([], as_of=as_of)}
    for dim in DIMS:
        out[dim] = live.ask([("group_by", dim)], as_of=as_of)
    return out


def _own_counts(own: object, dim: str) -> dict[str, int]:
    table = own  # a pyarrow table of the attacker's own rows
    column = table.column("occurred_on") if dim == "month" else table.column(dim)  # type: ignore[attr-defined]
    values = column.to_pylist()
    if dim == "month":
        values = [None if v is None else v.strftime("%Y-%m") for v in values]
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts


OTHERS = 200  # the other partner's upload that lets R2 be cut (its rows unknown to the attacker)


def _delta_set(
    a1: Answer, a2: Answer, key: tuple[object, ...], own: int, batch: int, others: int
) -> set[int]:
    """How many of the victim's ``batch`` new rows can sit in cell ``key``, given both answers.

    The cell's true growth minus the attacker's own rows is the victim's rows there plus
    between 0 and ``others`` rows of the partner whose upload the attacker never saw.
    """
    c1, c2 = a1.count(*key), a2.count(*key)
    if c1 is None or c2 is None:  # hidden or empty in one release: nothing pins the cell
        return set(range(batch + 1))
    n1s, n2s = a1.consistent_counts(c1), a2.consistent_counts(c2)
    growth = {n2 - n1 - own for n1 in n1s for n2 in n2s}
    return {x for x in range(batch + 1) if any(x <= d <= x + others for d in growth)}


def _attack(live: Live, batch: int, victims: int) -> dict[str, object]:
    """Run the differencing attack; returns what the attacker can conclude."""
    live.seed_background()
    r1 = live.cut()
    before = _ask_all(live)
    victim_rows = planted(batch, 301, **PLANT, victim_count=victims)
    assert live.upload("victim-ngo", victim_rows)["accepted"] == batch
    # Across commits: the victim's upload changes no answer until a release is cut.
    assert {q: a.rows for q, a in _ask_all(live).items()} == {q: a.rows for q, a in before.items()}
    pads = background(40, 302)
    # Padding with own rows up to 10 entities (and then far beyond) never makes a release:
    # whichever organisation sent most, the rest falls short of 10.
    padded = 0
    for pad in (pads.slice(0, 10 - batch), pads.slice(10 - batch)):
        assert live.upload("attacker-ngo", pad)["accepted"] == pad.num_rows
        padded += pad.num_rows
        refused = assert_problem(live.refused_cut(), 409, "release-too-small")
        beyond = batch + padded - max(batch, padded)  # < 10 whatever the attacker adds
        assert f"release of {DATASET} rest on {batch + padded} entities" in refused["detail"]
        assert f"{beyond} of them not from the organisation adding most" in refused["detail"]
        assert {q: a.rows for q, a in _ask_all(live).items()} == {
            q: a.rows for q, a in before.items()
        }
    own = pads
    others = background(OTHERS, 303)  # another partner's ordinary upload joins
    assert live.upload("other-ngo", others)["accepted"] == others.num_rows
    r2 = live.cut()
    assert r2["previous_id"] == r1["id"]
    a1, a2 = _ask_all(live, as_of=str(r1["id"])), _ask_all(live)
    assert {q: a.rows for q, a in a1.items()} == {q: a.rows for q, a in before.items()}

    found: dict[str, object] = {}
    for dim in DIMS:
        own_counts = _own_counts(own, dim)
        known = {(v,) for v in public_domain(dim)} | {(TRUE[dim],)}
        domain = set(a1[dim].cells()) | set(a2[dim].cells()) | known
        sets = {
            key: _delta_set(
                a1[dim], a2[dim], key, own_counts.get(key[0], 0), batch, others.num_rows
            )
            for key in domain
        }
        # values that may hold the whole batch / the batch count in the planted value
        found[dim] = {key[0] for key, s in sets.items() if batch in s}
        found[dim + "#count"] = sets[(TRUE[dim],)]
    t1, t2 = a1[""].rows[0], a2[""].rows[0]
    own_victims = sum(own.column("victim_count").to_pylist())
    lo2, hi2 = a2[""].sum_interval(t2["victim_sum"])
    lo1, hi1 = a1[""].sum_interval(t1["victim_sum"])
    # the others' victims are unknown too: between 0 and 500 a report
    low = max(batch, lo2 - hi1 - own_victims - 500 * others.num_rows)
    high = min(500 * batch, hi2 - lo1 - own_victims)
    found["victims"] = {v for v in range(int(low) - 1, int(high) + 2) if low <= v <= high}
    return found


def test_differencing_a_single_record_recovers_none_of_its_attributes(live: Live) -> None:
    found = _attack(live, 1, 7)
    for dim in DIMS:
        # the planted value stays a candidate (the attack is honest), among others
        assert TRUE[dim] in found[dim]  # type: ignore[operator]
        assert len(found[dim]) > 1, (dim, found[dim])  # type: ignore[arg-type]
        assert found[dim + "#count"] == {0, 1}, (dim, found[dim + "#count"])
    assert 7 in found["victims"] and len(found["victims"]) > 1  # type: ignore[operator,arg-type]


def test_differencing_a_nine_row_batch_recovers_no_cell_exactly(live: Live) -> None:
    """How many of the batch sit in each of its cells stays open (never exactly 9)."""
    found = _attack(live, 9, 2)
    for dim in DIMS:
        counts = found[dim + "#count"]
        assert 9 in counts and len(counts) > 1, (dim, counts)  # type: ignore[operator,arg-type]
    assert 18 in found["victims"] and len(found["victims"]) > 1  # type: ignore[operator,arg-type]


def test_differencing_a_nine_row_batch_leaves_its_type_and_month_open(live: Live) -> None:
    """Padded with 1 own row the batch is never released alone; once it is, with another
    partner's rows, more than one type and month may hold all 9 of its rows."""
    found = _attack(live, 9, 2)
    for dim in ("exploitation_type", "month"):
        assert len(found[dim]) > 1, (dim, found[dim])  # type: ignore[arg-type]


def test_generated_rows_are_fresh() -> None:
    """The attacker's rows and the victim's never share a report id (dedupe would drop them)."""
    tables = (
        planted(9, 301),
        background(40, 302),
        background(OTHERS, 303),
        background(1500, 101),
        background(1500, 102),
    )
    ids = [set(t.column("report_id").to_pylist()) for t in tables]
    assert sum(len(s) for s in ids) == len(set().union(*ids))
