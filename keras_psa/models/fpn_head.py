"""A light feature-pyramid decoder to stride 4, the head made for keypoint heatmaps."""

from keras_psa.keras_flavor import keras
from keras_psa.models.blocks import conv_bn_relu
from keras_psa.models.blocks import separable_conv_bn_relu
from keras_psa.models.resize_like import ResizeLike


def fpn_head(features, num_classes, filters=128, attention_layer=None):
    """Top-down feature-pyramid decoder from stride 16 to stride 4.

    The stride-16 features are projected to `filters` channels, upsampled
    bilinearly to stride 8, added to a 1x1 projection of the stride-8
    features and refined by a separable 3x3 convolution; the same again at
    stride 4. The attention layer sits on the stride-4 features, the highest
    resolution, just before the 1x1 prediction layer, where the PSA paper's
    pose models put it. Every op is a convolution, a bilinear resize or an
    add, so the head stays on the GPU delegate, XNNPACK and int8 like the
    others.

    Stride 4 is the output of every deployed heatmap model: SimpleBaseline
    (three deconvolutions to 64x48 from 256x192), Lite-HRNet's
    high-resolution branch, MoveNet's FPN. Predicting at the input's
    resolution instead gains nothing a sub-pixel decoder (DARK, UDP) does not
    give and costs 16x the output.

    Args:
        features: dict with `"stride4"`, `"stride8"` and `"stride16"` tensors.
        num_classes: int, output channels (one per keypoint).
        filters: int, channels of the decoder.
        attention_layer: optional layer applied to the stride-4 features.

    Returns:
        Linear outputs at stride 4, shape `(batch, h / 4, w / 4, num_classes)`.

    Reference:
        T.-Y. Lin et al., "Feature Pyramid Networks for Object Detection",
        CVPR 2017; B. Xiao et al., "Simple Baselines for Human Pose Estimation
        and Tracking", ECCV 2018.
    """
    x = conv_bn_relu(features["stride16"], filters, name="fpn_top")
    for stride in ("stride8", "stride4"):
        x = ResizeLike(name=f"fpn_upsample_{stride}")([x, features[stride]])
        lateral = conv_bn_relu(features[stride], filters, name=f"fpn_lateral_{stride}")
        x = keras.layers.Add(name=f"fpn_merge_{stride}")([x, lateral])
        x = separable_conv_bn_relu(x, filters, name=f"fpn_refine_{stride}")
    if attention_layer is not None:
        x = attention_layer(x)
    return keras.layers.Conv2D(num_classes, 1, name="fpn_classifier")(x)
