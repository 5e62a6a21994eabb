"""Light DeepLabV3+ segmentation head."""

from keras_psa.keras_flavor import keras
from keras_psa.models.blocks import conv_bn_relu
from keras_psa.models.blocks import global_context
from keras_psa.models.blocks import separable_conv_bn_relu
from keras_psa.models.resize_like import ResizeLike


def deeplabv3plus_head(
    features,
    num_classes,
    filters=128,
    atrous_rates=(6, 12, 18),
    low_level_filters=48,
    attention_layer=None,
):
    """DeepLabV3+ head with a light ASPP (depthwise-separable atrous convolutions).

    ASPP on the stride-16 features: a 1x1 branch, one separable 3x3 branch per
    atrous rate and an image-pooling branch (global average pool resized back
    to the feature size), concatenated and projected. The decoder upsamples
    the result to stride 4, concatenates it with reduced stride-4 features and
    refines it with two separable convolutions before the classifier.

    Args:
        features: dict with `"stride4"` and `"stride16"` tensors.
        num_classes: int, output channels.
        filters: int, channels of the ASPP and decoder.
        atrous_rates: tuple of ints, dilation rates of the separable branches.
        low_level_filters: int, channels the stride-4 features are reduced to.
        attention_layer: optional layer applied to the ASPP output.

    Returns:
        Logits at stride 4, shape `(batch, h / 4, w / 4, num_classes)`.

    Reference:
        L.-C. Chen et al., "Encoder-Decoder with Atrous Separable Convolution
        for Semantic Image Segmentation", ECCV 2018.
    """
    high, low = features["stride16"], features["stride4"]
    branches = [conv_bn_relu(high, filters, name="aspp_1x1")]
    for rate in atrous_rates:
        branches.append(
            separable_conv_bn_relu(high, filters, name=f"aspp_rate{rate}", dilation_rate=rate)
        )
    pooled = global_context(high, filters, name="aspp_image", activation="relu")
    branches.append(ResizeLike(name="aspp_image_resize")([pooled, high]))
    x = keras.layers.Concatenate(name="aspp_concat")(branches)
    x = conv_bn_relu(x, filters, name="aspp_project")
    if attention_layer is not None:
        x = attention_layer(x)
    x = ResizeLike(name="decoder_upsample")([x, low])
    skip = conv_bn_relu(low, low_level_filters, name="decoder_low_level")
    x = keras.layers.Concatenate(name="decoder_concat")([x, skip])
    x = separable_conv_bn_relu(x, filters, name="decoder_refine1")
    x = separable_conv_bn_relu(x, filters, name="decoder_refine2")
    return keras.layers.Conv2D(num_classes, 1, name="decoder_classifier")(x)
