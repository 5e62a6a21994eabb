"""The layers lower to TFLite ops the GPU delegate and XNNPACK accept."""

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType

from keras_psa import PolarizedSelfAttention
from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras

FORBIDDEN = {"TRANSPOSE", "BATCH_MATMUL", "SHAPE", "PACK", "GATHER", "STRIDED_SLICE", "ARG_MAX"}


def to_tflite(model, shape, tmp_path):
    spec = tf.TensorSpec(shape, tf.float32)
    if USING_TF_KERAS:
        concrete = tf.function(lambda x: model(x)).get_concrete_function(spec)
        return tf.lite.TFLiteConverter.from_concrete_functions([concrete], model).convert()
    # Keras 3 variables only freeze into constants through a SavedModel.
    model.export(str(tmp_path), format="tf_saved_model", input_signature=[spec], verbose=False)
    return tf.lite.TFLiteConverter.from_saved_model(str(tmp_path)).convert()


@pytest.mark.parametrize("layout", ["parallel", "sequential"])
@pytest.mark.parametrize("variant", ["paper", "official"])
def test_float32_tflite_ops_and_parity(variant, layout, tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 16))  # dynamic in Keras, static at export
    model = keras.Model(inputs, PolarizedSelfAttention(layout=layout, variant=variant)(inputs))
    shape = (1, 12, 20, 16)
    interpreter = Interpreter(
        model_content=to_tflite(model, shape, tmp_path / "saved"),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert not ops & FORBIDDEN, f"ops the delegates reject or that break static shapes: {ops}"
    if variant == "paper" or layout == "parallel":
        assert "SOFTMAX" in ops
    for tensor in interpreter.get_tensor_details():
        assert len(tensor["shape"]) <= 4, tensor
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    actual = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    expected = np.asarray(model(x))
    assert np.max(np.abs(actual - expected)) / np.max(np.abs(expected)) < 1e-5
