"""Representative images for post-training int8 calibration.

Sources: a named dataset of the package (e.g. "shapes", "digits" from
`keras_psa.data`), a folder of images, a callable or iterable of float images,
or "random" (uniform noise, only good enough for tests).
"""

import importlib
import itertools
import os

import numpy as np

from keras_psa.export.conversion.input_range import DATASET_PIXEL_RANGE

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
_NAMED = {}


def register_dataset(name, factory):
    """Registers `factory(image_size) -> iterable of (H, W, C) or (1, H, W, C)
    float images` as a named representative dataset."""
    _NAMED[name] = factory


def _named_dataset(name, image_size, num_samples):
    if name not in _NAMED:
        # keras_psa.data (when present) offers representative_dataset(name, size, n),
        # a callable yielding [image] with image (1, H, W, 3).
        try:
            data = importlib.import_module("keras_psa.data")
        except ImportError:
            data = None
        factory = getattr(data, "representative_dataset", None) if data else None
        if factory is None:
            raise ValueError(
                "`representative` must be 'random', a folder of images, or a registered "
                f"dataset name ({sorted(_NAMED) or 'none registered'}; keras_psa.data is "
                f"not available). Received: representative={name}"
            )
        try:
            items = factory(name, image_size, num_images=num_samples)()
        except (KeyError, ValueError) as error:
            raise ValueError(
                f"`representative` names no dataset of keras_psa.data: {error}. "
                f"Received: representative={name}"
            ) from error
    else:
        items = _NAMED[name](image_size)
    for item in items:
        # Datasets yield [image], (image, label) pairs or dicts; keep the image.
        if isinstance(item, dict):
            item = item.get("image", next(iter(item.values())))
        elif isinstance(item, (tuple, list)):
            item = item[0]
        yield np.asarray(item, dtype=np.float32)


def _folder_images(folder, image_size, channels, pixel_range):
    from PIL import Image

    files = sorted(
        os.path.join(root, f)
        for root, _, names in os.walk(folder)
        for f in names
        if f.lower().endswith(_IMAGE_SUFFIXES)
    )
    if not files:
        raise ValueError(f"`representative` folder {folder} holds no images ({_IMAGE_SUFFIXES}).")
    low, high = pixel_range
    for path in files:
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB")
            image = image.resize((image_size[1], image_size[0]), Image.BILINEAR)
            array = np.asarray(image, dtype=np.float32).reshape(*image_size, channels)
        yield low + array / 255.0 * (high - low)


def _random_images(image_size, channels, pixel_range, seed=0):
    rng = np.random.default_rng(seed)
    low, high = pixel_range
    while True:
        yield rng.uniform(low, high, size=(*image_size, channels)).astype(np.float32)


def needs_pixel_range(source):
    """Whether images from `source` are made in a given pixel range (random, folder)."""
    return source is None or (isinstance(source, str) and (
        source == "random" or os.path.isdir(source)))


def _rescaled(images, pixel_range):
    low, high = pixel_range
    base_low, base_high = DATASET_PIXEL_RANGE
    for image in images:
        yield low + (image - base_low) * ((high - low) / (base_high - base_low))


def representative_images(source, image_size, channels=3, num_samples=100,
                          pixel_range=None):
    """Yields `num_samples` float32 images of shape (1, H, W, C).

    Args:
        source: "random", a dataset name, a folder path, a callable returning an
            iterable, or an iterable of images (H, W, C) or (1, H, W, C).
        image_size: `(H, W)` the model takes.
        channels: input channels.
        num_samples: how many calibration images to yield.
        pixel_range: `(low, high)` the model expects. Random and folder
            images are made in it (required for them); named datasets, which
            are 0..255, are rescaled to it (None: used as they are);
            callables and iterables are used as they are. The converter reads
            it from the model (`model_input_range`).
    """
    image_size = tuple(int(d) for d in image_size)
    if needs_pixel_range(source) and pixel_range is None:
        raise ValueError(
            "`pixel_range` must be given for random or folder calibration images: it is the "
            "value range the model takes (0..255 for the package's models). Received: "
            f"representative={source!r}, pixel_range=None"
        )
    if source is None or (isinstance(source, str) and source == "random"):
        images = _random_images(image_size, channels, pixel_range)
    elif isinstance(source, str) and os.path.isdir(source):
        images = _folder_images(source, image_size, channels, pixel_range)
    elif isinstance(source, str):
        images = _named_dataset(source, image_size, num_samples)
        if pixel_range is not None and tuple(pixel_range) != DATASET_PIXEL_RANGE:
            images = _rescaled(images, pixel_range)
    elif callable(source):
        images = iter(source())
    else:
        images = iter(source)
    count = 0
    for image in itertools.islice(images, num_samples):
        image = np.asarray(image, dtype=np.float32)
        if image.ndim == 4:  # a batch: feed its images one by one
            for single in image:
                if count < num_samples:
                    count += 1
                    yield _check_shape(single[None], image_size, channels)
            continue
        count += 1
        yield _check_shape(image[None], image_size, channels)


def _check_shape(batch, image_size, channels):
    if batch.shape[1:] != (*image_size, channels):
        raise ValueError(
            f"Representative images must be {(*image_size, channels)} to match the model. "
            f"Received: {batch.shape[1:]}"
        )
    return batch
