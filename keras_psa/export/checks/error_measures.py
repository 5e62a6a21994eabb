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


def share_within_steps(actual, expected, step, steps, sigmoid_input_step=None):
    """Share of elements with |actual - expected| <= `steps` quantization steps.

    With `sigmoid_input_step` (the output of an int8 sigmoid, see
    `OutputGrid`), an element also counts when the two values come from logits
    within `steps` steps of that logit grid: each value stands for the logits
    its 1/`step` bin covers, and the gap between the two bins is measured.
    This admits everything the plain measure admits (from one step on) and
    what one step of the logits does on the sigmoid's steep part.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"Shapes differ: {actual.shape} vs {expected.shape}")
    # A hair of slack: float32 rounding of values that sit on a step boundary.
    within = np.abs(actual - expected) <= steps * step * (1 + 1e-4)
    if sigmoid_input_step and steps > 0:
        low_a, high_a = _logit_bin(actual, step)
        low_e, high_e = _logit_bin(expected, step)
        gap = np.maximum(low_a - high_e, low_e - high_a)  # <= 0 where the bins overlap
        within |= gap <= steps * sigmoid_input_step * (1 + 1e-4)
    return float(np.mean(within)) if within.size else 1.0


def _logit_bin(values, step):
    """The logits whose sigmoid rounds to `values` on a grid of `step`.

    The lowest bin reaches -inf and the highest +inf: TFLite's int8 sigmoid
    clamps there.
    """
    low = values - step / 2
    high = values + step / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(low <= 0, -np.inf, np.log(low) - np.log1p(-low))
        high = np.where(values + step >= 1, np.inf, np.log(high) - np.log1p(-high))
    return low, high


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
    is where a keypoint is decoded; None for outputs of another rank. A map
    whose maximum is reached at several cells (common on an int8 grid, where
    neighbours of a peak round to the same value) has each of them as its
    peak: two maps agree when their peak cells overlap.
    """
    moved = _peak_distances(actual, expected)
    return None if moved is None else float(np.mean(moved == 0))


def peak_shift(actual, expected, cell_size=(1.0, 1.0)):
    """Mean distance between the peaks of two heatmap outputs `(N, H, W, keypoints)`,
    in output cells (between the nearest of tied peak cells), or in input pixels
    with `cell_size`, the (height, width) of a cell there; None for outputs of
    another rank. Beside `peak_agreement` it tells a peak moved to the next cell
    from one moved across the map."""
    moved = _peak_distances(actual, expected, cell_size)
    return None if moved is None else float(np.mean(moved))


def _peak_distances(actual, expected, cell_size=(1.0, 1.0)):
    """(N * keypoints,) distances between the nearest peak cells of each pair of maps."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise ValueError(f"Shapes differ: {actual.shape} vs {expected.shape}")
    if actual.ndim != 4:
        return None
    height, width = actual.shape[1:3]
    rows, cols = np.divmod(np.arange(height * width), width)
    cells = np.stack([rows, cols], axis=-1).astype(np.float64) * np.asarray(cell_size)

    def peak_cells(maps):  # (N * keypoints, H * W) masks of the cells at the maximum
        flat = np.moveaxis(maps.reshape(maps.shape[0], -1, maps.shape[-1]), 1, -1)
        flat = flat.reshape(-1, height * width)
        return flat == flat.max(axis=1, keepdims=True)

    distances = []
    for a, e in zip(peak_cells(actual), peak_cells(expected)):
        if (a & e).any():  # also spares a flat map's every-cell-ties-every-cell pairs
            distances.append(0.0)
            continue
        # The nearest cells of two disjoint sets lie on their edges: a cell whose four
        # neighbours are all in its set has one nearer the other set.
        ours, theirs = cells[_edge(a, height, width)], cells[_edge(e, height, width)]
        distances.append(min(  # in chunks: two long edges stay in memory
            np.sqrt(((ours[i:i + 256, None] - theirs[None]) ** 2).sum(-1)).min()
            for i in range(0, len(ours), 256)))
    return np.asarray(distances)


def _edge(mask, height, width):
    """The cells of a flat (H * W) mask with a neighbour outside it inside the map."""
    grid = np.pad(mask.reshape(height, width), 1, constant_values=True)
    inner = (grid[:-2, 1:-1] & grid[2:, 1:-1] & grid[1:-1, :-2] & grid[1:-1, 2:])
    return (mask.reshape(height, width) & ~inner).ravel()


# The task-level agreement of each kind of output, under its name in the checks' details.
AGREEMENTS = {"labels": ("label_agreement", label_agreement),
              "heatmaps": ("peak_agreement", peak_agreement)}
