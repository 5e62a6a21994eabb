"""The layers reproduce the PyTorch references to float precision."""

import numpy as np
import pytest

from keras_psa import PolarizedSelfAttention
from keras_psa import load_torch_state_dict
from tests.backend import to_numpy
from tests.layers import psa_reference

pytestmark = pytest.mark.all_backends


def relative_error(actual, expected):
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


def test_golden_vectors(golden):
    variant, layout, state_dict, x, expected = golden
    layer = PolarizedSelfAttention(layout=layout, variant=variant)
    load_torch_state_dict(layer, state_dict)
    assert relative_error(to_numpy(layer(x)), expected) < 2e-5


def test_numpy_reference_matches_golden_vectors(golden):
    # The float64 reference below is trusted for other shapes only because
    # it reproduces the PyTorch outputs here.
    variant, layout, state_dict, x, expected = golden
    assert relative_error(psa_reference.psa(x, state_dict, variant, layout), expected) < 1e-6


SHAPES = [
    (1, 5, 11, 16),  # non-square
    (1, 1, 1, 16),  # a single pixel
    (3, 7, 4, 24),  # batch > 1, odd spatial
    (2, 6, 6, 256),  # large C
    (1, 3, 3, 9),  # odd C
]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("layout", ["parallel", "sequential"])
@pytest.mark.parametrize("variant", ["paper", "official"])
def test_other_shapes_match_reference(variant, layout, shape):
    params = psa_reference.random_params(variant, layout, shape[-1], seed=sum(shape))
    x = np.random.default_rng(0).normal(0, 2, shape).astype(np.float32)
    layer = PolarizedSelfAttention(layout=layout, variant=variant)
    load_torch_state_dict(layer, params)
    expected = psa_reference.psa(x, params, variant, layout)
    assert relative_error(to_numpy(layer(x)), expected) < 2e-5
