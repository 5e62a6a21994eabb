"""Vectorized numpy textures shared by the procedural scene generators."""

import numpy as np


def resize_bilinear(array, height, width):
    """Bilinear resize of a (h, w) or (h, w, c) float array, align-corners style."""
    h, w = array.shape[:2]
    ys = np.linspace(0.0, h - 1.0, height, dtype=np.float32)
    xs = np.linspace(0.0, w - 1.0, width, dtype=np.float32)
    y0 = np.floor(ys).astype(np.int32)
    x0 = np.floor(xs).astype(np.int32)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    wy = ys - y0
    wx = xs - x0
    if array.ndim == 3:
        wy = wy[:, None, None]
        wx = wx[None, :, None]
    else:
        wy = wy[:, None]
        wx = wx[None, :]
    top = array[y0][:, x0] * (1 - wx) + array[y0][:, x1] * wx
    bottom = array[y1][:, x0] * (1 - wx) + array[y1][:, x1] * wx
    return (top * (1 - wy) + bottom * wy).astype(np.float32)


def smooth_noise(rng, height, width, cell=8):
    """Value noise in [0, 1]: a coarse random grid upsampled to (height, width)."""
    coarse = rng.random((max(2, height // cell + 2), max(2, width // cell + 2)), dtype=np.float32)
    return resize_bilinear(coarse, height, width)


def pattern(rng, height, width):
    """A random scalar pattern in [0, 1]: stripes, checkers, dots, noise or a blend."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    kind = rng.integers(0, 5)
    period = rng.uniform(4.0, 16.0)
    angle = rng.uniform(0.0, np.pi)
    phase = rng.uniform(0.0, 2 * np.pi)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    if kind == 0:  # stripes
        t = 0.5 + 0.5 * np.sin(2 * np.pi * u / period + phase)
    elif kind == 1:  # checkers
        t = (np.sin(2 * np.pi * u / period + phase) * np.sin(2 * np.pi * v / period) > 0)
        t = t.astype(np.float32)
    elif kind == 2:  # dots
        s = np.sin(2 * np.pi * u / period + phase) * np.sin(2 * np.pi * v / period)
        t = (s > 0.5).astype(np.float32)
    elif kind == 3:  # smooth noise
        t = smooth_noise(rng, height, width, cell=int(rng.integers(4, 16)))
    else:  # wavy stripes
        warp = smooth_noise(rng, height, width, cell=16) * period * 2
        t = 0.5 + 0.5 * np.sin(2 * np.pi * (u + warp) / period + phase)
    return t.astype(np.float32)


def random_color(rng, low=0.0, high=255.0):
    return rng.uniform(low, high, size=3).astype(np.float32)


def texture(rng, height, width, color_a=None, color_b=None, contrast=1.0):
    """An RGB float32 texture (height, width, 3) mixing two colours by a random pattern."""
    color_a = random_color(rng) if color_a is None else color_a
    color_b = random_color(rng) if color_b is None else color_b
    color_b = color_a + (color_b - color_a) * contrast
    t = pattern(rng, height, width)[..., None]
    return color_a * (1.0 - t) + color_b * t


def add_noise(rng, image, sigma_max=12.0):
    """Adds pixel noise and a smooth illumination field, then clips to [0, 255]."""
    height, width = image.shape[:2]
    light = 0.75 + 0.5 * smooth_noise(rng, height, width, cell=max(8, min(height, width) // 2))
    sigma = rng.uniform(0.0, sigma_max)
    # Uniform noise of the same standard deviation: several times cheaper than normal draws.
    noise = (rng.random(image.shape, dtype=np.float32) - 0.5) * (sigma * np.sqrt(12.0))
    return np.clip(image * light[..., None] + noise, 0.0, 255.0).astype(np.float32)
