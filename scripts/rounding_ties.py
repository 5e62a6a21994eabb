"""Which side rounds wrong where int8 TFLite and fake-quant Keras first disagree.

For one convolution (+ BatchNorm) + activation of a QAT segmenter, recomputes the
pre-rounding value in float64 from the fake-quant Keras model's own int8-grid
input, kernel and folded BatchNorm, and sorts every element where XNNPACK's int8
output and the Keras output differ: a near tie (exact value within 1e-3 of .5 of
a step) that Keras (float32, BatchNorm unfolded) or XNNPACK rounds the wrong way,
or an element whose input already differed upstream.

TF_USE_LEGACY_KERAS=1 python scripts/rounding_ties.py mobilenet_v3_large:none:lraspp \\
    quant_expanded_conv/depthwise quant_re_lu_1
"""

import argparse
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# TensorFlow's oneDNN float32 convolutions round differently enough to flip
# near-tie outputs of the fake-quant reference (7 of 32768 at MobileNetV3-Large's
# first depthwise, measured); its Eigen kernels flipped none.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from ai_edge_litert.interpreter import OpResolverType  # noqa: E402
from int8_fake_quant_agreement import differences_in_steps  # noqa: E402
from int8_fake_quant_agreement import output_step  # noqa: E402
from int8_fake_quant_agreement import qat_model_for  # noqa: E402

from keras_psa.keras_flavor import keras  # noqa: E402


def exact_pre_activation(wrapper, norm, x):
    """conv(x, fake-quant kernel) (+ folded BatchNorm) in float64."""
    layer = wrapper.layer
    _, _, ranges = wrapper._weight_vars[0]
    depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
    kernel = (layer.depthwise_kernel if depthwise else layer.kernel).numpy().astype("float64")
    bound = np.maximum(-ranges["min_var"].numpy(), ranges["max_var"].numpy()).astype("float64")
    step = bound / 127
    if depthwise and step.ndim:  # one range per channel, in TFLite's C * M order
        step = step.reshape(kernel.shape[2], kernel.shape[3])
    kernel = np.clip(np.round(kernel / step), -127, 127) * step
    x = tf.constant(x, tf.float64)
    if depthwise:
        y = tf.nn.depthwise_conv2d(x, kernel, (1,) + layer.strides + (1,),
                                   layer.padding.upper(), dilations=layer.dilation_rate)
    else:
        y = tf.nn.conv2d(x, kernel, layer.strides, layer.padding.upper(),
                         dilations=layer.dilation_rate)
    y = y.numpy()
    if layer.use_bias:
        y = y + layer.bias.numpy()
    if norm is not None:
        bn = norm.layer
        scale = bn.gamma.numpy().astype("float64") / np.sqrt(
            bn.moving_variance.numpy().astype("float64") + bn.epsilon)
        y = (y - bn.moving_mean.numpy()) * scale + bn.beta.numpy()
    return y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="BACKBONE:ATTENTION:HEAD, as int8_fake_quant_agreement")
    parser.add_argument("conv", help="QAT layer name of the convolution")
    parser.add_argument("tap", help="the quantized layer after it (its ReLU, or its BatchNorm)")
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--fits", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1, help="QAT steps per fit call")
    args = parser.parse_args()
    images = np.random.default_rng(0).uniform(0, 255, (8, args.size, args.size, 3))
    images = images.astype("float32")
    qat_model = qat_model_for(args.model, images, args.fits, True, args.alpha, args.epochs)
    wrapper, tap = qat_model.get_layer(args.conv), qat_model.get_layer(args.tap)
    following = [layer for layer in qat_model.layers if any(
        node.inbound_layers is wrapper for node in layer.inbound_nodes)]
    norm = next((layer for layer in following
                 if isinstance(getattr(layer, "layer", None), keras.layers.BatchNormalization)),
                None)
    probe = keras.Model(qat_model.input, [wrapper.input, tap.output])
    x, keras_out = (np.asarray(t, "float64") for t in probe(images[:2], training=False))
    pre = exact_pre_activation(wrapper, norm, x)
    activation = getattr(tap, "layer", None)
    if isinstance(activation, keras.layers.ReLU):
        pre = np.clip(pre, 0.0, activation.max_value or np.inf)

    tapped = keras.Model(qat_model.input, tap.output)
    converter = tf.lite.TFLiteConverter.from_keras_model(tapped)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    tflite_model = converter.convert()
    plain = Interpreter(model_content=tflite_model,
                        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    plain.allocate_tensors()
    step = output_step(plain)
    xnnpack = Interpreter(model_content=tflite_model, num_threads=1)
    xnnpack.allocate_tensors()
    differences = differences_in_steps(xnnpack, tapped, images[:2], step)
    outputs = []
    for image in images[:2]:
        xnnpack.set_tensor(xnnpack.get_input_details()[0]["index"], image[None])
        xnnpack.invoke()
        outputs.append(xnnpack.get_tensor(xnnpack.get_output_details()[0]["index"]))
    got = np.concatenate(outputs).astype("float64")
    tensors = {t["index"]: t for t in plain.get_tensor_details()}
    dequantize = [op for op in plain._get_ops_details() if op["op_name"] == "DEQUANTIZE"]
    zero_point = tensors[dequantize[-1]["inputs"][0]]["quantization"][1]
    exact = np.clip(np.round(pre / step), -128 - zero_point, 127 - zero_point)
    fraction = pre / step - np.floor(pre / step)
    counts = {"keras rounds a near tie wrong": 0, "xnnpack rounds a near tie wrong": 0,
              "input differed upstream": 0, "other": 0}
    for index in map(tuple, np.argwhere(np.abs(got - keras_out) / step > 0.5)):
        near_tie = abs(fraction[index] - 0.5) < 1e-3
        if near_tie and round(got[index] / step) == exact[index]:
            counts["keras rounds a near tie wrong"] += 1
        elif near_tie and round(keras_out[index] / step) == exact[index]:
            counts["xnnpack rounds a near tie wrong"] += 1
        elif round(keras_out[index] / step) == exact[index]:
            counts["input differed upstream"] += 1
        else:
            counts["other"] += 1
    print(f"{args.model} {args.tap}: {int(np.sum(differences > 0.5))} of {differences.size} "
          f"outputs differ; near ties (exact value within 1e-3 of .5) in all: "
          f"{int(np.sum(np.abs(fraction - 0.5) < 1e-3))}")
    for name, count in counts.items():
        print(f"  {name}: {count}")


if __name__ == "__main__":
    main()
