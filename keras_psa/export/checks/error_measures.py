"""Error measures shared by the parity checks."""

import numpy as np


def relative_error(actual, expected):
    """max |actual - expected| / max |expected|, computed in float64.

    Normalising by the largest reference value (not element-wise) keeps
    near-zero outputs from dominating; it is the measure behind every tolerance
    of this package.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"Shapes differ: {actual.shape} vs {expected.shape}")
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-12)
    return float(np.max(np.abs(actual - expected))) / scale if expected.size else 0.0


def share_within_steps(actual, expected, step, steps):
    """Share of elements with |actual - expected| <= `steps` quantization steps."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"Shapes differ: {actual.shape} vs {expected.shape}")
    # A hair of slack: float32 rounding of values that sit on a step boundary.
    within = np.abs(actual - expected) <= steps * step * (1 + 1e-4)
    return float(np.mean(within)) if within.size else 1.0


def label_agreement(actual, expected):
    """Share of pixels whose label (argmax over the last axis) is the same.

    The task-level figure of a segmentation output `(..., H, W, classes)`;
    None for outputs without a class axis (one channel, or rank < 3).
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise ValueError(f"Shapes differ: {actual.shape} vs {expected.shape}")
    if actual.ndim < 3 or actual.shape[-1] < 2:
        return None
    return float(np.mean(np.argmax(actual, axis=-1) == np.argmax(expected, axis=-1)))


def peak_agreement(actual, expected):
    """Share of heatmaps (one per image and keypoint) whose peak is at the same cell.

    The task-level figure of a heatmap output `(N, H, W, keypoints)`: the peak
    is where a keypoint is decoded; None for outputs of another rank.
    """
    moved = _peak_distances(actual, expected)
    return None if moved is None else float(np.mean(moved == 0))


def peak_shift(actual, expected):
    """Mean distance between the peaks of two heatmap outputs `(N, H, W, keypoints)`,
    in output cells; None for outputs of another rank. Beside `peak_agreement`
    it tells a peak moved to the next cell from one moved across the map."""
    moved = _peak_distances(actual, expected)
    return None if moved is None else float(np.mean(moved))


def _peak_distances(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise ValueError(f"Shapes differ: {actual.shape} vs {expected.shape}")
    if actual.ndim != 4:
        return None
    width = actual.shape[2]

    def peaks(maps):
        flat = np.argmax(maps.reshape(maps.shape[0], -1, maps.shape[-1]), axis=1)
        return np.stack([flat // width, flat % width], axis=-1)

    return np.linalg.norm(peaks(actual) - peaks(expected), axis=-1)


# The task-level agreement of each kind of output, under its name in the checks' details.
AGREEMENTS = {"labels": ("label_agreement", label_agreement),
              "heatmaps": ("peak_agreement", peak_agreement)}
