"""The one entry point training scripts use: `load_dataset(name, ...)`."""

import numpy as np
import tensorflow as tf

from keras_psa.data.augmentation import augment_pair
from keras_psa.data.augmentation import resize_pair
from keras_psa.data.dataset_info import DatasetInfo
from keras_psa.data.digit_scenes import DigitScenes
from keras_psa.data.directory_dataset import DirectoryDataset
from keras_psa.data.procedural_scenes import normalize_image_size
from keras_psa.data.shape_scenes import ShapeScenes

BUILT_IN = {"shapes": ShapeScenes, "digits": DigitScenes}


def make_source(name, image_size, split="train", seed=0, num_examples=None, num_classes=None,
                ignore_label=255):
    """Returns the random-access source behind `name` (numpy (image, mask) per index)."""
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a str. Received: name={name!r}")
    if name in BUILT_IN:
        return BUILT_IN[name](image_size, split=split, seed=seed, num_examples=num_examples)
    if name.startswith("dir:") and len(name) > 4:
        return DirectoryDataset(
            name[4:], split=split, num_classes=num_classes, ignore_label=ignore_label
        )
    raise ValueError(
        "`name` must be 'shapes', 'digits' or 'dir:PATH' (a folder with images/ and masks/). "
        f"Received: name={name!r}"
    )


def load_dataset(name, image_size, batch_size, split="train", seed=0, *, shuffle=None,
                 augment=None, repeat=False, start_step=0, drop_remainder=None,
                 num_examples=None, num_classes=None, ignore_label=255, augment_options=None):
    """Builds a batched, prefetched tf.data pipeline of (image, mask) and its `DatasetInfo`.

    Images are float32 RGB (B, H, W, 3) in 0..255 (models preprocess inside);
    masks are int32 (B, H, W) class indices.

    Args:
        name: `"shapes"`, `"digits"` or `"dir:PATH"` (see `DirectoryDataset`).
        image_size: int or (height, width) of the yielded images.
        batch_size: examples per batch.
        split: `"train"`, `"val"`, `"test"` (or `"all"` for directories).
        seed: seeds the scenes, the shuffle order and the augmentation.
        shuffle: shuffle each epoch; default True for `"train"`.
        augment: flip, scale-crop and colour jitter; default True for `"train"` of
            directories, False for the built-in scenes (they are random already, and
            a flip would mirror digits).
        repeat: yield an endless stream (use `steps_per_epoch` from the info). The
            order and augmentation of every element then depend only on `seed` and
            the element's position, so `start_step` resumes exactly.
        start_step: batches to skip at the start of an endless stream (resume).
        drop_remainder: drop the last incomplete batch; default True for `"train"`.
        num_examples: scenes per split of the built-in datasets.
        num_classes: classes of a directory dataset (else its `classes.txt`).
        ignore_label: mask value allowed besides the classes in directory masks.
        augment_options: dict of `augment_pair` keyword arguments.

    Returns:
        (dataset, info): a `tf.data.Dataset` and a `DatasetInfo`.

    Example:
    ```python
    train, info = load_dataset("digits", 128, batch_size=16, split="train", seed=0)
    model.fit(train, validation_data=load_dataset("digits", 128, 16, split="val")[0])
    ```
    """
    image_size = normalize_image_size(image_size)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(
            f"`batch_size` must be a positive int. Received: batch_size={batch_size!r}"
        )
    if start_step and not repeat:
        raise ValueError(
            "`start_step` resumes an endless stream: pass repeat=True with it. "
            f"Received: start_step={start_step}, repeat={repeat}"
        )
    source = make_source(name, image_size, split, seed, num_examples, num_classes, ignore_label)
    training = split == "train"
    shuffle = training if shuffle is None else bool(shuffle)
    directory = isinstance(source, DirectoryDataset)
    augment = (training and directory) if augment is None else bool(augment)
    drop_remainder = training if drop_remainder is None else bool(drop_remainder)
    count = len(source)
    if drop_remainder and count < batch_size and not repeat:
        raise ValueError(
            f"Split {split!r} of {name!r} has {count} examples, fewer than one batch of "
            f"{batch_size}: lower `batch_size` or pass drop_remainder=False."
        )
    steps = count // batch_size if drop_remainder else -(-count // batch_size)

    def load(index):
        return source[int(index)]

    def read(index, element_seed):
        image, mask = tf.numpy_function(load, [index], (tf.float32, tf.int32), stateful=False)
        image.set_shape([None, None, 3])
        mask.set_shape([None, None])
        if augment:
            image, mask = augment_pair(image, mask, element_seed, image_size,
                                       **(augment_options or {}))
        elif directory:
            image, mask = resize_pair(image, mask, image_size)
        image = tf.ensure_shape(image, [*image_size, 3])
        mask = tf.ensure_shape(mask, image_size)
        return image, mask

    dataset = _element_stream(count, batch_size, seed, shuffle, repeat, start_step)
    dataset = dataset.map(read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
    info = DatasetInfo(
        name=name, split=split, num_classes=source.num_classes,
        class_names=tuple(source.class_names), image_size=image_size, num_examples=count,
        batch_size=int(batch_size), steps_per_epoch=max(1, steps),
        ignore_label=source.ignore_label if directory else None,
    )
    return dataset, info


def _element_stream(count, batch_size, seed, shuffle, repeat, start_step):
    """(source index, augmentation seed) pairs in training order."""
    if shuffle and not repeat:
        # A finite epoch that Keras re-iterates: reshuffled and re-augmented each pass.
        indices = tf.data.Dataset.range(count).shuffle(
            count, seed=seed, reshuffle_each_iteration=True
        )
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        return tf.data.Dataset.zip((indices, seeds))
    first = int(start_step) * int(batch_size)
    first_epoch = first // count

    def epoch_elements(epoch):
        positions = tf.range(count, dtype=tf.int64)
        order = positions
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(
                positions, seed=tf.stack([tf.constant(seed, tf.int64), epoch])
            )
        global_positions = epoch * count + positions
        seeds = tf.stack([tf.fill([count], tf.constant(seed, tf.int64)), global_positions], 1)
        return tf.data.Dataset.from_tensor_slices((order, seeds))

    last_epoch = None if repeat else first_epoch + 1
    epochs = tf.data.Dataset.range(first_epoch, last_epoch or np.iinfo(np.int64).max)
    return epochs.flat_map(epoch_elements).skip(first - first_epoch * count)


def representative_dataset(name, image_size, num_images=100, seed=0, **kwargs):
    """A TFLite `representative_dataset` callable: yields `[image]`, image (1, H, W, 3).

    Images come from the train split in a fixed order, without augmentation. Keypoint
    datasets ("figures", "coco:ROOT") give their unflipped training crops.
    """
    if name == "figures" or name.startswith("coco:"):
        from keras_psa.data.load_keypoint_dataset import keypoint_representative_images

        images = keypoint_representative_images(name, image_size, num_images, seed)

        def keypoint_generator():
            for image in images:
                yield [image[None].astype(np.float32)]

        return keypoint_generator
    dataset, _ = load_dataset(name, image_size, 1, split="train", seed=seed, shuffle=False,
                              augment=False, drop_remainder=False, **kwargs)

    def generator():
        for image, _mask in dataset.take(num_images).as_numpy_iterator():
            yield [image]

    return generator


def validation_examples(name, image_size, count=8, seed=0, **kwargs):
    """The first `count` validation examples as numpy (images (N, H, W, 3), masks (N, H, W))."""
    dataset, _ = load_dataset(name, image_size, count, split="val", seed=seed, shuffle=False,
                              augment=False, drop_remainder=False, **kwargs)
    images, masks = next(dataset.as_numpy_iterator())
    return images, masks
