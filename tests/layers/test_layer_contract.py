"""Every layer the package registers keeps the whole Keras layer contract, both flavors."""

import pytest

from keras_psa.layers import ChannelPolarizedAttention
from keras_psa.layers import PolarizedSelfAttention
from keras_psa.layers import SpatialPolarizedAttention
from keras_psa.layers.decomposed_hard_swish import DecomposedHardSwish
from keras_psa.models.cbam import CBAM
from keras_psa.models.class_labels import ClassLabels
from keras_psa.models.resize_like import ResizeLike
from keras_psa.models.squeeze_excitation import SqueezeExcitation
from tests.layer_contract import check_layer_contract

pytestmark = pytest.mark.all_backends

SHAPE = [(2, 6, 5, 16)]

# Trainable weights, from the architecture: paper PSA = channel branch (q, v, z convs with
# biases, LayerNorm gamma/beta: 8) + spatial branch (q, v convs with biases: 4); official
# PSA_p = 5 bias-free kernels; official PSA_s = 2 bias-free q/v kernels + the bottleneck
# (conv, LayerNorm, conv, with biases: 6) + 2 spatial kernels; CBAM = shared MLP (2 convs with
# biases) + the spatial conv (kernel, bias).
# (class, kwargs, input shapes, trainable weights, trainable through, mixed precision)
CASES = [
    (PolarizedSelfAttention, {"layout": "parallel", "variant": "paper"}, SHAPE, 12, True, True),
    (PolarizedSelfAttention, {"layout": "sequential", "variant": "paper"}, SHAPE, 12, True, True),
    (PolarizedSelfAttention, {"layout": "parallel", "variant": "official"}, SHAPE, 5, True, True),
    (PolarizedSelfAttention, {"layout": "sequential", "variant": "official"}, SHAPE, 10, True,
     True),
    (ChannelPolarizedAttention, {}, SHAPE, 8, True, True),
    (SpatialPolarizedAttention, {}, SHAPE, 4, True, True),
    (SqueezeExcitation, {}, SHAPE, 4, True, True),
    (CBAM, {}, SHAPE, 6, True, True),
    (DecomposedHardSwish, {}, SHAPE, 0, False, True),
    (ResizeLike, {}, [(2, 3, 3, 4), (2, 6, 5, 8)], 0, False, True),
    (ClassLabels, {}, SHAPE, 0, False, False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{c[1]}")
def test_layer_contract(case, tmp_path):
    layer_cls, kwargs, shapes, weights, trainable, mixed = case
    check_layer_contract(layer_cls, kwargs, shapes, expected_num_trainable_weights=weights,
                         trainable=trainable, mixed_precision=mixed, tmp_path=tmp_path)
