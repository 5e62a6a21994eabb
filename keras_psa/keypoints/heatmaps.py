"""Gaussian heatmap targets in UDP's coordinate convention (numpy)."""

import numpy as np

# A channel filled with this value carries target weight 0 (see `pack_targets`).
IGNORED = -1.0


def _size_pair(arg, value):
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 2
                    for v in value)):
        return int(value[0]), int(value[1])
    raise ValueError(f"`{arg}` must be a (height, width) pair of ints >= 2. "
                     f"Received: {arg}={value!r}")


def input_to_heatmap_scale(heatmap_size, input_size):
    """(sx, sy) mapping input pixels to heatmap pixels, UDP style.

    UDP (Huang et al., CVPR 2020) measures both images in pixel-centre units
    from the first to the last pixel, so the scale is `(heatmap - 1) /
    (input - 1)`, not `heatmap / input`; a flip or a resize then moves a
    keypoint exactly as it moves the pixels.
    """
    heatmap_h, heatmap_w = _size_pair("heatmap_size", heatmap_size)
    input_h, input_w = _size_pair("input_size", input_size)
    return (heatmap_w - 1) / (input_w - 1), (heatmap_h - 1) / (input_h - 1)


def render_heatmaps(keypoints, visibility, heatmap_size, input_size, sigma):
    """Renders one Gaussian per keypoint and the per-joint target weights.

    Args:
        keypoints: float (K, 2) or (B, K, 2) `[x, y]` in input pixels (pixel
            centres at integers).
        visibility: (K,) or (B, K) COCO flags: 0 unlabeled, 1 labeled but
            occluded, 2 visible. Labeled keypoints (1 or 2) get a Gaussian.
        heatmap_size: (height, width) of the heatmaps.
        input_size: (height, width) of the input image.
        sigma: Gaussian standard deviation in heatmap pixels.

    Returns:
        `(heatmaps, weights)`: float32 (..., height, width, K) in [0, 1], peak 1
        at the keypoint, and float32 (..., K), 1 for a labeled keypoint inside
        the heatmap, 0 otherwise (its channel is all zeros).

    Example:

    >>> heatmaps, weights = render_heatmaps(
    ...     np.array([[10.3, 20.7]]), np.array([2]), (32, 24), (64, 48), sigma=2.0)
    >>> heatmaps.shape, weights.tolist()
    ((32, 24, 1), [1.0])
    """
    keypoints = np.asarray(keypoints, np.float64)
    visibility = np.asarray(visibility)
    if keypoints.ndim not in (2, 3) or keypoints.shape[-1] != 2:
        raise ValueError("`keypoints` must have shape (K, 2) or (B, K, 2). "
                         f"Received: keypoints.shape={keypoints.shape}")
    if visibility.shape != keypoints.shape[:-1]:
        raise ValueError(f"`visibility` must have shape {keypoints.shape[:-1]}. "
                         f"Received: visibility.shape={visibility.shape}")
    if not np.isscalar(sigma) or not sigma > 0:
        raise ValueError(f"`sigma` must be a positive number. Received: sigma={sigma!r}")
    scale_x, scale_y = input_to_heatmap_scale(heatmap_size, input_size)
    height, width = _size_pair("heatmap_size", heatmap_size)
    mu_x = keypoints[..., 0] * scale_x
    mu_y = keypoints[..., 1] * scale_y
    inside = (mu_x >= 0) & (mu_x <= width - 1) & (mu_y >= 0) & (mu_y <= height - 1)
    weights = ((visibility > 0) & inside & np.isfinite(mu_x) & np.isfinite(mu_y))
    xs = np.arange(width, dtype=np.float64)
    ys = np.arange(height, dtype=np.float64)
    # Separable: exp(-(dx² + dy²) / 2σ²) = gx · gy, computed per axis.
    gx = np.exp(-((xs - np.nan_to_num(mu_x)[..., None]) ** 2) / (2 * sigma * sigma))
    gy = np.exp(-((ys - np.nan_to_num(mu_y)[..., None]) ** 2) / (2 * sigma * sigma))
    heatmaps = gy[..., :, None] * gx[..., None, :]  # (..., K, H, W)
    heatmaps *= weights[..., None, None]
    return (np.moveaxis(heatmaps, -3, -1).astype(np.float32), weights.astype(np.float32))


def pack_targets(heatmaps, weights):
    """One training target per example: channels of weight 0 filled with -1.

    `HeatmapMSE` leaves those channels out; a single tensor keeps `fit`,
    distribution strategies and both Keras flavors on their ordinary path.
    """
    heatmaps = np.asarray(heatmaps, np.float32)
    weights = np.asarray(weights, np.float32)
    return np.where(weights[..., None, None, :] > 0, heatmaps, np.float32(IGNORED))


def unpack_targets(targets):
    """Inverse of `pack_targets`: `(heatmaps, weights)`."""
    targets = np.asarray(targets, np.float32)
    weights = (targets[..., 0, 0, :] >= 0).astype(np.float32)
    return np.maximum(targets, 0.0), weights
