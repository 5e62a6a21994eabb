"""The task-level agreement measures of the checks: labels of logits, peaks of heatmaps."""

import numpy as np
import pytest

from keras_psa.export.checks.error_measures import AGREEMENTS
from keras_psa.export.checks.error_measures import label_agreement
from keras_psa.export.checks.error_measures import peak_agreement
from keras_psa.export.checks.error_measures import peak_shift

pytestmark = pytest.mark.flavor_independent


def _heatmaps(peaks, shape=(8, 6)):
    """(N, H, W, K) maps that are 0.1 everywhere and 1 at `peaks[n][k]` = (y, x)."""
    peaks = np.asarray(peaks)
    maps = np.full((peaks.shape[0], *shape, peaks.shape[1]), 0.1, np.float32)
    for n, joints in enumerate(peaks):
        for k, (y, x) in enumerate(joints):
            maps[n, y, x, k] = 1.0
    return maps


def test_peak_agreement_counts_heatmaps_whose_peak_stays():
    expected = _heatmaps([[(1, 1), (2, 3)], [(7, 5), (0, 0)]])
    moved = _heatmaps([[(1, 1), (2, 4)], [(7, 5), (0, 0)]])
    assert peak_agreement(expected, expected) == 1.0
    assert peak_agreement(moved, expected) == 0.75
    # One of four peaks moved to the next cell; or across the map, 3 rows and 4 columns.
    assert peak_shift(moved, expected) == 0.25
    across = _heatmaps([[(4, 5), (2, 3)], [(7, 5), (0, 0)]])
    assert peak_shift(across, expected) == pytest.approx(5 / 4)
    # Noise below the peak moves no keypoint, though it changes which joint is
    # strongest at most pixels: the per-pixel label of a heatmap means nothing.
    noisy = expected + np.random.default_rng(0).uniform(0, 0.5, expected.shape).astype("float32")
    assert peak_agreement(noisy, expected) == 1.0
    assert label_agreement(noisy, expected) < 0.9


def test_agreements_refuse_other_shapes_and_skip_other_ranks():
    with pytest.raises(ValueError, match="Shapes differ"):
        peak_agreement(np.zeros((1, 4, 4, 2)), np.zeros((1, 4, 4, 3)))
    assert peak_agreement(np.zeros((4, 4, 2)), np.zeros((4, 4, 2))) is None
    assert peak_shift(np.zeros((4, 4, 2)), np.zeros((4, 4, 2))) is None
    assert AGREEMENTS["heatmaps"] == ("peak_agreement", peak_agreement)
    assert AGREEMENTS["labels"] == ("label_agreement", label_agreement)


def _int8_sigmoid(logits):
    """TFLite's int8 LOGISTIC seen in real units: sigmoid rounded to 1/256, top at 255/256."""
    return np.minimum(np.round(1 / (1 + np.exp(-logits)) * 256), 255) / 256


def test_an_int8_sigmoid_output_is_counted_in_steps_of_its_logits():
    from keras_psa.export.checks.error_measures import share_within_steps

    logit_step, out_step = 0.125, 1 / 256
    logits = np.arange(-64, 64) * logit_step  # -8 .. 8 on the logit grid
    expected = _int8_sigmoid(logits)
    one_step = _int8_sigmoid(logits + logit_step)
    # One logit step moves the steep middle of the sigmoid by up to 8 output steps.
    assert share_within_steps(one_step, expected, out_step, 1) < 0.8
    assert share_within_steps(one_step, expected, out_step, 1, logit_step) == 1.0
    # Three logit steps are not one, wherever the sigmoid is not flat.
    three_steps = _int8_sigmoid(logits + 3 * logit_step)
    moved = np.abs(three_steps - expected) > 3 * out_step
    assert moved.sum() > 20
    within_one = share_within_steps(three_steps, expected, out_step, 1, logit_step)
    assert within_one <= 1 - moved.mean()
    assert share_within_steps(three_steps, expected, out_step, 3, logit_step) == 1.0
    # 0 steps stays exact equality.
    assert share_within_steps(one_step, expected, out_step, 0, logit_step) == np.mean(
        one_step == expected)


def test_the_logit_measure_admits_all_the_output_measure_does_and_saturates_honestly():
    from keras_psa.export.checks.error_measures import share_within_steps

    rng = np.random.default_rng(0)
    expected = rng.uniform(0, 1, 1000)  # fake-quant Keras: float sigmoid values
    actual = _int8_sigmoid(np.log(expected / (1 - expected)) + rng.normal(0, 0.5, 1000))
    for steps in (1, 2, 3):
        plain = np.abs(actual - expected) <= steps / 256 * (1 + 1e-4)
        assert share_within_steps(actual, expected, 1 / 256, steps, 0.05) >= plain.mean()
    # Both clamped at 0 (or at the top) agree; one at each end does not.
    low, high = np.array([0.0]), np.array([255 / 256])
    assert share_within_steps(low, np.array([1e-6]), 1 / 256, 1, 0.1) == 1.0
    assert share_within_steps(high, np.array([1.0]), 1 / 256, 1, 0.1) == 1.0
    assert share_within_steps(low, high, 1 / 256, 3, 0.1) == 0.0


def test_tied_maxima_are_all_peaks():
    # Neighbours of a peak that round to the same int8 value: either cell is the peak.
    expected = _heatmaps([[(3, 3)]])
    tied = expected.copy()
    tied[0, 3, 2, 0] = 1.0  # a tie left of the peak, first in raster order
    assert peak_agreement(tied, expected) == 1.0 and peak_shift(tied, expected) == 0.0
    # A peak that moved off every tied cell still counts, by the nearest one.
    elsewhere = _heatmaps([[(3, 5)]])
    assert peak_agreement(elsewhere, tied) == 0.0
    assert peak_shift(elsewhere, tied) == 2.0


def test_a_flat_heatmap_ties_everywhere_and_is_measured_quickly():
    flat = np.zeros((1, 256, 192, 2), np.float32)  # a dead model's output
    assert peak_agreement(flat, _heatmaps([[(5, 5), (250, 190)]], shape=(256, 192))) == 1.0
    half = flat.copy()
    half[:, 128:] = 1.0  # two large disjoint plateaus: the lower and the upper half
    other = flat.copy()
    other[:, :120] = 1.0
    assert peak_shift(half, other) == 9.0  # rows 119 and 128


def test_the_peak_shift_is_the_nearest_distance_between_tied_peak_cells():
    rng = np.random.default_rng(0)
    maps = rng.integers(0, 12, (2, 12, 9, 40)).astype(np.float32)  # coarse values: ties
    actual, expected = maps[:1], maps[1:]
    cells = np.stack(np.divmod(np.arange(12 * 9), 9), -1)
    brute = []
    for k in range(40):
        a, e = (m[0, ..., k].ravel() for m in (actual, expected))
        ours, theirs = cells[a == a.max()], cells[e == e.max()]
        brute.append(np.sqrt(((ours[:, None] - theirs[None]) ** 2).sum(-1)).min())
    assert 0 < np.mean(np.asarray(brute) == 0) < 1  # both kinds of pair occur
    assert peak_shift(actual, expected) == pytest.approx(np.mean(brute))
    assert peak_agreement(actual, expected) == pytest.approx(np.mean(np.asarray(brute) == 0))
