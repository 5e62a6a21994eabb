"""Tiny model files for the inference tests: built once per module, converted in seconds."""

import json

import numpy as np
import pytest

from keras_psa.keras_flavor import keras

SEGMENTATION_SIZE = (64, 64)
KEYPOINT_SIZE = (64, 48)


def _digits_class_names():
    from keras_psa.data.load_dataset import make_source

    return list(make_source("digits", 64, "val", num_examples=1).class_names)


def segmentation_net(num_classes, rescaling=True, seed=0):
    """Rescaling -> conv -> 1x1 conv to `num_classes` logits, seeded weights."""
    inputs = keras.Input((*SEGMENTATION_SIZE, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0)(inputs) if rescaling else inputs
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu",
                            kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
    outputs = keras.layers.Conv2D(num_classes, 1, name="logits",
                                  kernel_initializer=keras.initializers.GlorotUniform(seed + 1))(x)
    return keras.Model(inputs, outputs)


def heatmap_net(num_joints, seed=0):
    inputs = keras.Input((*KEYPOINT_SIZE, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(8, 5, padding="same", activation="relu",
                            kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
    outputs = keras.layers.Conv2D(num_joints, 5, padding="same", activation="sigmoid",
                                  name="heatmaps",
                                  kernel_initializer=keras.initializers.GlorotUniform(seed + 1))(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def segmentation_files(tmp_path_factory):
    """`{"keras", "float32", "int8", "bare"}` paths: a digits-class model as .keras (with
    summary.json), float32 and int8 .tflite with labels, and a .tflite of a model without
    Rescaling and without metadata."""
    from keras_psa.export import convert_model

    folder = tmp_path_factory.mktemp("segmentation")
    names = _digits_class_names()
    model = segmentation_net(len(names))
    model.save(folder / "model.keras")
    (folder / "summary.json").write_text(json.dumps({"dataset": {"class_names": names}}))
    convert_model(model, str(folder / "float32.tflite"), labels=names)
    convert_model(model, str(folder / "int8.tflite"), quantization="int8",
                  representative="digits", num_calibration_samples=8, labels=names)
    bare = folder / "bare"
    bare.mkdir()
    convert_model(segmentation_net(len(names), rescaling=False), str(bare / "bare.tflite"),
                  metadata=None)
    return {"keras": str(folder / "model.keras"), "float32": str(folder / "float32.tflite"),
            "int8": str(folder / "int8.tflite"), "bare": str(bare / "bare.tflite"),
            "class_names": names}


@pytest.fixture(scope="module")
def keypoint_files(tmp_path_factory):
    """`{"float32", "other"}`: two heatmap .tflite files with the figures' joint names."""
    from keras_psa.export import convert_model
    from keras_psa.keypoints import FIGURE_SKELETON

    folder = tmp_path_factory.mktemp("keypoints")
    names = list(FIGURE_SKELETON.joint_names)
    paths = {}
    for key, seed in (("float32", 0), ("other", 5)):
        paths[key] = str(folder / f"{key}.tflite")
        convert_model(heatmap_net(len(names), seed), paths[key], keypoint_names=names)
    return paths


def random_image(height, width, seed=0):
    """A smooth random uint8 RGB picture (blobs, so masks have regions, not noise)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(2, height // 8), max(2, width // 8), 3)).astype(np.uint8)
    from PIL import Image

    return np.asarray(Image.fromarray(small).resize((width, height), Image.BILINEAR))
