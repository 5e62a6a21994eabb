import numpy as np
import pytest
import tensorflow as tf

from keras_psa.export import TFLiteGraph
from keras_psa.export import check_gpu_compatibility
from keras_psa.export import check_xnnpack_delegation
from keras_psa.export import run_ops_in_float
from keras_psa.export import xnnpack_float_fallback
from keras_psa.export.tflite.litert_runner import make_interpreter

pytestmark = pytest.mark.flavor_independent

SHAPE = (1, 8, 8, 4)
KERNEL = np.random.default_rng(0).normal(size=(1, 1, 4, 4)).astype(np.float32)


def _int8_softmax_model():
    """conv -> softmax over the last axis -> conv, every tensor int8."""

    @tf.function(input_signature=[tf.TensorSpec(SHAPE, tf.float32)])
    def net(x):
        y = tf.nn.softmax(tf.nn.conv2d(x, KERNEL, 1, "SAME"))
        return tf.nn.conv2d(y, KERNEL, 1, "SAME")

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [net.get_concrete_function()], net)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(1)
    converter.representative_dataset = lambda: (
        [rng.normal(size=SHAPE).astype(np.float32)] for _ in range(16))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def _run(model_bytes, tmp_path, name, x):
    path = tmp_path / name
    path.write_bytes(model_bytes)
    interpreter = make_interpreter(str(path), num_threads=1, xnnpack=True)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    return str(path), interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def test_refused_int8_softmax_moves_to_float_and_xnnpack_takes_all(tmp_path):
    original = _int8_softmax_model()
    x = np.random.default_rng(2).integers(-128, 128, SHAPE).astype(np.int8)
    original_path, expected = _run(original, tmp_path, "int8.tflite", x)
    before = check_xnnpack_delegation(original_path)
    assert [issue.op_name for issue in before.issues] == ["SOFTMAX"]

    rewritten, moved = xnnpack_float_fallback(original)
    assert moved == ["SOFTMAX"]
    path, got = _run(rewritten, tmp_path, "int8_xnnpack.tflite", x)
    after = check_xnnpack_delegation(path)
    assert after.passed, after.summary()
    assert after.details["num_partitions"] == 1
    ops = [(op.name, op.outputs[0].dtype) for op in TFLiteGraph(rewritten).ops]
    assert ops == [("CONV_2D", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("SOFTMAX", "FLOAT32"),
                   ("QUANTIZE", "INT8"), ("CONV_2D", "INT8")]
    # Same int8 tensors around it: the outputs differ by rounding only.
    assert got.dtype == np.int8
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


def test_a_model_xnnpack_takes_is_left_alone():
    model_bytes = _int8_softmax_model()
    once, _ = xnnpack_float_fallback(model_bytes)
    twice, moved = xnnpack_float_fallback(once)
    assert moved == [] and twice == once


def test_rejects_op_indices_out_of_range():
    with pytest.raises(ValueError, match="op_indices"):
        run_ops_in_float(_int8_softmax_model(), [99])


def _int8_layer_norm_statistics_model():
    """conv -> x * rsqrt(max(x * x, eps) + eps), every tensor int8: PSA_p's
    LayerNorm ops, with the scalar (rank-0) constants the converter makes."""

    @tf.function(input_signature=[tf.TensorSpec(SHAPE, tf.float32)])
    def net(x):
        y = tf.nn.conv2d(x, KERNEL, 1, "SAME")
        return y * tf.math.rsqrt(tf.maximum(y * y, 1e-3) + 1e-5)

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [net.get_concrete_function()], net)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(1)
    converter.representative_dataset = lambda: (
        [rng.normal(size=SHAPE).astype(np.float32)] for _ in range(16))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def test_scalar_constants_of_float_ops_stay_gpu_compatible(tmp_path):
    # A DEQUANTIZE of a rank-0 constant, or a float rank-0 operand, is refused
    # by LiteRT's GPU accelerator ("bad input dims size: 0"): the rewrite stores
    # constants dequantized, scalars as shape [1].
    original = _int8_layer_norm_statistics_model()
    graph = TFLiteGraph(original)
    assert any(t.is_const and t.rank == 0 for op in graph.ops for t in op.present_inputs)
    x = np.random.default_rng(2).integers(-128, 128, SHAPE).astype(np.int8)
    _, expected = _run(original, tmp_path, "int8.tflite", x)
    rewritten, moved = xnnpack_float_fallback(original)
    assert "RSQRT" in moved
    path, got = _run(rewritten, tmp_path, "int8_xnnpack.tflite", x)
    assert check_xnnpack_delegation(path).passed
    gpu = check_gpu_compatibility(path)
    assert gpu.passed, gpu.summary()
    float_tensors = [t for op in TFLiteGraph(rewritten).ops for t in op.present_inputs
                     if t.dtype == "FLOAT32"]
    assert float_tensors and all(t.rank >= 1 for t in float_tensors)
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
