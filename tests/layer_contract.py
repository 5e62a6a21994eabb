"""One check of the whole Keras layer contract, in the spirit of Keras' `run_layer_test`.

`check_layer_contract` builds the layer on an input, compares the output with
`compute_output_shape`, rebuilds it from `get_config` (same config, same
outputs with the same weights), trains it one step inside a Functional model
(the trainable weights move), runs it under mixed precision, and saves and
reloads the model through `keras_psa.saving.load_model` (safe loading).
"""

import numpy as np

from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras
from keras_psa.saving import load_model
from tests.backend import to_numpy


def _inputs(input_shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype("float32") for shape in input_shapes]


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _model(layer_cls, init_kwargs, input_shapes):
    inputs = [keras.Input(shape[1:], batch_size=shape[0]) for shape in input_shapes]
    layer = layer_cls(**init_kwargs)
    outputs = layer(inputs if len(inputs) > 1 else inputs[0])
    return keras.Model(inputs, outputs), layer


def check_layer_contract(layer_cls, init_kwargs, input_shapes, *,
                         expected_num_trainable_weights, trainable=True, mixed_precision=True,
                         tmp_path=None, atol=1e-5):
    """Raises AssertionError naming the part of the contract that `layer_cls` breaks.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments.
        input_shapes: list of full input shapes (batch included), one per input.
        expected_num_trainable_weights: trainable weights after build.
        trainable: whether a fit step must move the trainable weights (a layer
            with integer output cannot be trained through).
        mixed_precision: run once under the "mixed_float16" policy.
        tmp_path: a folder for the save/reload round trip (skipped when None).
    """
    data = _inputs(input_shapes)
    feed = data if len(data) > 1 else data[0]
    model, layer = _model(layer_cls, init_kwargs, input_shapes)
    assert len(layer.trainable_weights) == expected_num_trainable_weights, (
        f"{layer_cls.__name__}: {len(layer.trainable_weights)} trainable weights, expected "
        f"{expected_num_trainable_weights}")
    output = _as_list(layer(feed))
    shapes = [tuple(s) for s in input_shapes]
    expected_shape = layer.compute_output_shape(shapes if len(shapes) > 1 else shapes[0])
    assert tuple(output[0].shape) == tuple(expected_shape), (
        f"{layer_cls.__name__}.compute_output_shape gives {expected_shape}, the call "
        f"{tuple(output[0].shape)}")

    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, f"{layer_cls.__name__}: config does not round-trip"
    clone(feed)
    clone.set_weights(layer.get_weights())
    for a, b in zip(_as_list(clone(feed)), output):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=atol,
                                   err_msg=f"{layer_cls.__name__}: rebuilt layer differs")

    if trainable and expected_num_trainable_weights:
        before = [to_numpy(w) for w in layer.trainable_weights]
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        target = np.random.default_rng(1).normal(size=output[0].shape).astype("float32")
        model.fit(feed, target, epochs=1, batch_size=input_shapes[0][0], verbose=0)
        moved = [not np.allclose(b, to_numpy(w)) for b, w in zip(before, layer.trainable_weights)]
        assert any(moved), f"{layer_cls.__name__}: a fit step moved no trainable weight"

    if mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
        try:
            _, mixed = _model(layer_cls, init_kwargs, input_shapes)
            result = _as_list(mixed([d.astype("float16") for d in data] if len(data) > 1
                                    else data[0].astype("float16")))
            assert all(np.all(np.isfinite(to_numpy(r).astype("float32"))) for r in result), (
                f"{layer_cls.__name__}: non-finite outputs under mixed_float16")
        finally:
            keras.mixed_precision.set_global_policy("float32")

    if tmp_path is not None:
        path = tmp_path / f"{layer_cls.__name__}.{'h5' if USING_TF_KERAS else 'keras'}"
        model.save(path)
        reloaded = load_model(path)
        for a, b in zip(_as_list(reloaded(feed)), _as_list(model(feed))):
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=atol,
                                       err_msg=f"{layer_cls.__name__}: reloaded model differs")
