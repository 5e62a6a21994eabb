"""Pixel accuracy of per-pixel logits, leaving out an ignore label."""

from keras_psa import backend_ops as ops
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
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(ops.convert_to_tensor(y_true), "int32")
        if len(y_true.shape) == len(y_pred.shape):
            y_true = ops.squeeze(y_true, axis=-1)
        predicted = ops.argmax(y_pred, axis=-1)
        weights = ops.ones_like(y_true, "float32")
        if self.ignore_class is not None:
            weights *= ops.cast(ops.not_equal(y_true, self.ignore_class), "float32")
        if sample_weight is not None:
            weights *= ops.broadcast_to(ops.cast(sample_weight, "float32"), ops.shape(weights))
        hits = ops.cast(ops.equal(y_true, predicted), "float32") * weights
        self.correct.assign_add(ops.cast(ops.sum(hits), self.correct.dtype))
        self.total.assign_add(ops.cast(ops.sum(weights), self.total.dtype))

    def result(self):
        return ops.divide_no_nan(self.correct, self.total)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "ignore_class": self.ignore_class}
