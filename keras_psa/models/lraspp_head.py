"""Lite R-ASPP segmentation head."""

from keras_psa.keras_flavor import keras
from keras_psa.models.blocks import conv_bn_relu
from keras_psa.models.blocks import global_context
from keras_psa.models.resize_like import ResizeLike


def lraspp_head(features, num_classes, filters=128, attention_layer=None):
    """Lite R-ASPP head of "Searching for MobileNetV3".

    A 1x1 conv + BN + ReLU branch on the stride-16 features is gated by the
    sigmoid of a global-context branch (a broadcast multiply, so any input size
    works), upsampled bilinearly to stride 8, classified, and added to a 1x1
    classifier of the stride-8 features.

    Args:
        features: dict with `"stride8"` and `"stride16"` tensors.
        num_classes: int, output channels.
        filters: int, channels of the gated branch (128 in the paper).
        attention_layer: optional layer applied to the gated stride-16 features.

    Returns:
        Logits at stride 8, shape `(batch, h / 8, w / 8, num_classes)`.

    Reference:
        A. Howard et al., "Searching for MobileNetV3", ICCV 2019, section 6.1.
    """
    high, low = features["stride16"], features["stride8"]
    x = conv_bn_relu(high, filters, name="lraspp_high")
    gate = global_context(high, filters, name="lraspp_gate", activation="sigmoid")
    x = keras.layers.Multiply(name="lraspp_gated")([x, gate])
    if attention_layer is not None:
        x = attention_layer(x)
    x = ResizeLike(name="lraspp_upsample")([x, low])
    high_logits = keras.layers.Conv2D(num_classes, 1, name="lraspp_high_classifier")(x)
    low_logits = keras.layers.Conv2D(num_classes, 1, name="lraspp_low_classifier")(low)
    return keras.layers.Add(name="lraspp_logits")([high_logits, low_logits])
