"""Paired difference of a metric between two arms of a study, with its confidence interval."""

import numpy as np


def paired_difference(values, baseline, confidence=0.95):
    """Mean of `values - baseline` over paired runs and its Student-t confidence interval.

    Runs are paired when they share everything but the arm under study (same seed:
    same data order, same initialisation seed), so the seed-to-seed spread cancels
    out of the difference.

    Args:
        values: the metric of each run of the arm, in seed order.
        baseline: the metric of the baseline run with the same seed, in the same order.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        A dict: `mean`, `std` (of the differences, ddof 1), `low`, `high` (the interval;
        None with fewer than two pairs) and `n`.

    Example:

    >>> result = paired_difference([0.52, 0.55, 0.50], [0.50, 0.52, 0.49])
    >>> round(result["mean"], 4), result["n"]
    (0.02, 3)
    """
    values = np.asarray(values, dtype=np.float64)
    baseline = np.asarray(baseline, dtype=np.float64)
    if values.ndim != 1 or values.shape != baseline.shape or values.size == 0:
        raise ValueError("`values` and `baseline` must be 1-D sequences of the same, non-zero "
                         f"length. Received: {values.shape} and {baseline.shape}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"`confidence` must be in (0, 1). Received: confidence={confidence}")
    differences = values - baseline
    result = {"mean": float(differences.mean()), "std": None, "low": None, "high": None,
              "n": int(differences.size)}
    if differences.size < 2:
        return result
    from scipy import stats

    result["std"] = float(differences.std(ddof=1))
    half = stats.t.ppf(0.5 + confidence / 2, differences.size - 1) * result["std"] / np.sqrt(
        differences.size)
    result["low"], result["high"] = result["mean"] - half, result["mean"] + half
    return result
