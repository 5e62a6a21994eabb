"""Gives an untrained model the BatchNormalization statistics of real images."""

import numpy as np

from keras_psa.keras_flavor import keras


def _batch_norm_layers(model):
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization):
            yield layer


def set_batch_norm_statistics(model, images):
    """Sets every BatchNormalization's moving mean and variance to the statistics
    of its input on `images`.

    A freshly initialised network keeps moving mean 0 and variance 1, so at
    inference its activations shrink or grow layer by layer (to 1e-8 and below
    deep in MobileNetV3). Int8 calibration then yields scales no trained model
    has, and XNNPACK rejects ops whose input/output scale ratio falls out of
    its range. Benchmarks of untrained models call this first so that their
    activations, quantization and delegation look like a trained model's.
    Weights other than the moving statistics are not changed.

    Args:
        model: a Keras model (Keras 3 or tf_keras).
        images: array `(N, H, W, C)` in the model's input range; one batch.

    Returns:
        The number of BatchNormalization layers updated.

    Example:

    ```python
    images = np.random.uniform(0, 255, (8, 128, 128, 3)).astype("float32")
    set_batch_norm_statistics(model, images)
    # 34
    ```
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[0] < 2:
        raise ValueError(
            "`images` must be a batch (N, H, W, C) with N >= 2. "
            f"Received: images.shape={images.shape}"
        )
    layers = list(_batch_norm_layers(model))
    momenta = [layer.momentum for layer in layers]
    try:
        # Momentum 0: one training-mode pass replaces the moving statistics by
        # the batch's, each layer seeing inputs normalised by the layers before.
        for layer in layers:
            layer.momentum = 0.0
        model(images, training=True)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    return len(layers)
