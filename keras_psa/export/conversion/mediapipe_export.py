"""The converter's options for on-device consumers such as MediaPipe Tasks.

Model metadata (labels, normalization, activation), uint8 input and the
output stride; kept apart from the conversion itself so that `convert_model`
only calls out to them.
"""

from keras_psa.export.conversion.output_stride import cut_before_final_upsampling
from keras_psa.export.metadata.label_names import training_class_names
from keras_psa.export.metadata.metadata_writer import OUTPUT_ACTIVATIONS
from keras_psa.export.metadata.metadata_writer import write_heatmap_metadata
from keras_psa.export.metadata.metadata_writer import write_segmenter_metadata

METADATA_KINDS = ("auto", "segmenter", "heatmap", None)
INPUT_DTYPES = ("float32", "uint8")
# Output layer names of build_segmentation_model and build_heatmap_model.
_KIND_OF_OUTPUT = {"logits": "segmenter", "heatmaps": "heatmap"}


def check_output_options(*, quantization, input_dtype, output_stride, metadata,
                         output_activation):
    """Raises early for bad consumer options of `convert_model`."""
    if input_dtype not in INPUT_DTYPES:
        raise ValueError(f"`input_dtype` must be one of {INPUT_DTYPES}. "
                         f"Received: input_dtype={input_dtype!r}")
    if input_dtype == "uint8" and quantization != "int8":
        raise ValueError(
            "`input_dtype='uint8'` needs quantization='int8' (a float model takes float "
            "input; MediaPipe feeds it normalized pixels). "
            f"Received: input_dtype={input_dtype!r}, quantization={quantization!r}"
        )
    if metadata is False:
        metadata = None
    if metadata not in METADATA_KINDS:
        raise ValueError(f"`metadata` must be one of {METADATA_KINDS}. "
                         f"Received: metadata={metadata!r}")
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"`output_activation` must be one of {OUTPUT_ACTIVATIONS}. "
                         f"Received: output_activation={output_activation!r}")
    if output_stride is not None and (not isinstance(output_stride, int)
                                      or isinstance(output_stride, bool) or output_stride < 2):
        raise ValueError(
            "`output_stride` must be None or an int >= 2, the stride of the head's output "
            f"(8 for Lite R-ASPP, 4 for DeepLabV3+). Received: output_stride={output_stride!r}"
        )


def prepare_output_stride(model, output_stride):
    if model is None:
        raise ValueError("`output_stride` needs a Keras model; this SavedModel is not one.")
    return cut_before_final_upsampling(model, output_stride)


def _output_layer_name(model):
    if model is None or len(model.outputs) != 1:
        return None
    history = getattr(model.outputs[0], "_keras_history", None)
    return getattr(history[0], "name", None) if history else None


def add_model_metadata(tflite_bytes, model, *, source, metadata, labels, keypoint_names,
                       input_range, output_activation):
    """Returns `tflite_bytes` with the metadata `convert_model` was asked for.

    An explicit request (`metadata="segmenter"`/`"heatmap"`, or names given)
    raises when the model cannot carry it; "auto" then writes none.
    """
    if metadata in (None, False):
        return tflite_bytes
    requested = metadata != "auto" or labels is not None or keypoint_names is not None
    kind = metadata
    if kind == "auto":
        kind = ("segmenter" if labels is not None else
                "heatmap" if keypoint_names is not None else
                _KIND_OF_OUTPUT.get(_output_layer_name(model)))
    if kind is None:
        return tflite_bytes
    if input_range is None:
        if not requested:
            return tflite_bytes
        raise ValueError(
            "`pixel_range` must be given for the model metadata: its input normalization maps "
            "pixels 0..255 onto the range the model takes, which cannot be read from this "
            "model (no Rescaling at its input). Received: pixel_range=None")
    name = getattr(model, "name", None) or None
    try:
        if kind == "segmenter":
            if labels is None:
                labels = training_class_names(source)
                channels = model.outputs[0].shape[-1] if model is not None else None
                if labels is not None and len(labels) != channels:
                    labels = None  # saved for another model
            return write_segmenter_metadata(
                tflite_bytes, labels=labels, input_range=input_range,
                output_activation=output_activation, name=name or "ImageSegmenter")
        return write_heatmap_metadata(tflite_bytes, keypoint_names=keypoint_names,
                                      input_range=input_range,
                                      name=name or "KeypointHeatmaps")
    except ValueError:
        if requested:
            raise
        return tflite_bytes
