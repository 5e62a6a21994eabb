"""Helpers for the QAT tests: tiny models, int8 conversion, op inspection."""

import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType

from keras_psa.export.checks.error_measures import share_within_steps
from keras_psa.export.conversion.keras_converter import keras_converter
from keras_psa.keras_flavor import keras
from keras_psa.training.optimizer_variables import build_optimizer_variables


def tiny_model(attention, shape=(16, 16, 16), outputs=4):
    """conv -> attention -> conv, static batch 1 (the mobile export)."""
    inputs = keras.Input(shape, batch_size=1)
    x = keras.layers.Conv2D(shape[-1], 3, padding="same", activation="relu")(inputs)
    x = attention(x)
    x = keras.layers.Conv2D(outputs, 1)(x)
    return keras.Model(inputs, x)


def fit_briefly(model, steps=8, seed=0):
    """A few QAT steps on random data; returns the per-step losses."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(steps,) + tuple(model.input_shape[1:])).astype("float32")
    y = rng.normal(size=(steps,) + tuple(model.output_shape[1:])).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    build_optimizer_variables(model)  # the train step traced once
    history = model.fit(x, y, batch_size=1, epochs=1, verbose=0)
    return history.history["loss"], x


def convert_default(model):
    """The documented tfmot flow as the package's QAT export runs it: Optimize.DEFAULT, no
    representative dataset (`keras_converter`: the same file as `from_keras_model`,
    tests/export/conversion/test_keras_converter.py)."""
    with keras_converter(model) as converter:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        return converter.convert()


def interpreter_for(tflite_model):
    interpreter = Interpreter(
        model_content=tflite_model,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    return interpreter


def float_ops(interpreter):
    """(op name, index) of every op with a float32 input or output tensor."""
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    found = []
    for op in interpreter._get_ops_details():
        indices = [i for i in list(op["inputs"]) + list(op["outputs"]) if i >= 0]
        if any(tensors[i]["dtype"] == np.float32 for i in indices):
            found.append((op["op_name"], op["index"]))
    return found


def assert_int8_inside(interpreter):
    """Only one QUANTIZE at the float input and one DEQUANTIZE at the float output."""
    ops = interpreter._get_ops_details()
    names = [op["op_name"] for op in ops]
    floats = float_ops(interpreter)
    assert [name for name, _ in floats] == ["QUANTIZE", "DEQUANTIZE"], (floats, names)
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    quantize = ops[floats[0][1]]
    dequantize = ops[floats[1][1]]
    assert list(quantize["inputs"]) == [input_index]
    assert list(dequantize["outputs"]) == [output_index]
    return names


def output_step(interpreter):
    """Quantization step of the int8 tensor that the final DEQUANTIZE reads."""
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    dequantize = [op for op in interpreter._get_ops_details() if op["op_name"] == "DEQUANTIZE"]
    return tensors[dequantize[-1]["inputs"][0]]["quantization"][0]


def run(interpreter, x):
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def fraction_within_one_step(interpreter, model, samples):
    """Share of int8 outputs within one output step of the fake-quant Keras model."""
    step = output_step(interpreter)
    differences = []
    for sample in samples:
        sample = sample[None]
        expected = np.asarray(model(sample, training=False))
        differences.append(np.abs(run(interpreter, sample) - expected).ravel())
    differences = np.concatenate(differences)
    return share_within_steps(differences, np.zeros_like(differences), step, 1), step, differences


def trained_like_qat_model(model, images, epochs=3):
    """QAT copy of `model` with real BatchNorm statistics and ranges fitted on `images`."""
    from keras_psa.models import set_batch_norm_statistics
    from keras_psa.quantization import quantize_model

    set_batch_norm_statistics(model, images)
    qat_model = quantize_model(model)
    qat_model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
    build_optimizer_variables(qat_model)
    qat_model.fit(images, np.asarray(model(images)), batch_size=len(images), epochs=epochs,
                  verbose=0)
    return qat_model
