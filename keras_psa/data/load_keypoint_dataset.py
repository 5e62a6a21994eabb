"""The keypoint entry point: `load_keypoint_dataset(name, ...)` -> (image, heatmap targets)."""

import dataclasses
import glob
import os

import numpy as np
import tensorflow as tf

from keras_psa.data.coco_keypoints import CocoKeypoints
from keras_psa.data.keypoint_figures import KeypointFigures
from keras_psa.data.load_dataset import _element_stream
from keras_psa.data.procedural_scenes import normalize_image_size
from keras_psa.keypoints.heatmaps import pack_targets
from keras_psa.keypoints.heatmaps import render_heatmaps

KEYPOINT_DATASETS = ("figures", "coco:ROOT")


@dataclasses.dataclass(frozen=True)
class KeypointDatasetInfo:
    """Facts about one split returned by `load_keypoint_dataset`.

    Args:
        name: the dataset name as passed.
        split: the split loaded.
        skeleton: the `Skeleton` (joint names, limbs, flip pairs, OKS sigmas).
        image_size: (height, width) of the images.
        heatmap_size: (height, width) of the targets.
        sigma: Gaussian sigma of the targets, heatmap pixels.
        num_examples: examples in the split (one epoch).
        batch_size: the batch size.
        steps_per_epoch: batches per epoch.
    """

    name: str
    split: str
    skeleton: object
    image_size: tuple
    heatmap_size: tuple
    sigma: float
    num_examples: int
    batch_size: int
    steps_per_epoch: int

    @property
    def num_joints(self):
        return self.skeleton.num_joints


def _coco_split(root, split):
    pattern = os.path.join(root, "annotations", f"person_keypoints_{split}*.json")
    found = sorted(glob.glob(pattern))
    if len(found) != 1:
        raise ValueError(
            f"`name` 'coco:{root}' needs exactly one annotation file {pattern} for split "
            f"{split!r} (COCO's layout: annotations/person_keypoints_val2017.json beside "
            f"val2017/). Found {found or 'none'}."
        )
    stem = os.path.basename(found[0])[len("person_keypoints_"):-len(".json")]
    for folder in (os.path.join(root, stem), os.path.join(root, "images", stem),
                   os.path.join(root, "images")):
        if os.path.isdir(folder):
            return found[0], folder
    raise ValueError(f"No image folder for {found[0]}: looked for {root}/{stem}/, "
                     f"{root}/images/{stem}/ and {root}/images/.")


def make_keypoint_source(name, image_size, split="train", seed=0, num_examples=None):
    """The random-access source behind `name`: dicts of image, keypoints, visibility, bbox."""
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a str. Received: name={name!r}")
    if name == "figures":
        return KeypointFigures(image_size, split=split, seed=seed, num_examples=num_examples)
    if name.startswith("coco:") and len(name) > 5:
        annotation_file, image_dir = _coco_split(name[5:], split)
        return CocoKeypoints(annotation_file, image_dir, image_size=image_size)
    raise ValueError(
        "`name` must be 'figures' or 'coco:ROOT' (ROOT/annotations/person_keypoints_<split>"
        f"*.json and its image folder). Received: name={name!r}"
    )


def default_sigma(heatmap_size):
    """The target sigma when none is given: 1/32 of the heatmap height, at least 2.

    That is UDP/HRNet's sigma 2 at 64x48 heatmaps of 256x192 crops, scaled up
    for larger maps. Smaller maps keep sigma 2: on 32x24 stride-4 maps of
    128x96 figures it reached PCK@0.1 0.684 where sigma 1 reached 0.631 (800
    steps, docs/keypoints.md).
    """
    return max(2.0, heatmap_size[0] / 32.0)


def _heatmap_size(value):
    """(height, width) of the targets: ints >= 3, the least `decode_heatmaps` decodes."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 3
                    for v in value)):
        return int(value[0]), int(value[1])
    raise ValueError("`heatmap_size` must be an int or a (height, width) pair of ints >= 3. "
                     f"Received: heatmap_size={value!r}")


def flip_example(image, keypoints, visibility, skeleton):
    """Mirrors an example left-right and swaps the skeleton's left/right joints.

    Pixel centres sit at integers, so x becomes `width - 1 - x` exactly.
    """
    width = image.shape[1]
    permutation = skeleton.flip_permutation()
    keypoints = keypoints[permutation].copy()
    keypoints[:, 0] = width - 1 - keypoints[:, 0]
    return image[:, ::-1].copy(), keypoints, visibility[permutation].copy()


def load_keypoint_dataset(name, image_size, batch_size, split="train", seed=0, *, shuffle=None,
                          augment=None, repeat=False, start_step=0, drop_remainder=None,
                          num_examples=None, heatmap_size=None, sigma=None):
    """Batched tf.data pipeline of (image, packed heatmap targets) and its info.

    Images are float32 RGB (B, H, W, 3) in 0..255; targets float32
    (B, h, w, K): one Gaussian per labeled keypoint (`render_heatmaps`), the
    channels of target weight 0 filled with -1 (`pack_targets`, read by
    `HeatmapMSE`).

    Args:
        name: `"figures"` (`KeypointFigures`) or `"coco:ROOT"` (`CocoKeypoints`
            on ROOT/annotations/person_keypoints_<split>*.json).
        image_size: int or (height, width), e.g. (128, 96).
        batch_size: examples per batch.
        split: `"train"`, `"val"` or `"test"`.
        seed: seeds the figures, the order and the flips.
        shuffle: shuffle each epoch; default True for `"train"`.
        augment: random horizontal flip with the skeleton's left/right joints
            swapped; default True for `"train"`.
        repeat, start_step: an endless stream resumable at a step (as
            `load_dataset`).
        drop_remainder: default True for `"train"`.
        num_examples: examples per split of `"figures"`.
        heatmap_size: (height, width) of the targets; default `image_size`
            (the models predict at input resolution).
        sigma: target sigma in heatmap pixels; default `default_sigma`.

    Returns:
        `(dataset, KeypointDatasetInfo)`.
    """
    image_size = normalize_image_size(image_size)
    heatmap_size = image_size if heatmap_size is None else _heatmap_size(heatmap_size)
    sigma = default_sigma(heatmap_size) if sigma is None else float(sigma)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(
            f"`batch_size` must be a positive int. Received: batch_size={batch_size!r}")
    if start_step and not repeat:
        raise ValueError("`start_step` resumes an endless stream: pass repeat=True with it. "
                         f"Received: start_step={start_step}, repeat={repeat}")
    source = make_keypoint_source(name, image_size, split, seed, num_examples)
    skeleton = source.skeleton
    training = split == "train"
    shuffle = training if shuffle is None else bool(shuffle)
    augment = training if augment is None else bool(augment)
    drop_remainder = training if drop_remainder is None else bool(drop_remainder)
    count = len(source)
    if drop_remainder and count < batch_size and not repeat:
        raise ValueError(
            f"Split {split!r} of {name!r} has {count} examples, fewer than one batch of "
            f"{batch_size}: lower `batch_size` or pass drop_remainder=False.")
    steps = count // batch_size if drop_remainder else -(-count // batch_size)
    joints = skeleton.num_joints

    def load(index, element_seed):
        example = source[int(index)]
        image, keypoints, visibility = (example["image"], example["keypoints"],
                                        example["visibility"])
        if augment and np.random.default_rng(element_seed.tolist()).random() < 0.5:
            image, keypoints, visibility = flip_example(image, keypoints, visibility, skeleton)
        heatmaps, weights = render_heatmaps(keypoints, visibility, heatmap_size, image_size,
                                            sigma)
        return image.astype(np.float32), pack_targets(heatmaps, weights)

    def read(index, element_seed):
        image, targets = tf.numpy_function(load, [index, element_seed],
                                           (tf.float32, tf.float32), stateful=False)
        image = tf.ensure_shape(image, [*image_size, 3])
        targets = tf.ensure_shape(targets, [*heatmap_size, joints])
        return image, targets

    dataset = _element_stream(count, batch_size, seed, shuffle, repeat, start_step)
    dataset = dataset.map(read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
    info = KeypointDatasetInfo(
        name=name, split=split, skeleton=skeleton, image_size=image_size,
        heatmap_size=heatmap_size, sigma=sigma, num_examples=count,
        batch_size=int(batch_size), steps_per_epoch=max(1, steps))
    return dataset, info


def keypoint_examples(name, image_size, split="val", count=None, seed=0, num_examples=None):
    """The first `count` examples of a split (all by default) as stacked numpy arrays.

    Returns:
        dict: `images` (N, H, W, 3), `keypoints` (N, K, 2), `visibility`
        (N, K), `bbox` (N, 4), `area` (N,); and `skeleton`.
    """
    source = make_keypoint_source(name, image_size, split, seed, num_examples)
    total = len(source) if count is None else min(int(count), len(source))
    examples = [source[i] for i in range(total)]
    stacked = {key: np.stack([e[key] for e in examples])
               for key in ("image", "keypoints", "visibility", "bbox", "area")}
    stacked["images"] = stacked.pop("image")
    stacked["skeleton"] = source.skeleton
    return stacked


def keypoint_representative_images(name, image_size, count=100, seed=0, num_examples=None):
    """`count` training images (N, H, W, 3), unflipped, for int8 calibration."""
    source = make_keypoint_source(name, image_size, "train", seed, num_examples)
    return np.stack([source[i]["image"] for i in range(min(int(count), len(source)))])
