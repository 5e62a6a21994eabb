"""Fake-quant callables for the intermediate tensors of the package's layers."""

import tensorflow as tf

from keras_psa.keras_flavor import keras

EMA_DECAY = 0.999  # tfmot's MovingAverageQuantizer uses the same


def make_activation_quantizer(layer, name):
    """Creates the range variables of intermediate `name` on `layer`.

    Returns the callable `(tensor, training) -> tensor` that the layer's
    `_quantize_activation` hook applies: asymmetric 8-bit per-tensor fake
    quantization (`FakeQuantWithMinMaxVars`, what the TFLite converter reads
    the int8 scale and zero point from) with moving-average ranges, as
    tfmot's default activation quantizer, except that the first training
    batch sets the range instead of tfmot's fixed [-6, 6] start. Tensors
    inside attention (a variance, exponentials in (0, 1], a sum of
    softmax-weighted values) are far from that scale, and at [-6, 6] they
    would round to zero for thousands of steps of the 0.999 average.
    """
    with tf.name_scope(layer.name):
        range_min = layer.add_weight(
            name=f"{name}_min",
            shape=(),
            initializer=keras.initializers.Constant(-6.0),
            trainable=False,
        )
        range_max = layer.add_weight(
            name=f"{name}_max",
            shape=(),
            initializer=keras.initializers.Constant(6.0),
            trainable=False,
        )
        initialized = layer.add_weight(
            name=f"{name}_range_set",
            shape=(),
            initializer="zeros",
            trainable=False,
        )

    def fake_quant(tensor, low, high):
        return tf.quantization.fake_quant_with_min_max_vars(
            tensor, low, high, num_bits=8, narrow_range=False
        )

    def update_range(tensor):
        # TFLite needs 0.0 inside every range.
        batch_min = tf.minimum(tf.reduce_min(tensor), 0.0)
        batch_max = tf.maximum(tf.reduce_max(tensor), 0.0)
        started = initialized > 0.5
        new_min = tf.where(started, EMA_DECAY * range_min + (1 - EMA_DECAY) * batch_min, batch_min)
        new_max = tf.where(started, EMA_DECAY * range_max + (1 - EMA_DECAY) * batch_max, batch_max)
        with tf.control_dependencies([initialized.assign(1.0)]):
            return range_min.assign(new_min), range_max.assign(new_max)

    def quantize(tensor, training):
        if training is None:
            training = keras.backend.learning_phase()
        tensor = tf.cast(tensor, "float32")

        def training_branch():
            low, high = update_range(tf.stop_gradient(tensor))
            return fake_quant(tensor, low, high)

        def inference_branch():
            return fake_quant(tensor, range_min, range_max)

        if isinstance(training, bool):
            return training_branch() if training else inference_branch()
        return tf.cond(tf.cast(training, tf.bool), training_branch, inference_branch)

    quantize.range_variables = (range_min, range_max)
    return quantize
