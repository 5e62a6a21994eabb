"""The ways a Keras user turns a model into a `.tflite`, side by side with the package's."""

import numpy as np

from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.op_issue import OpIssue
from keras_psa.export.conversion.keras_converter import keras_converter
from keras_psa.export.tflite.tflite_graph import TFLiteGraph
from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras
from keras_psa.layers.dilated_depthwise_conv2d import native_dilation_scope

# Export path -> the quantization modes it offers without the package's help.
# Plain post-training int8 of the TFLite converter is left out: that is what
# `convert_model` adds (float islands for PSA's softmax and LayerNorm).
EXPORT_PATH_MODES = {
    # The package's converter: static batch, float islands, checks.
    "convert_model": ("float32", "float16", "int8"),
    # Keras 3's `model.export(path, format="litert")`, dynamic batch.
    "keras_export": ("float32", "float16"),
    # `tf.lite.TFLiteConverter.from_keras_model` with batch 1 / dynamic batch.
    "tflite_static": ("float32", "float16"),
    "tflite_dynamic": ("float32", "float16"),
    # tfmot QAT (`keras_psa.quantization.quantize_model`, tf_keras), dynamic
    # batch, converted with `Optimize.DEFAULT` as tfmot documents. The
    # all-int8 file is the one for the GPU delegate and int8-only NPUs.
    "qat": ("int8",),
    # The same file after `xnnpack_float_fallback`: the CPU (XNNPACK) file that
    # `keras-psa-qat` ships beside it, with the few int8 ops XNNPACK has no
    # kernel for (SOFTMAX, RSQRT, ...) in float.
    "qat_xnnpack": ("int8",),
}
EXPORT_PATHS = tuple(EXPORT_PATH_MODES)
# The ops the TFLite converter wraps around an atrous convolution it could not
# lower to one dilated op; the GPU delegate refuses them.
SPACE_TO_BATCH_OPS = ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND")


def path_flavor(export_path):
    """`"tf_keras"` for the QAT paths (tfmot), `"keras3"` for Keras 3's export, else None."""
    return {"qat": "tf_keras", "qat_xnnpack": "tf_keras",
            "keras_export": "keras3"}.get(export_path)


def _check_path_and_mode(export_path, mode):
    if export_path not in EXPORT_PATH_MODES:
        raise ValueError(
            f"`export_path` must be one of {EXPORT_PATHS}. Received: export_path={export_path!r}")
    if mode not in EXPORT_PATH_MODES[export_path]:
        raise ValueError(
            f"`mode` must be one of {EXPORT_PATH_MODES[export_path]} for export path "
            f"{export_path!r}. Received: mode={mode!r}")
    flavor = path_flavor(export_path)
    if flavor is not None and (flavor == "tf_keras") != USING_TF_KERAS:
        raise RuntimeError(
            f"Export path {export_path!r} needs {flavor}; this process runs "
            f"{'tf_keras' if USING_TF_KERAS else 'Keras 3'}. Run it in a process started "
            f"{'with' if flavor == 'tf_keras' else 'without'} TF_USE_LEGACY_KERAS=1.")


def _float16_options(converter):
    import tensorflow as tf

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]


@native_dilation_scope()
def _plain_convert(model, mode):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode == "float16":
        _float16_options(converter)
    return converter.convert()


@native_dilation_scope()
def _keras_export(model, mode, output_path):
    import tensorflow as tf

    kwargs = {}
    if mode == "float16":
        kwargs = {"optimizations": [tf.lite.Optimize.DEFAULT],
                  "target_spec": {"supported_types": [tf.float16]}}
    # Keras writes the file itself; it is the user's call being surveyed.
    model.export(str(output_path), format="litert", verbose=False, **kwargs)
    with open(output_path, "rb") as f:
        return f.read()


def _qat_convert(model, pixel_range, qat_steps, seed):
    import tensorflow as tf

    from keras_psa.quantization import quantize_model

    qat_model = quantize_model(model)
    # A few steps set the fake-quant ranges, as fine-tuning would.
    rng = np.random.default_rng(seed)
    shape = (qat_steps,) + tuple(d or 1 for d in qat_model.input_shape[1:])
    x = rng.uniform(*pixel_range, size=shape).astype("float32")
    y = np.zeros((qat_steps,) + tuple(qat_model.output_shape[1:]), "float32")
    qat_model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
    qat_model.fit(x, y, batch_size=1, epochs=1, verbose=0)
    # As keras-psa-qat converts (`keras_converter`: from_keras_model's file, faster).
    with keras_converter(qat_model) as converter:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        return qat_model, converter.convert()


def export_by_path(build, export_path, mode, output_path, *, pixel_range=(0.0, 255.0),
                   num_calibration_samples=16, qat_steps=2, seed=0):
    """Converts the model `build` makes along one export path and writes the `.tflite`.

    Args:
        build: callable taking `batch_size` (None or 1) and returning a float
            Functional model (e.g. a `build_segmentation_model` call).
        export_path: one of `EXPORT_PATHS`.
        mode: one of `EXPORT_PATH_MODES[export_path]`.
        output_path: where the `.tflite` goes.
        pixel_range: value range of the model's input (calibration and QAT data).
        num_calibration_samples: random calibration images of `convert_model`'s int8.
        qat_steps: training steps (batch 1) that set the QAT model's ranges.
        seed: seed of the calibration and QAT data.

    Returns:
        The Keras model the file should match: the float model, or the QAT
        (fake-quant) model for `"qat"` and `"qat_xnnpack"`.

    Example:

    ```python
    build = lambda batch_size: build_segmentation_model(
        "mobilenet_v3_small", 3, input_shape=(64, 64, 3), head="deeplabv3plus",
        attention="psa_s", batch_size=batch_size)
    model = export_by_path(build, "keras_export", "float32", "m.tflite")
    ```
    """
    _check_path_and_mode(export_path, mode)
    model = build(1 if export_path == "tflite_static" else None)
    if export_path == "convert_model":
        from keras_psa.export.conversion.converter import convert_model

        convert_model(model, str(output_path), mode, pixel_range=pixel_range,
                      num_calibration_samples=num_calibration_samples)
        return model
    if export_path == "keras_export":
        _keras_export(model, mode, output_path)
        return model
    if export_path in ("qat", "qat_xnnpack"):
        model, flatbuffer = _qat_convert(model, pixel_range, qat_steps, seed)
        if export_path == "qat_xnnpack":
            from keras_psa.export.conversion.float_fallback import xnnpack_float_fallback

            flatbuffer = xnnpack_float_fallback(flatbuffer)[0]
    else:
        flatbuffer = _plain_convert(model, mode)
    write_bytes_atomically(output_path, flatbuffer)
    return model


def check_no_space_to_batch(tflite_path):
    """Fails when the file holds SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND.

    An atrous convolution that reached TFLite as one dilated CONV_2D or
    DEPTHWISE_CONV_2D needs neither; the GPU delegate rejects both and they
    split XNNPACK's partition.

    Args:
        tflite_path: the `.tflite` file.

    Returns:
        A `CheckResult` named `"no_space_to_batch"`; its details count the
        dilated convolutions.
    """
    graph = TFLiteGraph.from_file(tflite_path)
    offending = [op for op in graph.ops if op.name in SPACE_TO_BATCH_OPS]
    dilated = sum(
        1 for op in graph.ops
        if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D") and op.options is not None
        and max(op.options.dilationHFactor, op.options.dilationWFactor) > 1)
    details = {"num_ops": len(graph.ops), "num_space_to_batch": len(offending),
               "num_dilated_convolutions": dilated}
    if offending:
        issues = [OpIssue(op.index, op.name, "an atrous convolution the converter did not "
                          "lower to a dilated op (use keras_psa.layers.DilatedDepthwiseConv2D)")
                  for op in offending]
        return CheckResult("no_space_to_batch", FAILED, issues, details,
                           f"{len(offending)} of {len(graph.ops)} ops are "
                           f"{' / '.join(SPACE_TO_BATCH_OPS)}")
    return CheckResult("no_space_to_batch", PASSED, [], details,
                       f"no {' / '.join(SPACE_TO_BATCH_OPS)}; {dilated} dilated convolution(s)")
