"""Procedural scenes of textured shapes with noise and occlusion."""

import numpy as np

from keras_psa.data import textures
from keras_psa.data.procedural_scenes import ProceduralScenes


class ShapeScenes(ProceduralScenes):
    """Scenes of textured circles, rectangles, triangles and stars on a textured background.

    Shapes are drawn in random order so later ones occlude earlier ones; thin
    background-labelled bars occlude some shapes; an illumination field and
    pixel noise are added last. Scene `i` depends only on (seed, split, i).

    Args:
        image_size: int or (height, width).
        split: `"train"`, `"val"` or `"test"`; each split draws different scenes.
        seed: int, the seed of the whole set.
        num_examples: scenes in the split (default 1000 train, 200 val/test).
        max_objects: most shapes in one scene (at least 2 are drawn).
        occluders: most background bars drawn over the shapes.

    Example:
    ```python
    scenes = ShapeScenes(128, split="train", seed=0)
    image, mask = scenes[0]  # float32 (128, 128, 3) in 0..255, int32 (128, 128)
    ```
    """

    class_names = ("background", "circle", "rectangle", "triangle", "star")

    def __init__(self, image_size, split="train", seed=0, num_examples=None, max_objects=6,
                 occluders=2):
        super().__init__(image_size, split=split, seed=seed, num_examples=num_examples)
        if max_objects < 2:
            raise ValueError(f"`max_objects` must be >= 2. Received: max_objects={max_objects}")
        self.max_objects = int(max_objects)
        self.occluders = int(occluders)

    def _render(self, rng):
        height, width = self.image_size
        image = textures.texture(rng, height, width, contrast=rng.uniform(0.2, 0.6))
        mask = np.zeros((height, width), np.int32)
        short = min(height, width)
        for _ in range(rng.integers(2, self.max_objects + 1)):
            kind = int(rng.integers(1, self.num_classes))
            radius = rng.uniform(0.08, 0.22) * short
            cy = rng.uniform(0.0, height)
            cx = rng.uniform(0.0, width)
            y0, y1 = int(max(0, cy - radius)), int(min(height, cy + radius + 1))
            x0, x1 = int(max(0, cx - radius)), int(min(width, cx + radius + 1))
            if y1 - y0 < 2 or x1 - x0 < 2:
                continue
            yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
            inside = _shape_mask(
                kind, xx - cx, yy - cy, radius, rng.uniform(0, 2 * np.pi), rng.uniform(0.45, 0.95)
            )
            patch = textures.texture(rng, y1 - y0, x1 - x0)
            image[y0:y1, x0:x1][inside] = patch[inside]
            mask[y0:y1, x0:x1][inside] = kind
        for _ in range(rng.integers(0, self.occluders + 1)):
            inside = _bar_mask(rng, height, width, short)
            color = textures.random_color(rng)
            image[inside] = color * rng.uniform(0.8, 1.2, size=(1, 3)).astype(np.float32)
            mask[inside] = 0
        return textures.add_noise(rng, image), mask


def _shape_mask(kind, dx, dy, radius, angle, aspect):
    if kind == 1:  # circle
        return dx * dx + dy * dy <= radius * radius
    if kind == 2:  # rotated rectangle
        u = dx * np.cos(angle) + dy * np.sin(angle)
        v = -dx * np.sin(angle) + dy * np.cos(angle)
        return (np.abs(u) <= radius * 0.95) & (np.abs(v) <= radius * aspect)
    if kind == 3:  # equilateral triangle: three half-planes at the inradius
        inside = np.ones(dx.shape, bool)
        for k in range(3):
            phi = angle + 2 * np.pi * k / 3
            inside &= dx * np.cos(phi) + dy * np.sin(phi) <= radius * 0.5
        return inside
    # five-pointed star in polar form
    rho = np.sqrt(dx * dx + dy * dy)
    theta = np.arctan2(dy, dx) - angle
    spikes = np.abs(((theta * 5 / (2 * np.pi)) % 1.0) - 0.5) * 2  # 1 at tips, 0 between
    return rho <= radius * (0.45 + 0.55 * spikes)


def _bar_mask(rng, height, width, short):
    """A thick straight bar crossing part of the image."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    p = np.array([rng.uniform(0, width), rng.uniform(0, height)], np.float32)
    angle = rng.uniform(0, np.pi)
    d = np.array([np.cos(angle), np.sin(angle)], np.float32)
    half_length = rng.uniform(0.2, 0.6) * short
    half_width = rng.uniform(0.01, 0.03) * short + 1.0
    along = (xx - p[0]) * d[0] + (yy - p[1]) * d[1]
    across = -(xx - p[0]) * d[1] + (yy - p[1]) * d[0]
    return (np.abs(along) <= half_length) & (np.abs(across) <= half_width)
