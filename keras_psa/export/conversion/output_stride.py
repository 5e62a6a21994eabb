"""Ends a dense-prediction model before its final upsampling, for consumers that resize.

keras_psa's segmentation and heatmap models end with a bilinear `ResizeLike`
from the head's stride (8 for Lite R-ASPP, 4 for DeepLabV3+) to the input size,
then an elementwise output activation. MediaPipe's ImageSegmenter resizes its
masks to the image size anyway, so a model that stops at the head's stride
saves that resize (and its large output tensor).
"""

from keras_psa.export.conversion.model_loading import keras_module_of


def _is_elementwise(layer):
    return type(layer).__name__ == "Activation"


def cut_before_final_upsampling(model, output_stride):
    """Returns `model` ending at the input of its final `ResizeLike`, at `output_stride`.

    The elementwise output activations after the resize (the float32 `logits`
    or the `heatmaps` sigmoid) are applied at the low resolution instead.

    Args:
        model: a Functional Keras model ending with `ResizeLike` and optional
            `Activation` layers (as `build_segmentation_model` and
            `build_heatmap_model` build them).
        output_stride: int, the stride of the head's output; checked against
            the model once the input size is fixed (`check_output_stride`).

    Returns:
        A new Functional model sharing `model`'s layers and weights.
    """
    if (not isinstance(output_stride, int) or isinstance(output_stride, bool)
            or output_stride < 2):
        raise ValueError(
            "`output_stride` must be an int >= 2, the stride of the head's output "
            f"(8 for Lite R-ASPP, 4 for DeepLabV3+). Received: output_stride={output_stride!r}"
        )
    module = keras_module_of(model)
    if len(model.outputs) != 1:
        raise ValueError(
            "`output_stride` needs a model with one output. Build it with output='logits'. "
            f"Received: {len(model.outputs)} outputs"
        )
    layers = list(model.layers)
    resize_positions = [i for i, layer in enumerate(layers)
                        if type(layer).__name__ == "ResizeLike"]
    tail = layers[resize_positions[-1] + 1:] if resize_positions else None
    if not resize_positions or not all(_is_elementwise(layer) for layer in tail):
        raise ValueError(
            "`output_stride` needs a model whose output is a final ResizeLike upsampling "
            "followed only by Activation layers (keras_psa.models.build_segmentation_model "
            "or build_heatmap_model). "
            f"Received: model {model.name!r} ending with "
            f"{[type(layer).__name__ for layer in layers[-3:]]}"
        )
    resize = layers[resize_positions[-1]]
    x = resize.input[0]
    for layer in tail:
        # A fresh copy: the original layer stays bound to the full-size graph.
        x = type(layer).from_config(layer.get_config())(x)
    return module.Model(model.input, x, name=f"{model.name}_stride{output_stride}")


def check_output_stride(model, output_stride):
    """Raises unless `model`'s fixed output size is its input size / `output_stride`."""
    height, width = (int(d) for d in model.inputs[0].shape[1:3])
    out_height, out_width = (int(d) for d in model.outputs[0].shape[1:3])
    expected = (-(-height // output_stride), -(-width // output_stride))
    if (out_height, out_width) != expected:
        stride = height / out_height
        raise ValueError(
            f"`output_stride` must be the head's stride: this model's head outputs "
            f"{out_height}x{out_width} for a {height}x{width} input (stride {stride:g}). "
            f"Pass output_stride={stride:g}. Received: output_stride={output_stride}"
        )
