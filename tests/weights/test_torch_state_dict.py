"""Loading PyTorch state dicts: both key schemes, all-or-nothing errors."""

import numpy as np
import pytest

from keras_psa import ChannelPolarizedAttention
from keras_psa import PolarizedSelfAttention
from keras_psa import SpatialPolarizedAttention
from keras_psa import load_torch_state_dict
from tests.backend import to_numpy
from tests.layers import psa_reference

pytestmark = pytest.mark.all_backends

CASES = [(v, lay) for v in ("paper", "official") for lay in ("parallel", "sequential")]


def built(variant, layout, channels=16, cls=PolarizedSelfAttention):
    layer = cls(layout=layout, variant=variant)
    layer.build((None, None, None, channels))
    return layer


def snapshot(layer):
    return [to_numpy(w) for w in layer.get_weights()]


@pytest.mark.parametrize("variant, layout", CASES)
def test_every_weight_is_loaded(variant, layout):
    layer = built(variant, layout)
    params = psa_reference.random_params(variant, layout, 16, seed=1)
    assigned = load_torch_state_dict(layer, params)
    assert len(assigned) == len(params) == len(layer.weights)


@pytest.mark.parametrize("variant, layout", CASES)
def test_unbuilt_layer_is_built_from_state_dict(variant, layout):
    layer = PolarizedSelfAttention(layout=layout, variant=variant)
    load_torch_state_dict(layer, psa_reference.random_params(variant, layout, 24, seed=2))
    assert layer.built
    assert layer.channel_attention.query_conv.kernel.shape == (1, 1, 24, 1)


def test_branch_layers_take_their_part_of_a_full_state_dict():
    params = psa_reference.random_params("official", "sequential", 16, seed=3)
    x = np.random.default_rng(0).normal(size=(1, 4, 5, 16)).astype(np.float32)
    channel = built("official", "sequential", cls=ChannelPolarizedAttention)
    spatial = built("official", "sequential", cls=SpatialPolarizedAttention)
    load_torch_state_dict(channel, params, strict=False)
    load_torch_state_dict(spatial, params, strict=False)
    expected = psa_reference.psa(x, params, "official", "sequential")
    np.testing.assert_allclose(to_numpy(spatial(channel(x))), expected, rtol=1e-4, atol=1e-5)


def test_prefix_selects_the_module():
    params = psa_reference.random_params("paper", "parallel", 16, seed=4)
    network = {"head.psa." + k: v for k, v in params.items()}
    network["head.classifier.weight"] = np.zeros((3, 16, 1, 1), np.float32)
    layer = built("paper", "parallel")
    load_torch_state_dict(layer, network, prefix="head.psa.")
    np.testing.assert_array_equal(
        to_numpy(layer.spatial_attention.value_conv.bias), params["sp_wv.bias"]
    )


def test_all_problems_in_one_error_and_nothing_changed():
    layer = built("paper", "parallel")
    before = snapshot(layer)
    params = psa_reference.random_params("paper", "parallel", 16, seed=5)
    del params["ln.bias"]
    params["ch_wv.weight"] = params["ch_wv.weight"][:4]
    params["extra.weight"] = np.zeros(3, np.float32)
    with pytest.raises(ValueError) as error:
        load_torch_state_dict(layer, params)
    message = str(error.value)
    assert "missing keys: ['ln.bias']" in message
    assert "unexpected keys: ['extra.weight']" in message
    assert "ch_wv.weight: shape (4, 16, 1, 1)" in message
    assert "no weight was changed" in message
    for old, new in zip(before, snapshot(layer), strict=True):
        np.testing.assert_array_equal(old, new)


def test_non_numeric_value_is_reported():
    layer = built("official", "parallel")
    params = psa_reference.random_params("official", "parallel", 16, seed=6)
    params["conv_up.weight"] = "not an array"
    with pytest.raises(ValueError, match="conv_up.weight: not a numeric array"):
        load_torch_state_dict(layer, params)


@pytest.mark.parametrize(
    "saved, layer_args, hint",
    [
        (("official", "sequential"), ("paper", "parallel"),
         "variant='official', layout='sequential'"),
        (("official", "parallel"), ("official", "sequential"),
         "variant='official', layout='parallel'"),
        (("paper", "parallel"), ("official", "parallel"), "variant='paper'"),
    ],
)
def test_state_dict_for_wrong_variant_or_layout(saved, layer_args, hint):
    layer = built(*layer_args)
    before = snapshot(layer)
    with pytest.raises(ValueError, match="looks like it was saved from " + hint):
        load_torch_state_dict(layer, psa_reference.random_params(*saved, 16, seed=7))
    for old, new in zip(before, snapshot(layer), strict=True):
        np.testing.assert_array_equal(old, new)


def test_wrong_channel_count():
    layer = built("paper", "parallel", channels=32)
    with pytest.raises(ValueError, match="with 32 channels"):
        load_torch_state_dict(layer, psa_reference.random_params("paper", "parallel", 16, seed=8))


def test_bad_arguments():
    with pytest.raises(TypeError, match="`layer` must be a PolarizedSelfAttention"):
        load_torch_state_dict(object(), {})
    with pytest.raises(TypeError, match="`state_dict` must be a mapping"):
        load_torch_state_dict(built("paper", "parallel"), [("ch_wq.weight", 0)])
    with pytest.raises(ValueError, match="build it first"):
        load_torch_state_dict(PolarizedSelfAttention(), {})
