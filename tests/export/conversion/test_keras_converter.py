"""keras_converter: the file `TFLiteConverter.from_keras_model` writes, without its Keras
SavedModel."""

import numpy as np
import pytest
import tensorflow as tf

from keras_psa.export.conversion.keras_converter import keras_converter
from keras_psa.export.tflite.tflite_graph import TFLiteGraph
from keras_psa.keras_flavor import keras
from keras_psa.layers import DilatedDepthwiseConv2D
from keras_psa.layers import PolarizedSelfAttention


def _model(named_outputs=False):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16, 16, 3), batch_size=1, name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = DilatedDepthwiseConv2D(3, padding="same", dilation_rate=2)(x)
    x = PolarizedSelfAttention(name="psa")(x)
    logits = keras.layers.Conv2D(3, 1, name="logits")(x)
    if named_outputs:
        return keras.Model(inputs, {"logits": logits,
                                    "scores": keras.layers.Softmax(name="scores")(logits)})
    return keras.Model(inputs, logits)


def _convert(converter, quantize):
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


def _ops_and_output(tflite_bytes, images):
    from ai_edge_litert.interpreter import Interpreter

    graph = TFLiteGraph(tflite_bytes)
    interpreter = Interpreter(model_content=tflite_bytes)
    interpreter.allocate_tensors()
    inputs, outputs = interpreter.get_input_details()[0], interpreter.get_output_details()
    interpreter.set_tensor(inputs["index"], images)
    interpreter.invoke()
    names = (inputs["name"], [output["name"] for output in outputs])
    values = [interpreter.get_tensor(output["index"]) for output in outputs]
    return [op.name for op in graph.ops], values, names


@pytest.mark.parametrize("qat, named_outputs", [
    (False, False), (False, True), pytest.param(True, False, marks=pytest.mark.tf_keras_only)])
def test_same_file_as_from_keras_model(qat, named_outputs):
    model = _model(named_outputs)
    if qat:
        from keras_psa.quantization import quantize_model

        model = quantize_model(model)
    images = np.random.default_rng(1).uniform(0, 255, (1, 16, 16, 3)).astype("float32")
    expected = _convert(tf.lite.TFLiteConverter.from_keras_model(model), qat)
    with keras_converter(model) as converter:
        received = _convert(converter, qat)
    ops, output, names = _ops_and_output(received, images)
    expected_ops, expected_output, expected_names = _ops_and_output(expected, images)
    if keras.__name__ == "tf_keras":
        assert ops == expected_ops
        assert names == expected_names
    else:  # Keras 3's own export: the same ops in another order, its input `args_0`
        assert sorted(ops) == sorted(expected_ops)
        assert names == ("serving_default_args_0:0", expected_names[1])
    assert len(output) == (2 if named_outputs else 1)
    for value, expected_value in zip(output, expected_output):
        np.testing.assert_array_equal(value, expected_value)
    assert "DEPTHWISE_CONV_2D" in ops and "SPACE_TO_BATCH_ND" not in ops


@pytest.mark.keras3_only
def test_keras3_input_name_does_not_depend_on_the_models_built_before():
    """A Keras 3 tensor's name counts the tensors made before it ("keras_tensor_8"):
    files of the same model must not differ by what the process built first (a
    compiled NPU file is fed by the source file's input names)."""
    from ai_edge_litert.interpreter import Interpreter

    def input_names():
        inputs = keras.Input((8, 8, 3), batch_size=1)
        model = keras.Model(inputs, keras.layers.Conv2D(2, 1)(inputs))
        with keras_converter(model) as converter:
            interpreter = Interpreter(model_content=converter.convert())
        return inputs.name, list(interpreter.get_signature_list()["serving_default"]["inputs"])

    (first_tensor, first), (second_tensor, second) = input_names(), input_names()
    assert first_tensor != second_tensor
    assert first == second == ["args_0"]
