"""paired_difference: the paired mean difference and its Student-t interval."""

import numpy as np
import pytest
from scipy import stats

from keras_psa.training import paired_difference

pytestmark = pytest.mark.flavor_independent


def test_interval_matches_scipys_paired_t_test():
    rng = np.random.default_rng(3)
    baseline = rng.normal(0.3, 0.03, size=5)
    values = baseline + rng.normal(0.02, 0.01, size=5)
    result = paired_difference(values, baseline)
    expected = stats.ttest_rel(values, baseline).confidence_interval(0.95)
    assert result["mean"] == pytest.approx(float(np.mean(values - baseline)))
    assert (result["low"], result["high"]) == pytest.approx((expected.low, expected.high))
    assert result["n"] == 5


def test_pairing_removes_the_seed_spread():
    # A constant gain on top of a large seed-to-seed spread: the paired interval is tight
    # although the two arms' own spreads overlap.
    baseline = np.array([0.20, 0.35, 0.27, 0.31, 0.24])
    gain = np.array([0.030, 0.031, 0.029, 0.030, 0.030])
    result = paired_difference(baseline + gain, baseline)
    assert 0.028 < result["low"] < 0.030 < result["high"] < 0.032


def test_one_pair_has_no_interval():
    result = paired_difference([0.5], [0.4])
    assert result["mean"] == pytest.approx(0.1)
    assert result["low"] is None and result["high"] is None and result["std"] is None


@pytest.mark.parametrize("values, baseline", [([0.1, 0.2], [0.1]), ([], []),
                                              ([[0.1]], [[0.1]])])
def test_mismatched_runs_are_refused(values, baseline):
    with pytest.raises(ValueError, match="same, non-zero"):
        paired_difference(values, baseline)


def test_confidence_must_be_a_probability():
    with pytest.raises(ValueError, match="`confidence` must be in"):
        paired_difference([0.1, 0.2], [0.1, 0.1], confidence=95)
