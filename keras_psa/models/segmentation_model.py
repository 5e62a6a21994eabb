"""One-call builder of MobileNet segmentation models with attention blocks."""

from keras_psa.keras_flavor import keras
from keras_psa.models.class_labels import ClassLabels
from keras_psa.models.dense_prediction import build_dense_outputs

OUTPUTS = ("logits", "logits_and_labels")


def build_segmentation_model(
    backbone,
    num_classes,
    *,
    input_shape=(None, None, 3),
    head="lraspp",
    attention="psa_s",
    attention_positions=("head",),
    psa_variant="paper",
    alpha=1.0,
    backbone_weights=None,
    batch_size=None,
    include_preprocessing=True,
    output="logits",
    head_filters=128,
    name=None,
):
    """Builds a Functional semantic-segmentation model: MobileNet + head + attention.

    Args:
        backbone: `"mobilenet_v2"`, `"mobilenet_v3_small"`,
            `"mobilenet_v3_large"`, `"mobilenet_v3_small_minimalistic"` or
            `"mobilenet_v3_large_minimalistic"` (keras.applications, cut at
            stride 16; minimalistic: ReLU and no squeeze-excite, which int8
            XNNPACK runs fastest).
        num_classes: int, number of classes (background included).
        input_shape: `(height, width, 3)`; height and width may be None for a
            model that accepts any size (at least 32).
        head: `"lraspp"` (Lite R-ASPP), `"deeplabv3plus"` (light ASPP and a
            stride-4 decoder) or `"fpn"` (a feature-pyramid decoder to stride
            4, the keypoint head; its attention sits on the stride-4 features).
        attention: `None`, `"psa_p"`, `"psa_s"`, `"se"` or `"cbam"`. Defaults
            to `"psa_s"` (the attention study: ahead of `"psa_p"` on both
            tasks, docs/study.md).
        attention_positions: where the attention blocks go: any of `"head"`
            (on the head's stride-16 features; `"fpn"`: stride 4), `"stride4"`, `"stride8"`,
            `"stride16"` (after that backbone stage; the rest of the backbone
            runs on its output).
        psa_variant: `"paper"` or `"official"` Polarized Self-Attention.
        alpha: float, backbone width multiplier.
        backbone_weights: None (random init, offline), `"imagenet"` (downloaded
            by Keras, needs network) or the path of a weights file saved from the
            same keras.applications model with `include_top=False`.
        batch_size: None, or an int for a static batch (1 for TFLite export).
        include_preprocessing: bool; True means raw RGB in [0, 255] in, with
            the rescaling to [-1, 1] inside the model.
        output: `"logits"` or `"logits_and_labels"`; the latter adds an int32
            `labels` output (argmax over classes, `(batch, height, width)`).
        head_filters: int, channels of the head.
        name: model name; derived from the arguments when None.

    Returns:
        A Functional `keras.Model` mapping `(batch, height, width, 3)` images to
        float32 logits `(batch, height, width, num_classes)` (a dict
        `{"logits", "labels"}` for `output="logits_and_labels"`).

    Example:

    >>> model = build_segmentation_model(
    ...     "mobilenet_v3_small", num_classes=3, input_shape=(64, 64, 3),
    ...     attention="se", alpha=0.75)
    >>> model.output_shape
    (None, 64, 64, 3)
    """
    if output not in OUTPUTS:
        raise ValueError(f"`output` must be one of {OUTPUTS}. Received: output={output!r}")
    inputs, x = build_dense_outputs(
        backbone,
        num_classes,
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
    )
    # float32 logits also under a mixed-precision policy.
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(x)
    outputs = logits
    if output == "logits_and_labels":
        outputs = {"logits": logits, "labels": ClassLabels(name="labels")(logits)}
    name = name or f"{backbone}_{head}_{attention or 'none'}"
    return keras.Model(inputs, outputs, name=name)
