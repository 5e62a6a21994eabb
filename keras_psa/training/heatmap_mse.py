"""Heatmap mean squared error with per-joint target weights."""

import tensorflow as tf

from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import register_serializable


@register_serializable
class HeatmapMSE(keras.losses.Loss):
    """Mean squared error of heatmaps, channels of target weight 0 left out.

    The targets come from `load_keypoint_dataset`: Gaussians for labeled
    joints, channels filled with -1 for joints of weight 0 (unlabeled or
    outside the crop, `pack_targets`). Like HRNet's / mmpose's
    `KeypointMSELoss(use_target_weight=True)`, a weight-0 channel adds zero
    and still counts in the mean, so the loss scale does not depend on how
    many joints an image labels.

    Args:
        joint_weights: optional per-joint factors (K,), e.g. larger for the
            wrists and ankles; None: all 1.
        name: loss name.

    Example:

    >>> y_true = np.zeros((1, 8, 8, 2), "float32")
    >>> y_true[..., 1] = -1.0  # joint 1 unlabeled: left out of the error
    >>> y_pred = np.full((1, 8, 8, 2), 0.5, "float32")
    >>> round(float(HeatmapMSE()(y_true, y_pred)), 4)
    0.125
    """

    def __init__(self, joint_weights=None, name="heatmap_mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.joint_weights = None if joint_weights is None else [float(w) for w in joint_weights]

    def call(self, y_true, y_pred):
        y_true = tf.convert_to_tensor(y_true, tf.float32)
        y_pred = tf.cast(y_pred, tf.float32)
        # Weight per (example, joint) from the first pixel: the whole channel is -1 or not.
        weight = tf.cast(y_true[:, :1, :1, :] >= 0.0, tf.float32)
        if self.joint_weights is not None:
            weight = weight * tf.constant(self.joint_weights, tf.float32)
        squared = tf.square(y_pred - tf.maximum(y_true, 0.0)) * weight
        return tf.reduce_mean(squared, axis=[1, 2, 3])

    def get_config(self):
        return {**super().get_config(), "joint_weights": self.joint_weights}
