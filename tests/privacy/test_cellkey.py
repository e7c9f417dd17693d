"""Cell-key perturbation: a deterministic published table, consistent and additive keys."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from gateway.privacy.cellkey import (
    KEY_MODULUS,
    PerturbationTable,
    cell_key,
    cell_keys,
    default_table,
    perturb_counts,
    perturb_sums,
    sum_stream,
)

PARAMS = [(3, 2.0), (2, 1.0), (4, 1.0), (5, 6.0)]


def _key_sums(rng: np.random.Generator, sets: int, n: int) -> np.ndarray:
    """Key sums of `sets` independent record sets of n records with uniform 32-bit keys."""
    return rng.integers(0, KEY_MODULUS, size=(sets, n), dtype=np.int64).sum(axis=1)


def test_table_is_the_same_in_a_fresh_process() -> None:
    code = "from gateway.privacy.cellkey import default_table as t; print(t().to_json())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == default_table().to_json()
    assert PerturbationTable.build() == PerturbationTable.build()


@pytest.mark.parametrize(("d", "v"), PARAMS)
def test_every_row_is_bounded_keeps_counts_positive_and_has_variance_v(d: int, v: float) -> None:
    table = PerturbationTable.build(d, v)
    assert table.row_for(0).noise == (0,)
    for row in table.rows[1:]:
        probs = np.asarray(row.probability)
        assert (probs >= 0).all() and probs.sum() == pytest.approx(1.0, abs=1e-9)
        assert min(row.noise) >= -d and max(row.noise) <= d
        assert row.n_min + min(row.noise) >= 1
        assert row.variance() == pytest.approx(v, abs=1e-9)


@pytest.mark.parametrize(("d", "v"), PARAMS)
def test_rows_are_unbiased_wherever_the_support_allows_it(d: int, v: float) -> None:
    table = PerturbationTable.build(d, v)
    for row in table.rows[1:]:
        low = min(row.noise)
        if v < -low * d:  # mean 0 with variance v is attainable on [low, d]
            assert row.mean() == pytest.approx(0.0, abs=1e-9)
        else:  # the least bias at variance v: (mu - low) * (d - mu) = v
            mu = row.mean()
            assert mu > 0
            assert (mu - low) * (d - mu) == pytest.approx(v, abs=1e-9)
    generic = np.asarray(table.row_for(10**6).probability)
    np.testing.assert_allclose(generic, generic[::-1], atol=1e-12)  # symmetric on [-D, D]


def test_default_parameters_are_the_documented_ones() -> None:
    params = default_table().params()
    assert (params["max_noise"], params["variance"]) == (3, 2.0)
    assert 0.2 < params["p_zero"] < 0.3
    one = default_table().row_for(1)
    assert dict(zip(one.noise, one.probability, strict=True))[0] == pytest.approx(2 / 3)
    assert params["table_id"].startswith("ckm-D3-V2-")


def test_cell_key_is_the_key_sum_mod_2_32_scaled_to_unit_interval() -> None:
    assert cell_key(0) == 0.0
    assert cell_key(KEY_MODULUS + 5) == 5 / KEY_MODULUS
    assert cell_key(-1) == (KEY_MODULUS - 1) / KEY_MODULUS
    huge = np.array([7 * KEY_MODULUS**3 + 9, 3], dtype=object)  # DuckDB HUGEINT sums
    np.testing.assert_array_equal(cell_keys(huge), [9 / KEY_MODULUS, 3 / KEY_MODULUS])


def test_same_n_and_key_sum_give_the_same_count_however_the_records_are_listed() -> None:
    rng = np.random.default_rng(1)
    keys = rng.integers(0, KEY_MODULUS, size=40, dtype=np.int64)
    once = perturb_counts([40], [int(keys.sum())])
    shuffled = perturb_counts([40], [int(rng.permutation(keys).sum())])
    wrapped = perturb_counts([40], [int(keys.sum()) % KEY_MODULUS])
    assert once[0] == shuffled[0] == wrapped[0]
    n = rng.integers(1, 500, size=1000)
    k = rng.integers(0, 2**62, size=1000)
    np.testing.assert_array_equal(perturb_counts(n, k), perturb_counts(n.copy(), k.copy()))


def test_released_counts_stay_within_d_and_never_below_one() -> None:
    rng = np.random.default_rng(2)
    n = np.repeat(np.arange(0, 12), 5000)
    released = perturb_counts(n, rng.integers(0, 2**40, size=n.size))
    assert (np.abs(released - n) <= 3).all()
    assert (released[n >= 1] >= 1).all()
    assert (released[n == 0] == 0).all()


def test_a_total_perturbed_from_its_own_records_has_one_cells_noise() -> None:
    """Totals use (sum of parts' n, sum of parts' key sums), not the sum of noisy parts."""
    rng = np.random.default_rng(3)
    part_totals, own_totals, trials = [], [], 400
    for _ in range(trials):
        keys = rng.integers(0, KEY_MODULUS, size=300, dtype=np.int64)
        part = rng.integers(0, 20, size=300)  # 20 disjoint cells
        n = np.bincount(part, minlength=20)
        ks = np.bincount(part, weights=keys, minlength=20).astype(np.int64)  # < 2**53: exact
        own = perturb_counts([300], [int(keys.sum())])[0]
        assert own == perturb_counts([int(n.sum())], [int(ks.sum()) % KEY_MODULUS])[0]
        part_totals.append(int(perturb_counts(n, ks).sum()) - 300)
        own_totals.append(int(own) - 300)
    assert max(abs(e) for e in own_totals) <= 3
    # adding 20 noisy cells would add 20 noises (variance 40): often far outside [-3, 3]
    assert np.mean(np.abs(part_totals) > 3) > 0.4
    assert np.var(own_totals) == pytest.approx(2.0, rel=0.25)


@pytest.mark.parametrize("n", [1, 2, 3, 25])
def test_noise_of_different_record_sets_follows_the_table(n: int) -> None:
    rng = np.random.default_rng(100 + n)
    sets = 20000
    noise = perturb_counts(np.full(sets, n), _key_sums(rng, sets, n)) - n
    row = default_table().row_for(n)
    support = [d for d, p in zip(row.noise, row.probability, strict=True) if p > 0]
    observed = np.array([(noise == d).sum() for d in support])
    assert observed.sum() == sets  # nothing outside the row's support
    expected = np.array([p for p in row.probability if p > 0]) * sets
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 1e-3


def test_overlapping_record_sets_get_independent_noise() -> None:
    """Two cells sharing all records but one: their noises are (statistically) independent."""
    rng = np.random.default_rng(4)
    sets, n = 20000, 30
    common = _key_sums(rng, sets, n - 1)
    a = perturb_counts(np.full(sets, n), common + rng.integers(0, KEY_MODULUS, size=sets)) - n
    b = perturb_counts(np.full(sets, n), common + rng.integers(0, KEY_MODULUS, size=sets)) - n
    table = np.zeros((7, 7))
    np.add.at(table, (a + 3, b + 3), 1)
    assert stats.chi2_contingency(table).pvalue > 1e-3


def test_sum_noise_is_bounded_relative_and_unbiased() -> None:
    rng = np.random.default_rng(5)
    cells = 20000
    s = rng.uniform(1, 10_000, size=cells)
    n = rng.integers(1, 200, size=cells)
    released = perturb_sums(s, n, rng.integers(0, 2**40, size=cells))
    rel = (released - s) / s
    r = default_table().sum_max_relative
    assert (np.abs(rel) < r).all()
    assert abs(rel.mean()) < 4 * (r / np.sqrt(6)) / np.sqrt(cells)
    assert rel.std() == pytest.approx(r / np.sqrt(6), rel=0.05)


def test_sum_noise_is_consistent_and_depends_only_on_n_and_key_sum() -> None:
    s, n, k = np.array([120.0, 0.0, -50.0]), np.array([12, 4, 0]), np.array([5, 2**33 + 1, 9])
    first = perturb_sums(s, n, k)
    np.testing.assert_array_equal(first, perturb_sums(s, n, k % KEY_MODULUS))
    assert first[1] == 0.0  # a zero sum stays zero (noise scales with the magnitude)
    assert first[2] == -50.0  # an empty cell is not perturbed
    assert perturb_sums([120.0], [13], [5])[0] != first[0]  # another record set: another draw


def test_sum_streams_are_independent_of_the_count_noise_and_of_each_other() -> None:
    rng = np.random.default_rng(6)
    cells = 20000
    n = np.full(cells, 40)
    keys = _key_sums(rng, cells, 40)
    count_noise = perturb_counts(n, keys) - n
    victims = sum_stream(n, keys, measure="victims").sum(axis=-1)
    amounts = sum_stream(n, keys, measure="amount").sum(axis=-1)
    bound = 4 / np.sqrt(cells)
    assert abs(np.corrcoef(count_noise, victims)[0, 1]) < bound
    assert abs(np.corrcoef(victims, amounts)[0, 1]) < bound


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        perturb_counts([-1], [3])
    with pytest.raises(ValueError, match="whole"):
        perturb_counts([1.5], [3])
    with pytest.raises(ValueError, match="integers"):
        perturb_counts([1], [3.0])
    with pytest.raises(ValueError, match="shape"):
        perturb_counts([1, 2], [3])
    with pytest.raises(ValueError, match="finite"):
        perturb_sums([np.nan], [2], [3])
    with pytest.raises(ValueError, match="n = 1 row exists"):
        PerturbationTable.build(3, 3.0)  # V > D**2 / 4: the n = 1 row cannot reach V


def test_published_csv_and_json_describe_the_table_used() -> None:
    table = default_table()
    rows = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert len(rows) == sum(len(r.noise) for r in table.rows)
    for row in table.rows:
        mine = [r for r in rows if int(r["n_min"]) == row.n_min]
        assert [int(r["noise"]) for r in mine] == list(row.noise)
        assert [float(r["probability"]) for r in mine] == list(row.probability)
        assert float(mine[0]["cell_key_from"]) == 0.0 and float(mine[-1]["cell_key_to"]) == 1.0
        for before, after in itertools.pairwise(mine):
            assert before["cell_key_to"] == after["cell_key_from"]
        # the published intervals give the noise perturb_counts applies
        n = row.n_min
        for r in mine:
            lo, hi = float(r["cell_key_from"]), float(r["cell_key_to"])
            if hi > lo:
                key = int(np.ceil(lo * KEY_MODULUS))
                assert perturb_counts([n], [key])[0] - n == int(r["noise"])
    body = json.loads(table.to_json())
    assert body["table_id"] == table.table_id
    assert [tuple(r["probability"]) for r in body["rows"]] == [r.probability for r in table.rows]
