"""Sub-pixel keypoints from heatmaps (numpy, so an app can run it after any delegate)."""

import numpy as np

from keras_psa.keypoints.heatmaps import input_to_heatmap_scale


def _gaussian_blur(heatmaps, kernel_size):
    """Separable Gaussian blur of (B, H, W, K) with zero padding, OpenCV's sigma rule."""
    sigma = 0.3 * ((kernel_size - 1) * 0.5 - 1) + 0.8
    radius = kernel_size // 2
    taps = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * sigma * sigma))
    taps /= taps.sum()
    padded = np.pad(heatmaps, ((0, 0), (radius, radius), (radius, radius), (0, 0)))
    height, width = heatmaps.shape[1:3]
    rows = sum(t * padded[:, i:i + height] for i, t in enumerate(taps))
    return sum(t * rows[:, :, i:i + width] for i, t in enumerate(taps))


def decode_heatmaps(heatmaps, input_size, blur_kernel=None):
    """Decodes keypoints `[x, y, score]` in input pixels from heatmaps.

    The integer argmax of each channel is refined by one Newton step on the
    log-heatmap (DARK, Zhang et al., CVPR 2020): a Gaussian's logarithm is a
    quadratic, so a Gaussian target decodes to its exact sub-pixel centre.
    Heatmap pixels map to input pixels by UDP's `(input - 1) / (heatmap - 1)`
    (Huang et al., CVPR 2020), the convention `render_heatmaps` renders in.
    A predicted heatmap is smoothed first (`blur_kernel`), as DARK does, so
    that its log is close to a quadratic around the peak; the score is the
    unsmoothed channel maximum.

    Args:
        heatmaps: float (H, W, K) or (B, H, W, K), e.g. a model's output.
        input_size: (height, width) of the model input.
        blur_kernel: odd kernel size of the smoothing, or None/0 for none
            (exact targets). mmpose uses 11 for sigma 2.

    Returns:
        float32 (K, 3) or (B, K, 3): `[x, y, score]` per keypoint.
    """
    heatmaps = np.asarray(heatmaps, np.float64)
    single = heatmaps.ndim == 3
    if single:
        heatmaps = heatmaps[None]
    if heatmaps.ndim != 4 or min(heatmaps.shape[1:3]) < 3:
        raise ValueError("`heatmaps` must have shape (H, W, K) or (B, H, W, K) with H, W >= 3. "
                         f"Received: heatmaps.shape={heatmaps.shape}")
    if blur_kernel and (not isinstance(blur_kernel, int) or blur_kernel < 3
                        or blur_kernel % 2 == 0):
        raise ValueError("`blur_kernel` must be None, 0 or an odd int >= 3. "
                         f"Received: blur_kernel={blur_kernel!r}")
    batch, height, width, joints = heatmaps.shape
    scale_x, scale_y = input_to_heatmap_scale((height, width), input_size)
    flat = heatmaps.reshape(batch, height * width, joints)
    index = np.argmax(flat, axis=1)  # (B, K)
    scores = np.take_along_axis(flat, index[:, None, :], axis=1)[:, 0]
    y = index // width
    x = index % width

    smooth = _gaussian_blur(heatmaps, blur_kernel) if blur_kernel else heatmaps
    log = np.log(np.maximum(smooth, 1e-10))
    # Central differences need both neighbours: peaks on the border stay integer.
    xc = np.clip(x, 1, width - 2)
    yc = np.clip(y, 1, height - 2)
    b = np.arange(batch)[:, None]
    k = np.arange(joints)[None, :]

    def at(dy, dx):
        return log[b, yc + dy, xc + dx, k]

    center = at(0, 0)
    dx = 0.5 * (at(0, 1) - at(0, -1))
    dy = 0.5 * (at(1, 0) - at(-1, 0))
    dxx = at(0, 1) - 2 * center + at(0, -1)
    dyy = at(1, 0) - 2 * center + at(-1, 0)
    dxy = 0.25 * (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1))
    det = dxx * dyy - dxy * dxy
    # Newton step only at a proper maximum (negative-definite Hessian).
    valid = (det > 1e-12) & (dxx < 0) & (x == xc) & (y == yc)
    safe = np.where(valid, det, 1.0)
    step_x = np.where(valid, -(dyy * dx - dxy * dy) / safe, 0.0)
    step_y = np.where(valid, -(dxx * dy - dxy * dx) / safe, 0.0)
    # A step beyond half a pixel means the quadratic model does not hold there.
    step_x = np.clip(step_x, -0.5, 0.5)
    step_y = np.clip(step_y, -0.5, 0.5)
    result = np.stack([(x + step_x) / scale_x, (y + step_y) / scale_y, scores], axis=-1)
    result = result.astype(np.float32)
    return result[0] if single else result
