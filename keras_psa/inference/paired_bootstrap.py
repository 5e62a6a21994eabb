"""Paired bootstrap interval of a whole-set figure's difference between two models.

Mean IoU and OKS AP are figures of a whole validation set, not means of
per-image values: two files of one model differ by a few thousandths, and only
resampling the images (the same resample for both models) says whether that is
more than the images' own spread.
"""

import numpy as np

DEFAULT_RESAMPLES = 1000


def paired_bootstrap(score, baseline_score, count, resamples=DEFAULT_RESAMPLES, seed=0,
                     confidence=0.95):
    """`(difference, [low, high])` of `score - baseline_score` over `count` images.

    Args:
        score, baseline_score: functions of `counts` (N,) int, how often each image
            is drawn, returning the figure of that resample; `np.ones(N)` is the set
            itself.
        count: images in the set.
        resamples: bootstrap resamples.
        seed: seeds the resamples (the same for every model compared).
        confidence: coverage of the percentile interval.

    Example:

    >>> values, base = np.array([0.9, 0.8, 0.7]), np.array([0.8, 0.8, 0.6])
    >>> mean = lambda counts: lambda c: float(np.average(counts, weights=c))
    >>> difference, interval = paired_bootstrap(mean(values), mean(base), 3, resamples=50)
    >>> round(difference, 4), interval[0] <= difference <= interval[1]
    (0.0667, True)
    """
    if not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"`count` must be a positive int. Received: count={count!r}")
    if not isinstance(resamples, (int, np.integer)) or resamples < 10:
        raise ValueError(f"`resamples` must be an int >= 10. Received: resamples={resamples!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"`confidence` must be in (0, 1). Received: confidence={confidence}")
    whole = np.ones(count, np.int64)
    difference = float(score(whole) - baseline_score(whole))
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(resamples):
        counts = np.bincount(rng.integers(0, count, count), minlength=count)
        differences.append(score(counts) - baseline_score(counts))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(differences, [tail, 100 - tail])
    return difference, [float(low), float(high)]


def resample_examples(examples, counts):
    """The keypoint examples dict drawn `counts` times each (arrays repeated, the rest kept)."""
    index = np.repeat(np.arange(len(counts)), counts)
    return {key: (value[index] if isinstance(value, np.ndarray) else value)
            for key, value in examples.items()}
