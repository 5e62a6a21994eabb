"""Stateless (seeded, replayable) tf ops that resize and augment image/mask pairs."""

import tensorflow as tf


def resize_pair(image, mask, image_size):
    """Resizes to `image_size`: bilinear for the image, nearest for the mask."""
    image = tf.image.resize(image, image_size, method="bilinear")
    mask = tf.image.resize(mask[..., None], image_size, method="nearest")[..., 0]
    return image, mask


def augment_pair(image, mask, seed, image_size, scale_range=(0.5, 1.0), flip=True,
                 color_jitter=0.2):
    """Random scale-crop, horizontal flip and colour jitter, then resize.

    Args:
        image: float32 (H, W, 3) in 0..255.
        mask: int32 (H, W).
        seed: int tensor of shape (2,); the same seed gives the same result.
        image_size: (height, width) of the output.
        scale_range: the crop's side as a fraction of the image side.
        flip: whether to flip left-right half of the time (leave it off for classes
            that a mirror changes, such as digits).
        color_jitter: strength of brightness/contrast/saturation/hue changes (0 disables).
    """
    seeds = tf.unstack(tf.random.experimental.stateless_split(seed, num=7))
    shape = tf.shape(image)
    height = tf.cast(shape[0], tf.float32)
    width = tf.cast(shape[1], tf.float32)
    scale = tf.random.stateless_uniform([], seeds[0], scale_range[0], scale_range[1])
    crop_h = tf.maximum(1, tf.cast(tf.round(height * scale), tf.int32))
    crop_w = tf.maximum(1, tf.cast(tf.round(width * scale), tf.int32))
    offset = tf.random.stateless_uniform([2], seeds[1])
    top = tf.cast(offset[0] * tf.cast(shape[0] - crop_h + 1, tf.float32), tf.int32)
    left = tf.cast(offset[1] * tf.cast(shape[1] - crop_w + 1, tf.float32), tf.int32)
    image = image[top:top + crop_h, left:left + crop_w]
    mask = mask[top:top + crop_h, left:left + crop_w]
    image, mask = resize_pair(image, mask, image_size)
    if flip:
        do_flip = tf.random.stateless_uniform([], seeds[2]) < 0.5
        image = tf.cond(do_flip, lambda: tf.reverse(image, [1]), lambda: image)
        mask = tf.cond(do_flip, lambda: tf.reverse(mask, [1]), lambda: mask)
    if color_jitter:
        j = float(color_jitter)
        unit = image / 255.0
        unit = tf.image.stateless_random_brightness(unit, j * 0.5, seeds[3])
        unit = tf.image.stateless_random_contrast(unit, 1 - j, 1 + j, seeds[4])
        unit = tf.image.stateless_random_saturation(unit, 1 - j, 1 + j, seeds[5])
        unit = tf.image.stateless_random_hue(unit, min(0.5, j * 0.25), seeds[6])
        image = tf.clip_by_value(unit, 0.0, 1.0) * 255.0
    return image, mask
