"""Keras model -> TFLite flatbuffer, for mobile: static batch 1, fixed input size."""

import os
import tempfile

import tensorflow as tf
from tensorflow.lite.python import util as tflite_util

from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.export.conversion.float_nodes import PSA_FLOAT_SCOPES
from keras_psa.export.conversion.float_nodes import select_float_nodes
from keras_psa.export.conversion.input_range import model_input_range
from keras_psa.export.conversion.input_range import resolve_pixel_range
from keras_psa.export.conversion.keras_converter import saved_model_converter
from keras_psa.export.conversion.mediapipe_export import add_model_metadata
from keras_psa.export.conversion.mediapipe_export import check_output_options
from keras_psa.export.conversion.mediapipe_export import prepare_output_stride
from keras_psa.export.conversion.model_loading import with_static_input
from keras_psa.export.conversion.output_stride import check_output_stride
from keras_psa.export.conversion.quantization_mode import check_quantization_mode
from keras_psa.export.conversion.representative_data import needs_pixel_range
from keras_psa.export.conversion.representative_data import representative_images
from keras_psa.export.conversion.uint8_input import to_uint8_input
from keras_psa.export.metadata.label_names import parse_names
from keras_psa.export.tflite.tflite_graph import TFLiteGraph
from keras_psa.layers.dilated_depthwise_conv2d import native_dilation_scope
from keras_psa.saving import deserialization_scope
from keras_psa.saving import load_model

# Ops whose int8 kernels XNNPACK's TFLite delegate lacks (found with
# check_xnnpack_delegation on ai-edge-litert 2.3): left int8 they run on
# TFLite's reference kernels and split the XNNPACK graph at every use.
XNNPACK_FLOAT_OPS = ("SOFTMAX", "HARD_SWISH")


def _xnnpack_rejected_int8_nodes(model_bytes):
    """Output tensor names of the int8 ops XNNPACK leaves to TFLite's kernels."""
    from keras_psa.export.checks.xnnpack_delegation import check_xnnpack_delegation

    with tempfile.TemporaryDirectory(prefix="keras_psa_xnnpack_") as tmp:
        path = os.path.join(tmp, "model.tflite")
        with open(path, "wb") as f:
            f.write(model_bytes)
        result = check_xnnpack_delegation(path)
    graph = TFLiteGraph(model_bytes)
    names = []
    for issue in result.issues:
        op = graph.ops[issue.op_index]
        if any(t.dtype == "INT8" for t in op.outputs):
            names.extend(t.name for t in op.outputs)
    return names


def _convert_keeping_float(converter, representative, float_ops, float_scopes, int8_io,
                           xnnpack_fallback):
    """Full-integer conversion that leaves `float_ops` and the non-convolution
    ops in `float_scopes` in float32 (selective quantization through TFLite's
    QuantizationDebugger denylists); with `xnnpack_fallback`, also the int8
    ops that XNNPACK still refuses."""
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=list(float_ops))
    try:
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=representative, debug_options=options
        )
    except ValueError as error:
        # The debugger's own message ("Please check if the quantized model is in
        # debug mode") means that no op was left to quantize.
        if "debug mode" not in str(error):
            raise
        raise ValueError(
            "int8 conversion found no op to quantize: every quantizable op of this model is "
            "kept float by `float_ops`. Pass `float_ops=()` to quantize them, or convert "
            f"with quantization='float32'. Received: float_ops={tuple(float_ops)}"
        ) from None
    # Node names are those of the calibrated (still float) model, which the
    # quantizer matches against.
    nodes = select_float_nodes(debugger.calibrated_model, float_scopes) if float_scopes else []
    for _attempt in range(3 if xnnpack_fallback else 1):
        if nodes:
            # Re-quantizes from the stored calibration; no second calibration.
            debugger.options = tf.lite.experimental.QuantizationDebugOptions(
                denylisted_ops=list(float_ops), denylisted_nodes=list(nodes))
        model = debugger.get_nondebug_quantized_model()
        if not xnnpack_fallback:
            break
        # XNNPACK refuses some int8 ops for their quantization parameters (e.g.
        # an ADD whose input/output scale ratio is out of its range): keep them
        # float, which it takes, rather than split its graph.
        rejected = [n for n in _xnnpack_rejected_int8_nodes(model) if n not in nodes]
        if not rejected:
            break
        nodes = nodes + rejected
    if int8_io:
        # The debugger ignores inference_input/output_type; apply them after.
        model = tflite_util.modify_model_io_type(model, tf.int8, tf.int8)
    return model


def _configure(converter, quantization, representative, int8_io):
    if quantization == "float32":
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "int8":
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if int8_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8


def convert_model(model, output_path=None, quantization="float32", *, input_size=None,
                  representative="random", num_calibration_samples=100,
                  pixel_range=None, int8_io=False, static_batch=True,
                  float_ops="auto", float_scopes="auto", xnnpack_fallback=True,
                  decompose_hard_swish=False, allow_unsafe=False, labels=None,
                  keypoint_names=None, metadata="auto", input_dtype="float32",
                  output_stride=None, output_activation="none"):
    """Converts a Keras model to a TFLite flatbuffer.

    Args:
        model: a Keras model (Keras 3 or tf_keras), or a path to a `.keras`,
            `.h5` or SavedModel directory.
        output_path: where to write the `.tflite` (atomically); None to only
            return the bytes.
        quantization: "float32", "float16" (fp16 weights), "dynamic" (int8
            weights, float activations) or "int8" (post-training full integer,
            calibrated on `representative`).
        input_size: `(H, W)` to fix the input to; defaults to the model's.
        representative: calibration images for int8; see
            `representative_images` ("random", dataset name, folder, callable
            or iterable).
        num_calibration_samples: images used for calibration.
        pixel_range: `(low, high)` the model takes, for random and folder
            calibration images (named datasets, 0..255, are rescaled to it).
            None (default): read from the `Rescaling` at the model's input
            (`model_input_range`: 0..255 for the package's models); a model
            without one needs it for random or folder images. A range that
            contradicts the model's `Rescaling` is refused.
        int8_io: int8 input and output tensors (else float, with QUANTIZE and
            DEQUANTIZE at the ends) for "int8".
        float_ops: TFLite op names kept in float32 in an "int8" model, with
            QUANTIZE/DEQUANTIZE around them. "auto" keeps `XNNPACK_FLOAT_OPS`
            float so that XNNPACK takes the whole graph (int8 HARD_SWISH on
            TFLite's own kernels made MobileNetV3 int8 2x slower than float32);
            `()` with `float_scopes=()` and `xnnpack_fallback=False`
            quantizes every op as it is (plain post-training int8).
        float_scopes: regular expressions of name scopes whose ops, except
            convolutions, sigmoids and sigmoid-gate multiplies, stay float32 in
            an "int8" model (see `select_float_nodes`). "auto" means
            `PSA_FLOAT_SCOPES`: the PSA branches' softmax over H*W, the
            weighted sum consuming it and the LayerNorm statistics, which int8
            cannot represent (near-uniform attention over >= 512 positions
            quantizes to zero); their convolutions stay int8. `()` disables.
        xnnpack_fallback: in an "int8" model, keep float (and re-quantize,
            without calibrating again) any int8 op that XNNPACK still refuses
            after `float_ops` and `float_scopes`, so that XNNPACK takes the
            whole graph.
        static_batch: rebuild the model on `Input(batch_size=1, ...)` so every
            shape is constant (needed by the GPU delegate).
        decompose_hard_swish: with `static_batch`, rebuild Keras 3's
            `Activation("hard_swish")` layers as `DecomposedHardSwish` (an ADD
            with RELU6 and two MULs, all int8, instead of a HARD_SWISH op that
            int8 XNNPACK lacks). For targets that need every op in int8; on
            XNNPACK (x86, measured) the default float HARD_SWISH islands are
            faster (figures: docs/performance.md).
        allow_unsafe: load and rebuild a model even if that runs code stored
            in it (a `Lambda`); see `keras_psa.saving.load_model`. Defaults
            to False.
        labels: class names of a segmenter for its metadata (list, label file
            or "a,b,c"), one per output channel. None: the class names the
            training script saved beside `model` (summary.json), if any.
        keypoint_names: names of a heatmap model's channels for its metadata.
        metadata: the model metadata MediaPipe Tasks reads (see
            docs/mediapipe.md): "segmenter", "heatmap", None (none) or "auto"
            (segmenter metadata with `labels` or for a model whose output is
            named "logits", heatmap metadata with `keypoint_names` or for an
            output named "heatmaps", else none; skipped when the model cannot
            carry it, e.g. two outputs).
        input_dtype: "float32", or "uint8" (int8 models: uint8 camera frames
            in, mapped onto the model's pixel range exactly).
        output_stride: None, or the head's stride (8 for Lite R-ASPP, 4 for
            DeepLabV3+): end the model before its final bilinear upsampling,
            for consumers that resize the output themselves (MediaPipe).
        output_activation: "none" or "softmax": what segmenter metadata tells
            MediaPipe to apply to the output.

    Returns:
        The `.tflite` bytes.

    Example:

    ```python
    convert_model("model.keras", "model_int8.tflite", quantization="int8",
                  input_size=(256, 256), representative="shapes")
    ```
    """
    check_quantization_mode(quantization)
    if int8_io and quantization != "int8":
        raise ValueError(
            "`int8_io` needs quantization='int8'. "
            f"Received: int8_io={int8_io}, quantization={quantization}"
        )
    if not isinstance(decompose_hard_swish, bool):
        raise TypeError(
            "`decompose_hard_swish` must be True or False. "
            f"Received: decompose_hard_swish={decompose_hard_swish!r}"
        )
    check_output_options(quantization=quantization, input_dtype=input_dtype,
                         output_stride=output_stride, metadata=metadata,
                         output_activation=output_activation)
    labels = parse_names(labels, "labels") if labels is not None else None
    keypoint_names = (parse_names(keypoint_names, "keypoint_names")
                      if keypoint_names is not None else None)
    source = model if isinstance(model, (str, os.PathLike)) else None
    if source is not None:
        model = load_model(source, allow_unsafe=allow_unsafe)
    if quantization == "int8" and model is not None and (
            needs_pixel_range(representative) or pixel_range is not None
            or model_input_range(model) is not None):
        pixel_range = resolve_pixel_range(
            model, pixel_range, needed_for=f"int8 calibration on {representative!r} images")
    if output_stride is not None:
        model = prepare_output_stride(model, output_stride)
    # The values the model takes for pixels 0..255, for uint8 input and metadata.
    input_range = pixel_range if pixel_range is not None else (
        model_input_range(model) if model is not None else None)
    if input_dtype == "uint8":
        input_range = resolve_pixel_range(model, input_range, needed_for="uint8 input")
        # The uint8 input is made from the float-input model below.
        int8_io, int8_output = False, int8_io
    # The scope: the atrous convolutions trace as one dilated op on every machine.
    with tempfile.TemporaryDirectory(prefix="keras_psa_export_") as tmp, native_dilation_scope():
        if model is None:  # a SavedModel that Keras cannot load: convert as is
            if input_size is not None:
                raise ValueError(
                    f"`input_size` cannot be changed for the non-Keras SavedModel {source}. "
                    "Export it with a fixed input signature instead."
                )
            converter = tf.lite.TFLiteConverter.from_saved_model(os.fspath(source))
            shape = None
        else:
            if static_batch:
                with deserialization_scope(allow_unsafe):
                    model = with_static_input(model, input_size,
                                              decompose_hard_swish=decompose_hard_swish)
            if output_stride is not None:
                check_output_stride(model, output_stride)
            shape = tuple(model.inputs[0].shape)
            converter = saved_model_converter(model, os.path.join(tmp, "saved_model"))
        if quantization == "int8" and shape is None:
            raise ValueError("int8 conversion needs a Keras model (input shape unknown).")

        def representative_dataset():
            for image in representative_images(representative, shape[1:3], shape[3],
                                                num_calibration_samples, pixel_range):
                yield [image]

        _configure(converter, quantization, representative_dataset, int8_io)
        if float_ops == "auto":
            float_ops = XNNPACK_FLOAT_OPS
        if float_scopes == "auto":
            float_scopes = PSA_FLOAT_SCOPES
        if (float_ops or float_scopes or xnnpack_fallback) and quantization == "int8":
            tflite_bytes = _convert_keeping_float(converter, representative_dataset, float_ops,
                                                  float_scopes, int8_io, xnnpack_fallback)
        else:
            tflite_bytes = converter.convert()
    if input_dtype == "uint8":
        tflite_bytes = to_uint8_input(tflite_bytes, input_range, int8_output=int8_output)
    tflite_bytes = add_model_metadata(
        tflite_bytes, model, source=source, metadata=metadata, labels=labels,
        keypoint_names=keypoint_names, input_range=input_range,
        output_activation=output_activation)
    if output_path is not None:
        write_bytes_atomically(output_path, tflite_bytes)
    return tflite_bytes
