"""One-call builder of MobileNet keypoint-heatmap models with attention blocks."""

from keras_psa.keras_flavor import keras
from keras_psa.models.dense_prediction import build_dense_outputs

ACTIVATIONS = ("sigmoid", "linear")


def build_heatmap_model(
    backbone,
    num_keypoints,
    *,
    input_shape=(None, None, 3),
    head="fpn",
    attention="psa_s",
    attention_positions=("head",),
    psa_variant="paper",
    alpha=1.0,
    backbone_weights=None,
    batch_size=None,
    include_preprocessing=True,
    activation="sigmoid",
    head_filters=128,
    output_stride=4,
    name=None,
):
    """Builds a Functional keypoint-heatmap model (one channel per keypoint).

    The paper's main task: each channel regresses a 2-D Gaussian around one
    keypoint. Same backbones, heads and attention placement as
    `build_segmentation_model`; see there for the shared arguments. The
    default head, `"fpn"`, decodes to stride 4 with the attention on the
    stride-4 features before the prediction layer, as deployed heatmap models
    do (SimpleBaseline, Lite-HRNet, MoveNet); `keypoints.decode_heatmaps`
    maps the stride-4 peaks back to input pixels with sub-pixel precision.

    Args:
        num_keypoints: int, number of heatmap channels.
        activation: `"sigmoid"` (heatmaps in [0, 1]) or `"linear"`.
        output_stride: 4 (heatmaps at a quarter of the input's height and
            width; the stride-8 Lite R-ASPP head is resized there) or 1
            (resized to the input's resolution, the layout of models built
            before the `"fpn"` head).

    Returns:
        A Functional `keras.Model` mapping `(batch, height, width, 3)` images to
        float32 heatmaps `(batch, height / output_stride, width / output_stride,
        num_keypoints)`.

    Example:

    >>> model = build_heatmap_model(
    ...     "mobilenet_v2", num_keypoints=17, input_shape=(64, 64, 3),
    ...     attention=None, alpha=0.35)
    >>> model.output_shape
    (None, 16, 16, 17)
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"`activation` must be one of {ACTIVATIONS}. Received: activation={activation!r}"
        )
    inputs, x = build_dense_outputs(
        backbone,
        num_keypoints,
        input_shape=input_shape,
        head=head,
        attention=attention,
        attention_positions=attention_positions,
        psa_variant=psa_variant,
        alpha=alpha,
        backbone_weights=backbone_weights,
        batch_size=batch_size,
        include_preprocessing=include_preprocessing,
        head_filters=head_filters,
        output_stride=output_stride,
    )
    heatmaps = keras.layers.Activation(activation, dtype="float32", name="heatmaps")(x)
    name = name or f"{backbone}_{head}_{attention or 'none'}_heatmaps"
    return keras.Model(inputs, heatmaps, name=name)
