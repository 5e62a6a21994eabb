"""Activation ranges of a fresh QAT model measured on data before fine-tuning."""

import contextlib

import numpy as np

from keras_psa.quantization.require_tf_keras import require_tf_keras

# A range narrower than this saw no spread in the data (a dead ReLU's [0, 0]). Its
# int8 step would be ~0, and the file's requantization scales past what XNNPACK
# takes: LiteRT 2.3's delegate then crashed the process ("double free") on loading.
MIN_RANGE_WIDTH = 1e-4


def _moving_average_quantizers(qat_model):
    """(quantizer, range variables) of every moving-average activation range."""
    from tensorflow_model_optimization.python.core.quantization.keras import quantizers

    found = []

    def add(quantizer, variables):
        if isinstance(quantizer, quantizers.MovingAverageQuantizer) and variables:
            found.append((quantizer, variables))

    for layer in qat_model.layers:
        for activation in getattr(layer, "_quantize_activations", []):
            for name in ("_pre_activation_vars", "_post_activation_vars"):
                add(activation.quantizer, getattr(activation, name, None))
        output_quantizers = getattr(layer, "_output_quantizers", None)
        if output_quantizers:
            add(output_quantizers[0], layer._output_quantizer_vars)
        if hasattr(layer, "quantizer_vars"):  # tfmot's QuantizeLayer
            add(layer.quantizer, layer.quantizer_vars)
    return found


@contextlib.contextmanager
def _running_mean(quantizers_found):
    """Makes the quantizers' moving averages plain running means while active."""
    from tensorflow_model_optimization.python.core.quantization.keras import quant_ops
    from tensorflow_model_optimization.python.core.quantization.keras import quantizers

    class RunningMeanQuantizer(quantizers.MovingAverageQuantizer):
        # tfmot's MovingAverageQuantizer hard-codes ema_decay=0.999.
        def __call__(self, inputs, training, weights, **kwargs):
            return quant_ops.MovingAvgQuantize(
                inputs, weights["min_var"], weights["max_var"],
                ema_decay=self.calibration_decay, is_training=training,
                num_bits=self.num_bits, per_channel=self.per_axis,
                symmetric=self.symmetric, narrow_range=self.narrow_range)

    originals = [(quantizer, quantizer.__class__) for quantizer, _ in quantizers_found]
    try:
        for quantizer, _ in quantizers_found:
            quantizer.__class__ = RunningMeanQuantizer

        def set_decay(decay):
            for quantizer, _ in quantizers_found:
                quantizer.calibration_decay = decay

        yield set_decay
    finally:
        for quantizer, cls in originals:
            quantizer.__class__ = cls
            quantizer.__dict__.pop("calibration_decay", None)


def calibrate_quantization_ranges(qat_model, images, batch_size=16):
    """Sets the activation ranges of a fresh QAT model from images.

    tfmot starts every moving-average activation range at [-6, 6] and moves
    it by 0.1% per training step: after a few hundred fine-tuning steps a
    ReLU6 output still spends half its int8 levels below zero and a
    hard-sigmoid in [0, 1] gets about 24 levels. This runs `images` through
    the model in training mode with the averages made running means (each
    range becomes the mean of the batches' ranges, each layer seeing inputs
    quantized with its predecessors' new ranges) and leaves everything else
    as it was: BatchNormalization statistics are restored. A range the images
    give no width (an activation that stays 0, like a dead ReLU) keeps its
    initial one. Call it before fine-tuning, not when resuming.

    Args:
        qat_model: a model from `quantize_model`.
        images: float array `(N, H, W, C)` of training inputs.
        batch_size: images per calibration batch.

    Returns:
        The number of ranges set.

    Example:

    ```python
    qat_model = quantize_model(float_model)
    calibrate_quantization_ranges(qat_model, training_images[:128])
    ```
    """
    require_tf_keras("calibrate_quantization_ranges")
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or not len(images):
        raise ValueError(
            "`images` must be a non-empty float array (N, H, W, C). "
            f"Received: images of shape {images.shape}"
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(
            f"`batch_size` must be a positive int. Received: batch_size={batch_size!r}")
    found = _moving_average_quantizers(qat_model)
    if not found:
        raise ValueError(
            "`qat_model` has no moving-average activation ranges: pass a model from "
            f"quantize_model. Received: qat_model={qat_model.name}"
        )
    statistics = [w for w in qat_model.non_trainable_weights
                  if "moving_mean" in w.name or "moving_variance" in w.name]
    saved = [w.numpy() for w in statistics]
    initial = [(v["min_var"].numpy(), v["max_var"].numpy()) for _, v in found]
    try:
        with _running_mean(found) as set_decay:
            for index, start in enumerate(range(0, len(images), batch_size)):
                set_decay(index / (index + 1))
                qat_model(images[start:start + batch_size], training=True)
    finally:
        for weight, value in zip(statistics, saved):
            weight.assign(value)
    # A range the data gave no width keeps the one it had: fine-tuning moves it if
    # the activation comes alive.
    for (_, variables), (low, high) in zip(found, initial):
        empty = variables["max_var"].numpy() - variables["min_var"].numpy() < MIN_RANGE_WIDTH
        if np.any(empty):
            variables["min_var"].assign(np.where(empty, low, variables["min_var"].numpy()))
            variables["max_var"].assign(np.where(empty, high, variables["max_var"].numpy()))
    return len(found)
