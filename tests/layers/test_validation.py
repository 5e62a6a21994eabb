"""Bad arguments and bad inputs get clear errors that name the fix."""

import numpy as np
import pytest

from keras_psa import ChannelPolarizedAttention
from keras_psa import PolarizedSelfAttention
from keras_psa import SpatialPolarizedAttention
from keras_psa.keras_flavor import keras

pytestmark = pytest.mark.all_backends

LAYERS = [PolarizedSelfAttention, ChannelPolarizedAttention, SpatialPolarizedAttention]


@pytest.mark.parametrize("cls", LAYERS)
def test_unknown_layout(cls):
    with pytest.raises(ValueError, match=r"`layout` must be one of .*Received: layout='diagonal'"):
        cls(layout="diagonal")


@pytest.mark.parametrize("cls", LAYERS)
def test_unknown_variant(cls):
    with pytest.raises(ValueError, match=r"`variant` must be one of .*Received: variant='v2'"):
        cls(variant="v2")


@pytest.mark.parametrize("epsilon", [-1e-5, "small", True])
def test_bad_epsilon(epsilon):
    with pytest.raises(ValueError, match="`epsilon` must be a non-negative number"):
        PolarizedSelfAttention(epsilon=epsilon)


def test_use_bias_with_official_variant():
    with pytest.raises(ValueError, match="`use_bias` must be None or False with variant='offic"):
        PolarizedSelfAttention(variant="official", use_bias=True)


def test_use_bias_type():
    with pytest.raises(TypeError, match="`use_bias` must be None, True or False"):
        PolarizedSelfAttention(use_bias="yes")


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("shape", [(None, 8, 16), (None, 4, 8, 8, 16)])
def test_rank_not_4(cls, shape):
    with pytest.raises(ValueError, match="expects a 4-D NHWC input"):
        cls().build(shape)


@pytest.mark.parametrize("cls", LAYERS)
def test_unknown_channels(cls):
    with pytest.raises(ValueError, match="needs a known channel dimension"):
        cls().build((None, 8, 8, None))


@pytest.mark.parametrize(
    "cls, kwargs, channels",
    [
        (PolarizedSelfAttention, {}, 1),
        (ChannelPolarizedAttention, {}, 1),
        (SpatialPolarizedAttention, {}, 1),
        (PolarizedSelfAttention, {"variant": "official", "layout": "sequential"}, 7),
        (ChannelPolarizedAttention, {"variant": "official", "layout": "sequential"}, 7),
    ],
)
def test_too_few_channels(cls, kwargs, channels):
    with pytest.raises(ValueError, match=r"needs at least (2|8) input channels"):
        cls(**kwargs).build((None, 4, 4, channels))


def test_minimum_channels_work():
    x = np.ones((1, 3, 3, 8), np.float32)
    assert PolarizedSelfAttention(variant="official", layout="sequential")(x).shape == x.shape
    x = np.ones((1, 3, 3, 2), np.float32)
    assert PolarizedSelfAttention()(x).shape == x.shape


@pytest.mark.parametrize("cls", LAYERS)
def test_integer_input_rejected(cls):
    with pytest.raises(TypeError, match="expects a floating-point input"):
        cls()(np.ones((1, 4, 4, 8), "int32"))


def test_integer_input_rejected_in_functional_model():
    inputs = keras.Input((4, 4, 8), dtype="int32")
    with pytest.raises(TypeError, match="expects a floating-point input"):
        PolarizedSelfAttention()(inputs)
