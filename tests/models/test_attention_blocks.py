import numpy as np
import pytest

from keras_psa.keras_flavor import keras
from keras_psa.layers import PolarizedSelfAttention
from keras_psa.models import CBAM
from keras_psa.models import SqueezeExcitation
from keras_psa.models import get_attention_layer
from tests.backend import to_numpy

pytestmark = pytest.mark.all_backends


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _conv1x1(x, conv):
    kernel, bias = conv.get_weights()
    return x @ kernel[0, 0] + bias


def test_squeeze_excitation_matches_numpy():
    x = np.random.default_rng(0).normal(size=(2, 5, 6, 16)).astype("float32")
    layer = SqueezeExcitation(reduction=4, min_units=2)
    y = to_numpy(layer(x))
    context = x.mean(axis=(1, 2), keepdims=True)
    gate = _sigmoid(_conv1x1(np.maximum(_conv1x1(context, layer.squeeze), 0), layer.excite))
    np.testing.assert_allclose(y, x * gate, rtol=1e-5, atol=1e-6)
    assert layer.squeeze.filters == 4


@pytest.mark.tensorflow_only
def test_cbam_matches_numpy():
    import tensorflow as tf


    x = np.random.default_rng(1).normal(size=(2, 6, 5, 16)).astype("float32")
    layer = CBAM(reduction=4, min_units=2, spatial_kernel_size=3)
    y = layer(x).numpy()

    def mlp(v):
        return _conv1x1(np.maximum(_conv1x1(v, layer.mlp_hidden), 0), layer.mlp_out)

    gate = _sigmoid(
        mlp(x.mean(axis=(1, 2), keepdims=True)) + mlp(x.max(axis=(1, 2), keepdims=True))
    )
    z = x * gate
    pooled = np.concatenate([z.mean(-1, keepdims=True), z.max(-1, keepdims=True)], axis=-1)
    spatial = tf.nn.conv2d(pooled, layer.spatial_conv.kernel, 1, "SAME").numpy()
    spatial = spatial + layer.spatial_conv.bias.numpy()
    np.testing.assert_allclose(y, z * _sigmoid(spatial), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [SqueezeExcitation, CBAM])
def test_blocks_config_round_trip(cls):
    layer = cls(reduction=2, name="block")
    clone = cls.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x = np.random.default_rng(2).normal(size=(1, 4, 4, 8)).astype("float32")
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_numpy(clone(x)), to_numpy(layer(x)))


@pytest.mark.parametrize("cls", [SqueezeExcitation, CBAM])
@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_blocks_reject_bad_reduction(cls, bad):
    with pytest.raises(ValueError, match="`reduction` must be a positive int"):
        cls(reduction=bad)


@pytest.mark.parametrize(
    "attention,cls,layout",
    [
        ("se", SqueezeExcitation, None),
        ("cbam", CBAM, None),
        ("psa_p", PolarizedSelfAttention, "parallel"),
        ("psa_s", PolarizedSelfAttention, "sequential"),
    ],
)
@pytest.mark.parametrize("psa_variant", ["paper", "official"])
def test_factory_builds_named_blocks(attention, cls, layout, psa_variant):
    layer = get_attention_layer(attention, psa_variant, name="att")
    assert isinstance(layer, cls)
    assert layer.name == "att"
    if layout is not None:
        assert layer.layout == layout
        assert layer.variant == psa_variant
    assert layer(np.zeros((1, 4, 4, 16), "float32")).shape == (1, 4, 4, 16)


def test_factory_none_and_errors():
    assert get_attention_layer(None) is None
    with pytest.raises(ValueError, match="`attention` must be one of"):
        get_attention_layer("transformer")
    with pytest.raises(ValueError, match="`psa_variant` must be one of"):
        get_attention_layer("psa_p", psa_variant="v2")


def test_blocks_in_functional_model_with_dynamic_size():
    inputs = keras.Input((None, None, 8))
    outputs = CBAM()(SqueezeExcitation()(inputs))
    model = keras.Model(inputs, outputs)
    assert model(np.ones((1, 7, 9, 8), "float32")).shape == (1, 7, 9, 8)
