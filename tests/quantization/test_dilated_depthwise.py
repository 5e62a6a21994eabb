"""QAT of DilatedDepthwiseConv2D: quantized and fused like DepthwiseConv2D, int8 and dilated
in TFLite whatever the batch."""

import collections

import numpy as np
import pytest

from keras_psa.export import TFLiteGraph
from keras_psa.keras_flavor import keras
from keras_psa.layers import DilatedDepthwiseConv2D
from tests.quantization.conftest import assert_int8_inside
from tests.quantization.conftest import convert_default
from tests.quantization.conftest import fraction_within_one_step
from tests.quantization.conftest import interpreter_for

pytestmark = pytest.mark.tf_keras_only


def atrous_block(batch_size):
    inputs = keras.Input((16, 16, 8), batch_size=batch_size)
    x = keras.layers.Conv2D(8, 1, use_bias=False)(inputs)
    x = DilatedDepthwiseConv2D(3, padding="same", dilation_rate=4, use_bias=False,
                               name="atrous")(x)
    x = keras.layers.BatchNormalization(name="atrous_bn")(x)
    x = keras.layers.ReLU(name="atrous_relu")(x)
    return keras.Model(inputs, keras.layers.Conv2D(4, 1)(x))


@pytest.mark.parametrize("batch_size", [None, 1])
def test_qat_atrous_block_is_int8_with_one_dilated_depthwise_op(batch_size):
    from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
        default_8bit_quantize_configs,
    )

    from keras_psa.quantization import quantize_model
    from keras_psa.quantization.depthwise_conv_quantize_config import DepthwiseConvQuantizeConfig

    keras.utils.set_random_seed(0)
    qat_model = quantize_model(atrous_block(batch_size))
    wrapper = qat_model.get_layer("quant_atrous")
    assert type(wrapper.layer) is DilatedDepthwiseConv2D
    # Per-channel kernel ranges, and no fake-quant between it, its BN and ReLU
    # (tfmot's Conv + BN + ReLU pattern matched it).
    assert isinstance(wrapper.quantize_config, DepthwiseConvQuantizeConfig)
    assert wrapper._weight_vars, "the kernel is not fake-quantized"
    assert isinstance(qat_model.get_layer("quant_atrous_bn").quantize_config,
                      default_8bit_quantize_configs.NoOpQuantizeConfig)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (8, 16, 16, 8)).astype("float32")
    qat_model.compile(optimizer="adam", loss="mse")
    qat_model.fit(x, np.zeros((8, 16, 16, 4), "float32"), batch_size=1, verbose=0)

    tflite_model = convert_default(qat_model)
    names = collections.Counter(op.name for op in TFLiteGraph(tflite_model).ops)
    assert "SPACE_TO_BATCH_ND" not in names and "BATCH_TO_SPACE_ND" not in names, names
    (depthwise,) = [op for op in TFLiteGraph(tflite_model).ops if op.name == "DEPTHWISE_CONV_2D"]
    assert (depthwise.options.dilationHFactor, depthwise.options.dilationWFactor) == (4, 4)
    interpreter = interpreter_for(tflite_model)
    assert_int8_inside(interpreter)
    within, step, differences = fraction_within_one_step(interpreter, qat_model, x[:1])
    assert within >= 0.99, (within, step, differences.max())
