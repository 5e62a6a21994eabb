"""Shared base of the built-in scene generators: seeded, random-access, any size."""

import types

import numpy as np

SPLITS = ("train", "val", "test")


def normalize_image_size(image_size):
    """Returns (height, width) from an int or a pair, with a clear error otherwise."""
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        size = (int(image_size), int(image_size))
    elif (
        isinstance(image_size, (tuple, list))
        and len(image_size) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in image_size)
    ):
        size = (int(image_size[0]), int(image_size[1]))
    else:
        raise ValueError(
            "`image_size` must be an int or a (height, width) pair of ints. "
            f"Received: image_size={image_size!r}"
        )
    if min(size) < 16:
        raise ValueError(
            "`image_size` must be at least 16 pixels on each side. "
            f"Received: image_size={image_size!r}"
        )
    return size


class ProceduralScenes:
    """Base class: scene `i` of a split is a pure function of (seed, split, i).

    Subclasses implement `_render(rng)` returning (image float32 (H, W, 3) in
    0..255, mask int32 (H, W)) and set `class_names`.
    """

    class_names = ("background",)
    default_num_examples = types.MappingProxyType({"train": 1000, "val": 200, "test": 200})

    def __init__(self, image_size, split="train", seed=0, num_examples=None):
        if split not in SPLITS:
            raise ValueError(f"`split` must be one of {SPLITS}. Received: split={split!r}")
        if num_examples is None:
            num_examples = self.default_num_examples[split]
        if not isinstance(num_examples, (int, np.integer)) or num_examples < 1:
            raise ValueError(
                f"`num_examples` must be a positive int. Received: num_examples={num_examples!r}"
            )
        self.image_size = normalize_image_size(image_size)
        self.split = split
        self.seed = int(seed)
        self.num_examples = int(num_examples)

    @property
    def num_classes(self):
        return len(self.class_names)

    def __len__(self):
        return self.num_examples

    def __getitem__(self, index):
        index = int(index)
        if not 0 <= index < self.num_examples:
            raise IndexError(f"Scene index {index} out of range [0, {self.num_examples}).")
        rng = np.random.default_rng([self.seed, SPLITS.index(self.split), index])
        return self._render(rng)

    def _render(self, rng):
        raise NotImplementedError
