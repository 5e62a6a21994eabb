"""Multi-digit scenes built from scikit-learn's bundled handwritten digits."""

import functools

import numpy as np

from keras_psa.data import textures
from keras_psa.data.procedural_scenes import ProceduralScenes

# The train/val/test partition of the 1797 source digits is fixed (not tied to
# `seed`), so scenes of different seeds never leak source digits across splits.
_PARTITION_SEED = 1234
_SPLIT_FRACTIONS = {"train": (0.0, 0.7), "val": (0.7, 0.85), "test": (0.85, 1.0)}


@functools.lru_cache(maxsize=1)
def _load_digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.float32) / 16.0, digits.target.astype(np.int32)


def source_indices(split):
    """Indices into `sklearn.datasets.load_digits()` used by `split` (stratified, disjoint)."""
    _, labels = _load_digits()
    rng = np.random.default_rng(_PARTITION_SEED)
    start, stop = _SPLIT_FRACTIONS[split]
    chosen = []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        chosen.append(members[int(start * len(members)):int(stop * len(members))])
    return np.sort(np.concatenate(chosen))


class DigitScenes(ProceduralScenes):
    """Scenes of several handwritten digits, scaled and placed over a textured background.

    Digits come from `sklearn.datasets.load_digits` (8x8, shipped with
    scikit-learn, no download). Class `d + 1` is digit `d`, class 0 is
    background: 11 classes. Source digits are partitioned once into disjoint
    train (70 %), val (15 %) and test (15 %) pools, independent of `seed`.

    Args:
        image_size: int or (height, width).
        split: `"train"`, `"val"` or `"test"`.
        seed: int, the seed of the whole set.
        num_examples: scenes in the split (default 1000 train, 200 val/test).
        max_digits: most digits in one scene (at least 1).
        min_scale: smallest digit height as a fraction of the shorter image side.
        max_scale: largest digit height as a fraction of the shorter image side.

    Example:
    ```python
    scenes = DigitScenes(128, split="val", seed=0)
    image, mask = scenes[0]  # mask value 4 marks pixels of a handwritten "3"
    ```
    """

    class_names = ("background",) + tuple(f"digit_{d}" for d in range(10))

    def __init__(self, image_size, split="train", seed=0, num_examples=None, max_digits=5,
                 min_scale=0.2, max_scale=0.45):
        super().__init__(image_size, split=split, seed=seed, num_examples=num_examples)
        if max_digits < 1:
            raise ValueError(f"`max_digits` must be >= 1. Received: max_digits={max_digits}")
        if not 0 < min_scale <= max_scale <= 1:
            raise ValueError(
                "`min_scale` and `max_scale` must satisfy 0 < min_scale <= max_scale <= 1. "
                f"Received: min_scale={min_scale}, max_scale={max_scale}"
            )
        self.max_digits = int(max_digits)
        self.min_scale = float(min_scale)
        self.max_scale = float(max_scale)
        self.source_indices = source_indices(split)

    def _render(self, rng):
        height, width = self.image_size
        images, labels = _load_digits()
        background = textures.texture(rng, height, width, contrast=rng.uniform(0.1, 0.35))
        image = background
        mask = np.zeros((height, width), np.int32)
        short = min(height, width)
        for _ in range(rng.integers(1, self.max_digits + 1)):
            source = rng.choice(self.source_indices)
            size = max(8, int(rng.uniform(self.min_scale, self.max_scale) * short))
            box_w = max(6, int(size * rng.uniform(0.7, 1.0)))
            # Pad with zeros so the upsampled stroke fades out instead of being cut.
            glyph = textures.resize_bilinear(np.pad(images[source], 1), size, box_w)
            placed = False
            for _attempt in range(8):
                y0 = int(rng.integers(0, height - size + 1)) if height > size else 0
                x0 = int(rng.integers(0, width - box_w + 1)) if width > box_w else 0
                region = mask[y0:y0 + size, x0:x0 + box_w]
                if np.count_nonzero(region) <= 0.05 * region.size:
                    placed = True
                    break
            if not placed:
                continue
            alpha = np.clip((glyph[:region.shape[0], :region.shape[1]] - 0.15) / 0.35, 0, 1)
            ink = _ink(rng, image[y0:y0 + size, x0:x0 + box_w], region.shape)
            patch = image[y0:y0 + size, x0:x0 + box_w]
            patch[:] = patch * (1 - alpha[..., None]) + ink * alpha[..., None]
            region[alpha >= 0.5] = labels[source] + 1
        return textures.add_noise(rng, image, sigma_max=8.0), mask


def _ink(rng, under, shape):
    """A lightly textured ink colour that contrasts in brightness with what lies under it."""
    dark = under.mean() > 127.5
    low, high = (0.0, 90.0) if dark else (165.0, 255.0)
    a = textures.random_color(rng, low, high)
    b = textures.random_color(rng, low, high)
    return textures.texture(rng, shape[0], shape[1], color_a=a, color_b=b, contrast=0.5)
