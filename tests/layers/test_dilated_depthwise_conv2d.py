"""DilatedDepthwiseConv2D: Keras' DepthwiseConv2D exactly, one dilated TFLite op on export."""

import collections
import json

import numpy as np
import pytest

from keras_psa.keras_flavor import keras
from keras_psa.layers import DilatedDepthwiseConv2D
from keras_psa.layers import native_dilation_scope
from keras_psa.models import with_native_dilation
from tests.backend import to_numpy

pytestmark = pytest.mark.all_backends

CASES = [
    dict(kernel_size=3, padding="same", dilation_rate=6, use_bias=False),
    dict(kernel_size=3, padding="same", dilation_rate=(2, 3), use_bias=True, activation="relu"),
    dict(kernel_size=3, padding="valid", dilation_rate=2, depth_multiplier=2),
    dict(kernel_size=(3, 5), padding="same", dilation_rate=12),
    dict(kernel_size=3, padding="same", dilation_rate=1, strides=2),
]


def _pair(kwargs, channels=5):
    reference = keras.layers.DepthwiseConv2D(**kwargs)
    layer = DilatedDepthwiseConv2D(**kwargs)
    reference.build((None, None, None, channels))
    layer.build((None, None, None, channels))
    rng = np.random.default_rng(0)
    layer.set_weights([rng.normal(size=w.shape).astype("float32")
                       for w in layer.get_weights()])
    reference.set_weights(layer.get_weights())
    return reference, layer


@pytest.mark.parametrize("kwargs", CASES)
def test_outputs_match_depthwise_conv2d(kwargs):
    reference, layer = _pair(kwargs)
    # Odd sizes, also smaller than the dilated kernel: SAME pads as TF does.
    for shape in [(2, 13, 11, 5), (1, 7, 9, 5), (1, 32, 32, 5)]:
        x = np.random.default_rng(1).normal(size=shape).astype("float32")
        expected = to_numpy(reference(x))
        received = to_numpy(layer(x))
        assert received.shape == expected.shape
        np.testing.assert_allclose(received, expected, atol=1e-5, rtol=0)


def test_weights_and_config_are_depthwise_conv2d_ones():
    kwargs = dict(kernel_size=3, padding="same", dilation_rate=6, use_bias=True, name="dw")
    reference, layer = _pair(kwargs)
    assert [w.shape for w in layer.weights] == [w.shape for w in reference.weights]
    assert [w.name for w in layer.weights] == [w.name for w in reference.weights]
    config = layer.get_config()
    assert config == reference.get_config()
    json.dumps(config)
    clone = DilatedDepthwiseConv2D.from_config(config)
    assert clone.get_config() == config
    serialized = keras.layers.serialize(layer)
    assert "DilatedDepthwiseConv2D" in json.dumps(serialized)
    restored = keras.layers.deserialize(serialized)
    assert type(restored) is DilatedDepthwiseConv2D
    assert tuple(restored.dilation_rate) == (6, 6)


def _plain_conversion_ops(model):
    import tensorflow as tf

    from keras_psa.export import TFLiteGraph

    graph = TFLiteGraph(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    return graph.ops


def _dynamic_model(batch_size=None):
    inputs = keras.Input((None, None, 8), batch_size=batch_size)
    outputs = DilatedDepthwiseConv2D(3, padding="same", dilation_rate=6, use_bias=False)(inputs)
    return keras.Model(inputs, outputs)


@pytest.mark.tensorflow_only
@pytest.mark.parametrize("batch_size", [None, 1])
@pytest.mark.parametrize("kernel_runs_dilations", [True, False])
def test_dynamic_shape_converts_to_one_dilated_depthwise_op(batch_size, kernel_runs_dilations,
                                                            monkeypatch):
    # Both kinds of machine: oneDNN's kernel runs the dilated op, the Eigen kernel does not;
    # inside the scope the traced graph has the native op either way.
    from keras_psa import backend_ops

    monkeypatch.setattr(backend_ops, "native_dilation_runs", lambda: kernel_runs_dilations)
    with native_dilation_scope():
        ops = _plain_conversion_ops(_dynamic_model(batch_size))
    names = collections.Counter(op.name for op in ops)
    assert names == {"DEPTHWISE_CONV_2D": 1}, names
    (op,) = ops
    assert (op.options.dilationHFactor, op.options.dilationWFactor) == (6, 6)


@pytest.mark.tensorflow_only
def test_without_a_dilated_kernel_the_layer_runs_and_traces_as_depthwise_conv2d(monkeypatch):
    # A CPU without oneDNN: outside the scope the layer must run (training, predict), so
    # it computes as DepthwiseConv2D, with the same outputs and SPACE_TO_BATCH_ND on export.
    from keras_psa import backend_ops

    monkeypatch.setattr(backend_ops, "native_dilation_runs", lambda: False)
    reference, layer = _pair(CASES[0])
    x = np.random.default_rng(4).normal(size=(2, 13, 11, 5)).astype("float32")
    np.testing.assert_allclose(to_numpy(layer(x)), to_numpy(reference(x)), atol=1e-5, rtol=0)
    assert "SPACE_TO_BATCH_ND" in {op.name for op in _plain_conversion_ops(_dynamic_model())}


@pytest.mark.tensorflow_only
def test_the_probe_matches_what_the_kernel_does():
    import tensorflow as tf

    from keras_psa import backend_ops

    try:
        backend_ops.depthwise_conv2d_dilated(tf.ones((1, 6, 6, 2)), tf.ones((3, 3, 2, 1)),
                                             (1, 1), "same", (2, 2))
        runs = True
    except tf.errors.UnimplementedError:
        runs = False
    assert backend_ops.native_dilation_runs() is runs


@pytest.mark.tensorflow_only
def test_depthwise_conv2d_of_the_same_model_needs_space_to_batch():
    # What the layer is for: Keras' own layer, dynamic shape, plain converter.
    inputs = keras.Input((None, None, 8))
    outputs = keras.layers.DepthwiseConv2D(3, padding="same", dilation_rate=6)(inputs)
    import tensorflow as tf

    from keras_psa.export import TFLiteGraph

    graph = TFLiteGraph(
        tf.lite.TFLiteConverter.from_keras_model(keras.Model(inputs, outputs)).convert())
    assert "SPACE_TO_BATCH_ND" in {op.name for op in graph.ops}


def _old_style_model():
    inputs = keras.Input((16, 16, 4))
    x = keras.layers.DepthwiseConv2D(3, padding="same", dilation_rate=2, name="atrous")(inputs)
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="plain")(x)
    return keras.Model(inputs, keras.layers.Conv2D(2, 1, name="head")(x))


def test_with_native_dilation_upgrades_atrous_layers_only():
    model = _old_style_model()
    upgraded = with_native_dilation(model)
    assert type(upgraded.get_layer("atrous")) is DilatedDepthwiseConv2D
    assert type(upgraded.get_layer("plain")) is keras.layers.DepthwiseConv2D
    assert upgraded.get_layer("atrous").get_config() == model.get_layer("atrous").get_config()
    x = np.random.default_rng(2).normal(size=(2, 16, 16, 4)).astype("float32")
    np.testing.assert_allclose(to_numpy(upgraded(x)), to_numpy(model(x)), atol=1e-5, rtol=0)
    assert with_native_dilation(upgraded) is upgraded


def test_with_native_dilation_rejects_non_functional_models():
    with pytest.raises(ValueError, match="`model` must be a Functional"):
        with_native_dilation(keras.layers.Dense(2))


def test_saved_model_with_the_layer_reloads(tmp_path):
    inputs = keras.Input((16, 16, 4))
    outputs = DilatedDepthwiseConv2D(3, padding="same", dilation_rate=3, name="atrous")(inputs)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "m.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert type(reloaded.get_layer("atrous")) is DilatedDepthwiseConv2D
    x = np.random.default_rng(3).normal(size=(1, 16, 16, 4)).astype("float32")
    np.testing.assert_array_equal(to_numpy(reloaded(x)), to_numpy(model(x)))
