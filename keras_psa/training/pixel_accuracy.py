"""Pixel accuracy of per-pixel logits, leaving out an ignore label."""

import tensorflow as tf

from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable


@register_serializable
class PixelAccuracy(keras.metrics.Metric):
    """Fraction of labelled pixels whose argmax class equals the label.

    Unlike `keras.metrics.SparseCategoricalAccuracy`, pixels whose label is
    `ignore_class` count neither as right nor as wrong, so "void" borders in
    real masks do not move the number.

    Args:
        ignore_class: optional int label to leave out (e.g. 255).
        name: metric name.
        dtype: dtype of the result.

    Call arguments (`update_state`):
        y_true: int labels `(batch, height, width)` (or with a trailing 1).
        y_pred: logits or probabilities `(batch, height, width, classes)`.
        sample_weight: optional per-pixel weights, broadcastable to `y_true`.

    Example:

    >>> metric = PixelAccuracy(ignore_class=255)
    >>> metric.update_state([[0, 1, 255]], [[[2.0, 0.0], [3.0, 0.0], [0.0, 1.0]]])
    >>> float(metric.result())
    0.5
    """

    def __init__(self, ignore_class=None, name="pixel_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.ignore_class = ignore_class
        self.correct = self.add_weight(name="correct", shape=(), initializer="zeros")
        self.total = self.add_weight(name="total", shape=(), initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.convert_to_tensor(y_pred)
        y_true = tf.cast(tf.convert_to_tensor(y_true), tf.int32)
        if y_true.shape.rank == y_pred.shape.rank:
            y_true = tf.squeeze(y_true, axis=-1)
        predicted = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
        weights = tf.ones_like(y_true, tf.float32)
        if self.ignore_class is not None:
            weights *= tf.cast(tf.not_equal(y_true, self.ignore_class), tf.float32)
        if sample_weight is not None:
            weights *= tf.broadcast_to(tf.cast(sample_weight, tf.float32), tf.shape(weights))
        hits = tf.cast(tf.equal(y_true, predicted), tf.float32) * weights
        self.correct.assign_add(tf.cast(tf.reduce_sum(hits), self.correct.dtype))
        self.total.assign_add(tf.cast(tf.reduce_sum(weights), self.total.dtype))

    def result(self):
        return tf.math.divide_no_nan(self.correct, self.total)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "ignore_class": self.ignore_class}
