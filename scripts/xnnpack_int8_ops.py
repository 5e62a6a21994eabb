"""Which int8 ops XNNPACK's TFLite delegate (in the installed ai-edge-litert) takes.

Converts one tiny model per op with full-integer post-training quantization and
runs the package's XNNPACK check on it. Evidence for the formulation choices in
keras_psa.export and keras_psa.quantization (e.g. no int8 SOFTMAX, RSQRT, DIV,
HARD_SWISH on XNNPACK).

    python scripts/xnnpack_int8_ops.py
"""

import os
import sys
import tempfile

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_psa.export import check_xnnpack_delegation  # noqa: E402

SHAPE = (1, 8, 8, 4)
OPS = {
    "SOFTMAX": lambda x: tf.nn.softmax(x),
    "EXP": tf.exp,
    "ELU": tf.nn.elu,
    "LOGISTIC": tf.sigmoid,
    "TANH": tf.tanh,
    "DIV": lambda x: x / (tf.abs(x) + 1.0),
    "RSQRT": lambda x: tf.math.rsqrt(tf.abs(x) + 1.0),
    "SQRT": lambda x: tf.sqrt(tf.abs(x) + 1.0),
    "MAXIMUM": lambda x: tf.maximum(x, x[..., :1]),
    "MINIMUM": lambda x: tf.minimum(x, 0.1),
    "REDUCE_MAX": lambda x: x - tf.reduce_max(x, axis=[1, 2], keepdims=True),
    "SUM": lambda x: x * tf.reduce_sum(x, axis=[1, 2], keepdims=True),
    "MEAN": lambda x: x - tf.reduce_mean(x, axis=[3], keepdims=True),
    "SQUARED_DIFFERENCE": lambda x: tf.math.squared_difference(
        x, tf.reduce_mean(x, axis=[3], keepdims=True)),
    "MUL": lambda x: x * x,
    "ADD (+1e-5)": lambda x: x * x + 1e-5,
    "HARD_SWISH": lambda x: x * tf.nn.relu6(x + 3.0) / 6.0,
    "LEAKY_RELU": lambda x: tf.nn.leaky_relu(x, 0.2),
    "ABS": tf.abs,
    "LOG": lambda x: tf.math.log(tf.abs(x) + 1.0),
    "RELU (standalone)": tf.nn.relu,
}


def convert(fn):
    function = tf.function(fn, input_signature=[tf.TensorSpec(SHAPE, tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], function)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: (
        [rng.normal(size=SHAPE).astype(np.float32)] for _ in range(20))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in OPS.items():
            path = os.path.join(tmp, "op.tflite")
            with open(path, "wb") as file:
                file.write(convert(fn))
            result = check_xnnpack_delegation(path)
            refused = sorted({issue.op_name for issue in result.issues})
            rows.append((name, "yes" if not refused else "no: " + ", ".join(refused)))
    print("| int8 op | taken by XNNPACK |\n|---|---|")
    for name, taken in rows:
        print(f"| {name} | {taken} |")


if __name__ == "__main__":
    main()
