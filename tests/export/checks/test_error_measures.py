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
