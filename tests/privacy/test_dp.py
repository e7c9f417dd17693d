"""DP mode: OpenDP discrete Laplace for counts and clipped sums, with a 95 % interval and ε."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gateway.privacy.dp import clip_contributions, dp_counts, dp_sums, query_cost

DRAWS = 20000


def _discrete_laplace_coverage(scale: float, half_width: float) -> float:
    """P(|X| <= h) for X ~ discrete Laplace(scale), from its probability mass function."""
    t = math.exp(-1 / scale)
    h = int(half_width)
    return 1 - 2 * t ** (h + 1) / (1 + t)


def _within_3_sigma(observed: float, expected: float) -> bool:
    return abs(observed - expected) <= 3 * math.sqrt(expected * (1 - expected) / DRAWS)


@pytest.mark.parametrize("epsilon", [0.1, 0.5, 1.0, 2.0])
def test_count_intervals_cover_the_true_value_95_percent_of_the_time(epsilon: float) -> None:
    truth = np.full(DRAWS, 40)
    release = dp_counts(truth, epsilon)
    covered = float(np.mean(np.abs(release.values - truth) <= release.half_width))
    exact = _discrete_laplace_coverage(release.scale, release.half_width)
    assert 0.95 <= exact < 0.98  # a discrete interval over-covers a little, never under
    assert _within_3_sigma(covered, exact)
    assert release.mechanism == "discrete_laplace"
    assert release.values.dtype == np.int64
    assert release.scale == pytest.approx(1 / epsilon)
    assert release.epsilon <= epsilon and release.epsilon == pytest.approx(epsilon)


def test_count_noise_is_unbiased_with_the_discrete_laplace_variance() -> None:
    release = dp_counts(np.zeros(DRAWS, dtype=np.int64), 0.5)
    t = math.exp(-1 / release.scale)
    variance = 2 * t / (1 - t) ** 2
    assert abs(release.values.mean()) < 4 * math.sqrt(variance / DRAWS)
    assert release.values.var() == pytest.approx(variance, rel=0.1)


def test_float_sum_intervals_cover_95_percent_and_scale_with_the_bound() -> None:
    truth = np.full(DRAWS, 1234.5)
    release = dp_sums(truth, 1.0, 2.5)
    covered = float(np.mean(np.abs(release.values - truth) <= release.half_width))
    assert release.mechanism == "laplace"
    assert release.scale >= 2.5 and release.scale == pytest.approx(2.5)
    assert release.half_width == pytest.approx(2.5 * math.log(20), rel=1e-6)
    assert _within_3_sigma(covered, 0.95)
    assert release.epsilon <= 1.0


def test_integer_sums_with_an_integer_bound_use_the_discrete_mechanism() -> None:
    truth = np.full(DRAWS, 300, dtype=np.int64)
    release = dp_sums(truth, 0.5, 10)
    assert release.mechanism == "discrete_laplace"
    assert release.scale == pytest.approx(20.0)
    covered = float(np.mean(np.abs(release.values - truth) <= release.half_width))
    assert _within_3_sigma(covered, _discrete_laplace_coverage(20.0, release.half_width))


def test_the_numpy_sampler_for_benchmarks_is_reproducible_and_calibrated() -> None:
    truth = np.full(DRAWS, 40)
    first = dp_counts(truth, 1.0, rng=np.random.default_rng(7))
    again = dp_counts(truth, 1.0, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first.values, again.values)
    covered = float(np.mean(np.abs(first.values - truth) <= first.half_width))
    assert _within_3_sigma(covered, _discrete_laplace_coverage(first.scale, first.half_width))


def test_a_planned_query_costs_what_its_releases_report() -> None:
    counts = dp_counts([5, 7], 0.4)
    victims = dp_sums([10, 20], 0.3, 5)
    amount = dp_sums([1.5, 2.5], 0.2, 2.5)
    planned = query_cost(count_epsilon=0.4, sum_epsilons=[0.3, 0.2], sum_bounds=[5, 2.5])
    assert planned == pytest.approx(counts.epsilon + victims.epsilon + amount.epsilon)
    assert planned <= 0.9 and planned == pytest.approx(0.9)
    assert query_cost(count_epsilon=1.0) == pytest.approx(1.0)
    assert query_cost() == 0.0


def test_contributions_are_clipped_before_they_are_summed() -> None:
    clipped = clip_contributions([-3.0, 0.5, 12.0, np.nan], 5.0)
    np.testing.assert_array_equal(clipped, [0.0, 0.5, 5.0, 0.0])


def test_bad_inputs_are_refused() -> None:
    for eps in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="epsilon"):
            dp_counts([1], eps)
    with pytest.raises(ValueError, match="negative"):
        dp_counts([-1], 1.0)
    with pytest.raises(ValueError, match="whole"):
        dp_counts([1.5], 1.0)
    with pytest.raises(ValueError, match="not negative"):
        dp_sums([-2.0], 1.0, 5.0)  # a negative sum cannot come from clipped contributions
    with pytest.raises(ValueError, match="bound"):
        dp_sums([2.0], 1.0, 0.0)
    with pytest.raises(ValueError, match="one bound per sum"):
        query_cost(sum_epsilons=[0.1, 0.2], sum_bounds=[1.0])


def test_an_empty_query_releases_nothing_but_still_states_its_interval() -> None:
    release = dp_counts(np.array([], dtype=np.int64), 1.0)
    assert release.values.shape == (0,)
    assert release.half_width > 0
