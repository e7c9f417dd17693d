"""Release rules: contributor thresholds (others' records only) and the dominance rule."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.privacy.rules import dominance_mask, threshold_mask


def test_a_cell_passes_at_exactly_k_entities_and_exactly_p_organisations() -> None:
    n_other = np.array([10, 9, 10, 50, 0])
    orgs_other = np.array([2, 5, 1, 2, 0])
    assert threshold_mask(n_other, orgs_other, 10, 2).tolist() == [True, False, False, True, False]


def test_threshold_treats_unknown_counts_as_not_released() -> None:
    mask = threshold_mask(np.array([np.nan, 12.0, 12.0]), np.array([3.0, np.nan, 3.0]), 10, 2)
    assert mask.tolist() == [False, False, True]
    assert mask.dtype == np.bool_


def test_threshold_refuses_negative_counts_and_meaningless_thresholds() -> None:
    with pytest.raises(ValueError, match="n_other"):
        threshold_mask([-1], [2], 10, 2)
    with pytest.raises(ValueError, match="orgs_other"):
        threshold_mask([11], [-2], 10, 2)
    with pytest.raises(ValueError, match="at least 1"):
        threshold_mask([11], [2], 0, 2)
    with pytest.raises(ValueError, match="at least 1"):
        threshold_mask([11], [2], 10, 0)
    with pytest.raises(ValueError, match="shape"):
        threshold_mask([11, 12], [2], 10, 2)


def test_threshold_handles_empty_inputs() -> None:
    assert threshold_mask(np.array([], dtype=np.int64), np.array([]), 10, 2).shape == (0,)


def test_top_two_holding_exactly_the_share_passes_more_is_withheld() -> None:
    total = np.array([100.0, 100.0, 100.0, 20.0, 7.0])
    top1 = np.array([50.0, 80.0, 84.0, 10.0, 3.0])
    top2 = np.array([35.0, 5.01, 2.0, 7.0, 2.95])
    assert dominance_mask(total, top1, top2).tolist() == [True, False, False, True, True]


def test_dominance_with_one_record_rule_and_another_share() -> None:
    total, top1 = np.array([100.0, 100.0, 100.0]), np.array([60.0, 60.01, 30.0])
    assert dominance_mask(total, top1, None, n=1, share=0.6).tolist() == [True, False, True]


def test_a_zero_sum_has_no_dominant_record_and_nan_is_withheld() -> None:
    assert dominance_mask([0.0], [0.0], [0.0]).tolist() == [True]
    assert dominance_mask([np.nan, 10.0], [1.0, np.nan], [1.0, 1.0]).tolist() == [False, False]


def test_a_single_contributor_holding_the_whole_sum_is_withheld() -> None:
    assert dominance_mask([98.0], [98.0], [0.0]).tolist() == [False]


def test_dominance_refuses_inconsistent_or_negative_inputs() -> None:
    with pytest.raises(ValueError, match="negative"):
        dominance_mask([10.0], [-1.0], [0.0])
    with pytest.raises(ValueError, match="exceed top1"):
        dominance_mask([10.0], [1.0], [2.0])
    with pytest.raises(ValueError, match="exceed the cell"):
        dominance_mask([10.0], [8.0], [3.0])
    with pytest.raises(ValueError, match="top2 is required"):
        dominance_mask([10.0], [8.0], None)
    with pytest.raises(ValueError, match="top 1 or top 2"):
        dominance_mask([10.0], [8.0], [1.0], n=3)
    with pytest.raises(ValueError, match="share"):
        dominance_mask([10.0], [8.0], [1.0], share=0.0)
    with pytest.raises(ValueError, match="finite"):
        dominance_mask([np.inf], [8.0], [1.0])
