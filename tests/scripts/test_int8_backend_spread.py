"""scripts/int8_backend_spread.py: TFLite's CPU backends compared on one int8 file."""

import numpy as np
import pytest
import tensorflow as tf

from keras_psa.export import convert_model
from keras_psa.export.tflite.litert_runner import make_interpreter
from keras_psa.export.tflite.litert_runner import run_tflite
from tests.export.tiny_models import conv_net
from tests.training.script_runner import load_script

pytestmark = pytest.mark.flavor_independent


def test_every_pair_of_cpu_backends_is_compared_and_ops_that_differ_are_listed(tmp_path,
                                                                              capsys):
    path = str(tmp_path / "conv_int8.tflite")
    convert_model(conv_net(16), path, input_size=(16, 16), quantization="int8",
                  representative="random", num_calibration_samples=8, pixel_range=(0.0, 255.0))
    load_script("scripts", "int8_backend_spread.py").main(
        [path, "--images", "random", "--num-images", "2", "--per-op"])
    lines = capsys.readouterr().out.splitlines()
    pairs = [line for line in lines if " vs " in line]
    assert [line.split("|")[1].strip() for line in pairs] == [
        "xnnpack vs builtin", "xnnpack vs reference", "builtin vs reference"]
    for line in pairs:
        shares = [float(s.strip().rstrip("%")) for s in line.split("|")[3].split("/")]
        assert 0 <= shares[0] <= shares[1] <= shares[2] <= 100, line
        assert shares[2] >= 99, line  # a plain conv net: rounding differences stay small
    assert "| op | name | exact | within 1 step | max steps |" in lines


def test_the_int8_weighted_sum_over_space_is_exact_on_xnnpack_and_the_builtin_kernels(
        tmp_path):
    """PSA's channel branch sums v * softmax(q) over H*W; the floor that the checks
    report (XNNPACK vs builtin kernels) rests on both computing that sum right."""
    rng = np.random.default_rng(0)

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 6, 64], tf.float32)])
    def weighted_sum(x):
        p = tf.reshape(tf.nn.softmax(tf.reshape(x[..., :1], [1, 1, 48]), axis=-1), [1, 8, 6, 1])
        return tf.reduce_sum(x * p, axis=[1, 2], keepdims=True)

    def representative():
        for _ in range(16):
            yield [rng.uniform(0, 1, (1, 8, 6, 64)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [weighted_sum.get_concrete_function()], weighted_sum)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    path = str(tmp_path / "weighted_sum_int8.tflite")
    with open(path, "wb") as file:
        file.write(converter.convert())
    x = rng.uniform(0, 1, (1, 8, 6, 64)).astype(np.float32)
    exact = weighted_sum(x).numpy()
    for xnnpack in (True, False):
        got = run_tflite(path, x, interpreter=make_interpreter(path, xnnpack=xnnpack))[0]
        # int8 inputs, softmax and output each round once: a few hundredths at most.
        assert np.abs(got - exact).max() < 0.02, (xnnpack, np.abs(got - exact).max())
