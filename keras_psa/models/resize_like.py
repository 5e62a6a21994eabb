"""Resizes a feature map to the spatial size of a reference tensor."""

from keras_psa import backend_ops as ops
from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable

_INTERPOLATIONS = ("bilinear", "nearest")


@register_serializable
class ResizeLike(keras.layers.Layer):
    """Resizes `inputs[0]` to the height and width of `inputs[1]`.

    Works for fixed and dynamic spatial sizes: with a fixed input size the
    target size is a constant after tracing, and the TFLite converter emits one
    RESIZE_BILINEAR (or RESIZE_NEAREST_NEIGHBOR) with a constant size, which the
    GPU delegate runs. Keras' `Resizing` and `UpSampling2D` need the size when the
    model is built, which dynamic-size models do not have.

    Args:
        interpolation: `"bilinear"` or `"nearest"`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: list `[x, reference]`; `x` of shape `(batch, h, w, channels)`,
            `reference` of shape `(batch, height, width, any)`.

    Output shape: `(batch, height, width, channels)`.

    Example:

    >>> x, ref = np.zeros((1, 4, 4, 8), "float32"), np.zeros((1, 16, 16, 3), "float32")
    >>> tuple(ResizeLike()([x, ref]).shape)
    (1, 16, 16, 8)
    """

    def __init__(self, interpolation="bilinear", **kwargs):
        super().__init__(**kwargs)
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"`interpolation` must be one of {_INTERPOLATIONS}. "
                f"Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def call(self, inputs):
        x, reference = inputs
        resized = ops.resize_like(x, reference, interpolation=self.interpolation)
        return ops.cast(resized, x.dtype)

    def compute_output_shape(self, input_shape):
        x_shape, reference_shape = input_shape
        return (x_shape[0], reference_shape[1], reference_shape[2], x_shape[-1])

    def get_config(self):
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config
